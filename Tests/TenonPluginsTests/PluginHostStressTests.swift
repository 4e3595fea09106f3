import Foundation
import Synchronization
import Testing
@testable import TenonPipeline
@testable import TenonPlugins

/// What one load/unload storm saw.
struct StormReport: CustomStringConvertible {
    var cycles = 0
    /// Cycles in which the plugin's handler ran while loaded (the test is not vacuous).
    var cyclesWithRuns = 0
    /// Cycles after which the plugin's counter moved once unload had returned.
    var lateRuns = 0
    /// Cycles after which the image was still in /proc/self/maps, or unload did not say unloaded.
    var mapsLeft = 0
    var unloadNanos: [UInt64] = []
    var firstProblem: String?

    var description: String {
        "\(cycles) cycles, handler ran in \(cyclesWithRuns), late runs after unload: \(lateRuns), "
            + "images left mapped: \(mapsLeft); unload latency p50 \(percentile(unloadNanos, 0.5)) µs, "
            + "p99 \(percentile(unloadNanos, 0.99)) µs, max \(percentile(unloadNanos, 1)) µs"
    }
}

/// 4 CPU threads storm IRQ 5 (bound to CPUs 1…4; the control thread is CPU 0
/// and never dispatches) while this thread loads and unloads one plugin
/// `cycles` times. After each unload the image must be gone from
/// /proc/self/maps. Each cycle's instance bumps its own counter in host
/// memory (`counter=&counters[cycle]`); its value is recorded when unload
/// returns, and after the storm has stopped (all CPU threads joined) no
/// counter may have moved past its record: any late run, however late, is
/// attributed to its cycle. (A late run into unmapped code dies of SIGSEGV.)
func loadUnloadStorm(
    barrier: BarrierConfiguration, cycles: Int, stopAtFirstProblem: Bool,
    minimumCycles: Int? = nil
) throws -> StormReport {
    let pipeline = IRQPipeline(cpus: 5, barrier: barrier)
    let host = PluginHost(pipeline: pipeline, logger: testLogger(.error))
    let counters = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: cycles)
    for i in 0..<cycles { (counters + i).initialize(to: Atomic(0)) }
    var atUnload = [UInt64](repeating: 0, count: cycles)
    let path = try HostFixtures.freshCopy("hostplug")
    let storm = Storm(pipeline: pipeline, cpus: [1, 2, 3, 4], irq: 5)
    storm.start()
    var report = StormReport()
    let start = monotonicNanos()
    for cycle in 0..<cycles {
        if SoakScale.outOfBudget(since: start, now: monotonicNanos(), done: cycle, minimum: minimumCycles ?? cycles) { break }
        report.cycles = cycle + 1
        let counter = counters + cycle
        try host.load(path: path, parameters: ["counter=\(address(counter))", "irq=5"])
        // Let the storm reach the plugin (bounded: the test stays meaningful
        // on a loaded machine without hanging on a pathological one).
        let deadline = monotonicNanos() + 50_000_000
        while counter.pointee.load(ordering: .relaxed) == 0 && monotonicNanos() < deadline { sched_yield() }
        if counter.pointee.load(ordering: .relaxed) != 0 { report.cyclesWithRuns += 1 }

        let t0 = monotonicNanos()
        let result = host.unload(name: "hostplug", timeout: .seconds(5))
        report.unloadNanos.append(monotonicNanos() - t0)
        atUnload[cycle] = counter.pointee.load(ordering: .acquiring)
        let mapped = try !privateCopyMappings(of: path).isEmpty
        if result != .unloaded(mapsGone: true) || mapped {
            report.mapsLeft += 1
            report.firstProblem = report.firstProblem ?? "cycle \(cycle): unload returned \(result), mapped: \(mapped)"
            if stopAtFirstProblem { break }
        }
    }
    // Keep storming a while after the last unload, then stop and join the
    // CPU threads: every run that could still happen has happened.
    storm.waitForProgress(beyond: storm.snapshot(), by: 100)
    storm.finish()
    for cycle in 0..<report.cycles where counters[cycle].load(ordering: .acquiring) != atUnload[cycle] {
        report.lateRuns += 1
        report.firstProblem =
            report.firstProblem ?? "cycle \(cycle): handler ran "
            + "\(counters[cycle].load(ordering: .acquiring) - atUnload[cycle]) time(s) after unload returned"
    }
    counters.deinitialize(count: cycles)
    counters.deallocate()
    return report
}

