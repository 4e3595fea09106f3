import Foundation
import Testing
import TenonPipeline
@testable import TenonPlugins

/// The example plugins built by `swift build` (Plugins/), loaded through the
/// host: they land next to the test executable as libtenon-<name>.so.
enum BuiltPlugins {
    static let directory: URL? = {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // swift test runs <build>/debug/<Package>PackageTests.xctest
        for _ in 0..<3 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("libtenon-counter.so").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// A fresh copy (unique path) of libtenon-<name>.so.
    static func freshCopy(_ name: String) throws -> String {
        let source = try #require(directory).appendingPathComponent("libtenon-\(name).so").path
        let copy = try Fixtures.built.get().appendingPathComponent("libtenon-\(name)-\(UUID().uuidString.prefix(8)).so").path
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        return copy
    }
}

@Suite("plugin host: example plugins", .enabled(if: BuiltPlugins.directory != nil), .timeLimit(.minutes(2)))
struct PluginHostExampleTests {
    @Test(arguments: ["counter", "embeddedcounter"])
    func loadsHandlesAndUnloadsWithMappingGone(_ name: String) throws {
        let pipeline = IRQPipeline(cpus: 2)
        #expect(pipeline.enable_oob_stage("test-oob") == 0)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let path = try BuiltPlugins.freshCopy(name)
        let plugin = try host.load(path: path, parameters: ["irq=12"])
        #expect(plugin.irqs == [12])
        for _ in 0..<5 { _ = pipeline.withCPU(1) { pipeline.raise(12, on: 1) } }
        #expect(try host.call(plugin: plugin.name, command: "total") == .uint(5))
        #expect(try host.call(plugin: plugin.name, command: "count", arguments: ["1"]) == .uint(5))
        #expect(!(try privateCopyMappings(of: path).isEmpty))
        let result = host.unload(name: plugin.name)
        print("\(name): \(plugin.description) -> \(result)")
        #expect(result == .unloaded(mapsGone: true))
        #expect(try privateCopyMappings(of: path).isEmpty)
    }
}
