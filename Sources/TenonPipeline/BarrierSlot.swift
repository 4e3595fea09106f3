import Synchronization

/// One CPU's read-side state of the quiescence barrier: a 64-byte line written
/// only by the thread running that CPU (single owner), so marking is a plain
/// load and store, never a locked read-modify-write. A nested interrupt on the
/// same thread always restores the counter before the interrupted code resumes,
/// so the non-atomic increment stays exact.
struct BarrierSlot: ~Copyable {
    /// Read sections open per parity (SRCU's two counters).
    let nest0 = Atomic<UInt32>(0)
    let nest1 = Atomic<UInt32>(0)
    /// IRQ being dispatched by the innermost open section (UInt32.max: none).
    let irq = Atomic<UInt32>(.max)
    /// Owner of the action the innermost section is running (0: host).
    let owner = Atomic<UInt32>(0)
    /// Sections opened so far: lets the unloader tell "stuck in one handler"
    /// from "busy re-entering" without a clock read on the hot path.
    let seq = Atomic<UInt64>(0)
    /// xorshift state for `--jitter` read-side delays.
    let random = Atomic<UInt64>(0x9E37_79B9_7F4A_7C15)

    @inline(__always) @_noLocks
    func nest(_ parity: UInt32) -> UInt32 {
        parity == 0 ? nest0.load(ordering: .relaxed) : nest1.load(ordering: .relaxed)
    }

    @inline(__always) @_noLocks
    func setNest(_ parity: UInt32, _ value: UInt32, releasing: Bool) {
        switch (parity == 0, releasing) {
        case (true, true): nest0.store(value, ordering: .releasing)
        case (true, false): nest0.store(value, ordering: .relaxed)
        case (false, true): nest1.store(value, ordering: .releasing)
        case (false, false): nest1.store(value, ordering: .relaxed)
        }
    }

    var isInside: Bool { @_noLocks get { nest(0) &+ nest(1) != 0 } }
}
