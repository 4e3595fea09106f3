#if TENON_TORTURE
/// The torture build's read-side entry (`tenon stress --sabotage
/// mark-after-load`); the default build marks and loads inline in
/// ``CPUContext/callActions(_:context:)`` with no branch.
extension CPUContext {
    /// Opens the read section and loads `desc`'s chain: mark first, then load
    /// (the order unload safety rests on), unless the barrier is sabotaged
    /// with `.markAfterLoad`.
    @inline(__always) @_noLocks
    func tortureEnter(
        _ barrier: UnsafeMutablePointer<QuiescenceBarrier>, _ slot: UnsafeMutablePointer<BarrierSlot>,
        _ desc: UnsafeMutablePointer<IRQDescriptor>, irq: UInt32
    )
        -> (BarrierToken, UnsafeMutablePointer<IRQAction>?)
    {
        if barrier.pointee.markAfterLoad {
            let head = desc.pointee.firstAction
            // With --jitter, widen the harmful window (between the load and
            // the mark; `enter` spins after marking, harmlessly).
            if barrier.pointee.jitterSpins != 0 { barrier.pointee.jitter(slot) }
            return (barrier.pointee.enter(slot, irq: irq), head)
        }
        let token = barrier.pointee.enter(slot, irq: irq)
        return (token, desc.pointee.firstAction)
    }
}
#endif
