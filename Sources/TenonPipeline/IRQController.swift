import Synchronization

/// The simulated interrupt controller of one CPU: IRQs raised at that CPU and
/// not yet taken by it.
///
/// Any thread may raise; only the owning CPU takes. A summary word says "the
/// leaves may hold something" and doubles as the doorbell latch: a raiser
/// rings the doorbell (sends the signal) only when it flips the summary from 0
/// to 1, so at most one doorbell is in flight per drain and an IRQ storm never
/// fills the kernel's real-time signal queue. No IRQ identity is lost: bits
/// stay set until the owner takes them.
struct IRQController: ~Copyable {
    let summary = Atomic<UInt64>(0)
    let leaves: UnsafeMutablePointer<Atomic<UInt64>>

    init() {
        leaves = .allocate(capacity: IRQNumberSpace.words)
        for i in 0..<IRQNumberSpace.words { (leaves + i).initialize(to: Atomic(0)) }
    }

    func deallocate() {
        leaves.deinitialize(count: IRQNumberSpace.words)
        leaves.deallocate()
    }

    /// Marks `irq` raised. Returns true when the caller must ring the doorbell.
    @_noLocks
    func raise(_ irq: UInt32) -> Bool {
        leaves[Int(irq >> 6)].bitwiseOr(1 &<< UInt64(irq & 63), ordering: .sequentiallyConsistent)
        return summary.exchange(1, ordering: .sequentiallyConsistent) == 0
    }

    @_noLocks
    func mayHavePending() -> Bool {
        summary.load(ordering: .relaxed) != 0
    }

    /// Takes every raised IRQ, calling `body` for each in ascending order.
    /// The summary is cleared before the leaves are read, so a concurrent raise
    /// either lands in a leaf read below or sees summary 0 and rings again.
    @_noLocks
    func take(_ body: (UInt32) -> Void) {
        summary.store(0, ordering: .sequentiallyConsistent)
        for word in 0..<IRQNumberSpace.words {
            var bits = leaves[word].exchange(0, ordering: .sequentiallyConsistent)
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                bits &= bits &- 1
                body(UInt32(word &* 64 &+ bit))
            }
        }
    }
}
