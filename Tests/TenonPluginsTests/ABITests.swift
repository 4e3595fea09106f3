import Glibc
import Testing
import TenonABI
@testable import TenonPipeline
@testable import TenonPlugins

/// ABI 2 (include/tenon/tenon_plugin.h): what the header promises, checked
/// from the host's side of the boundary.
@Suite("C ABI: names, layout, extensions", .timeLimit(.minutes(1)))
struct ABITests {
    /// The header's prefixed names carry Dovetail's values, which the
    /// pipeline uses under Dovetail's own names.
    @Test func prefixedNamesKeepDovetailValues() {
        #expect(UInt32(TENON_IRQF_SHARED) == IRQF_SHARED)
        #expect(UInt32(TENON_IRQF_PERCPU) == IRQF_PERCPU)
        #expect(UInt32(TENON_IRQF_ONESHOT) == IRQF_ONESHOT)
        #expect(UInt32(TENON_IRQF_NO_THREAD) == IRQF_NO_THREAD)
        #expect(UInt32(TENON_IRQF_OOB) == IRQF_OOB)
        #expect(Int32(TENON_IRQ_NONE) == IRQ_NONE && Int32(TENON_IRQ_HANDLED) == IRQ_HANDLED)
        #expect(Int32(TENON_IRQ_WAKE_THREAD) == IRQ_WAKE_THREAD)
        #expect(
            PluginLimits.knownIRQFlags
                == UInt32(
                    TENON_IRQF_SHARED | TENON_IRQF_PERCPU | TENON_IRQF_ONESHOT
                        | TENON_IRQF_NO_THREAD | TENON_IRQF_OOB))
        #expect(ABIVersion.host == ABIVersion(major: 2, minor: 0, patch: 0))
    }

    /// Swift's import of the structs agrees with the C compiler's layout,
    /// which the header's _Static_asserts pin.
    @Test func swiftSeesTheHeadersLayout() {
        #expect(MemoryLayout<tenon_host_t>.size == 216)
        #expect(MemoryLayout<tenon_host_t>.offset(of: \.get_extension) == 40)
        #expect(MemoryLayout<tenon_host_t>.offset(of: \.log) == 208)
        #expect(MemoryLayout<tenon_plugin_desc_t>.size == 96)
        #expect(MemoryLayout<tenon_plugin_desc_t>.offset(of: \.get_extension) == 88)
        #expect(MemoryLayout<tenon_irq_work_t>.size == 48)
        #expect(MemoryLayout<tenon_host_limits_t>.size == 24)
    }

    /// The host's get_extension: TENON_EXT_LIMITS holds PluginLimits' figures,
    /// an unknown or NULL id gives NULL; and the host asks the plugin's
    /// get_extension through PluginHost.extension(of:id:).
    @Test func extensionsOnBothSides() throws {
        let pipeline = IRQPipeline(cpus: 1)
        let host = PluginHost(pipeline: pipeline, logger: testLogger())
        try host.load(path: HostFixtures.freshCopy("extension"))
        defer { _ = host.unloadAll() }
        func limit(_ which: UInt32) throws -> UInt64 {
            guard case .uint(let v) = try host.call(plugin: "extension", command: "limit", arguments: ["\(which)"])
            else { Issue.record("limit \(which): not a u64"); return .max }
            return v
        }
        #expect(try limit(0) == UInt64(MemoryLayout<tenon_host_limits_t>.size))
        #expect(try limit(1) == UInt64(PluginLimits.maxActions))
        #expect(try limit(2) == UInt64(PluginLimits.maxTimers))
        #expect(try limit(3) == UInt64(PluginLimits.maxSyntheticIRQs))
        #expect(try limit(4) == PluginLimits.minTimerPeriodNanos)
        guard case .int(let probes) = try host.call(plugin: "extension", command: "probe") else {
            Issue.record("probe: not an i32"); return
        }
        #expect(probes == 0b111, "unknown id NULL, NULL id NULL, TENON_HOST_HAS(log)")

        let answer = try #require(try host.extension(of: "extension", id: "tenon.test.answer/1"))
        #expect(answer.load(fromByteOffset: 4, as: UInt32.self) == 42)
        #expect(try host.extension(of: "extension", id: "tenon.test.other/1") == nil)
        #expect(throws: PluginError.self) { try host.extension(of: "no-such-plugin", id: "tenon.test.answer/1") }
    }

    /// A plugin without get_extension offers nothing: nil, not a call through NULL.
    @Test func pluginWithoutExtensionsAnswersNil() throws {
        let pipeline = IRQPipeline(cpus: 1)
        let host = PluginHost(pipeline: pipeline, logger: testLogger())
        try host.load(path: HostFixtures.freshCopy("greedy"))
        defer { _ = host.unloadAll() }
        #expect(try host.extension(of: "greedy", id: TENON_EXT_LIMITS) == nil)
    }
}
