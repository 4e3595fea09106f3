import Foundation
import Synchronization
import Testing
@testable import TenonPipeline

/// `free_irq` of an action no CPU can reach returns without a grace period:
/// a plugin's `exit()` frees its lines after its unload has already waited
/// for every CPU, and under an IRQ storm a second wait for preempted readers
/// doubled the unload's cost. "No CPU can reach it" must be proved, not
/// assumed from the action being unpublished: the first test kills the
/// mutants `free-skips-unpublished` and `unreachable-on-busy` of
/// `Tests/Mutants` (real threads: the grace periods run on a thread that is
/// no CPU while CPU 1 is inside a handler).
@Suite("free_irq after a grace period: no second wait")
struct UnreachableFreeTests {
    nonisolated(unsafe) static let keyA = UnsafeMutableRawPointer(bitPattern: 0xA0)
    nonisolated(unsafe) static let keyB = UnsafeMutableRawPointer(bitPattern: 0xB0)

    @Test("An unpublished action is still waited for until a quiescent grace period covers it")
    func unpublishedIsNotEnough() throws {
        let p = IRQPipeline(cpus: 2)
        let a = try #require(p.registerOwner())
        let results = Mutex<(grace: BarrierWait?, free: Int32?)>((nil, nil))
        #expect(
            p.request_irq(X, flags: 0, name: "a", devId: Self.keyA, owner: a) { _ in
                // CPU 1 runs a's handler: unpublished now, but a CPU is inside.
                p.suspend(owner: a)
                let grace = IndependentUnloadTests.onOtherThread {
                    p.synchronize(timeout: .milliseconds(20), reaching: a)
                }
                let free = Mutex<Int32>(0)
                _ = IndependentUnloadTests.onOtherThread {
                    free.withLock { $0 = p.free_irq(X, Self.keyA, timeout: .milliseconds(20)) }
                    return .quiescent
                }
                results.withLock { $0 = (grace, free.withLock { $0 }) }
                return IRQ_HANDLED
            } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        let r = results.withLock { $0 }
        #expect(IndependentUnloadTests.isBusy(r.grace, cpu: 1, irq: X), "\(String(describing: r.grace))")
        #expect(r.free == Errno.EBUSY, "free_irq returned \(String(describing: r.free)) while CPU 1 ran the action")
    }

    @Test("After its owner's quiescent grace period, free_irq does not wait for a CPU in another owner's handler")
    func quiescedIsFreedAtOnce() throws {
        let p = IRQPipeline(cpus: 2)
        let a = try #require(p.registerOwner())
        let b = try #require(p.registerOwner())
        let freed = Mutex<Int32?>(nil)
        #expect(p.request_irq(X, flags: IRQF_SHARED, name: "a", devId: Self.keyA, owner: a) { _ in IRQ_HANDLED } == 0)
        // The unload of a: unpublished, then a grace period with no CPU inside.
        p.suspend(owner: a)
        #expect(p.synchronize(timeout: .seconds(1), reaching: a) == .quiescent)
        #expect(
            p.request_irq(X, flags: IRQF_SHARED, name: "b", devId: Self.keyB, owner: b) { _ in
                // A section on X opened after a left every chain: a's exit()
                // frees its action; waiting for this CPU would be for nothing.
                _ = IndependentUnloadTests.onOtherThread {
                    freed.withLock { $0 = p.free_irq(X, Self.keyA, timeout: .milliseconds(20)) }
                    return .quiescent
                }
                return IRQ_HANDLED
            } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        #expect(freed.withLock { $0 } == 0)
        #expect(!p.actions().contains { $0.name == "a" } && p.actions().contains { $0.name == "b" })
    }

