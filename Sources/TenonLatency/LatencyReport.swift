import Foundation

/// What one `tenon latency` run measured: per-CPU figures for Tenon's timers
/// and, with `--compare`, for the bare C timer thread interleaved with them.
/// Its JSON form is documented in docs/latency.md (schema `tenon.latency/1`).
package struct LatencyReport: Sendable, Codable {
    package var schema = "tenon.latency/1"
    /// The command line that produced it.
    package var command: [String]
    package var system: LatencySystemInfo
    package var settings: LatencyOptions
    /// Expiry -> oob handler entry through Tenon's pipeline, one entry per CPU.
    package var tenon: [LatencyFigures]
    /// Expiry -> plain C signal handler on a bare thread (same core, period, priority).
    package var baseline: [LatencyFigures]?
    /// tenon / baseline per CPU and percentile.
    package var ratios: [LatencyRatio]?
}

/// Tenon's figure over the baseline's for one CPU (1.00 = the same).
package struct LatencyRatio: Sendable, Codable, Equatable {
    package var cpu: Int
    package var min: Double
    package var avg: Double
    package var p50: Double
    package var p99: Double
    package var p999: Double
    package var max: Double

    init(tenon t: LatencyFigures, baseline b: LatencyFigures) {
        func r(_ x: UInt64, _ y: UInt64) -> Double { y == 0 ? 0 : (Double(x) / Double(y) * 100).rounded() / 100 }
        cpu = t.cpu
        min = r(t.min_ns, b.min_ns)
        avg = r(t.avg_ns, b.avg_ns)
        p50 = r(t.p50_ns, b.p50_ns)
        p99 = r(t.p99_ns, b.p99_ns)
        p999 = r(t.p999_ns, b.p999_ns)
        max = r(t.max_ns, b.max_ns)
    }
}

/// The machine a run was taken on.
package struct LatencySystemInfo: Sendable, Codable {
    package var kernel: String
    package var machine: String
    package var onlineCPUs: Int
    package var date: String

    package static func current() -> LatencySystemInfo {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return LatencySystemInfo(
            kernel: field(u.release), machine: field(u.machine),
            onlineCPUs: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            date: ISO8601DateFormatter().string(from: Date()))
    }
}
