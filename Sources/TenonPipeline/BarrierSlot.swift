import Synchronization

/// One CPU's read-side state of the quiescence barrier: a 64-byte line written
/// only by the thread running that CPU (single owner), so marking is a plain
/// load and store, never a locked read-modify-write. A nested interrupt on the
/// same thread always puts a word back before the interrupted code resumes, so
/// the non-atomic updates stay exact.
///
/// One word per parity (SRCU's two counters):
/// bits 0-15 = read sections open now, bits 16-31 = owner slot of the action
/// the innermost section runs, bits 32-63 = its IRQ. Packing what an unloader
/// reports ("busy: CPU n in IRQ i of plugin p") into the counter itself keeps
/// the read side at one load and two stores.
struct BarrierSlot: ~Copyable {
    let nest0 = Atomic<UInt64>(0)
    let nest1 = Atomic<UInt64>(0)
    #if TENON_TORTURE
    /// Torture build only: xorshift state for `--jitter` read-side delays.
    let random = Atomic<UInt64>(0x9E37_79B9_7F4A_7C15)
    /// Torture build, `--jitter` only: sections whose parity was flipped
    /// between their parity load and their mark (the straggler window).
    let acrossFlip = Atomic<UInt64>(0)
    /// Torture build, `--jitter` only: sections opened inside another section of this CPU.
    let nested = Atomic<UInt64>(0)
    #endif

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

    /// The word of a section one level deeper than `outer`, running `irq` for `ownerSlot`.
    @inline(__always) @_noLocks
    static func nested(in outer: UInt64, irq: UInt32, ownerSlot: UInt32) -> UInt64 {
        ((outer & 0xFFFF) &+ 1) | UInt64(ownerSlot & 0xFFF) << 16 | UInt64(irq) << 32
    }

    @inline(__always) @_noLocks
    static func depth(_ word: UInt64) -> UInt64 { word & 0xFFFF }

    var isInside: Bool { @_noLocks get { Self.depth(word(0)) &+ Self.depth(word(1)) != 0 } }
}
