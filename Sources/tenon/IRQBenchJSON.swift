/// `tenon irqbench --json`: schema `tenon.irqbench/1` (docs/latency.md).
struct IRQBenchJSON: Encodable {
    struct Latency: Encodable {
        var samples: Int
        var p50_us: Double?
        var p99_us: Double?
        var max_us: Double?

        init(_ ns: [UInt64]) {
            let s = ns.sorted()
            samples = s.count
            func q(_ p: Double) -> Double? {
                s.isEmpty ? nil : Double(s[min(s.count - 1, Int(Double(s.count) * p))]) / 1000
            }
            p50_us = q(0.5)
            p99_us = q(0.99)
            max_us = s.last.map { Double($0) / 1000 }
        }
    }
    struct PerCPU: Encodable {
        var cpu: Int
        /// Raise -> oob handler entry.
        var tenon: Latency
        /// tgkill -> a plain C handler on a thread of the same core.
        var baseline: Latency
        var placement: String
    }
    struct Ratios: Encodable {
        var p50: Double?
        var p99: Double?
        var max: Double?
    }

    var schema = "tenon.irqbench/1"
    var command: [String]
    var cpus: Int
    var probesPerCPU: Int
    var rateHz: Int
    var timerHz: Int
    var elapsed_s: Double
    var perCPU: [PerCPU]
    var all: PerCPU?
    /// tenon / baseline over all CPUs.
    var ratios: Ratios
    var lostProbes: Int
    var hardMaskPair_ns: Double
    var sigmaskPair_ns: Double
}
