import Foundation
import Logging
import Synchronization
import Testing
import TenonPipeline
@testable import TenonPlugins

/// The TenonPluginKit ports (Plugins/EmbeddedCounter, Plugins/SwiftChain),
/// built by `swift build`, loaded through the plugin host like any plugin.
@Suite(
    "plugin kit: Swift plugins on TenonPluginKit", .enabled(if: BuiltPlugins.directory != nil),
    .timeLimit(.minutes(2)))
struct PluginKitTests {
    /// The kit writes the descriptor: signatures derived from the Swift
    /// function types, defaults formatted from typed values.
    @Test func descriptorsAreDerivedFromSwiftTypes() throws {
        let (image, counter) = try loadDescriptor(try BuiltPlugins.freshCopy("embeddedcounter"))
        defer { try? image.close() }
        #expect(counter.name == "embedded-counter")
        #expect(counter.parameters.map { "\($0.name)=\($0.defaultValue ?? "-")" } == ["irq=10", "oob=true"])
        #expect(counter.commands.map { "\($0.name) \($0.signature)" } == ["count u64(u32)", "total u64()", "reset void()"])

        let (chainImage, chain) = try loadDescriptor(try BuiltPlugins.freshCopy("swiftchain"))
        defer { try? chainImage.close() }
        #expect(
            chain.commands.map { "\($0.name) \($0.signature)" }
                == [
                    "oob_count u64()", "inband_count u64()", "work_count u64()", "violations u64()", "sirq u32()",
                    "max_synthetic u32()",
                ])
    }

    @Test func embeddedCounterCountsCallsAndUnloads() throws {
        let pipeline = IRQPipeline(cpus: 2)
        #expect(pipeline.enable_oob_stage("test-oob") == 0)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let path = try BuiltPlugins.freshCopy("embeddedcounter")
        let plugin = try host.load(path: path, parameters: ["irq=12"])
        #expect(plugin.irqs == [12])
        for _ in 0..<5 { _ = pipeline.withCPU(1) { pipeline.raise(12, on: 1) } }
        for _ in 0..<2 { _ = pipeline.withCPU(0) { pipeline.raise(12, on: 0) } }
        #expect(try host.call(plugin: plugin.name, command: "count", arguments: ["1"]) == .uint(5))
        #expect(try host.call(plugin: plugin.name, command: "total") == .uint(7))
        #expect(try host.call(plugin: plugin.name, command: "reset") == .void)
        #expect(try host.call(plugin: plugin.name, command: "total") == .uint(0))
        #expect(host.unload(name: plugin.name) == .unloaded(mapsGone: true))
        #expect(try privateCopyMappings(of: path).isEmpty)
    }

    /// Every oob run posts the synthetic IRQ in-band and queues the irq_work;
    /// each handler checks its stage.
    @Test func swiftChainDefersInbandAndUnloads() throws {
        let pipeline = IRQPipeline(cpus: 2)
        #expect(pipeline.enable_oob_stage("test-oob") == 0)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let path = try BuiltPlugins.freshCopy("swiftchain")
        let plugin = try host.load(path: path, parameters: ["irq=13", "work=true"])
        guard case .uint(let sirq) = try host.call(plugin: plugin.name, command: "sirq") else {
            Issue.record("sirq is not a u32")
            return
        }
        #expect(plugin.irqs == [13, UInt32(sirq)])
        for _ in 0..<6 { _ = pipeline.withCPU(1) { pipeline.raise(13, on: 1) } }
        #expect(try host.call(plugin: plugin.name, command: "oob_count") == .uint(6))
        #expect(try host.call(plugin: plugin.name, command: "inband_count") == .uint(6))
        guard case .uint(let work) = try host.call(plugin: plugin.name, command: "work_count") else { return }
        #expect((1...6).contains(work), "irq_work ran \(work) times for 6 queues (pending ones coalesce)")
        #expect(try host.call(plugin: plugin.name, command: "violations") == .uint(0))
        // Host.limits: the kit reaches the host's TENON_EXT_LIMITS extension.
        #expect(try host.call(plugin: plugin.name, command: "max_synthetic") == .uint(UInt64(PluginLimits.maxSyntheticIRQs)))
        #expect(host.unload(name: plugin.name) == .unloaded(mapsGone: true))
        #expect(try privateCopyMappings(of: path).isEmpty)
    }

    /// A value the host accepts (u64) but the Swift type cannot hold is
    /// refused by the kit with ERANGE and a message naming the parameter.
    @Test func outOfRangeParameterIsRefusedWithItsName() throws {
        let log = LogCapture()
        let pipeline = IRQPipeline(cpus: 2)
        let host = PluginHost(pipeline: pipeline, logger: log.logger)
        let path = try BuiltPlugins.freshCopy("embeddedcounter")
        let error = pluginError { try host.load(path: path, parameters: ["irq=4294967296"]) }
        #expect(error == .initFailed(plugin: "embedded-counter", error: SystemError(ERANGE)))
        #expect(log.messages.contains { $0.contains("parameter irq=4294967296 is out of range") }, "\(log.messages)")
        #expect(try privateCopyMappings(of: path).isEmpty)
    }

    /// One command more than the kit's table holds: nothing is written past
    /// it (the descriptor lists 32), and init refuses with E2BIG naming the 33rd.
    @Test func tableOverflowIsRefusedWithoutOverrun() throws {
        let (image, descriptor) = try loadDescriptor(try BuiltPlugins.freshCopy("fixturekitoverflow"))
        #expect(descriptor.commands.count == 32)
        #expect(descriptor.commands.last?.name == "c31")
        #expect(descriptor.parameters.map(\.name) == ["irq"])
        try image.close()

        let log = LogCapture()
        let host = PluginHost(pipeline: IRQPipeline(cpus: 2), logger: log.logger)
        let path = try BuiltPlugins.freshCopy("fixturekitoverflow")
        let error = pluginError { try host.load(path: path) }
        #expect(error == .initFailed(plugin: "kit-overflow", error: SystemError(E2BIG)))
        #expect(
            log.messages.contains {
                $0.contains("command 'c32' does not fit: more than 32 commands (TENON_KIT_MAX_COMMANDS)")
            }, "\(log.messages)")
    }
}
