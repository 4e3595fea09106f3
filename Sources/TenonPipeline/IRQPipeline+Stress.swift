/// Read-only views for `tenon stress`'s fault reporter (package access only).
extension IRQPipeline {
    /// CPU 0's barrier slot and the distance between slots: the reporter reads
    /// the two parity words (offsets 0 and 8; bits 32-63 = IRQ being
    /// dispatched) from a SIGSEGV handler to name the IRQ of a late execution.
    package var barrierSlotLayout: (base: UnsafeRawPointer, stride: Int) {
        (UnsafeRawPointer(core.pointee.barrier.pointee.slot(0)), QuiescenceBarrier.slotStride)
    }
}
