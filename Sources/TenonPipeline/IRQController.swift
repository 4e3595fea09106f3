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
///
/// The summary stays set while the owner drains (raisers do not ring a CPU
/// that is already busy with its controller, as a NAPI device keeps its
/// interrupt masked while polled), and the owner clears it only when a pass
/// found nothing new (``complete()``); a drain that stops on its budget
/// leaves it set and arranges its own return.
///
/// Every raiser writes these words, so each CPU's controller and its leaves
/// own whole cache lines (64-byte stride, 64-byte aligned): a storm at one CPU
/// does not slow the raises and takes of its neighbours (false sharing).
struct IRQController: ~Copyable {
    let summary = Atomic<UInt64>(0)
    let leaves: UnsafeMutablePointer<Atomic<UInt64>>
    /// Pads the stride to one cache line (checked by a test).
    private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

    static var lineSize: Int { @_noLocks get { 64 } }

    init() {
        let bytes = (IRQNumberSpace.words * 8 + Self.lineSize - 1) / Self.lineSize * Self.lineSize
        leaves = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: Self.lineSize)
            .bindMemory(to: Atomic<UInt64>.self, capacity: IRQNumberSpace.words)
        for i in 0..<IRQNumberSpace.words { (leaves + i).initialize(to: Atomic(0)) }
    }

    /// `count` controllers, each on its own cache line.
    static func allocate(count: Int) -> UnsafeMutablePointer<IRQController> {
        let memory = UnsafeMutableRawPointer.allocate(
            byteCount: MemoryLayout<IRQController>.stride * count,
            alignment: lineSize
        )
        .bindMemory(to: IRQController.self, capacity: count)
        for i in 0..<count { (memory + i).initialize(to: IRQController()) }
        return memory
    }

    func deallocate() {
        leaves.deinitialize(count: IRQNumberSpace.words)
        UnsafeMutableRawPointer(leaves).deallocate()
    }

    /// Marks `irq` raised. Returns true when the caller must ring the doorbell.
    @_noLocks
    func raise(_ irq: UInt32) -> Bool {
        leaves[Int(irq >> 6)].bitwiseOr(1 &<< UInt64(irq & 63), ordering: .sequentiallyConsistent)
        return summary.exchange(1, ordering: .sequentiallyConsistent) == 0
    }

    /// Marks `irq` raised by its own CPU, which takes it right after (no
    /// doorbell). Returns whether it was already pending.
    @_noLocks
    func raiseLocal(_ irq: UInt32) -> Bool {
        let bit: UInt64 = 1 &<< UInt64(irq & 63)
        let old = leaves[Int(irq >> 6)].bitwiseOr(bit, ordering: .sequentiallyConsistent).oldValue
        summary.store(1, ordering: .sequentiallyConsistent)
        return old & bit != 0
    }

    /// Whether a leaf holds a raised IRQ.
    @_noLocks
    func hasRaised() -> Bool {
        for word in 0..<IRQNumberSpace.words where leaves[word].load(ordering: .sequentiallyConsistent) != 0 {
            return true
        }
        return false
    }

    /// Ends a drain (NAPI's `napi_complete` and its re-check): clears the
    /// summary, then looks at the leaves again. A raise that landed before
    /// the clear is seen here; one after it finds the summary 0 and rings.
    /// Returns true if the caller must take another pass: it saw raised IRQs
    /// and set the summary back itself (no raiser rang for them).
    @_noLocks
    func complete() -> Bool {
        summary.store(0, ordering: .sequentiallyConsistent)
        if !hasRaised() { return false }
        return summary.exchange(1, ordering: .sequentiallyConsistent) == 0
    }

    @_noLocks
    func mayHavePending() -> Bool {
        summary.load(ordering: .relaxed) != 0
    }
}
