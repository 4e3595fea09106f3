/// Interrupt state saved by ``Host/hardIRQsSave()``, ``Host/oobIRQsSave()``
/// or ``Host/localIRQsSave()``; give it back to the matching restore.
public struct IRQState: Sendable {
    public let rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}
