import Foundation
import Testing
@testable import TenonPlugins
import TenonPipeline

@Suite("Retire decision for Swift-built images")
struct SwiftMetadataTests {
    @Test func realSwiftLibraryMustRetire() throws {
        guard let swiftc = Fixtures.swiftc else {
            print("skipping: no swiftc next to the running toolchain or on PATH")
            return
        }
        let out = try Fixtures.built.get().appendingPathComponent("libswiftmeta-\(UUID().uuidString.prefix(8)).so").path
        try Fixtures.run(
            swiftc,
            [
                "-emit-library", Fixtures.sourceDir.appendingPathComponent("swiftmeta.swift").path,
                "-module-name", "SwiftMeta", "-o", out,
            ])
        let image = try ELFImage(validating: out)
        #expect(image.hasSwiftMetadata)
        #expect(image.swiftMetadataSections.contains("swift5_protocol_conformances"))
        #expect(image.needsSwiftRuntime)
        #expect(image.mustRetire)
        #expect(image.retireReasons.first?.contains("Swift runtime metadata") == true)
    }

    @Test func cLinkedThroughSwiftcIsStillUnloadable() throws {
        // What SwiftPM does to a C dynamic product: link via swiftc, which adds
        // swiftrt.o (empty swift5_* sections) and NEEDED libswiftCore.so.
        guard let swiftc = Fixtures.swiftc else {
            print("skipping: no swiftc next to the running toolchain or on PATH")
            return
        }
        let dir = try Fixtures.built.get()
        let tag = UUID().uuidString.prefix(8)
        let object = dir.appendingPathComponent("swiftlinked-\(tag).o").path
        let out = dir.appendingPathComponent("libswiftlinked-\(tag).so").path
        try Fixtures.run(
            "cc",
            [
                "-c", "-fPIC", "-fvisibility=hidden",
                "-I", Fixtures.packageRoot.appendingPathComponent("include").path,
                Fixtures.sourceDir.appendingPathComponent("nullentry.c").path, "-o", object,
            ])
        try Fixtures.run(swiftc, ["-emit-library", object, "-o", out])
        let image = try ELFImage(validating: out)
        #expect(image.sectionNames.contains("swift5_protocols"))  // present…
        #expect(!image.hasSwiftMetadata)  // …but empty
        #expect(image.needsSwiftRuntime)
        #expect(!image.mustRetire)
    }

    @Test func plainCFixtureIsUnloadable() throws {
        let image = try ELFImage(validating: Fixtures.path("good"))
        #expect(!image.sectionNames.contains { $0.hasPrefix("swift5_") })
        #expect(!image.mustRetire)
    }

    /// The loader's decision carried through the host: a plugin with Swift
    /// runtime metadata loads and runs, and unloading retires it (kept mapped,
    /// reason stated) instead of dlclosing it under the Swift runtime.
    @Test func swiftRuntimePluginIsRetiredNotUnmapped() throws {
        guard let swiftc = Fixtures.swiftc else {
            print("skipping: no swiftc next to the running toolchain or on PATH")
            return
        }
        let out = try Fixtures.built.get().appendingPathComponent("libswiftplug-\(UUID().uuidString.prefix(8)).so").path
        try Fixtures.run(
            swiftc,
            [
                "-emit-library", Fixtures.sourceDir.appendingPathComponent("swiftplugin.swift").path,
                "-module-name", "SwiftPlug", "-I", Fixtures.packageRoot.appendingPathComponent("include").path,
                "-o", out,
            ])
        let host = PluginHost(pipeline: IRQPipeline(cpus: 1), logger: testLogger())
        let loaded = try host.load(path: out)
        #expect(loaded.name == "swift-runtime")
        #expect(!loaded.retireReasons.isEmpty)
        let result = host.unload(name: "swift-runtime")
        guard case .retired(let reason) = result else {
            Issue.record("expected retired, got \(result)")
            return
        }
        #expect(reason.contains("Swift"), "\(reason)")
        #expect(try !privateCopyMappings(of: out).isEmpty)  // still mapped, on purpose
        #expect(host.plugin(named: "swift-runtime") == nil)
    }
}
