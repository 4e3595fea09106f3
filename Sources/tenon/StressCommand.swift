import ArgumentParser
import Foundation
import TenonPipeline
import TenonStress

/// `tenon stress`: the unload-safety torture test (engine in TenonStress; docs/stress.md).
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Torture unload safety: IRQ storms on every CPU while plugins are loaded, swapped and unloaded.",
        discussion: """
            Starts a machine (oob stage installed) with per-CPU timers and cross-CPU raisers, \
            and cycles the given plugins (default: the bundled examples plus the `torture` \
            plugin) through random load / unload / swap operations from a seeded PRNG, with \
            plugin commands called concurrently. Unloaded images are poisoned (PROT_NONE): a \
            late execution faults at once and is reported with plugin, CPU, IRQ and time \
            (exit 3; any other crash exits 4). The torture plugin's generation ledger catches \
            generation violations, lost and doubled IRQs and late irq_work (exit 1). \
            Scenarios: stuck handler (busy, then release), self-unload from a handler \
            (refused), deferred work, and a short fenced-fallback phase. \
            The same --seed gives the same schedule of operations; timing (and so the \
            interleavings) still differs from run to run. \
            --sabotage breaks the barrier on purpose to prove the checks have teeth; a \
            sabotaged run enables --jitter automatically unless --no-jitter is given (the \
            output says so). --sabotage and --jitter exist in the torture build only \
            (scripts/torture-build); the shipped build has no code for them and says so.

            Example: tenon stress my.so:irq=5 --duration 60
            """
    )

    @Argument(help: "Plugin images to torture (PATH or PATH:key=value,...). Default: the bundled examples.")
    var plugins: [String] = []
    @Option(help: "Simulated CPUs.") var cpus = 4
    @Option(help: "How long the main phase lasts: 20s, 1m, 500ms (a bare number is seconds).") var duration: String = "20s"
    @Option(help: "Cross-CPU raises per second per CPU (0 = flat out).") var rate = 20_000
    @Option(help: "Per-CPU timer frequency in Hz (0 = no timers).") var timerHz = 2_000
    @Option(parsing: .unconditional, help: "Nice value of the CPU threads, -20...19 (default: inherited; see `tenon run --cpu-nice`).")
    var cpuNice: Int32?
    @Option(help: "Schedule seed (default: random, printed).") var seed: UInt64?
    @Flag(help: "Widen race windows with random spins (torture build only).") var jitter = false
    @Flag(help: "Never enable jitter, even for --sabotage.") var noJitter = false
    @Option(help: "Upper bound of the jitter spins.") var jitterSpins: UInt32 = 2_000
    @Option(help: "Break the barrier on purpose: mark-after-load or skip-wait (torture build only); with --faults: no-recovery.")
    var sabotage: String?
    @Flag(help: "Force the fenced read side (no membarrier) for the whole run.") var noMembarrier = false
    @Option(help: "How long the extra fenced-fallback phase after a membarrier run lasts (0 = none): 2s, 500ms.") var fencedPhase: String = "2s"
    @Flag(help: "Do not poison unloaded images (plain dlclose).") var noPoison = false
    @Flag(help: "Skip the stuck-handler and self-unload scenarios.") var noScenarios = false
    @Option(help: "Random torture handler duration bound, in ns.") var maxSpinNs: UInt64 = 20_000
    @Option(help: "Microseconds of each long in-band torture section, opened on every CPU before each torture unload/swap (0 = none).")
    var longSectionUs: UInt64 = 2_000
    @Option(help: "Directory of the bundled libtenon-*.so (default: next to this executable).") var pluginDir: String?
    @Option(
        help:
            "signals (default: a Machine, IRQs are real signals) or threads (no signals: storm threads bound to CPUs 1...N run handlers synchronously; for ThreadSanitizer, which defers asynchronous signals)."
    )
    var storm = "signals"
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @Flag(
        help:
            "Fault containment: the torture plugin faults on purpose (NULL, SIGFPE, abort, stack overflow) under the storm; with --sabotage no-recovery the host must die."
    )
    var faults = false
    @Option(help: "With --faults: a faulting generation faults in one handler run in N.") var faultOneIn: UInt64 = 200

    func validate() throws {
        for (option, text) in [("--duration", duration), ("--fenced-phase", fencedPhase)] where DurationText.nanoseconds(text) == nil {
            throw ValidationError(DurationText.invalid(option, text))
        }
    }

    /// Seconds of a validated duration option.
    static func seconds(_ text: String) -> Double { Double(DurationText.nanoseconds(text) ?? 0) / 1e9 }

    mutating func run() throws {
        if faults { return try runFaults() }
        var o = StressOptions()
        o.plugins = plugins
        o.cpus = cpus
        o.duration = Self.seconds(duration)
        o.rate = rate
        o.timerHz = timerHz
        if let cpuNice {
            guard (-20...19).contains(cpuNice) else { throw ValidationError("--cpu-nice must be in -20...19, not \(cpuNice)") }
            o.cpuNice = cpuNice
        }
        o.seed = seed ?? UInt64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds ^ UInt64(getpid()) << 32)
        // Sabotage and jitter belong to the torture build (StressCommand+Torture.swift).
        let autoJitter = try applyTortureOptions(to: &o)
        o.membarrier = !noMembarrier
        o.fencedPhase = Self.seconds(fencedPhase)
        o.poison = !noPoison
        o.scenarios = !noScenarios
        o.maxSpinNanos = maxSpinNs
        o.longSectionNanos = longSectionUs * 1_000
        o.pluginDirectory = pluginDir
        guard let mode = StressOptions.Storm(rawValue: storm) else { throw ValidationError("--storm signals|threads") }
        o.storm = mode
        let tty = isatty(2) != 0
        o.progress = { line in
            FileHandle.standardError.write(Data((tty ? "\r" + line : line + "\n").utf8))
        }
        let say = { (s: String) in FileHandle.standardError.write(Data((s + "\n").utf8)) }
        say("tenon stress: seed \(o.seed) (rerun with --seed \(o.seed) for the same schedule of operations)")
        if autoJitter {
            say("tenon stress: --sabotage \(sabotage!) enables --jitter (spins up to \(jitterSpins)) by default; --no-jitter turns it off")
        }
        let engine = StressEngine(options: o)
        let report = try engine.run()
        if tty { say("") }
        var final = report
        if autoJitter { final.notes.append("jitter enabled automatically for the sabotaged run") }
        print(json ? final.json() : final.summary)
        if !final.passed { throw ExitCode(1) }
    }

    /// `--faults`: see ``FaultStress``.
    func runFaults() throws {
        var o = FaultStressOptions()
        o.cpus = cpus
        o.duration = Self.seconds(duration)
        o.seed = seed ?? UInt64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds ^ UInt64(getpid()) << 32)
        o.faultOneIn = max(1, faultOneIn)
        o.timerHz = timerHz == 2_000 ? 1_000 : timerHz
        o.pluginDirectory = pluginDir
        switch sabotage {
        case nil, "none": o.recovery = true
        case "no-recovery": o.recovery = false
        case let s?: throw ValidationError("unknown --sabotage \(s) with --faults: no-recovery")
        }
        let tty = isatty(2) != 0
        o.progress = { line in FileHandle.standardError.write(Data((tty ? "\r" + line : line + "\n").utf8)) }
        FileHandle.standardError.write(
            Data(
                "tenon stress --faults: seed \(o.seed)\(o.recovery ? "" : "; SABOTAGED: fault recovery disabled, the host must not survive the first fault")\n"
                    .utf8))
        let report = try FaultStress(options: o).run()
        if tty { FileHandle.standardError.write(Data("\n".utf8)) }
        print(report.summary)
        if !report.passed { throw ExitCode(1) }
    }
}
