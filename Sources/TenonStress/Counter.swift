import Synchronization

/// An atomic counter in a class, so escaping closures can share it.
final class Counter: @unchecked Sendable {
    let value = Atomic<Int>(0)
    func add(_ n: Int = 1) { value.wrappingAdd(n, ordering: .acquiringAndReleasing) }
    func set(_ n: Int) { value.store(n, ordering: .releasing) }
    var get: Int { value.load(ordering: .acquiring) }
}
