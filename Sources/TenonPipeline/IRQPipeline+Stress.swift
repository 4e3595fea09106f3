/// Read-only views for `tenon stress`'s fault reporter (package access only).
extension IRQPipeline {
    /// CPU 0's barrier slot and the distance between slots: the reporter reads
    /// the two parity words (offsets 0 and 8; bits 32-63 = IRQ being
    /// dispatched) from a SIGSEGV handler to name the IRQ of a late execution.
    package var barrierSlotLayout: (base: UnsafeRawPointer, stride: Int) {
        (UnsafeRawPointer(core.pointee.barrier.pointee.slot(0)), QuiescenceBarrier.slotStride)
    }

    /// How often the barrier's dangerous windows were exercised so far:
    /// drains that had to wait for a reader (straggler, main), and, with
    /// `--jitter` only, sections whose parity flipped between their parity
    /// load and their mark, and sections nested in another one.
    package var barrierWindows: (stragglerWaits: UInt64, mainWaits: UInt64, acrossFlip: UInt64, nested: UInt64) {
        let b = core.pointee.barrier
        var across: UInt64 = 0, nested: UInt64 = 0
        for cpu in 0..<cpuCount {
            across &+= b.pointee.slot(cpu).pointee.acrossFlip.load(ordering: .relaxed)
            nested &+= b.pointee.slot(cpu).pointee.nested.load(ordering: .relaxed)
        }
        return (b.pointee.stragglerWaits.load(ordering: .relaxed), b.pointee.mainWaits.load(ordering: .relaxed), across, nested)
    }
}
