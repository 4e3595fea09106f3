import Synchronization
import Testing
@testable import TenonPipeline

/// Interleavings of `Models/barrier.pml`, forced on the real barrier with the
/// debug-only ``BarrierHook``: a reader is stopped at a read-side step (or the
/// writer at a write-side step) and the other side runs right there. Single
/// thread: the writer is called from inside the reader's hook or handler with
/// `callerCPU: nil`, so each test is deterministic. Each one kills a mutant of
/// `Tests/Mutants` (named in the test).
@Suite("Barrier interleavings (test hook)")
struct BarrierInterleavingTests {
    /// One grace period with a short deadline, as a writer that is no CPU.
    static func grace(_ p: IRQPipeline, millis: UInt64 = 5) -> BarrierWait {
        p.core.pointee.barrier.pointee.synchronize(
            deadlineNanos: HostGlue.monotonicNanos() &+ millis * 1_000_000,
            callerCPU: nil)
    }

    static func isBusy(_ w: BarrierWait?, cpu: Int, irq: UInt32) -> Bool {
        if case let .busy(c, i, _, _) = w { return c == cpu && i == irq }
        return false
    }

    /// Kills `drain-main-skipped`, `drain-stragglers-skipped`, `drain-last-cpu-unscanned`:
    /// a section open on the last CPU across two grace periods keeps both busy
    /// (the first waits in the main drain, the second in the straggler drain).
    @Test("A section open across two grace periods makes both busy")
    func openSectionBlocksTwoGracePeriods() {
        let p = IRQPipeline(cpus: 2)
        var results: [BarrierWait] = []
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                results.append(Self.grace(p))
                results.append(Self.grace(p))
                return IRQ_HANDLED
            } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        #expect(results.count == 2)
        #expect(results.allSatisfy { Self.isBusy($0, cpu: 1, irq: X) }, "\(results)")
        #expect(Self.grace(p) == .quiescent)
    }

    /// Kills `drain-stragglers-skipped`: a reader reads the parity, a whole
    /// grace period passes (it has not marked: quiescent is right), then it
    /// marks that parity, which is now the other one. The next grace period
    /// must wait for this straggler.
    @Test("A straggler that read the parity before a grace period is waited for by the next")
    func stragglerAcrossAGracePeriod() {
        let p = IRQPipeline(cpus: 2)
        var first: BarrierWait?
        var second: BarrierWait?
        var ran = false
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                ran = true; return IRQ_HANDLED
            } == 0)
        p.setBarrierHook(
            BarrierHook { step, cpu, _ in
                guard cpu == 1 else { return }
                if step == .afterParity && first == nil { first = Self.grace(p) }
                if step == .afterChainLoad && second == nil { second = Self.grace(p) }
            })
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        p.setBarrierHook(nil)
        #expect(ran)
        #expect(first == .quiescent)
        #expect(Self.isBusy(second, cpu: 1, irq: X), "\(String(describing: second))")
    }

    /// Kills `mark-after-load`: a writer unpublishes and completes a grace
    /// period after the reader read the parity but before it marked. The
    /// reader must then load the new chain, never call the unpublished handler.
    @Test("The slot is marked before the chain is loaded")
    func markBeforeLoad() throws {
        let p = IRQPipeline(cpus: 2)
        let owner = try #require(p.registerOwner())
        var graceDone = false
        var runsAfterGrace = 0
        #expect(
            p.request_irq(X, flags: 0, name: "x", owner: owner) { _ in
                if graceDone { runsAfterGrace += 1 }
                return IRQ_HANDLED
            } == 0)
        var armed = true
        p.setBarrierHook(
            BarrierHook { step, cpu, _ in
                guard cpu == 1, step == .afterParity, armed else { return }
                armed = false
                p.suspend(owner: owner)
                graceDone = Self.grace(p) == .quiescent
            })
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        p.setBarrierHook(nil)
        #expect(graceDone)
        #expect(runsAfterGrace == 0)
    }

    /// Kills `exit-restore-clears`: a nested section (an oob IRQ taken inside an
    /// in-band handler, same parity) ends in the middle of a grace period;
    /// its exit must give back the interrupted section's mark, so the drain
    /// still waits for the outer handler.
    @Test("A nested section ending mid-grace-period restores the outer mark")
    func nestedSectionEndsMidDrain() {
        let p = pipelineWithStage(cpus: 1)
        var nestedRuns = 0
        var result: BarrierWait?
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "nested") { _ in
                nestedRuns += 1; return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(X, flags: 0, name: "outer") { _ in
                result = Self.grace(p); return IRQ_HANDLED
            } == 0)
        var armed = true
        p.setBarrierHook(
            BarrierHook { step, cpu, _ in
                guard cpu == -1, step == .afterFirstDrain, armed else { return }
                armed = false
                _ = p.irq_inject_pipeline(Y)  // CPU 0, inside X's section, before the flip
            })
        _ = p.handle_irq_pipelined(X)
        p.setBarrierHook(nil)
        #expect(nestedRuns == 1)
        #expect(Self.isBusy(result, cpu: 0, irq: X), "\(String(describing: result))")
    }

    /// Kills `work-not-disarmed-on-suspend`: once its owner is suspended and a
    /// grace period has passed (the unloader is about to call `exit()`),
    /// queued irq_work of that owner must not run.
    @Test("Suspended owners' irq_work does not run after the grace period")
    func suspendDisarmsWork() throws {
        let p = IRQPipeline(cpus: 1)
        let owner = try #require(p.registerOwner())
        var runs = 0
        let item = WorkItem { _ in runs += 1 }
        p.local_irq_disable()
        #expect(p.irq_work_queue(item.work, owner: owner))
        p.suspend(owner: owner)
        #expect(Self.grace(p) == .quiescent)
        p.local_irq_enable()
        #expect(runs == 0)
        p.revoke(owner: owner)
    }
}
