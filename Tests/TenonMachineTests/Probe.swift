import Synchronization

/// Counters and markers shared by a test and its handlers: Atomics only, so
/// handlers touch no lock and no allocator.
final class Probe: Sendable {
    let marker = Atomic<Int>(0)
    let inside = Atomic<Int>(0)
    let violations = Atomic<Int>(0)
    let handled = Atomic<Int>(0)
    let handledInside = Atomic<Int>(0)
    let handledOutside = Atomic<Int>(0)
    let done = Atomic<Bool>(false)
    let go = Atomic<Bool>(false)
    let flag = Atomic<Int>(0)
    let value = Atomic<Int>(-1)
    let mismatches = Atomic<Int>(0)
}
