import CTenon
import Foundation
import Glibc
import Testing
import TenonMachine
@testable import TenonPipeline
@testable import TenonPlugins

/// The signal guard and the thread census, on a real machine (CPU threads,
/// real doorbell signals): a plugin that ignores, steals or blocks the host's
/// signals is named in the log and undone, and the host keeps serving the
/// other plugin's device IRQs, also after the culprit is unloaded.
/// Serialized: dispositions are process-wide; and apart from tests that
/// hold a plugin call past the guard's turn (``ExclusiveTurn``).
@Suite("plugin host: signal guard and leftover threads", .serialized, .timeLimit(.minutes(3)))
final class SignalGuardTests {
    let machine: Machine
    let log = LogCapture()
    let host: PluginHost
    /// The well-behaved plugin's counter (hostplug, in-band, IRQ 6).
    let good = HostCounter()
    /// The rogue plugin's counter (IRQ 5, oob).
    let rogue = HostCounter()
    let stop = HostCounter()
    let doorbell = MachineSignals.doorbell

    init() throws {
        ExclusiveTurn.take()
        var taken = true
        defer { if taken { ExclusiveTurn.give() } }
        machine = try Machine(cpus: 2)
        _ = machine.pipeline.enable_oob_stage("guard-test")
        host = PluginHost(pipeline: machine.pipeline, logger: log.logger)
        try host.load(path: HostFixtures.freshCopy("hostplug"), parameters: [good.parameter, "irq=6"])
        taken = false  // deinit gives it back
    }

    deinit {
        stop.pointer.pointee.store(1, ordering: .releasing)
        _ = host.unloadAll()
        machine.pipeline.disable_oob_stage()
        machine.stop()
        ExclusiveTurn.give()
    }

    /// Raises `irq` on `cpu` until `counter` moves (bounded: 10 s); whether it did.
    func served(_ counter: HostCounter, irq: UInt32 = 6, cpu: Int) -> Bool {
        let before = counter.value
        for _ in 0..<10_000 {
            machine.raise(irq, on: cpu)
            if counter.value > before { return true }
            usleep(1000)
        }
        return false
    }

    func loadRogue(_ parameters: String...) throws -> LoadedPlugin {
        try host.load(
            path: HostFixtures.freshCopy("rogue"),
            parameters: [rogue.parameter, "stop=" + address(UnsafeMutableRawPointer(stop.pointer)), "signo=\(doorbell)", "irq=5"] + parameters)
    }

    /// Polls `condition` every millisecond for at most 10 s; whether it held.
    static func waitUntil(_ condition: () -> Bool) -> Bool {
        for _ in 0..<10_000 where !condition() { usleep(1000) }
        return condition()
    }

    func hostOwnsDoorbell() -> Bool { ctenon_guard_check(doorbell, 0) == 0 }

    /// Keeps `cpus` of `machine` busy in a job until the returned counter is
    /// set: a raise then reaches them by their doorbell signal (an idle CPU
    /// is woken on its futex word instead, which no signal change can lose).
    static func occupy(_ machine: Machine, cpus: [Int]) -> HostCounter {
        let (release, started) = (HostCounter(), HostCounter())
        for cpu in cpus {
            machine.submit(cpu: cpu) {
                started.pointer.pointee.add(1, ordering: .releasing)
                while release.value == 0 { usleep(200) }
            }
        }
        _ = waitUntil { started.value == UInt64(cpus.count) }
        return release
    }

    @Test func ignoredDoorbellIsRestoredAndQuarantines() throws {
        let p = try loadRogue("init=ignore")
        #expect(p.state == .quarantined)
        #expect(hostOwnsDoorbell())
        #expect(log.contains("plugin rogue", "SIG_IGN", "SIGRTMIN+2", "doorbell", "quarantined"), "\(log.text)")
        #expect(served(good, cpu: 0) && served(good, cpu: 1))
        // Quarantined: IRQ 5 no longer reaches it (taken before IRQ 6 is).
        machine.raise(5, on: 1)
        #expect(served(good, cpu: 1))
        #expect(rogue.value == 0)
        #expect(host.list().first { $0.name == "rogue" }?.state == .quarantined)
        guard case .unloaded = host.unload(name: "rogue") else { Issue.record("unload"); return }
        #expect(served(good, cpu: 0) && served(good, cpu: 1))
    }

