import Synchronization

/// A single-producer single-consumer ring of sequence numbers: the raiser
/// pushes, then raises; the handler drains every entry each time it runs
/// (the pipeline coalesces an IRQ raised twice before it is taken).
final class SeqRing: @unchecked Sendable {
    static let capacity = 4096
    let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: SeqRing.capacity)
    let head = Atomic<Int>(0)
    let tail = Atomic<Int>(0)
    /// Next sequence number the consumer expects.
    let expected = Atomic<UInt64>(0)
    let errors = Atomic<Int>(0)

    deinit { slots.deallocate() }

    /// Producer: false if full.
    func push(_ v: UInt64) -> Bool {
        let t = tail.load(ordering: .relaxed)
        if t - head.load(ordering: .acquiring) == Self.capacity { return false }
        slots[t % Self.capacity] = v
        tail.store(t + 1, ordering: .releasing)
        return true
    }

    /// Consumer (handler, async-signal-safe): checks each value is the next one.
    func drain() {
        var h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        var want = expected.load(ordering: .relaxed)
        while h < t {
            if slots[h % Self.capacity] != want { errors.wrappingAdd(1, ordering: .relaxed) }
            want = slots[h % Self.capacity] &+ 1
            h += 1
        }
        expected.store(want, ordering: .relaxed)
        head.store(h, ordering: .releasing)
    }
}
