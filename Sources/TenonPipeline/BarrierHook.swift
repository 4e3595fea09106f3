/// A point of the quiescence barrier where a test can stop a reader or the
/// writer to force an interleaving (the ones `Models/barrier.pml` explores)
/// on the real barrier and plugin host. Debug builds only: in release builds
/// ``QuiescenceBarrier/step(_:_:detail:)`` is empty and inlined away.
package enum BarrierStep: Int32, Sendable {
    /// Read side: the parity is loaded, the slot not yet marked.
    case afterParity = 1
    /// Read side: the slot is marked (and fenced in the fenced mode).
    case afterMark = 2
    /// Read side: the chain (or the work owner's state) is loaded, nothing
    /// called yet; `detail` is the owner of the first action, 0 if none.
    case afterChainLoad = 3
    /// Read side: the handlers returned, the slot is still marked.
    case beforeExit = 4
    /// Write side: `synchronize` starts (before the first heavy fence).
    case writerStart = 10
    /// Write side: the straggler drain is done, the parity not yet flipped.
    case afterFirstDrain = 11
    /// Write side: the parity is flipped and fenced, the main drain not started.
    case afterFlip = 12
    /// Write side: the grace period is over (after the last fence).
    case writerEnd = 13
}

#if DEBUG
/// The test's callback: `(step, cpu, detail)`; `cpu` is -1 on the write side.
/// Runs in interrupt context on the read side: no locks the test's writer holds.
package final class BarrierHook: @unchecked Sendable {
    let body: (BarrierStep, Int, UInt) -> Void
    package init(_ body: @escaping (BarrierStep, Int, UInt) -> Void) { self.body = body }
}

extension IRQPipeline {
    /// Installs (or with nil removes) the barrier's test hook; the pipeline
    /// keeps the hook alive while installed.
    package func setBarrierHook(_ hook: BarrierHook?) {
        let old = core.pointee.barrier.pointee.hook.exchange(
            hook.map { UInt(bitPattern: Unmanaged.passRetained($0).toOpaque()) } ?? 0, ordering: .acquiringAndReleasing)
        if old != 0 { Unmanaged<BarrierHook>.fromOpaque(UnsafeRawPointer(bitPattern: old)!).release() }
    }
}
#endif
