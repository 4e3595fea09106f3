import Synchronization

/// IRQs the raisers hit besides the torture IRQ (the loaded plugins' lines).
final class LiveIRQs: @unchecked Sendable {
    static let capacity = 32
    let count = Atomic<Int>(0)
    let lines: UnsafeMutablePointer<Atomic<UInt32>>
    init() {
        lines = .allocate(capacity: Self.capacity)
        for i in 0..<Self.capacity { (lines + i).initialize(to: Atomic(0)) }
    }
    deinit { lines.deallocate() }
    func set(_ irqs: [UInt32]) {
        let n = min(irqs.count, Self.capacity)
        count.store(0, ordering: .releasing)
        for i in 0..<n { lines[i].store(irqs[i], ordering: .relaxed) }
        count.store(n, ordering: .releasing)
    }
    func pick(_ r: UInt64) -> UInt32? {
        let n = count.load(ordering: .acquiring)
        return n == 0 ? nil : lines[Int(r % UInt64(n))].load(ordering: .relaxed)
    }
}
