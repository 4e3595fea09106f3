/// One handler attached to an IRQ line (Dovetail's `struct irqaction`).
///
/// Nodes are immutable once published. Changing a line's chain builds a new
/// chain and publishes it with one atomic store; the old nodes are freed only
/// after the quiescence barrier proves no CPU still walks them (read-copy-update),
/// so dispatch reads chains without a lock.
struct IRQAction {
    var handler: IRQHandlerFunction
    var devId: UnsafeMutableRawPointer?
    var flags: UInt32
    /// Who registered it: 0 for the host, else a plugin's owner id. The barrier
    /// slot records it so an unloader can tell which plugin a busy CPU is in.
    var owner: UInt32
    var next: UnsafeMutablePointer<IRQAction>?
}
