import Foundation
import Synchronization
import Testing
@testable import TenonPipeline
@testable import TenonPlugins

/// Host-owned words the `hostwitness` fixture reports into (see its source).
final class Witness: @unchecked Sendable {
    let words: UnsafeMutablePointer<Atomic<UInt64>>
    init() {
        words = .allocate(capacity: 8)
        for i in 0..<8 { (words + i).initialize(to: Atomic(0)) }
    }
    // Never freed: a broken host (a mutant) may still run plugin code that writes here.
    subscript(i: Int) -> UInt64 {
        get { words[i].load(ordering: .acquiring) }
        set { words[i].store(newValue, ordering: .releasing) }
    }
    var parameter: String { "witness=" + address(UnsafeMutableRawPointer(words)) }
    var entered: UInt64 { self[0] }
    var exitBegan: Bool { self[2] != 0 }
    var runsAfterExit: UInt64 { self[3] }
}

/// Spins until `condition` holds or `seconds` pass.
@discardableResult
func spinUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanos() + UInt64(seconds * 1e9)
    while !condition() {
        if monotonicNanos() > deadline { return false }
        sched_yield()
    }
    return true
}

/// The order unload safety depends on in the plugin host, with real threads
/// and real plugins. Each test kills a mutant of `Tests/Mutants` (named in it).
@Suite("plugin host: unload order", .serialized, .timeLimit(.minutes(2)))
struct UnloadOrderTests {
    /// Kills `exit-before-wait`: while a CPU is inside the plugin's handler the
    /// unload is busy, and the plugin's `exit()` has not begun.
    @Test func exitRunsOnlyAfterTheWait() throws {
        let pipeline = IRQPipeline(cpus: 3)
        #expect(pipeline.enable_oob_stage("test-oob") == 0)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let w = Witness()
        w[1] = 1  // the handler holds
        try host.load(path: HostFixtures.freshCopy("hostwitness"), parameters: ["irq=7", w.parameter])
        let storm = Storm(pipeline: pipeline, cpus: [2], irq: 7)
        storm.start()
        #expect(spinUntil(seconds: 10) { w.entered > 0 })
        guard case .busy(2, 7, _) = host.unload(name: "witness", timeout: .milliseconds(100)) else {
            Issue.record("unload was not busy while CPU 2 held the handler")
            w[1] = 0; storm.finish(); return
        }
        #expect(!w.exitBegan, "exit() began while CPU 2 was inside the handler")
        w[1] = 0
        storm.finish()
        #expect(host.unload(name: "witness", timeout: .seconds(5)) == .unloaded(mapsGone: true))
        #expect(w.exitBegan)
        #expect(w.runsAfterExit == 0)
    }

    /// Kills `command-unprotected`: an unload that arrives while a command of
    /// the plugin runs waits for the command to return (the command's in-use
    /// count; no host-wide lock is held while it runs).
    @Test func unloadWaitsForARunningCommand() throws {
        // Its command holds the signal guard's turn past turnWait.
        try ExclusiveTurn.holding { try unloadWaitsForARunningCommandAlone() }
    }

    private func unloadWaitsForARunningCommandAlone() throws {
        let pipeline = IRQPipeline(cpus: 2)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let w = Witness()
        try host.load(path: HostFixtures.freshCopy("hostwitness"), parameters: ["irq=7", w.parameter])
        let called = Mutex<CommandResult?>(nil)
        let unloaded = Mutex<UnloadResult?>(nil)
        Thread { called.withLock { $0 = try? host.call(plugin: "witness", command: "block") } }.start()
        #expect(spinUntil(seconds: 10) { w[4] == 1 })
        Thread {
            let r = host.unload(name: "witness", timeout: .seconds(30)); unloaded.withLock { $0 = r }
        }.start()
        // Room for a broken unload to get ahead (past the signal guard's turn,
        // which alone holds an exit() back for at most turnWait); a correct one cannot.
        let room = PluginGuard.turnWait + .milliseconds(300)
        usleep(UInt32(room.components.seconds * 1_000_000 + room.components.attoseconds / 1_000_000_000_000))
        #expect(unloaded.withLock { $0 } == nil, "unload returned while a command was running")
        #expect(!w.exitBegan, "exit() began while a command was running")
        w[5] = 1
        #expect(spinUntil(seconds: 10) { called.withLock { $0 } != nil && unloaded.withLock { $0 } != nil })
        #expect(called.withLock { $0 } == .uint(0))
        #expect(unloaded.withLock { $0 } == .unloaded(mapsGone: true))
        #expect(w[6] == 0)
    }

    /// Kills `swap-commit-after-wait`: a swap publishes the new version before
    /// it waits, so an IRQ dispatched once the wait is over (stopped there
    /// by the barrier hook) reaches the new version, never the old one that
    /// is about to exit and be unmapped.
    @Test func swapPublishesTheNewVersionBeforeTheWait() throws {
        let pipeline = IRQPipeline(cpus: 3)
        #expect(pipeline.enable_oob_stage("test-oob") == 0)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let old = Witness(), new = Witness()
        old[1] = 1  // the old version's handler would hold
        try host.load(path: HostFixtures.freshCopy("hostwitness"), parameters: ["irq=7", old.parameter])
        let go = Atomic<Bool>(false)
        let done = Atomic<Bool>(false)
        Thread {
            pipeline.bindCurrentThread(to: 2)
            while !go.load(ordering: .acquiring) { sched_yield() }
            pipeline.raise(7, on: 2)
            done.store(true, ordering: .releasing)
        }.start()
        let armed = Atomic<Bool>(true)
        let oldEnteredAfterWait = Atomic<Bool>(false)
        pipeline.setBarrierHook(
            BarrierHook { step, cpu, _ in
                guard cpu == -1, step == .writerEnd, armed.exchange(false, ordering: .acquiringAndReleasing) else { return }
                go.store(true, ordering: .releasing)
                spinUntil(seconds: 10) { old.entered + new.entered > 0 }
                if old.entered > 0 {
                    oldEnteredAfterWait.store(true, ordering: .releasing)
                    old[1] = 0  // let it leave before the broken swap unmaps it
                    spinUntil(seconds: 10) { done.load(ordering: .acquiring) }
                }
            })
        let result = try host.swap(
            name: "witness", path: HostFixtures.freshCopy("hostwitness"),
            parameters: ["irq=7", new.parameter], timeout: .seconds(5))
        pipeline.setBarrierHook(nil)
        #expect(spinUntil(seconds: 10) { done.load(ordering: .acquiring) })
        let oldRanLate = oldEnteredAfterWait.load(ordering: .acquiring)
        #expect(!oldRanLate, "the old version ran after the swap's grace period")
        #expect(result == .unloaded(mapsGone: true))
        #expect(old.exitBegan && old.runsAfterExit == 0)
        #expect(new.entered == 1)
        _ = host.unload(name: "witness")
    }
}
