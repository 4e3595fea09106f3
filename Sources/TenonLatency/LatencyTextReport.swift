/// The human form of a ``LatencyReport``: a per-CPU table in microseconds
/// (cyclictest's unit), ratios to the baseline, and optionally a histogram.
package enum LatencyTextReport {
    package static func render(_ r: LatencyReport, histogram: Bool) -> String {
        var out: [String] = []
        let s = r.settings
        out.append(
            "timer IRQ latency, expiry -> oob handler entry: period \(us(s.periodNanos)) µs, \(s.durationSeconds) s, "
                + "\(r.tenon.count) CPUs, \(s.priority > 0 ? "SCHED_FIFO \(s.priority)" : "SCHED_OTHER")"
                + (s.lockMemory ? ", mlockall" : "")
                + (s.dmaLatencyMicroseconds.map { ", cpu_dma_latency \($0) µs" } ?? ""))
        out.append("kernel \(r.system.kernel) \(r.system.machine), \(r.system.onlineCPUs) online CPUs")
        out.append("")
        out.append(
            pad("", 10) + pad("CPU", 4) + pad("samples", 9) + ["min", "avg", "p50", "p99", "p99.9", "max"].map { pad($0, 9) }.joined()
                + pad("overruns", 9))
        func rows(_ label: String, _ figures: [LatencyFigures]) {
            for f in figures {
                out.append(
                    pad(label, 10) + pad("\(f.cpu)", 4) + pad("\(f.samples)", 9)
                        + [f.min_ns, f.avg_ns, f.p50_ns, f.p99_ns, f.p999_ns, f.max_ns].map { pad(us($0), 9) }.joined()
                        + pad("\(f.overruns)", 9) + (f.dropped > 0 ? " (\(f.dropped) dropped)" : ""))
            }
        }
        rows("tenon", r.tenon)
        if let b = r.baseline { rows("bare C", b) }
        out.append("(µs, from the oldest unserved expiry; overruns: later expiries served by the same late run)")
        if let ratios = r.ratios {
            out.append("")
            out.append("tenon / bare C timer thread (same core, period, priority; interleaved half a period apart):")
            for q in ratios {
                out.append(
                    "  CPU \(q.cpu): min ×\(x(q.min))  avg ×\(x(q.avg))  p50 ×\(x(q.p50))  p99 ×\(x(q.p99))  "
                        + "p99.9 ×\(x(q.p999))  max ×\(x(q.max))")
            }
        }
        if histogram {
            out.append("")
            out.append(histogramText(r))
        }
        return out.joined(separator: "\n")
    }

    /// Counts per 1-2-5 bucket and CPU, one column per CPU (and baseline).
    static func histogramText(_ r: LatencyReport) -> String {
        let series = r.tenon.map { ("T\($0.cpu)", $0.buckets) } + (r.baseline ?? []).map { ("B\($0.cpu)", $0.buckets) }
        let depth = series.map(\.1.count).max() ?? 0
        var lines = [
            "histogram (samples per bucket; T = tenon CPU, B = bare C timer on that CPU's core):",
            pad("≤ µs", 10) + series.map { pad($0.0, 10) }.joined(),
        ]
        for i in 0..<depth {
            let bound = LatencyBucket.bounds[i]
            let counts = series.map { i < $0.1.count ? $0.1[i].count : 0 }
            if counts.allSatisfy({ $0 == 0 }) { continue }
            lines.append(pad(us(bound), 10) + counts.map { pad("\($0)", 10) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    static func us(_ ns: UInt64) -> String {
        let v = Double(ns) / 1000
        return v >= 100 ? String(Int(v.rounded())) : String((v * 10).rounded() / 10)
    }

    static func x(_ v: Double) -> String { v == 0 ? "-" : String(format2(v)) }

    static func format2(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        var s = String(r)
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) == 2 { s += "0" }
        return s
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
