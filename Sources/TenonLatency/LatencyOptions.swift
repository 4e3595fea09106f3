/// What `tenon latency` measures and under which conditions.
package struct LatencyOptions: Sendable, Codable {
    /// Timer period in nanoseconds.
    package var periodNanos: UInt64 = 1_000_000
    /// Seconds of measurement.
    package var durationSeconds: Double = 10
    /// Simulated CPUs (one timer each).
    package var cpus: Int
    /// SCHED_FIFO priority for the CPU threads (and the baseline), 0 = normal.
    package var priority: Int = 0
    /// Lock all memory (`mlockall`) before measuring.
    package var lockMemory = false
    /// Hold `/dev/cpu_dma_latency` open at this many microseconds while measuring.
    package var dmaLatencyMicroseconds: Int32?
    /// Run the bare C POSIX-timer baseline beside Tenon's timers.
    package var compareBaseline = false

    package init(cpus: Int) {
        self.cpus = cpus
    }
}
