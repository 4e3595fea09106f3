import Foundation
import Testing

/// `--json` of the commands that produce figures, parsed against the fields
/// docs/latency.md and docs/stress.md document (demo and latency have their own tests).
@Suite("--json outputs", .timeLimit(.minutes(3)))
struct JSONOutputTests {
    func object(_ args: [String]) throws -> [String: Any] {
        let r = try CLIProcess.run(args)
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
    }

    @Test("tenon bench --json: tenon.bench/1 rows with baselines and ratios")
    func bench() throws {
        let o = try object(["bench", "--only", "trace", "--only", "barrier", "--iterations", "20000", "--rounds", "1", "--json"])
        #expect(o["schema"] as? String == "tenon.bench/1" && o["iterations"] as? Int == 20000 && o["rounds"] as? Int == 1)
        let rows = try #require(o["rows"] as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["section"] as? String }) == ["trace", "barrier"])
        for row in rows {
            let value = try #require(row["value"] as? Double), baseline = try #require(row["baselineValue"] as? Double)
            let ratio = try #require(row["ratio"] as? Double)
            #expect(row["unit"] as? String == "ns" && value > 0 && baseline > 0)
            #expect(abs(ratio - value / baseline) < 0.01 * ratio + 0.002, "\(row)")
        }
        #expect(rows.contains { $0["name"] as? String == "2 trace points, tracing on" })
    }

    @Test("tenon irqbench --json: tenon.irqbench/1 per-CPU latency beside the baseline")
    func irqbench() throws {
        let o = try object(["irqbench", "--cpus", "1", "--duration", "200ms", "--rate", "200", "--timer-hz", "0", "--json"])
        #expect(o["schema"] as? String == "tenon.irqbench/1" && o["cpus"] as? Int == 1 && o["probesPerCPU"] as? Int == 40)
        let perCPU = try #require(o["perCPU"] as? [[String: Any]])
        #expect(perCPU.count == 1 && perCPU[0]["cpu"] as? Int == 0)
        let tenon = try #require(perCPU[0]["tenon"] as? [String: Any]), base = try #require(perCPU[0]["baseline"] as? [String: Any])
        let lost = try #require(o["lostProbes"] as? Int)
        #expect((tenon["samples"] as? Int ?? 0) + lost >= 40 && (base["samples"] as? Int ?? 0) + lost >= 40)
        if let p50 = tenon["p50_us"] as? Double, let max = tenon["max_us"] as? Double { #expect(p50 > 0 && p50 <= max) }
        #expect((o["hardMaskPair_ns"] as? Double ?? 0) > 0 && (o["sigmaskPair_ns"] as? Double ?? 0) > 0)
    }

    @Test("tenon stress --json: tenon.stress/1 with the verdict and the ledger")
    func stress() throws {
        let o = try object(["stress", "--duration", "1s", "--fenced-phase", "0", "--no-scenarios", "--seed", "7", "--json"])
        #expect(o["schema"] as? String == "tenon.stress/1" && o["passed"] as? Bool == true && o["seed"] as? Int == 7)
        for key in ["cycles", "lateExecutions", "lostIRQs", "doubles", "tortureEntriesPushed", "tortureEntriesDrained", "unloadP50"] {
            #expect(o[key] != nil, "no \(key) in \(o.keys.sorted())")
        }
        #expect(o["tortureEntriesPushed"] as? Int == o["tortureEntriesDrained"] as? Int)
        // The floor beside the unloads: measured, not a placeholder.
        let bare = (o["bareCycleP50"] as? Double ?? 0, o["bareCycleP99"] as? Double ?? 0)
        #expect(bare.0 > 0 && bare.0 <= bare.1, "bare loader cycle p50/p99: \(bare)")
        let load = (o["loadP50"] as? Double ?? 0, o["loadMax"] as? Double ?? 0)
        #expect(load.0 > 0 && load.0 <= load.1, "load p50/max: \(load)")
    }
}
