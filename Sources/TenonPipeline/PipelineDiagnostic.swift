import Synchronization

/// Something the pipeline's debug checks caught (Dovetail prints these under
/// CONFIG_DEBUG_IRQ_PIPELINE). Recorded into a lock-free ring from any context,
/// oob included, and read by the control plane: nothing is ever logged from
/// the interrupt path.
public struct PipelineDiagnostic: Equatable, Sendable, CustomStringConvertible {
    /// Which check fired; ``description`` gives the message.
    public enum Kind: UInt8, Sendable {
        /// An oob handler returned neither `IRQ_HANDLED` nor `IRQ_NONE` (`value`: what it returned).
        case bogusReturn = 1
        /// The oob handlers of `irq` kept returning `IRQ_NONE`: oob mode cleared, line disabled.
        case spuriousDisabled
        /// The oob stage was found stalled on pipeline entry, and unstalled.
        case oobStalledOnEntry
        /// `irq` was posted to a log with hard interrupts on, and refused.
        case postWithHardIRQsOn
        /// `irq` was posted or raised out of range, and refused.
        case postOutOfRange
        /// The in-band stage was unstalled (`local_irq_enable()`) from the oob stage.
        case inbandEnableFromOOB
        /// The in-band stage was unstalled with the oob stage stalled.
        case inbandEnableWithOOBStalled
        /// The in-band stage was unstalled with hard interrupts off.
        case inbandEnableHardIRQsOff
        /// `irq` had no handler (nobody cared).
        case noHandler
        /// An in-band handler of `irq` returned on the oob stage: the log replay stops.
        case stageChangedInHandler
        /// This CPU's irq_work queue was full: the item was not queued.
        case workQueueFull
        /// `irq` was raised but has no descriptor.
        case badIRQ
    }

    /// Which check fired.
    public var kind: Kind
    /// The CPU it happened on.
    public var cpu: Int
    /// The IRQ concerned; 0 when none.
    public var irq: UInt32
    /// Kind-specific: the return value for ``Kind/bogusReturn``, else 0.
    public var value: Int32

    public var description: String {
        switch kind {
        case .bogusReturn: "CPU\(cpu): IRQ \(irq): bogus return value \(value) from an oob handler (only IRQ_HANDLED or IRQ_NONE)"
        case .spuriousDisabled: "CPU\(cpu): IRQ \(irq): stuck or unexpected (oob handlers keep returning IRQ_NONE): oob mode cleared, line disabled"
        case .oobStalledOnEntry: "CPU\(cpu): oob stage found stalled on pipeline entry: unstalled"
        case .postWithHardIRQsOn: "CPU\(cpu): IRQ \(irq) posted with hard interrupts on: refused"
        case .postOutOfRange: "CPU\(cpu): IRQ \(irq) posted or raised out of range: refused"
        case .inbandEnableFromOOB: "CPU\(cpu): in-band interrupt enable called from the oob stage"
        case .inbandEnableWithOOBStalled: "CPU\(cpu): in-band interrupt enable called with the oob stage stalled"
        case .inbandEnableHardIRQsOff: "CPU\(cpu): in-band interrupt enable called with hard interrupts off"
        case .noHandler: "CPU\(cpu): IRQ \(irq): no handler (nobody cared)"
        case .stageChangedInHandler: "CPU\(cpu): IRQ \(irq): handler switched in-band to oob"
        case .workQueueFull: "CPU\(cpu): irq_work queue full"
        case .badIRQ: "CPU\(cpu): IRQ \(irq) has no descriptor"
        }
    }
}

/// Multi-producer ring of packed diagnostics; the newest win on overflow.
struct DiagnosticRing: ~Copyable {
    static var capacity: Int { @_noLocks get { 1024 } }
    let head = Atomic<UInt64>(0)
    let records: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        records = .allocate(capacity: Self.capacity)
        for i in 0..<Self.capacity { (records + i).initialize(to: Atomic(0)) }
    }

    func deallocate() {
        records.deinitialize(count: Self.capacity)
        records.deallocate()
    }

    // Layout: tag:16 (index, tells a stale slot from a fresh one) | kind:8 | cpu:8 | irq:16 | value:16
    @_noLocks
    func record(_ kind: PipelineDiagnostic.Kind, cpu: Int, irq: UInt32, value: Int32 = 0) {
        let index = head.wrappingAdd(1, ordering: .relaxed).oldValue
        var packed = (index & 0xFFFF) &<< 48
        packed |= UInt64(kind.rawValue) &<< 40
        packed |= UInt64(UInt8(truncatingIfNeeded: cpu)) &<< 32
        packed |= UInt64(UInt16(truncatingIfNeeded: irq)) &<< 16
        packed |= UInt64(UInt16(bitPattern: Int16(truncatingIfNeeded: value)))
        records[Int(index % UInt64(Self.capacity))].store(packed | 0, ordering: .releasing)
    }

    /// Records from `start` on; returns them and the next start.
    func read(from start: UInt64) -> ([PipelineDiagnostic], UInt64) {
        let end = head.load(ordering: .acquiring)
        var out: [PipelineDiagnostic] = []
        var i = max(start, end > UInt64(Self.capacity) ? end - UInt64(Self.capacity) : 0)
        while i < end {
            let packed = records[Int(i % UInt64(Self.capacity))].load(ordering: .acquiring)
            if packed >> 48 == i & 0xFFFF, let kind = PipelineDiagnostic.Kind(rawValue: UInt8((packed >> 40) & 0xFF)) {
                out.append(
                    PipelineDiagnostic(
                        kind: kind, cpu: Int((packed >> 32) & 0xFF),
                        irq: UInt32((packed >> 16) & 0xFFFF),
                        value: Int32(Int16(bitPattern: UInt16(packed & 0xFFFF)))))
            }
            i += 1
        }
        return (out, end)
    }
}
