/// One row of `tenon irqs` (like a line of /proc/interrupts): the payload of
/// ``ControlRequest/irqs`` is `[IRQRow]`.
public struct IRQRow: Codable, Sendable, Equatable {
    /// The IRQ number.
    public var irq: Int
    /// Delivery counts indexed by CPU number.
    public var perCPU: [UInt64]
    /// The stage that handles it, for example `"oob"` or `"inband"`.
    public var stage: String
    /// Names of the attached handlers (`plugin.handler`).
    public var handlers: [String]

    /// A row from its fields.
    public init(irq: Int, perCPU: [UInt64], stage: String, handlers: [String]) {
        self.irq = irq
        self.perCPU = perCPU
        self.stage = stage
        self.handlers = handlers
    }

    /// The sum over all CPUs.
    public var total: UInt64 { perCPU.reduce(0, &+) }
}
