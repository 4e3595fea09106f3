import Glibc
import Synchronization
import Testing
@testable import TenonPipeline

/// Regression tests for the unload-safety bugs of issue 11; each one fails on
/// the code before its fix.
@Suite("Unload-safety regressions")
struct UnloadSafetyBugTests {
    /// An IRQ logged in-band while its line had no handler is replayed after an
    /// `IRQF_OOB` action was installed: the oob handler must run on the oob
    /// stage (hard-off, oob current), never in the in-band replay context.
    @Test("An oob handler never runs from the in-band replay of an IRQ logged before it was installed")
    func oobHandlerNotReplayedInband() {
        let p = pipelineWithStage(cpus: 1)
        var inside: [Context] = []
        p.local_irq_disable()
        _ = p.handle_irq_pipelined(Y)
        #expect(p.inbandLog(cpu: 0) == [Y])
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "late-oob") { _ in
                inside.append(Context(p)); return IRQ_HANDLED
            } == 0)
        p.local_irq_enable()
        #expect(inside == [Context(hardOff: true, oobStalled: true, inbandStalled: true, oob: true, onEntry: false)])
        #expect(p.inbandLog(cpu: 0).isEmpty)
        #expect(!p.hard_irqs_disabled() && !p.irqs_disabled() && !p.running_oob())
    }

    /// Dovetail's `handle_unexpected_irq()`: the counter is 0 after the first
    /// unhandled event of a fresh descriptor and after a gap of more than
    /// HZ/10; the line is dropped when it exceeds 1000, i.e. at the 1,002nd event.
    @Test("Spurious counter restarts at 0 after a gap of more than HZ/10")
    func spuriousGapRestartsAtZero() {
        let p = pipelineWithStage()
        #expect(p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in IRQ_NONE } == 0)
        for _ in 0..<500 { _ = p.handle_irq_pipelined(Y) }
        #expect(p.core.pointee.descriptors[Int(Y)].unhandled.load(ordering: .relaxed) == 499)
        usleep(150_000)  // > HZ/10
        _ = p.handle_irq_pipelined(Y)
        #expect(p.core.pointee.descriptors[Int(Y)].unhandled.load(ordering: .relaxed) == 0)
        for _ in 0..<1000 { _ = p.handle_irq_pipelined(Y) }
        #expect(p.irq_is_oob(Y))
        _ = p.handle_irq_pipelined(Y)
        #expect(!p.irq_is_oob(Y))
        #expect(p.irq_is_spurious_disabled(Y))
    }

    /// irq_work queued by an owner, then found by the work IRQ while a busy
    /// unload keeps the owner suspended, must not be lost when the unload is
    /// cancelled: its claim flag must not stay set, and it runs after resume.
    @Test("irq_work deferred by a suspended owner runs after the unload is cancelled")
    func cancelledUnloadKeepsWork() throws {
        let p = IRQPipeline(cpus: 1)
        let owner = try #require(p.registerOwner())
        var runs = 0
        let item = WorkItem { _ in runs += 1 }
        p.local_irq_disable()
        #expect(p.irq_work_queue(item.work, owner: owner))
        p.suspend(owner: owner)
        p.local_irq_enable()  // the work IRQ plays while the owner is suspended
        #expect(runs == 0)
        p.resume(owner: owner)  // the unload was cancelled
        p.hard_local_irq_disable()
        p.hard_local_irq_enable()
        #expect(runs == 1)
        #expect(p.irq_work_queue(item.work, owner: owner))
        #expect(runs == 2)
    }

    /// A plugin's exit() runs after its unload's barrier, with the owner
    /// suspended: an action it requests then must stay unpublished, or a CPU
    /// could run it while the image is unmapped (revoke waits for nobody).
    @Test("An action requested by a suspended owner is not published until resume")
    func suspendedOwnerRequestStaysUnpublished() throws {
        let p = pipelineWithStage(cpus: 1)
        let owner = try #require(p.registerOwner())
        p.suspend(owner: owner)
        var runs = 0
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "from-exit", owner: owner) { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        _ = p.handle_irq_pipelined(Y)
        #expect(runs == 0)
        p.resume(owner: owner)  // a cancelled unload publishes it
        _ = p.handle_irq_pipelined(Y)
        #expect(runs == 1)
    }

    /// A revoked owner's work is dropped without touching its memory, and is
    /// not kept forever either.
    @Test("irq_work of a revoked owner is dropped")
    func revokedOwnerWorkDropped() throws {
        let p = IRQPipeline(cpus: 1)
        let owner = try #require(p.registerOwner())
        var runs = 0
        let item = WorkItem { _ in runs += 1 }
        p.local_irq_disable()
        #expect(p.irq_work_queue(item.work, owner: owner))
        p.suspend(owner: owner)
        #expect(p.synchronize(timeout: .seconds(1)) == .quiescent)
        p.revoke(owner: owner)
        p.local_irq_enable()
        #expect(runs == 0)
        #expect(p.core.pointee.cpus[0].work.isEmpty)
    }

    /// A slot whose generation is exhausted is retired, never reused with a
    /// wrapped generation that would revive an old owner's token.
    @Test("Owner tokens never wrap")
    func ownerTokensNeverWrap() throws {
        let p = IRQPipeline(cpus: 1)
        p.control.withLock { $0.ownerGenerations[1] = PipelineCore.maxGeneration - 1 }
        let last = try #require(p.registerOwner())
        #expect(last & PipelineCore.ownerSlotMask == 1)
        p.revoke(owner: last)
        let next = try #require(p.registerOwner())
        #expect(next & PipelineCore.ownerSlotMask != 1)  // slot 1 is retired
        #expect(next != (1 << 12 | 1))  // the token slot 1 first had
    }

    /// Controllers are written by every raiser: each one owns its cache line.
    @Test("Per-CPU controller words do not share cache lines")
    func controllersOnOwnLines() {
        let p = IRQPipeline(cpus: 4)
        var lines = Set<UInt>()
        for cpu in 0..<4 {
            let c = UInt(bitPattern: p.core.pointee.controllers + cpu)
            let leaves = UInt(bitPattern: p.core.pointee.controllers[cpu].leaves)
            #expect(c % 64 == 0)
            #expect(leaves % 64 == 0)
            lines.insert(c / 64)
            for l in stride(from: leaves, to: leaves + UInt(IRQNumberSpace.words * 8), by: 64) { lines.insert(l / 64) }
        }
        #expect(lines.count == 4 * (1 + IRQNumberSpace.words * 8 / 64))
        #expect(MemoryLayout<IRQController>.stride == 64)
    }

    /// A failing `membarrier` after registration must not pass for a grace
    /// period: nothing proves the readers' marks are visible.
    @Test("A membarrier failure fails the grace period loudly")
    func membarrierFailureIsLoud() throws {
        let p = IRQPipeline(cpus: 2, barrier: .init(fence: .membarrier))
        try #require(p.barrierFence == .membarrier, "membarrier unavailable here")
        #expect(p.request_irq(X, flags: 0, name: "x") { _ in IRQ_HANDLED } == 0)
        p.core.pointee.barrier.pointee.membarrierFault.store(Glibc.EPERM, ordering: .relaxed)
        #expect(p.free_irq(X, nil) == -Glibc.EIO)
        #expect(p.synchronize(timeout: .seconds(1)) == .fenceFailed(SystemError(Glibc.EPERM)))
        #expect(p.control.withLock { !$0.pendingFree.isEmpty })  // nothing freed
        p.core.pointee.barrier.pointee.membarrierFault.store(0, ordering: .relaxed)
        #expect(p.synchronize(timeout: .seconds(1)) == .quiescent)
        #expect(p.control.withLock { $0.pendingFree.isEmpty })
    }
}