    /// Doorbells rung while the signal was ignored are lost; the CPUs must
    /// not stay deaf afterwards (their controllers were left pending).
    @Test func doorbellsLostWhileIgnoredAreRungAgain() throws {
        let release = Self.occupy(machine, cpus: [0, 1])
        let before = good.value
        let p = try loadRogue("init=ignore", "raise_after=6")
        #expect(p.state == .quarantined)
        // The CPUs stay in their jobs: only the guard's second ring can
        // deliver the IRQs init raised while the doorbell was ignored.
        #expect(Self.waitUntil { good.value >= before + 2 }, "a CPU stayed deaf after the doorbell was restored")
        release.pointer.pointee.store(1, ordering: .releasing)
        #expect(served(good, cpu: 0) && served(good, cpu: 1))
    }

    /// The signals are the process's: a doorbell another machine rang while
    /// this host's plugin ignored the signal was lost too, and that machine's
    /// CPU must not stay deaf either.
    @Test func doorbellsLostByAnotherMachineAreRungAgain() throws {
        let bystander = try Machine(cpus: 1)
        defer { bystander.stop() }
        // Busy, so the raise below goes by signal (see occupy), and stays
        // busy until the end: only the second ring can deliver it.
        let release = Self.occupy(bystander, cpus: [0])
        defer { release.pointer.pointee.store(1, ordering: .releasing) }
        _ = bystander.pipeline.enable_oob_stage("bystander")
        let runs = HostCounter()
        let counter = runs.pointer
        #expect(
            bystander.pipeline.request_irq(7, flags: IRQF_OOB, name: "bystander") { _ in
                counter.pointee.add(1, ordering: .releasing)
                return IRQ_HANDLED
            } == 0)
        let (mark, hold, loaded) = (HostCounter(), HostCounter(), HostCounter())
        let (host, path) = (self.host, try HostFixtures.freshCopy("rogue"))
        let parameters = [
            rogue.parameter, "signo=\(doorbell)", "irq=5", "init=ignore",
            "mark=" + address(UnsafeMutableRawPointer(mark.pointer)),
            "hold=" + address(UnsafeMutableRawPointer(hold.pointer)),
        ]
        Thread {
            _ = try? host.load(path: path, parameters: parameters)
            loaded.pointer.pointee.store(1, ordering: .releasing)
        }.start()
        #expect(Self.waitUntil { mark.value == 1 })
        // Ignored now: the signal is discarded, the controller stays pending.
        bystander.raise(7, on: 0)
        usleep(20_000)
        #expect(runs.value == 0, "the doorbell was ignored, yet the bystander's handler ran")
        hold.pointer.pointee.store(1, ordering: .releasing)
        #expect(Self.waitUntil { loaded.value == 1 })
        #expect(hostOwnsDoorbell())
        // No second raise: a pending controller never rings by itself.
        #expect(Self.waitUntil { runs.value == 1 }, "the bystander machine's CPU stayed deaf")
        bystander.pipeline.disable_oob_stage()
    }

    @Test func stolenDoorbellIsRestoredAndQuarantines() throws {
        let p = try loadRogue("init=steal")
        #expect(p.state == .quarantined)
        #expect(hostOwnsDoorbell())
        #expect(log.contains("plugin rogue", "installed its own handler", "SIGRTMIN+2"), "\(log.text)")
        #expect(served(good, cpu: 0) && served(good, cpu: 1))
        guard case .unloaded = host.unload(name: "rogue") else { Issue.record("unload"); return }
        // Its handler is unmapped now: a doorbell reaching it would crash the host.
        #expect(served(good, cpu: 0) && served(good, cpu: 1))
    }

    @Test func doorbellBlockedInInitIsUnblocked() throws {
        // Test runner threads (libdispatch workers) may block signals; open
        // the doorbell on this one so that the plugin's block is a change.
        let bit: UInt64 = 1 << UInt64(doorbell - 1)
        let original = ctenon_guard_blocked(bit)
        defer { _ = ctenon_guard_set_blocked(bit, original) }
        _ = ctenon_guard_set_blocked(bit, 0)
        let p = try loadRogue("init=block")
        #expect(ctenon_guard_blocked(bit) == 0, "the calling thread's mask was not restored")
        #expect(p.state == .live)
        #expect(log.contains("plugin rogue", "blocking of SIGRTMIN+2", "restored"), "\(log.text)")
        #expect(served(rogue, irq: 5, cpu: 1) && served(good, cpu: 0))
        guard case .unloaded = host.unload(name: "rogue") else { Issue.record("unload"); return }
        #expect(served(good, cpu: 0) && served(good, cpu: 1))
    }

    @Test func timerSignalIgnoredByACommandQuarantines() throws {
        _ = try loadRogue()
        _ = try host.call(plugin: "rogue", command: "ignore", arguments: ["\(MachineSignals.timer)"])
        #expect(ctenon_guard_check(MachineSignals.timer, 0) == 0)
        #expect(log.contains("plugin rogue", "command ignore", "SIG_IGN", "SIGRTMIN+3", "timer"), "\(log.text)")
        #expect(host.plugin(named: "rogue")?.state == .quarantined)
        #expect(served(good, cpu: 1))
    }

    @Test func handlerBlockingTheDoorbellIsCaughtAtEntryExit() throws {
        // Busy: IRQs reach CPU 1 by signal entries (idle, it would take them
        // in its idle loop, in task context).
        let release = Self.occupy(machine, cpus: [1])
        defer { release.pointer.pointee.store(1, ordering: .releasing) }
        // Another machine of the process: its CPU 1 is not this one.
        let other = try Machine(cpus: 2)
        defer { other.stop() }
        let record = machine.pipeline.signalGuardRecord(cpu: 1)
        let before = ctenon_guard_violations(record)
        _ = try loadRogue("in_handler=true")
        #expect(served(rogue, irq: 5, cpu: 1))
        #expect(ctenon_guard_violations(record) > before)
        let otherRecord = other.pipeline.signalGuardRecord(cpu: 1)
        #expect(
            ctenon_guard_violations(otherRecord) == 0 && ctenon_guard_pinned(otherRecord) == 0,
            "a violation on this machine's CPU 1 was recorded against another machine's CPU 1")
        // The CPU still takes IRQs: the entry's sigreturn put its mask back.
        #expect(served(good, cpu: 1) && served(rogue, irq: 5, cpu: 1))
        // Once a violation was seen, entries check after each IRQ: the
        // report names the line and its plugin, not just the last IRQ taken.
        let pinned = ctenon_guard_pinned(record)
        #expect(served(rogue, irq: 5, cpu: 1))
        #expect(ctenon_guard_pinned(record) > pinned)
        host.auditHandlers()
        #expect(log.contains("CPU 1", "the handler of IRQ 5", "rogue", "SIGRTMIN+2"), "\(log.text)")
    }

    /// What an entry leaves on its drain budget while its CPU idles is taken
    /// by the idle loop in task context, on the CPU thread's own mask (no
    /// sigreturn puts it back). A handler that blocks the doorbell there
    /// must not leave the CPU deaf to its signals (the timer's while it
    /// sleeps, the doorbell's once it runs a job).
    @Test func handlerBlockingTheDoorbellInTheIdleLoopIsRepaired() throws {
        // Either counts: once any violation was seen (an earlier test of the
        // process), handlers are checked one by one (pinned) instead.
        let record = machine.pipeline.signalGuardRecord(cpu: 1)
        func seen() -> UInt64 { ctenon_guard_violations(record) + ctenon_guard_pinned(record) }
        let before = seen()
        _ = try loadRogue("in_handler=true")
        let pipe = machine.pipeline
        // One pass per entry: IRQ 5, raised by IRQ 8's handler during the
        // entry's only pass, is left for the idle loop.
        pipe.drainBudget = 1
        #expect(
            pipe.request_irq(8, flags: IRQF_OOB, name: "chain") { _ in
                _ = pipe.raise(5, on: 1)
                return IRQ_HANDLED
            } == 0)
        let squeezed = pipe.drainSqueezes(cpu: 1)
        let ran = rogue.value
        machine.raise(8, on: 1)
        #expect(Self.waitUntil { rogue.value > ran })
        #expect(pipe.drainSqueezes(cpu: 1) > squeezed, "IRQ 5 was not left on the budget")
        // Asleep again by now; then busy in a job, where only the doorbell
        // signal reaches it.
        usleep(10_000)
        let release = Self.occupy(machine, cpus: [1])
        defer { release.pointer.pointee.store(1, ordering: .releasing) }
        #expect(served(good, cpu: 1), "CPU 1 runs a job with its doorbell blocked")
        #expect(seen() > before)
    }

    @Test func leftoverThreadRetiresTheImage() throws {
        let p = try loadRogue("thread=true")
        let result = host.unload(name: "rogue")
        guard case .retired(let reason) = result else { Issue.record("got \(result)"); return }
        #expect(reason.contains("thread"))
        #expect(try !privateCopyMappings(of: p.path).isEmpty, "a live thread's code was unmapped")
        #expect(log.contains("plugin rogue retired", "still running"))
        #expect(served(good, cpu: 1))
    }

    @Test func joinedThreadLetsTheImageGo() throws {
        let p = try loadRogue("thread=true", "join=true")
        guard case .unloaded(let gone) = host.unload(name: "rogue") else { Issue.record("not unloaded"); return }
        #expect(gone)
        #expect(try privateCopyMappings(of: p.path).isEmpty)
    }
}
