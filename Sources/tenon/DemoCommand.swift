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

    @Option(name: .long, help: "Seconds of load (1-25).")
    var duration: Int = 12

    var options: DemoOptions { DemoOptions(cpus: cpus, durationSeconds: duration) }

    func validate() throws {
        if let problem = options.problem { throw ValidationError(problem) }
    }

    func run() throws {
        let t0 = ctenon_monotonic_ns()
        func say(_ text: String) {
            print(String(format: "[%5.1fs] ", Double(ctenon_monotonic_ns() - t0) / 1e9) + text)
            fflush(nil)
        }
        let report = try DemoRun.run(options, probe: LatencyProbe(cpus: cpus, capacity: 200_000), progress: say)

        print("")
        print("/proc/interrupts after \(report.durationSeconds) s of load:")
        printIRQTable(report.irqRows)
        print("")
        print("raise -> oob handler latency (\(report.latencies.count) probes, µs): p50 \(report.latencyMicros(0.5))  "
              + "p99 \(report.latencyMicros(0.99))  max \(report.latencyMicros(1.0))")
        print("hot swaps: \(report.swaps) (v1 <-> v2 under load; \(report.busySwaps) left the old version waiting for a busy CPU)")
        print("sequence numbers: \(report.sent) sent, handled by v1 \(report.handledByV1), by v2 \(report.handledByV2)")
        print("IRQs lost = \(report.lost), handled twice = \(report.doubled)")
        for (name, result) in report.unloads { say("unload \(name): \(result)") }
        say(report.passed ? "demo OK: no IRQ lost or doubled, every plugin unloaded and unmapped" : "demo FAILED")
        if !report.passed { throw ExitCode(1) }
    }
}

extension LatencyProbe: DemoLatencyProbe {}
