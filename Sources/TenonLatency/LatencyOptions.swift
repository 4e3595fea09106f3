/// What `tenon latency` measures and under which conditions.
public struct LatencyOptions: Sendable, Codable {
    /// Timer period in nanoseconds.
    public var periodNanos: UInt64 = 1_000_000
    /// Seconds of measurement.
    public var durationSeconds: Double = 10
    /// Simulated CPUs (one timer each).
    public var cpus: Int
    /// SCHED_FIFO priority for the CPU threads (and the baseline), 0 = normal.
    public var priority: Int = 0
    /// Lock all memory (`mlockall`) before measuring.
    public var lockMemory = false
    /// Hold `/dev/cpu_dma_latency` open at this many microseconds while measuring.
    public var dmaLatencyMicroseconds: Int32?
    /// Run the bare C POSIX-timer baseline beside Tenon's timers.
    public var compareBaseline = false

    public init(cpus: Int) {
        self.cpus = cpus
    }
}
