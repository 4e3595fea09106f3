import Foundation

/// What `tenon bench` measured, for `--json` (schema `tenon.bench/1`, in
/// docs/latency.md): one row per figure, with its baseline and ratio where
/// the figure has one. Text output prints as it goes; JSON at the end.
final class BenchRows {
    struct Row: Encodable {
        var section: String
        var name: String
        var value: Double
        /// "ns" per call or IRQ, or "us" for unload figures.
        var unit: String
        var baselineName: String?
        var baselineValue: Double?
        var ratio: Double?
        var cpus: Int?
        var percentile: String?
    }
    struct Document: Encodable {
        var schema = "tenon.bench/1"
        var command: [String]
        var iterations: Int
        var rounds: Int
        var rows: [Row]
    }

    let json: Bool
    private(set) var rows: [Row] = []

    init(json: Bool) { self.json = json }

    /// A line of the text report (nothing with `--json`).
    func line(_ text: String) { if !json { print(text) } }

    func add(
        _ section: BenchSection, _ name: String, _ value: Double, unit: String = "ns",
        baseline: (name: String, value: Double)? = nil, cpus: Int? = nil, percentile: String? = nil
    ) {
        rows.append(
            Row(
                section: section.rawValue, name: name, value: Self.round(value), unit: unit,
                baselineName: baseline?.name, baselineValue: baseline.map { Self.round($0.value) },
                ratio: baseline.flatMap { $0.value > 0 ? Self.round(value / $0.value) : nil },
                cpus: cpus, percentile: percentile))
    }

    func document(iterations: Int, rounds: Int) -> String {
        ClientOptions.encode(Document(command: CommandLine.arguments, iterations: iterations, rounds: rounds, rows: rows))
    }

    static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