    @Test("Published again after the grace period began: waited for again")
    func republishedIsReachable() throws {
        let p = IRQPipeline(cpus: 2)
        let a = try #require(p.registerOwner())
        let free = Mutex<Int32?>(nil)
        #expect(
            p.request_irq(X, flags: 0, name: "a", devId: Self.keyA, owner: a) { _ in
                let r = IndependentUnloadTests.onOtherThread {
                    free.withLock { $0 = p.free_irq(X, Self.keyA, timeout: .milliseconds(20)) }
                    return .quiescent
                }
                _ = r
                return IRQ_HANDLED
            } == 0)
        p.suspend(owner: a)
        #expect(p.synchronize(timeout: .seconds(1), reaching: a) == .quiescent)
        p.resume(owner: a)  // a cancelled unload: a's action runs again
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        #expect(free.withLock { $0 } == Errno.EBUSY, "a published action was freed without waiting for CPU 1")
    }

    /// The grace period saw a's action unpublished at its start, but a
    /// cancelled unload published it again and a CPU entered it after the
    /// flip (so the grace period did not wait for that CPU) before a's next
    /// suspension: the grace period proves nothing about it. Kills the mutant
    /// `unreachable-despite-republish`.
    @Test("Published and unpublished again during a grace period: still waited for")
    func republishedDuringTheGracePeriod() throws {
        let p = IRQPipeline(cpus: 3)
        let a = try #require(p.registerOwner())
        let c = try #require(p.registerOwner())
        let insideC = Atomic<Bool>(false), releaseC = Atomic<Bool>(false)
        let insideA = Atomic<Bool>(false), releaseA = Atomic<Bool>(false)
        // Every wait is bounded: a step that never comes fails the test, it does not hang it.
        func until(_ what: String, _ condition: () -> Bool) -> Bool {
            for _ in 0..<300_000 where !condition() { usleep(100) }
            if condition() { return true }
            Issue.record("gave up waiting for \(what)")
            releaseC.store(true, ordering: .releasing)
            releaseA.store(true, ordering: .releasing)
            return false
        }
        // Y is one of a's lines (a had an action there), so a's grace period
        // waits for c's handler on it.
        #expect(p.request_irq(Y, flags: IRQF_SHARED, name: "a-y", devId: Self.keyB, owner: a) { _ in IRQ_HANDLED } == 0)
        #expect(p.free_irq(Y, Self.keyB) == 0)
        #expect(
            p.request_irq(Y, flags: 0, name: "c", owner: c) { _ in
                insideC.store(true, ordering: .releasing)
                while !releaseC.load(ordering: .acquiring) {}
                return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(X, flags: 0, name: "a", devId: Self.keyA, owner: a) { _ in
                insideA.store(true, ordering: .releasing)
                while !releaseA.load(ordering: .acquiring) {}
                return IRQ_HANDLED
            } == 0)
        let cpu1 = Thread { p.withCPU(1) { _ = p.handle_irq_pipelined(Y) } }
        cpu1.start()
        guard until("CPU 1 inside c's handler", { insideC.load(ordering: .acquiring) }) else { return }
        p.suspend(owner: a)
        let grace = Mutex<BarrierWait?>(nil)
        let before = p.barrierWindows.mainWaits
        let writer = Thread { grace.withLock { $0 = p.synchronize(timeout: .seconds(30), reaching: a) } }
        writer.start()
        // Past the flip, waiting for CPU 1 (c's handler on Y).
        guard until("the grace period to wait for CPU 1", { p.barrierWindows.mainWaits != before }) else { return }
        p.resume(owner: a)
        let cpu2 = Thread { p.withCPU(2) { _ = p.handle_irq_pipelined(X) } }
        cpu2.start()
        guard until("CPU 2 inside a's handler", { insideA.load(ordering: .acquiring) }) else { return }
        p.suspend(owner: a)
        releaseC.store(true, ordering: .releasing)
        guard until("the grace period to end", { grace.withLock { $0 } != nil }) else { return }
        #expect(grace.withLock { $0 } == .quiescent, "CPU 2 entered after the flip: not waited for")
        // CPU 2 is inside a's handler: free_irq must wait for it.
        #expect(p.free_irq(X, Self.keyA, timeout: .milliseconds(20)) == Errno.EBUSY)
        releaseA.store(true, ordering: .releasing)
        _ = until("the CPU threads to finish", { cpu2.isFinished && cpu1.isFinished })
    }
}
