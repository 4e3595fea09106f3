import Synchronization

/// One CPU's read-side state of the quiescence barrier: a 64-byte line written
/// only by the thread running that CPU (single owner), so marking is a plain
/// load and store, never a locked read-modify-write. A nested interrupt on the
/// same thread always restores a word before the interrupted code resumes, so
/// the non-atomic increments stay exact.
struct BarrierSlot: ~Copyable {
    /// Per parity (SRCU's two counters): low 32 bits = read sections open now,
    /// high 32 bits = sections opened so far. The second half lets the unloader
    /// tell "stuck in one handler" from "busy re-entering" with no clock read
    /// on the hot path, and costs nothing extra: it rides the same store.
    let nest0 = Atomic<UInt64>(0)
    let nest1 = Atomic<UInt64>(0)
    /// What the innermost open section runs: IRQ << 32 | owner, or `idle`.
    let current = Atomic<UInt64>(BarrierSlot.idle)
    /// xorshift state for `--jitter` read-side delays.
    let random = Atomic<UInt64>(0x9E37_79B9_7F4A_7C15)

    static var idle: UInt64 { @_noLocks get { UInt64(UInt32.max) << 32 } }
    static var opened: UInt64 { @_noLocks get { (1 << 32) | 1 } }

    @inline(__always) @_noLocks
    func word(_ parity: UInt32) -> UInt64 {
        parity == 0 ? nest0.load(ordering: .relaxed) : nest1.load(ordering: .relaxed)
    }

    @inline(__always) @_noLocks
    func setWord(_ parity: UInt32, _ value: UInt64, releasing: Bool) {
        switch (parity == 0, releasing) {
        case (true, true): nest0.store(value, ordering: .releasing)
        case (true, false): nest0.store(value, ordering: .relaxed)
        case (false, true): nest1.store(value, ordering: .releasing)
        case (false, false): nest1.store(value, ordering: .relaxed)
        }
    }

    /// Read sections of `parity` open now.
    @inline(__always) @_noLocks
    func depth(_ parity: UInt32, acquiring: Bool = false) -> UInt32 {
        let w = acquiring ? (parity == 0 ? nest0.load(ordering: .acquiring) : nest1.load(ordering: .acquiring)) : word(parity)
        return UInt32(truncatingIfNeeded: w)
    }

    var isInside: Bool { @_noLocks get { depth(0) &+ depth(1) != 0 } }
}
