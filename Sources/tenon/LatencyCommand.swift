import ArgumentParser
import Foundation
import TenonLatency
import TenonMachine

/// `tenon latency`: latmus / cyclictest for Tenon's own per-CPU timers.
struct LatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Measure timer IRQ latency (expiry -> oob handler entry) on every CPU, beside a bare C timer.",
        discussion: """
            Each simulated CPU runs a periodic POSIX timer (SIGEV_THREAD_ID to its thread) into \
            the pipeline; an oob handler stamps how late it runs after the expiry was due. With \
            --compare, a bare C thread on the same core runs the same timer half a period out of \
            phase with a plain signal handler, and the ratios are printed per percentile.

            Examples:
              tenon latency --period 100us --duration 30s --compare
              tenon latency --priority 80 --mlock --compare --cyclictest --histogram --svg lat.svg
              tenon latency --duration 5s --json > lat.json
            """)

    @Option(help: "Timer period: e.g. 100us, 1ms (at least 20us).")
    var period: String = "1ms"
    @Option(help: "How long to measure: e.g. 10s, 1m, 500ms.")
    var duration: String = "10s"
    @Option(help: "Simulated CPUs (default: online cores).")
    var cpus: Int?
    @Option(help: "SCHED_FIFO priority 1-99 for the CPU threads and the baseline (default: normal scheduling).")
    var priority: Int = 0
    @Flag(help: "Lock all memory (mlockall) while measuring.")
    var mlock = false
    @Option(name: .customLong("dma-latency"), help: "Hold /dev/cpu_dma_latency at this many µs while measuring (e.g. 0).")
    var dmaLatency: Int32?
    @Flag(help: "Run a bare C POSIX-timer thread per CPU beside Tenon's timers (same core, period, priority) and print the ratios.")
    var compare = false
    @Flag(help: "Also run cyclictest (rt-tests) with matching options afterwards, when it is installed.")
    var cyclictest = false
    @Flag(help: "Print a histogram (1-2-5 µs buckets, per CPU).")
    var histogram = false
    @Flag(help: "Print the report as JSON (schema in docs/latency.md) instead of text.")
    var json = false
    @Option(help: "Write an SVG picture of the per-CPU histograms (baseline overlaid) to this file.")
    var svg: String?

    var periodNanos: UInt64? { DurationText.nanoseconds(period) }
    var durationNanos: UInt64? { DurationText.nanoseconds(duration) }

    func validate() throws {
        guard let p = periodNanos, p > 0 else { throw ValidationError("--period '\(period)' is not a duration like 100us or 1ms") }
        guard let d = durationNanos, d > 0 else { throw ValidationError("--duration '\(duration)' is not a duration like 10s or 1m") }
        guard p < d else { throw ValidationError("--period must be shorter than --duration") }
        guard (0...99).contains(priority) else { throw ValidationError("--priority must be 0 (normal) or 1-99 (SCHED_FIFO)") }
        if let c = cpus, !(1...Machine.maxCPUs).contains(c) { throw ValidationError("--cpus must be 1-\(Machine.maxCPUs)") }
        if let d = dmaLatency, d < 0 { throw ValidationError("--dma-latency must be >= 0 µs") }
    }

    func run() throws {
        var options = LatencyOptions(cpus: cpus ?? HostCores.online)
        options.periodNanos = periodNanos!
        options.durationSeconds = Double(durationNanos!) / 1e9
        options.priority = priority
        options.lockMemory = mlock
        options.dmaLatencyMicroseconds = dmaLatency
        options.compareBaseline = compare
        var run = LatencyRun(options: options)
        let interactive = isatty(STDERR_FILENO) == 1
        if interactive && !json {
            run.progress = { t in FileHandle.standardError.write(Data("\r[\(Int(t)) s / \(Int(options.durationSeconds)) s]".utf8)) }
        }
        let report: LatencyReport
        do {
            report = try run.run(command: CommandLine.arguments)
        } catch {
            fail("\(error)")
        }
        if interactive && !json { FileHandle.standardError.write(Data("\r".utf8)) }
        if let svg {
            do {
                try LatencySVG.render(report).write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                fail("cannot write \(svg): \(error.localizedDescription)")
            }
        }
        if json {
            print(ClientOptions.encode(report))
        } else {
            print(LatencyTextReport.render(report, histogram: histogram))
            if let svg { print("histogram picture written to \(svg)") }
        }
        if cyclictest { runCyclictest(options) }
    }

    /// cyclictest with matching options, its summary lines printed as they come.
    func runCyclictest(_ o: LatencyOptions) {
        guard
            let path = ["/usr/bin/cyclictest", "/usr/local/bin/cyclictest", "/usr/sbin/cyclictest"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            print("cyclictest is not installed (Debian: apt-get install rt-tests); bare C baseline only")
            return
        }
        // -d 0: every thread at the same interval (cyclictest staggers them by default).
        var args = [
            "-q", "-t", "\(o.cpus)", "-a", "-d", "0", "-i", "\(max(1, o.periodNanos / 1000))",
            "-D", "\(max(1, Int(o.durationSeconds.rounded())))",
        ]
        if o.priority > 0 { args += ["-p", "\(o.priority)"] }
        if o.lockMemory { args.append("-m") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        print("cyclictest \(args.joined(separator: " ")) (µs; it also holds /dev/cpu_dma_latency at 0 unless told otherwise):")
        fflush(nil)  // our buffered lines first, then the child writes to the same fd
        do {
            try p.run()
            p.waitUntilExit()
        } catch {
            print("cyclictest failed to start: \(error.localizedDescription)")
        }
    }
}
