import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TenonPipeline

/// A grace period for one owner (``IRQPipeline/synchronize(timeout:reaching:)``)
/// waits only for CPUs whose open section could still lead into that owner's
/// code. Each test holds a CPU inside a handler (it runs the grace period from
/// inside it, on a second real thread that is no CPU) and checks which owners'
/// grace periods that section holds up. The last one kills the mutant
/// `scoped-drain-ignores-depth` of `Tests/Mutants`, the second
/// `scoped-drain-skips-shared-line`.
@Suite("Independent unloads: per-owner grace periods")
struct IndependentUnloadTests {
    /// Runs `body` on a new thread (no CPU binding) and waits for its result.
    static func onOtherThread(_ body: @escaping @Sendable () -> BarrierWait) -> BarrierWait {
        let result = Mutex<BarrierWait?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let r = body()
            result.withLock { $0 = r }
            done.signal()
        }
        thread.start()
        done.wait()
        return result.withLock { $0! }
    }

    static func isBusy(_ w: BarrierWait?, cpu: Int, irq: UInt32) -> Bool {
        if case let .busy(c, i, _, _) = w { return c == cpu && i == irq }
        return false
    }

    @Test("A handler stuck on one owner's line does not hold up another owner's grace period")
    func otherLineIsNotWaitedFor() throws {
        let p = IRQPipeline(cpus: 2)
        let a = try #require(p.registerOwner())
        let b = try #require(p.registerOwner())
        let results = Mutex<[String: BarrierWait]>([:])
        #expect(p.request_irq(Y, flags: 0, name: "b", owner: b) { _ in IRQ_HANDLED } == 0)
        #expect(
            p.request_irq(X, flags: 0, name: "a", owner: a) { _ in
                p.suspend(owner: b)
                let forB = Self.onOtherThread { p.synchronize(timeout: .milliseconds(20), reaching: b) }
                let forA = Self.onOtherThread { p.synchronize(timeout: .milliseconds(20), reaching: a) }
                let forAll = Self.onOtherThread { p.synchronize(timeout: .milliseconds(20)) }
                results.withLock { $0 = ["b": forB, "a": forA, "all": forAll] }
                return IRQ_HANDLED
            } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        let r = results.withLock { $0 }
        #expect(r["b"] == .quiescent, "\(r)")
        #expect(Self.isBusy(r["a"], cpu: 1, irq: X), "\(r)")
        #expect(Self.isBusy(r["all"], cpu: 1, irq: X), "\(r)")
    }

    /// The section loaded X's chain [a, b] before b was unpublished: when a's
    /// handler returns it calls b's, so b's grace period must wait.
    @Test("An owner sharing the stuck handler's line is waited for (its action follows in the loaded chain)")
    func sharedLineIsWaitedFor() throws {
        let p = IRQPipeline(cpus: 2)
        let a = try #require(p.registerOwner())
        let b = try #require(p.registerOwner())
        let result = Mutex<BarrierWait?>(nil)
        let bRunsAfterSuspend = Atomic<Int>(0)
        let suspended = Atomic<Bool>(false)
        #expect(
            p.request_irq(X, flags: IRQF_SHARED, name: "a", owner: a) { _ in
                p.suspend(owner: b)
                suspended.store(true, ordering: .relaxed)
                let forB = Self.onOtherThread { p.synchronize(timeout: .milliseconds(20), reaching: b) }
                result.withLock { $0 = forB }
                return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(X, flags: IRQF_SHARED, name: "b", owner: b) { _ in
                if suspended.load(ordering: .relaxed) { bRunsAfterSuspend.add(1, ordering: .relaxed) }
                return IRQ_HANDLED
            } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        #expect(Self.isBusy(result.withLock { $0 }, cpu: 1, irq: X), "\(String(describing: result.withLock { $0 }))")
        #expect(bRunsAfterSuspend.load(ordering: .relaxed) == 1, "the loaded chain did lead into b")
    }

    /// An oob IRQ nested in an in-band handler: the word names the inner
    /// section's line (Y, a only) but the outer one (X, shared with b) will
    /// resume and reach b. Only a depth-1 word may be judged by its line.
    @Test("A nested section is judged by its outer section too")
    func nestedSectionIsWaitedFor() throws {
        // Two CPUs, the sections on CPU 1: the grace period's thread is bound
        // to no CPU, which the model (no machine attached) runs as CPU 0.
        let p = pipelineWithStage(cpus: 2)
        let a = try #require(p.registerOwner())
        let b = try #require(p.registerOwner())
        let result = Mutex<BarrierWait?>(nil)
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "inner", owner: a) { _ in
                p.suspend(owner: b)
                let forB = Self.onOtherThread { p.synchronize(timeout: .milliseconds(20), reaching: b) }
                result.withLock { $0 = forB }
                return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(X, flags: IRQF_SHARED, name: "outer-a", owner: a) { _ in
                _ = p.irq_inject_pipeline(Y)
                return IRQ_HANDLED
            } == 0)
        #expect(p.request_irq(X, flags: IRQF_SHARED, name: "outer-b", owner: b) { _ in IRQ_HANDLED } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(X) }
        let r = result.withLock { $0 }
        guard case .busy(1, _, _, _)? = r else {
            Issue.record("b's grace period did not wait for the outer section: \(String(describing: r))")
            return
        }
    }
}
