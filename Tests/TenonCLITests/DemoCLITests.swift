import Foundation
import Testing

/// `tenon demo`: the command is a thin printer over TenonDemo's `DemoRun`;
/// this runs the whole scenario, short, through the real binary.
@Suite("tenon demo", .timeLimit(.minutes(1)))
struct DemoCLITests {
    @Test("a short demo hot-swaps under load, loses nothing, unloads everything, exit 0")
    func shortDemo() throws {
        let r = try CLIProcess.run(["demo", "--cpus", "2", "--duration", "1"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("IRQs lost = 0, handled twice = 0"))
        #expect(r.stdout.contains("unload swap: unloaded") && r.stdout.contains("demo OK"))
        #expect(r.stdout.contains("latency probe"), "the probe line in the IRQ table")
    }

    @Test("--json: the documented tenon.demo/1 fields, per-CPU latency, progress on stderr")
    func jsonDemo() throws {
        let r = try CLIProcess.run(["demo", "--cpus", "2", "--duration", "1s", "--json"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("swap plugin now v"), "progress names the live swap version: \(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "tenon.demo/1")
        #expect(object["cpus"] as? Int == 2 && object["duration_s"] as? Int == 1 && object["passed"] as? Bool == true)
        #expect(object["lost"] as? Int == 0 && object["doubled"] as? Int == 0)
        let perCPU = try #require(object["latencyPerCPU"] as? [[String: Any]])
        #expect(perCPU.count == 2 && perCPU.map { $0["cpu"] as? Int } == [0, 1])
        let all = try #require(object["latency"] as? [String: Any])
        let samples = try #require(all["samples"] as? Int)
        #expect(samples == perCPU.compactMap { $0["samples"] as? Int }.reduce(0, +))
        if samples > 0 {
            let p50 = try #require(all["p50_us"] as? Double), max = try #require(all["max_us"] as? Double)
            #expect(p50 > 0 && p50 <= max)
        }
        let irqs = try #require(object["irqs"] as? [[String: Any]])
        #expect(irqs.contains { $0["irq"] as? Int == 8 && ($0["perCPU"] as? [Int])?.count == 2 })
        let unloads = try #require(object["unloads"] as? [[String: Any]])
        #expect(unloads.contains { $0["plugin"] as? String == "swap" })
        #expect(object["swaps"] as? Int ?? 0 > 0)
    }

    @Test("--trace: valid trace-event JSON with a track per CPU and grace periods with their phases")
    func traceOfADemo() throws {
        let path = "/tmp/tenon-demo-trace-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLIProcess.run(["demo", "--cpus", "2", "--duration", "1s", "--trace", path])
        #expect(r.status == 0 && r.stdout.contains("trace written to \(path)"), "\(r.stdout)\n\(r.stderr)")
        let trace = try TraceFile(path: path)
        #expect(trace.trackNames[0] == "CPU 0" && trace.trackNames[1] == "CPU 1" && trace.trackNames[1000] == "control plane")
        for cpu in [0, 1] {
            #expect(
                trace.events.contains { $0.tid == cpu && $0.ph == "B" && $0.name.hasPrefix("IRQ ") },
                "no handler slice on CPU \(cpu)")
        }
        #expect(trace.balanced, "B/E slices do not nest on every track")
        let control = Set(trace.events.filter { $0.tid == 1000 }.map(\.name))
        for phase in ["grace period", "fence", "flip to parity 0", "drained parity 0", "drained parity 1"] {
            #expect(control.contains(phase), "no \(phase) in \(control.sorted())")
        }
        #expect(control.contains { $0.hasPrefix("exit() swap") } && control.contains { $0.hasPrefix("swap commit swap") })
    }

    @Test("options out of range are one-line errors before anything runs")
    func badOptions() throws {
        let r = try CLIProcess.run(["demo", "--cpus", "99"])
        #expect(r.status != 0 && r.stderr.contains("--cpus must be 1 to 16, not 99"))
        let d = try CLIProcess.run(["demo", "--duration", "0"])
        #expect(d.status != 0 && d.stderr.contains("--duration must be 1 to 25 s, not 0"))
        let bad = try CLIProcess.run(["demo", "--duration", "soon"])
        #expect(bad.status != 0 && bad.stderr.contains("--duration 'soon' is not a duration"), "\(bad.stderr)")
    }
}
