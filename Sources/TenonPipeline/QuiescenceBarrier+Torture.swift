#if TENON_TORTURE
import CTenon

/// The barrier's torture-build half: `--jitter` delays and the read-side
/// window counters of `tenon stress`. None of it exists in the default build
/// (the `Torture` package trait defines `TENON_TORTURE`), so the shipped read
/// side has no branch for it (docs/architecture.md, "Torture build").
extension QuiescenceBarrier {
    /// A random spin of 0 to `jitterSpins` `pause`s (per-CPU xorshift).
    @_noLocks
    func jitter(_ slot: UnsafeMutablePointer<BarrierSlot>) {
        var x = slot.pointee.random.load(ordering: .relaxed)
        x ^= x &<< 13; x ^= x &>> 7; x ^= x &<< 17
        slot.pointee.random.store(x, ordering: .relaxed)
        var spins = x % UInt64(jitterSpins)
        while spins != 0 {
            HostGlue.cpuRelax()
            spins &-= 1
        }
    }

    /// Window statistics for `tenon stress` (single-owner counters): a parity
    /// flipped between this section's parity load and its mark (the straggler
    /// interleaving), and a section opened inside another of this CPU.
    @inline(__always) @_noLocks
    func countWindows(_ slot: UnsafeMutablePointer<BarrierSlot>, parity p: UInt32, outer: UInt64) {
        if parity.load(ordering: .relaxed) != p {
            slot.pointee.acrossFlip.store(slot.pointee.acrossFlip.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }
        if BarrierSlot.depth(outer) != 0 {
            slot.pointee.nested.store(slot.pointee.nested.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }
    }

    /// Write side: a random delay between unpublishing and scanning.
    func writerJitter() {
        guard jitterSpins != 0 else { return }
        var spins = ctenon_monotonic_ns() % UInt64(jitterSpins)
        while spins != 0 { ctenon_cpu_relax(); spins -= 1 }
    }
}
#endif
