import ArgumentParser
import CTenon
import Foundation
import TenonDemo

/// `tenon demo`: Tenon's main job on an embedded default, no set-up: a
/// machine with the oob stage, the example plugins, per-CPU timers and a
/// device-IRQ storm, a plugin hot-swapped over and over under load, and
/// everything unloaded; then what happened. The scenario is `DemoRun`
/// (TenonDemo); this command parses, prints and sets the exit status.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole thing on a default set-up and report (under 30 s).",
        discussion: """
            4 CPUs, oob stage installed, the bundled example plugins loaded \
            (counter, chain, embedded-counter, swap), per-CPU timers at 1 kHz plus a \
            device-IRQ storm, `swap` hot-swapped v1 <-> v2 every 100 ms under load \
            with sequence numbers proving no IRQ is lost or handled twice, raise-to-\
            handler latency measured, then everything unloaded. Exit 0 when no IRQ \
            was lost or doubled and every unloaded image left the address space.

            Example: .build/release/tenon demo --cpus 4
            """)

    @Option(name: .long, help: "Simulated CPUs (1-16).")
    var cpus: Int = 4

    @Option(name: .long, help: "How long the load lasts, whole seconds from 1s to 25s: 5s, 20 (seconds).")
    var duration: String = "12s"

    @Option(name: .long, help: "Write the pipeline's trace of the run to FILE (Chrome trace-event JSON, opens in Perfetto).")
    var trace: String?

    @Flag(name: .long, help: "Print the figures as one JSON object (schema tenon.demo/1, docs/latency.md); progress goes to stderr.")
    var json = false

    /// Whole seconds of `--duration`, or -1 when it is not a duration.
    var seconds: Int {
        guard let ns = DurationText.nanoseconds(duration) else { return -1 }
        return Int((ns + 500_000_000) / 1_000_000_000)
    }

    var options: DemoOptions {
        var o = DemoOptions(cpus: cpus, durationSeconds: seconds)
        o.tracePath = trace.map(absolutePath)
        return o
    }

    func validate() throws {
        guard DurationText.nanoseconds(duration) != nil else {
            throw ValidationError(DurationText.invalid("--duration", duration))
        }
        if let problem = options.problem { throw ValidationError(problem) }
    }

    func run() throws {
        let t0 = ctenon_monotonic_ns()
        let json = json
        func say(_ text: String) {
            let line = String(format: "[%5.1fs] ", Double(ctenon_monotonic_ns() - t0) / 1e9) + text
            if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
            fflush(nil)
        }
        let report = try DemoRun.run(options, probe: LatencyProbe(cpus: cpus, capacity: 200_000), progress: say)
        if json {
            print(ClientOptions.encode(DemoJSON(report)))
            if !report.passed { throw ExitCode(1) }
            return
        }

        print("")
        print("/proc/interrupts after \(report.durationSeconds) s of load:")
        printIRQTable(report.irqRows)
        print("")
        print(
            "raise -> oob handler latency (\(report.latencies.count) probes, µs): p50 \(report.latencyMicros(0.5))  "
                + "p99 \(report.latencyMicros(0.99))  max \(report.latencyMicros(1.0))")
        let text = { (v: Double?) in v.map { String(format: "%.1f", $0) } ?? "-" }
        var table = [["CPU", "PROBES", "MIN µs", "P50 µs", "P99 µs", "MAX µs"]]
        for (cpu, samples) in report.latenciesPerCPU.enumerated() {
            table.append([
                String(cpu), String(samples.count), text(DemoReport.micros(samples, 0)),
                text(DemoReport.micros(samples, 0.5)), text(DemoReport.micros(samples, 0.99)),
                text(DemoReport.micros(samples, 1)),
            ])
        }
        printTable(table)
        print("hot swaps: \(report.swaps) (v1 <-> v2 under load; \(report.busySwaps) left the old version waiting for a busy CPU)")
        print("sequence numbers: \(report.sent) sent, handled by v1 \(report.handledByV1), by v2 \(report.handledByV2)")
        print("IRQs lost = \(report.lost), handled twice = \(report.doubled)")
        for (name, result) in report.unloads { say("unload \(name): \(result)") }
        say(report.passed ? "demo OK: no IRQ lost or doubled, every plugin unloaded and unmapped" : "demo FAILED")
        if !report.passed { throw ExitCode(1) }
    }
}

extension LatencyProbe: DemoLatencyProbe {}
