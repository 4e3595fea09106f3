/// Read-only views for `tenon stress`'s fault reporter and window summary
/// (package access only; none of them is on the interrupt path).
extension IRQPipeline {
    /// CPU 0's barrier slot and the distance between slots: the reporter reads
    /// the two parity words (offsets 0 and 8; bits 32-63 = IRQ being
    /// dispatched) from a SIGSEGV handler to name the IRQ of a late execution.
    package var barrierSlotLayout: (base: UnsafeRawPointer, stride: Int) {
        (UnsafeRawPointer(core.pointee.barrier.pointee.slot(0)), QuiescenceBarrier.slotStride)
    }

    /// How often the barrier's dangerous windows were exercised so far:
    /// drains that had to wait for a reader (straggler, main; write side, any
    /// build), and, in the torture build with `--jitter` only (nil otherwise),
    /// sections whose parity flipped between their parity load and their mark,
    /// and sections nested in another one.
    package var barrierWindows: (stragglerWaits: UInt64, mainWaits: UInt64, acrossFlip: UInt64?, nested: UInt64?) {
        let b = core.pointee.barrier
        var across: UInt64? = nil, nested: UInt64? = nil
        #if TENON_TORTURE
        if b.pointee.jitterSpins != 0 {
            var a: UInt64 = 0, n: UInt64 = 0
            for cpu in 0..<cpuCount {
                a &+= b.pointee.slot(cpu).pointee.acrossFlip.load(ordering: .relaxed)
                n &+= b.pointee.slot(cpu).pointee.nested.load(ordering: .relaxed)
            }
            across = a
            nested = n
        }
        #endif
        return (b.pointee.stragglerWaits.load(ordering: .relaxed), b.pointee.mainWaits.load(ordering: .relaxed), across, nested)
    }
}
