/// A per-CPU, per-stage interrupt log: a set of pending IRQ numbers.
///
/// Dovetail keeps a multi-level bitmap; one summary word over 32 leaf words
/// gives the same observable behaviour: posting is idempotent (an IRQ pending
/// several times is played once), and pulling always restarts from the lowest
/// number, so replay is in ascending order and an IRQ posted during a replay is
/// seen in the same pass.
struct IRQLog {
    private var summary: UInt64 = 0
    private var leaves = InlineArray<32, UInt64>(repeating: 0)

    var isEmpty: Bool { @_noLocks get { summary == 0 } }

    @_noLocks
    mutating func post(_ irq: UInt32) {
        let word = Int(irq >> 6)
        leaves[word] |= 1 &<< UInt64(irq & 63)
        summary |= 1 &<< UInt64(word)
    }

    @_noLocks
    func contains(_ irq: UInt32) -> Bool {
        leaves[Int(irq >> 6)] & (1 &<< UInt64(irq & 63)) != 0
    }

    /// Removes and returns the lowest pending IRQ, or nil when empty.
    @_noLocks
    mutating func pull() -> UInt32? {
        if summary == 0 { return nil }
        let word = summary.trailingZeroBitCount
        let bits = leaves[word]
        let bit = bits.trailingZeroBitCount
        let rest = bits & (bits &- 1)
        leaves[word] = rest
        if rest == 0 { summary &= ~(1 &<< UInt64(word)) }
        return UInt32(word &* 64 &+ bit)
    }

    @_noLocks
    mutating func clear() {
        self = IRQLog()
    }

    /// Pending IRQs in ascending order (control plane and tests only: allocates).
    var pending: [UInt32] {
        var out: [UInt32] = []
        for word in 0..<32 where leaves[word] != 0 {
            for bit in 0..<64 where leaves[word] & (1 << UInt64(bit)) != 0 {
                out.append(UInt32(word * 64 + bit))
            }
        }
        return out
    }
}
