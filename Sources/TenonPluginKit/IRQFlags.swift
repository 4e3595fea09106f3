import TenonABI

/// Flags of ``Host/requestIRQ(_:flags:name:handler:)`` (TENON_IRQF_*, Dovetail's IRQF_*).
public struct IRQFlags: OptionSet, Sendable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// TENON_IRQF_OOB: run the handler on the out-of-band stage ([oob] context).
    public static var oob: IRQFlags { IRQFlags(rawValue: UInt32(TENON_IRQF_OOB)) }
    /// TENON_IRQF_SHARED: the line may be shared; every action on it must agree.
    public static var shared: IRQFlags { IRQFlags(rawValue: UInt32(TENON_IRQF_SHARED)) }
    /// TENON_IRQF_PERCPU: a per-CPU IRQ (timers, IPIs, synthetic IRQs).
    public static var perCPU: IRQFlags { IRQFlags(rawValue: UInt32(TENON_IRQF_PERCPU)) }
}
