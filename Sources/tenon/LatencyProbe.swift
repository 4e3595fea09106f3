import CTenon
import Glibc

/// Raise-to-oob-handler latency: the raiser stamps just before `raise`, the
/// oob handler stamps on entry and stores the difference into preallocated
/// per-CPU arrays (no allocation in the handler).
final class LatencyProbe: @unchecked Sendable {
    let cpus: Int
    let capacity: Int
    let stamps: UnsafeMutablePointer<UInt64>
    let done: UnsafeMutablePointer<UInt64>
    let counts: UnsafeMutablePointer<Int>
    let data: UnsafeMutablePointer<UInt64>

    init(cpus: Int, capacity: Int) {
        self.cpus = cpus
        self.capacity = capacity
        // One cache line per CPU for the hand-over words.
        stamps = .allocate(capacity: cpus * 8)
        stamps.initialize(repeating: 0, count: cpus * 8)
        done = .allocate(capacity: cpus * 8)
        done.initialize(repeating: 0, count: cpus * 8)
        counts = .allocate(capacity: cpus)
        counts.initialize(repeating: 0, count: cpus)
        data = .allocate(capacity: cpus * capacity)
        data.initialize(repeating: 0, count: cpus * capacity)
    }

    deinit {
        stamps.deallocate(); done.deallocate(); counts.deallocate(); data.deallocate()
    }

    /// Raiser: stamps t0 for `cpu` (call right before raising).
    func arm(cpu: Int) {
        ctenon_word_store64(done + cpu * 8, 0)
        ctenon_word_store64(stamps + cpu * 8, ctenon_monotonic_ns())
    }

    /// Handler (async-signal-safe): stamps t1 and records t1 - t0.
    func record(cpu: Int) {
        let t1 = ctenon_monotonic_ns()
        let t0 = ctenon_word_load64(stamps + cpu * 8)
        if t0 != 0 && ctenon_word_load64(done + cpu * 8) == 0 {
            let n = counts[cpu]
            if n < capacity {
                data[cpu * capacity + n] = t1 &- t0
                counts[cpu] = n + 1
            }
            ctenon_word_store64(done + cpu * 8, 1)
        }
    }

    /// Raiser: waits for the handler of `cpu`; false on timeout.
    func waitDone(cpu: Int, timeoutNanos: UInt64) -> Bool {
        let deadline = ctenon_monotonic_ns() + timeoutNanos
        let spinUntil = ctenon_monotonic_ns() + 20_000
        while ctenon_word_load64(done + cpu * 8) == 0 {
            let now = ctenon_monotonic_ns()
            if now > deadline { return false }
            // Spin briefly, then yield: on a core shared with the target
            // CPU a spinning raiser would delay the very handler it waits for.
            if now > spinUntil { sched_yield() } else { ctenon_cpu_relax() }
        }
        return true
    }

    func samples(cpu: Int) -> [UInt64] {
        Array(UnsafeBufferPointer(start: data + cpu * capacity, count: counts[cpu]))
    }
}
