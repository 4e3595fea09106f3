import Glibc
import Synchronization
import Testing
import TenonABI
@testable import TenonPipeline
@testable import TenonPlugins

/// A timer service that only hands out ids: the limits are checked before it.
final class CountingTimers: TimerService, @unchecked Sendable {
    let started = Atomic<Int64>(0)
    func start(owner: UInt32, cpu: UInt32, irq: UInt32, firstNanos: UInt64, periodNanos: UInt64) -> Int64 {
        started.wrappingAdd(1, ordering: .relaxed).newValue
    }
    func stop(owner: UInt32, timerID: Int64) -> Int32 { 0 }
    func cancelAll(owner: UInt32) {}
}

/// What a plugin may ask for (PluginLimits): each limit is reached exactly,
/// the next request gets the documented errno, and the refusal is logged
/// naming the plugin.
@Suite("plugin host: limits", .timeLimit(.minutes(1)))
struct PluginLimitsTests {
    let pipeline = IRQPipeline(cpus: 2)
    let log = LogCapture()
    let host: PluginHost

    init() throws {
        host = PluginHost(pipeline: pipeline, logger: log.logger, timers: CountingTimers())
    }

    var greedyActions: Int { pipeline.actions().count { $0.name == "greedy" } }

    func loadGreedy() throws {
        try host.load(path: HostFixtures.freshCopy("greedy"))
    }

    func call(_ command: String, _ arguments: String...) throws -> Int64 {
        switch try host.call(plugin: "greedy", command: command, arguments: arguments) {
        case .int(let v): return v
        case .uint(let v): return Int64(v)
        case let other: Issue.record("unexpected result \(other)"); return .min
        }
    }

    @Test func irqActionsAreCapped() throws {
        try loadGreedy()
        for i in 0..<PluginLimits.maxActions {
            #expect(try call("request", "\(100 + i)", "0") == 0, "action \(i) refused")
        }
        #expect(try call("request", "200", "0") == Int64(-ENOSPC))
        #expect(log.contains("plugin greedy", "request_irq(200", "-\(ENOSPC)", "limit is \(PluginLimits.maxActions)"))
        #expect(greedyActions == PluginLimits.maxActions)
    }

    @Test func unknownRequestFlagsAreRefused() throws {
        try loadGreedy()
        #expect(try call("request", "9", "\(0x1)") == Int64(-EINVAL))
        #expect(try call("request", "9", "\(TenonPipeline.IRQF_OOB | 0x8000_0000)") == Int64(-EINVAL))
        #expect(log.contains("plugin greedy", "unknown flag bits 0x80000000"))
        #expect(greedyActions == 0)
        // Every known flag is still accepted.
        #expect(try call("request", "9", "\(TenonPipeline.IRQF_OOB | TenonPipeline.IRQF_SHARED | TenonPipeline.IRQF_NO_THREAD)") == 0)
    }

    @Test func timerPeriodHasAFloor() throws {
        try loadGreedy()
        #expect(try call("timer", "1000") == Int64(-EINVAL))  // 1 µs
        #expect(try call("timer", "\(PluginLimits.minTimerPeriodNanos - 1)") == Int64(-EINVAL))
        #expect(log.contains("plugin greedy", "timer_start", "below the minimum of \(PluginLimits.minTimerPeriodNanos) ns"))
        #expect(try call("timer", "\(PluginLimits.minTimerPeriodNanos)") > 0)
        #expect(try call("timer", "0") > 0)  // a one-shot has no period
    }

    @Test func timersAreCappedAndStoppingFreesASlot() throws {
        try loadGreedy()
        var ids: [Int64] = []
        for _ in 0..<PluginLimits.maxTimers { ids.append(try call("timer", "1000000")) }
        #expect(ids.allSatisfy { $0 > 0 })
        #expect(try call("timer", "1000000") == Int64(-EAGAIN))
        #expect(log.contains("plugin greedy", "limit is \(PluginLimits.maxTimers)"))
        #expect(try call("stop", "\(ids[0])") == 0)
        #expect(try call("timer", "1000000") > 0)
    }

    @Test func syntheticIRQsAreCapped() throws {
        try loadGreedy()
        for _ in 0..<PluginLimits.maxSyntheticIRQs { #expect(try call("map") >= Int64(IRQNumberSpace.deviceIRQs)) }
        #expect(try call("map") == 0)
        #expect(log.contains("plugin greedy", "irq_create_direct_mapping refused", "limit is \(PluginLimits.maxSyntheticIRQs)"))
    }

    @Test func positiveInitReturnFailsTheLoad() throws {
        let e = pluginError { try host.load(path: HostFixtures.freshCopy("greedy"), parameters: ["ret=1"]) }
        #expect(e == .initReturnedPositive(plugin: "greedy", value: 1))
        #expect(e?.description.contains("positive") == true)
        #expect(host.list().isEmpty)
        // Zero still loads.
        try host.load(path: HostFixtures.freshCopy("greedy"), parameters: ["ret=0"])
        #expect(host.list().map(\.name) == ["greedy"])
    }
}