@Suite("plugin host: concurrency", .serialized, .timeLimit(.minutes(20)))
struct PluginHostStressTests {
    @Test func loadUnloadUnderIRQStorm() throws {
        let cycles = SoakScale.cycles(quick: 400, full: 10_000)
        let report = try loadUnloadStorm(barrier: .init(), cycles: cycles, stopAtFirstProblem: false, minimumCycles: 400)
        print("load/unload storm (membarrier): \(report)")
        #expect(report.cycles >= 400 && report.cycles <= cycles)
        #expect(report.lateRuns == 0, "\(report.firstProblem ?? "")")
        #expect(report.mapsLeft == 0, "\(report.firstProblem ?? "")")
        #expect(report.cyclesWithRuns > report.cycles / 2, "the storm rarely reached the plugin: test too weak")
    }

    @Test func loadUnloadUnderIRQStormFenced() throws {
        let report = try loadUnloadStorm(
            barrier: .init(fence: .fenced), cycles: SoakScale.cycles(quick: 200, full: 2_000),
            stopAtFirstProblem: false, minimumCycles: 200)
        print("load/unload storm (fenced): \(report)")
        #expect(report.lateRuns == 0 && report.mapsLeft == 0, "\(report.firstProblem ?? "")")
    }

    #if TENON_TORTURE
    // Torture build only (the `Torture` trait): the shipped build has no sabotage.
    /// The same storm with the barrier's wait skipped must fail (a handler runs
    /// after unload returned, or runs unmapped code and dies of SIGSEGV): the
    /// test above can detect the bug it guards against.
    @Test func sabotagedBarrierIsCaught() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardOutputContent]) {
            let report = try loadUnloadStorm(
                barrier: .init(sabotage: .skipWait), cycles: 20_000,
                stopAtFirstProblem: true)
            print("sabotaged storm: \(report) -- \(report.firstProblem ?? "no problem found")")
            exit(report.lateRuns + report.mapsLeft > 0 ? 1 : 0)
        }
        let output = String(decoding: result.standardOutputContent, as: UTF8.self)
        print("sabotaged child exited with \(result.exitStatus)")
        // Either it saw a late run, or the late run executed unmapped code (a signal).
        if case .exitCode = result.exitStatus {
            #expect(output.contains("after unload returned"))
        }
    }
    #endif

    // MARK: - Stuck handler

    func stuckSetup() throws -> (IRQPipeline, PluginHost, Storm) {
        let pipeline = IRQPipeline(cpus: 3)
        #expect(pipeline.enable_oob_stage("test-oob") == 0)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        try host.load(path: HostFixtures.freshCopy("hoststuck"), parameters: ["irq=7"])
        // One CPU thread on CPU 2 storming IRQ 7: its first raise gets stuck.
        let storm = Storm(pipeline: pipeline, cpus: [2], irq: 7)
        storm.start()
        while try host.call(plugin: "stuck", command: "entered") == .uint(0) { sched_yield() }
        return (pipeline, host, storm)
    }

    @Test func stuckHandlerMakesUnloadBusyThenReleaseLetsItFinish() throws {
        let (_, host, storm) = try stuckSetup()
        let path = host.list()[0].path
        let t0 = monotonicNanos()
        let result = host.unload(name: "stuck", timeout: .milliseconds(200))
        let elapsed = Double(monotonicNanos() - t0) / 1e6
        print("busy unload returned after \(elapsed) ms (timeout 200 ms): \(result)")
        guard case let .busy(cpu, irq, since) = result else { Issue.record("got \(result)"); return }
        // `since`: when the unloader first saw the CPU inside (it, not the hot path, takes timestamps).
        #expect(cpu == 2 && irq == 7 && since >= t0 && since <= monotonicNanos())
        #expect(host.list()[0].state == .unpublished)
        #expect(!(try privateCopyMappings(of: path).isEmpty), "a busy plugin must stay mapped")
        _ = try host.call(plugin: "stuck", command: "release")
        storm.finish()
        #expect(host.unload(name: "stuck", timeout: .seconds(5)) == .unloaded(mapsGone: true))
        #expect(try privateCopyMappings(of: path).isEmpty)
    }

    @Test func cancelUnloadRepublishes() throws {
        let (pipeline, host, storm) = try stuckSetup()
        guard case .busy(2, 7, _) = host.unload(name: "stuck", timeout: .milliseconds(200)) else {
            Issue.record("not busy"); return
        }
        try host.cancelUnload(name: "stuck")
        #expect(host.list()[0].state == .live)
        _ = try host.call(plugin: "stuck", command: "release")
        storm.finish()
        guard case .uint(let entered) = try host.call(plugin: "stuck", command: "entered") else { return }
        // Handled again: the CPU thread's raises after release reach it once more.
        _ = pipeline.withCPU(1) { pipeline.raise(7, on: 1) }
        #expect(try host.call(plugin: "stuck", command: "entered") == .uint(entered + 1))
        #expect(host.unload(name: "stuck", timeout: .seconds(5)) == .unloaded(mapsGone: true))
    }

    // MARK: - Self-unload

    @Test func handlerAskingToUnloadItsOwnPluginIsRefused() throws {
        let pipeline = IRQPipeline(cpus: 2)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let plugin = try host.load(path: HostFixtures.freshCopy("hostplug"), parameters: ["irq=5"])
        let outcome = Mutex<(UnloadResult?, PluginError?)>((nil, nil))
        // An action of the plugin's owner (as if its own handler asked).
        #expect(
            pipeline.request_irq(9, flags: 0, name: "self-unload", owner: plugin.owner) { _ in
                let r = host.unload(name: "hostplug", timeout: .seconds(1))
                var swapError: PluginError?
                do { try host.swap(name: "hostplug", path: plugin.path) } catch let e as PluginError { swapError = e } catch {}
                outcome.withLock { $0 = (r, swapError) }
                return IRQ_HANDLED
            } == 0)
        _ = pipeline.withCPU(1) { pipeline.raise(9, on: 1) }
        let (result, swapError) = outcome.withLock { $0 }
        guard case .refused(let reason) = result else { Issue.record("got \(String(describing: result))"); return }
        #expect(reason.contains("inside an IRQ handler on CPU 1"))
        guard case .refused = swapError else { Issue.record("swap: \(String(describing: swapError))"); return }
        #expect(host.list().first?.state == .live)
        // From task context it unloads, revoking the handler's action too.
        #expect(host.unload(name: "hostplug") == .unloaded(mapsGone: true))
        #expect(!pipeline.actions().contains { $0.irq == 9 || $0.irq == 5 })
    }

    // MARK: - Idle unload

    /// Unload with no CPU dispatching: the grace period completes and every
    /// image is gone from /proc/self/maps, cycle after cycle (its cost is
    /// measured by `tenon bench`, not here).
    @Test func idleUnloadIsQuiescentAndUnmaps() throws {
        let pipeline = IRQPipeline(cpus: 4)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.error))
        let path = try HostFixtures.freshCopy("hostplug")
        var grace: [UInt64] = []
        for _ in 0..<SoakScale.cycles(quick: 50, full: 300) {
            try host.load(path: path, parameters: ["irq=5"])
            let t0 = monotonicNanos()
            #expect(pipeline.synchronize(timeout: .seconds(5)) == .quiescent)
            grace.append(monotonicNanos() - t0)
            #expect(host.unload(name: "hostplug") == .unloaded(mapsGone: true))
            #expect(try privateCopyMappings(of: path).isEmpty)
        }
        if SoakScale.enabled {
            print("idle (\(pipeline.barrierFence)): synchronize p50 \(percentile(grace, 0.5)) µs p99 \(percentile(grace, 0.99)) µs")
        }
    }
}
