import Foundation
import TenonControl

/// Interrupt rates between two samples of a host's IRQ counts (`tenon top`).
struct IRQRates: Encodable {
    struct Sample {
        var time: Date
        var rows: [IRQRow]
    }

    /// One IRQ's rate per CPU, in interrupts per second.
    struct Line: Encodable {
        var irq: Int
        var perCPU_hz: [Double]
        var total_hz: Double
        var stage: String
        var handlers: [String]
    }

    var time: String
    var interval_s: Double
    var lines: [Line]

    init(from a: Sample, to b: Sample) {
        let dt = max(b.time.timeIntervalSince(a.time), 1e-6)
        let before = Dictionary(a.rows.map { ($0.irq, $0) }, uniquingKeysWith: { x, _ in x })
        time = ISO8601DateFormatter().string(from: b.time)
        interval_s = (dt * 1000).rounded() / 1000
        lines = b.rows.map { row in
            let old = before[row.irq]?.perCPU ?? []
            // A count that went down (the line was freed and requested again) restarts from 0.
            let rates = row.perCPU.enumerated().map { cpu, n -> Double in
                let prior = cpu < old.count && old[cpu] <= n ? old[cpu] : 0
                return (Double(n - prior) / dt).rounded()
            }
            return Line(
                irq: row.irq, perCPU_hz: rates, total_hz: rates.reduce(0, +), stage: row.stage,
                handlers: row.handlers)
        }
        .sorted { ($0.total_hz, -$0.irq) > ($1.total_hz, -$1.irq) }
    }

    /// The view: a header, then one row per IRQ, busiest first (idle IRQs last).
    func render() -> [String] {
        let cpus = lines.map(\.perCPU_hz.count).max() ?? 0
        let total = lines.map(\.total_hz).reduce(0, +)
        var table = [["IRQ"] + (0..<cpus).map { "CPU\($0)/s" } + ["TOTAL/s", "STAGE", "HANDLERS"]]
        for l in lines {
            table.append(
                ["\(l.irq):"] + l.perCPU_hz.map { Self.rate($0) } + [
                    Self.rate(l.total_hz), l.stage,
                    l.handlers.joined(separator: ", "),
                ])
        }
        return ["tenon top — \(time), interval \(interval_s) s, \(Self.rate(total)) IRQs/s in all"] + formatTable(table)
    }

    static func rate(_ v: Double) -> String {
        v >= 10_000 ? String(format: "%.1fk", v / 1000) : String(Int(v))
    }
}
