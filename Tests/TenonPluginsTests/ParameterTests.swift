import TenonSystem
import Testing
import TenonABI
@testable import TenonPlugins

@Suite("Load-time parameters")
struct ParameterTests {
    static let descriptors = [
        ParameterDescriptor(name: "verbose", type: .bool, defaultValue: "false"),
        ParameterDescriptor(name: "offset", type: .int, defaultValue: "-5"),
        ParameterDescriptor(name: "mask", type: .uint, defaultValue: "0x10"),
        ParameterDescriptor(name: "scale", type: .double, defaultValue: "1.5"),
        ParameterDescriptor(name: "label", type: .string, defaultValue: nil),
    ]

    func parse(_ args: [String]) throws -> PluginParameters {
        try PluginParameters(parsing: args, against: Self.descriptors, plugin: "demo")
    }

    @Test func defaultsApplied() throws {
        let p = try parse(["label=x"])
        #expect(p["verbose"] == .bool(false))
        #expect(p["offset"] == .int(-5))
        #expect(p["mask"] == .uint(16))
        #expect(p["scale"] == .double(1.5))
        #expect(p["label"] == .string("x"))
        #expect(p.explicitlySet == ["label"])
    }

    @Test func everyTypeFromUser() throws {
        let p = try parse([
            "verbose=on", "offset=-0x7fffffffffffffff", "mask=18446744073709551615",
            "scale=-2.5e3", "label=a=b c",
        ])
        #expect(p["verbose"] == .bool(true))
        #expect(p["offset"] == .int(-0x7fff_ffff_ffff_ffff))
        #expect(p["mask"] == .uint(.max))
        #expect(p["scale"] == .double(-2500))
        #expect(p["label"] == .string("a=b c"))  // split at the first '='
    }

    @Test(arguments: [
        ("true", true), ("1", true), ("yes", true), ("ON", true),
        ("false", false), ("0", false), ("no", false), ("off", false),
    ])
    func boolSpellings(text: String, value: Bool) throws {
        #expect(try parse(["label=", "verbose=\(text)"])["verbose"] == .bool(value))
    }

    @Test func integerLimits() throws {
        #expect(try parse(["label=", "offset=-9223372036854775808"])["offset"] == .int(.min))
        #expect(try parse(["label=", "offset=9223372036854775807"])["offset"] == .int(.max))
        #expect(try parse(["label=", "offset=+0x10"])["offset"] == .int(16))
        #expect(try parse(["label=", "mask=0XfF"])["mask"] == .uint(255))
    }

    @Test func cArrayMatchesValues() throws {
        let p = try parse(["label=hello", "verbose=yes", "mask=7"])
        p.withUnsafeBufferPointer { buf in
            #expect(buf.count == 5)
            #expect(String(cString: buf[0].name) == "verbose" && buf[0].type == TENON_PARAM_BOOL && buf[0].value.b == 1)
            #expect(String(cString: buf[1].name) == "offset" && buf[1].type == TENON_PARAM_INT && buf[1].value.i == -5)
            #expect(buf[2].type == TENON_PARAM_UINT && buf[2].value.u == 7)
            #expect(buf[3].type == TENON_PARAM_DOUBLE && buf[3].value.d == 1.5)
            #expect(buf[4].type == TENON_PARAM_STRING && String(cString: buf[4].value.s) == "hello")
        }
    }

    @Test func unknownKey() throws {
        let e = pluginError { try parse(["label=x", "speed=3"]) }
        #expect(e == .unknownParameter(plugin: "demo", name: "speed", known: Self.descriptors.map(\.name)))
        #expect(e!.description.contains("speed") && e!.description.contains("verbose, offset"))
    }

    @Test func duplicateKey() throws {
        let e = pluginError { try parse(["label=x", "mask=1", "mask=2"]) }
        #expect(e == .duplicateParameter(plugin: "demo", name: "mask"))
    }

    @Test func missingRequired() throws {
        let e = pluginError { try parse(["mask=1"]) }
        #expect(e == .missingParameter(plugin: "demo", name: "label"))
        #expect(e!.description.contains("label=VALUE"))
    }

    @Test(arguments: ["label", "=x", ""])
    func notKeyValue(argument: String) throws {
        let e = pluginError { try parse([argument]) }
        #expect(e == .malformedParameter(plugin: "demo", argument: argument))
    }

    @Test(arguments: [
        ("verbose", "maybe", "true/false"),
        ("offset", "9223372036854775808", "out of range"),
        ("offset", "-9223372036854775809", "out of range"),
        ("offset", "12abc", "decimal or 0x-hex"),
        ("offset", "", "decimal or 0x-hex"),
        ("offset", "0x", "decimal or 0x-hex"),
        ("offset", "--1", "decimal or 0x-hex"),
        ("mask", "-1", "negative"),
        ("mask", "18446744073709551616", "out of range"),
        ("mask", "0x1_0", "decimal or 0x-hex"),
        ("scale", "fast", "number"),
        ("scale", "nan", "finite"),
        ("scale", " 1", "number"),
    ])
    func badValue(name: String, value: String, reasonContains: String) throws {
        let e = pluginError { try parse(["label=x", "\(name)=\(value)"]) }
        guard case .badParameterValue("demo", name, value, let type, let reason) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(type == Self.descriptors.first { $0.name == name }!.type)
        #expect(reason.contains(reasonContains), "\(reason)")
        #expect(e!.description.contains("\(name)=\"\(value)\""))
    }

    @Test func parametersReachInit() throws {
        let (image, d) = try loadDescriptor(Fixtures.freshCopy("good"))
        defer { try? image.close() }
        let table = try FFICommandTable(d)
        var host = tenon_host_t()
        try d.callInit(
            host: &host,
            parameters: d.parseParameters([
                "label=ok", "offset=0x20", "verbose=1",
                "scale=0.125", "mask=3",
            ]))
        #expect(try table.call("summary", []) == .string("n=5 verbose=1 offset=32 mask=3 scale=0.125 label=ok"))
    }

    @Test func initFailureReportsErrno() throws {
        let (image, d) = try loadDescriptor(Fixtures.freshCopy("good"))
        defer { try? image.close() }
        var host = tenon_host_t()
        let params = try d.parseParameters(["label=fail"])
        let e = pluginError { try d.callInit(host: &host, parameters: params) }
        #expect(e == .initFailed(plugin: "good-fixture_1", error: SystemError(98)))  // EADDRINUSE
        #expect(e!.description.contains("Address already in use"))
    }
}
