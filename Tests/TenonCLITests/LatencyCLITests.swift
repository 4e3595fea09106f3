import Foundation
import Testing

/// `tenon latency` as a user runs it: its JSON against the fields docs/latency.md documents.
@Suite("tenon latency", .serialized, .timeLimit(.minutes(2)))
struct LatencyCLITests {
    static let figureFields = [
        "cpu", "core", "samples", "min_ns", "avg_ns", "p50_ns", "p99_ns", "p999_ns", "max_ns",
        "overruns", "dropped", "buckets",
    ]

    @Test("--json: documented fields, consistent figures, a baseline per CPU, an SVG panel per CPU")
    func jsonReport() throws {
        let svg = NSTemporaryDirectory() + "tenon-latency-\(getpid()).svg"
        defer { try? FileManager.default.removeItem(atPath: svg) }
        let r = try CLIProcess.run([
            "latency", "--period", "1ms", "--duration", "1s", "--cpus", "2",
            "--compare", "--json", "--svg", svg,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "tenon.latency/1")
        #expect((json["command"] as? [String])?.contains("--compare") == true)
        let system = try #require(json["system"] as? [String: Any])
        for key in ["kernel", "machine", "onlineCPUs", "date"] { #expect(system[key] != nil, "system.\(key)") }
        let settings = try #require(json["settings"] as? [String: Any])
        #expect(settings["periodNanos"] as? Int == 1_000_000)
        for series in ["tenon", "baseline"] {
            let cpus = try #require(json[series] as? [[String: Any]], "\(series)")
            #expect(cpus.count == 2)
            for f in cpus {
                for key in Self.figureFields { #expect(f[key] != nil, "\(series).\(key)") }
                let samples = try #require(f["samples"] as? Int)
                #expect(samples > 0, "\(series) CPU \(f["cpu"] ?? "?") recorded nothing")
                let order = ["min_ns", "p50_ns", "p99_ns", "p999_ns", "max_ns"].compactMap { f[$0] as? Int }
                #expect(order == order.sorted(), "\(series): percentiles out of order \(order)")
                let buckets = try #require(f["buckets"] as? [[String: Any]])
                #expect(
                    buckets.compactMap { $0["count"] as? Int }.reduce(0, +) == samples,
                    "\(series): the histogram does not account for every sample")
            }
        }
        let ratios = try #require(json["ratios"] as? [[String: Any]])
        #expect(ratios.count == 2)
        #expect(ratios.allSatisfy { ($0["p50"] as? Double ?? 0) > 0 })
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(picture.hasPrefix("<svg") && picture.hasSuffix("</svg>"))
        #expect(picture.components(separatedBy: "<polyline").count - 1 == 2, "one baseline line per CPU panel")
    }

    @Test("bad periods and durations are one-line errors")
    func badInput() throws {
        for (args, words) in [
            (["--period", "5us"], "below the 20 µs"), (["--period", "fast"], "not a duration"),
            (["--duration", "1ms", "--period", "1ms"], "shorter than --duration"),
            (["--priority", "120"], "1-99"),
        ] {
            let r = try CLIProcess.run(["latency"] + args)
            #expect(r.status != 0)
            #expect(r.stderr.contains(words), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }
}
