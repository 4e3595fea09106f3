import Histogram

/// One CPU's latency figures, in nanoseconds (the JSON field names carry the unit).
package struct LatencyFigures: Sendable, Codable, Equatable {
    package var cpu: Int
    package var core: Int
    package var samples: UInt64
    package var min_ns: UInt64
    package var avg_ns: UInt64
    package var p50_ns: UInt64
    package var p99_ns: UInt64
    package var p999_ns: UInt64
    package var max_ns: UInt64
    /// Expiries served together with an older one by a run more than a period late
    /// (that run's sample counts from the oldest expiry, so its lateness is in the figures).
    package var overruns: UInt64
    /// Samples lost because the recorder's ring was full (0 unless the drain thread starved).
    package var dropped: UInt64
    /// Counts per 1-2-5 bucket: `count` samples were ≤ `upTo_ns` and above the previous bucket's bound.
    package var buckets: [LatencyBucket]

    init(cpu: Int, core: Int, histogram h: Histogram<UInt64>, overruns: UInt64, dropped: UInt64) {
        self.cpu = cpu
        self.core = core
        samples = h.totalCount
        let empty = h.totalCount == 0
        min_ns = empty ? 0 : h.min
        avg_ns = empty ? 0 : UInt64(h.mean.rounded())
        p50_ns = empty ? 0 : h.valueAtPercentile(50)
        p99_ns = empty ? 0 : h.valueAtPercentile(99)
        p999_ns = empty ? 0 : h.valueAtPercentile(99.9)
        max_ns = empty ? 0 : h.max
        self.overruns = overruns
        self.dropped = dropped
        // Each recorded value (to HdrHistogram's precision) lands in exactly
        // one bucket, so the buckets account for every sample.
        var counts = [UInt64](repeating: 0, count: LatencyBucket.bounds.count)
        for v in h.recordedValues() {
            let i = LatencyBucket.bounds.firstIndex { v.value <= $0 } ?? LatencyBucket.bounds.count - 1
            counts[i] += UInt64(v.count)
        }
        buckets = zip(LatencyBucket.bounds, counts).map { LatencyBucket(upTo_ns: $0, count: $1) }
        while let last = buckets.last, last.count == 0, buckets.count > 1 { buckets.removeLast() }
    }
}
