import TenonABI

/// An irq_work item (Dovetail's irq_work): deferred in-band work, queued
/// from any stage with ``Host/irqWork(_:)``, running its function [inband] on
/// the CPU that queued it. Made by ``Host/makeIRQWork(_:)`` in the image's
/// static pool, so it never moves and outlives nothing: the host revokes
/// pending work at unload. Copies name the same item.
public struct IRQWork: @unchecked Sendable {
    @usableFromInline
    let raw: UnsafeMutablePointer<tenon_irq_work_t>

    init(_ raw: UnsafeMutablePointer<tenon_irq_work_t>) { self.raw = raw }
}
