import Testing
import TenonABI
@testable import TenonPlugins

@Suite("dlopen and descriptor validation")
struct DescriptorTests {
    @Test func goodPluginRoundTrips() throws {
        let (image, d) = try loadDescriptor(Fixtures.freshCopy("good"))
        defer { try? image.close() }
        #expect(!image.isRetained)
        #expect(image.path.hasPrefix("/"))
        #expect(d.abi == ABIVersion.host)
        #expect(d.structSize == PluginDescriptor.minimumStructSize)
        #expect(d.name == "good-fixture_1")
        #expect(d.version == "1.2.3")
        #expect(d.description == "test fixture")
        #expect(d.parameters.map(\.name) == ["verbose", "offset", "mask", "scale", "label"])
        #expect(d.parameters.map(\.type) == [.bool, .int, .uint, .double, .string])
        #expect(d.parameters.map(\.defaultValue) == ["false", "-5", "0x10", "1.5", nil])
        #expect(d.parameters[4].isRequired && !d.parameters[0].isRequired)
        #expect(d.parameters[2].description == "bit mask")
        #expect(
            d.commands.map(\.name) == [
                "mix", "neg", "half", "summary", "bump", "bumps", "not", "twice",
                "inv", "null", "sum",
            ])
        #expect(d.commands[0].signature == CommandSignature(returnType: .u64, argumentTypes: [.u32, .str]))
        #expect(d.commands[10].signature.description == "f64(i32,i64,u32,u64,f64,bool)")
        #expect(d.commands[1].help == "-3x-1")
        #expect(d.initFunction != nil && d.exitFunction != nil)
    }

    @Test func dlopenRefusesAForeignButValidLookingFile() throws {
        // Past the ELF checks on purpose (we call DynamicImage directly), so
        // the dlerror text must reach the error.
        let path = try Fixtures.file("garbage.so", Array("not really\n".utf8))
        let e = pluginError { try DynamicImage(path: path, retain: false) }
        guard case .dlopenFailed(let p, let message) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(p.hasSuffix("garbage.so"))
        #expect(!message.isEmpty)
        #expect(e!.description.contains("garbage.so"))
    }

    @Test func missingEntry() throws {
        let path = try Fixtures.path("noentry")
        let e = pluginError { try loadDescriptor(path) }
        guard case .missingEntry(let p) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(p.hasSuffix("libnoentry.so"))
        #expect(e!.description.contains("libnoentry.so"))
        #expect(e!.description.contains("TENON_PLUGIN_ENTRY(desc)") && e!.description.contains("-fvisibility=hidden"))
    }

    @Test func entryReturnsNull() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("nullentry")) }
        guard case .entryReturnedNull(let p) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(p.hasSuffix("libnullentry.so") && e!.description.contains("libnullentry.so"))
    }

    @Test func abiMajorMismatch() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("major")) }
        guard case .abiMajorMismatch(let p, let plugin, let host) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(p.hasSuffix("libmajor.so"))
        #expect(plugin.major == host.major + 1 && host == .host)
        #expect(e!.description.contains("libmajor.so") && e!.description.contains("\(host.major + 1).0.0"))
    }

    /// ABI 2.0 was a major bump: a 1.0 build is refused on its version alone,
    /// the message naming both versions and what to change.
    @Test func abi1PluginIsRefusedNamingBothVersions() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("abi1")) }
        guard case .abiMajorMismatch(let p, let plugin, let host) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(p.hasSuffix("libabi1.so") && plugin == ABIVersion(major: 1, minor: 0) && host == .host)
        #expect(host.major == 2)
        let text = e!.description
        #expect(text.contains("built for ABI 1.0.0") && text.contains("this host's ABI 2.0.0"))
        #expect(text.contains("TENON_IRQF_") && text.contains("rebuild"))
    }

    @Test func newerMinorWithLargerDescriptor() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("minor")) }
        guard case .newerMinor(let p, let plugin, let host, let pluginSize, let hostSize) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(p.hasSuffix("libminor.so"))
        #expect(plugin.minor == host.minor + 1)
        #expect(hostSize == UInt32(MemoryLayout<tenon_plugin_desc_t>.size))
        #expect(pluginSize == hostSize + 8)
        #expect(e!.description.contains("ABI \(host.major).\(host.minor + 1)"))
        #expect(e!.description.contains("8 bytes") && e!.description.contains("rebuild"))
    }

    @Test func descriptorTooSmall() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("small")) }
        guard case .descriptorTooSmall(_, 16, let minimum) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(minimum == PluginDescriptor.minimumStructSize)
    }

    @Test func badName() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("badname")) }
        guard case .badName(let p, "Bad Name!", let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(p.hasSuffix("libbadname.so"))
        #expect(reason.contains("[a-z0-9_-]"))
        #expect(e!.description.contains("Bad Name!"))
    }

    @Test func duplicateParameterDeclaration() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("dupparam")) }
        guard case .badParameterDescriptor("dupparam", 1, "rate", let reason) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(reason.contains("twice"))
        #expect(e!.description.contains("dupparam") && e!.description.contains("rate"))
    }

    @Test func badSignatureInDescriptor() throws {
        let e = pluginError { try loadDescriptor(Fixtures.path("badsig")) }
        guard case .badSignature("f", "int(x)", let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("int"))
    }

    @Test func duplicateName() throws {
        let (image, d) = try loadDescriptor(Fixtures.freshCopy("good"))
        defer { try? image.close() }
        try d.ensureUniqueName(among: ["other": "/x/libother.so"])
        let e = pluginError { try d.ensureUniqueName(among: ["good-fixture_1": "/x/libgood.so"]) }
        #expect(e == .duplicateName(name: "good-fixture_1", existingPath: "/x/libgood.so"))
        #expect(e!.description.contains("/x/libgood.so"))
    }

    @Test(arguments: [
        ("a", true), ("good-fixture_1", true), (String(repeating: "x", count: 31), true),
        ("", false), (String(repeating: "x", count: 32), false), ("Upper", false), ("sp ace", false),
        ("dot.so", false), ("é", false),
    ])
    func nameRule(name: String, valid: Bool) {
        #expect(PluginDescriptor.isValidName(name) == valid)
    }

    @Test func abiRuleIsTheHeaders() {
        let host = ABIVersion(major: 1, minor: 2)
        #expect(ABIVersion(major: 1, minor: 0, patch: 9).isCompatible(withHost: host))
        #expect(ABIVersion(major: 1, minor: 2).isCompatible(withHost: host))
        #expect(!ABIVersion(major: 1, minor: 3).isCompatible(withHost: host))
        #expect(!ABIVersion(major: 0, minor: 2).isCompatible(withHost: host))
        #expect(!ABIVersion(major: 2, minor: 0).isCompatible(withHost: host))
    }

    @Test func retainedImageStaysLoadedAfterClose() throws {
        let path = try Fixtures.freshCopy("nullentry")
        let image = try DynamicImage(path: path, retain: true)
        #expect(image.isRetained)
        try image.close()
        #expect(DynamicImage.isLoaded(image.path))
        #expect(try ProcessMaps.mappings(of: path).count > 0)
    }
}
