import ArgumentParser
import CTenon
import Glibc
import TenonMachine
import TenonPipeline

/// `tenon irqbench`: runs a machine with per-CPU timers and cross-CPU raises,
/// then prints a `/proc/interrupts`-like table, the raise-to-oob-handler
/// latency beside a bare signal-delivery baseline measured in the same run,
/// and the cost of lazy hard masking against `pthread_sigmask`.
struct IRQBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irqbench",
        abstract: "Measure IRQ delivery on a machine of simulated CPUs (real signals).",
        discussion: "Example: swift run -c release tenon irqbench"
    )

    @Option(help: "Simulated CPUs (default: usable cores).")
    var cpus: Int?
    @Option(help: "Measurement per CPU (CPUs are probed one after the other): 3s, 500ms (a bare number is seconds).")
    var duration: String = "3s"
    @Option(help: "Latency probes per second per CPU (a cross-CPU raise, then a bare tgkill).")
    var rate: Int = 2000
    @Option(name: .customLong("timer-hz"), help: "Per-CPU timer frequency while probing (0: no timers, for the quietest figures).")
    var timerHz: Int = 1000
    @Flag(name: .long, help: "Print the figures as one JSON object (schema tenon.irqbench/1, docs/latency.md).")
    var json = false

    /// Text output; silent with --json (the figures then come as one object at the end).
    func print(_ text: String = "") { if !json { Swift.print(text) } }

    static let timerIRQ: UInt32 = 0
    static let probeIRQ: UInt32 = 1
    static let inbandIRQ: UInt32 = 2

    func validate() throws {
        guard let ns = DurationText.nanoseconds(duration), ns > 0 else { throw ValidationError(DurationText.invalid("--duration", duration)) }
    }

    func run() throws {
        let duration = Double(DurationText.nanoseconds(self.duration) ?? 3_000_000_000) / 1e9
        let m = try Machine(cpus: cpus ?? HostCores.online)
        defer { m.stop() }
        let n = m.cpuCount
        let pipe = m.pipeline
        guard pipe.enable_oob_stage("irqbench") == 0 else { throw BenchSetupError.oobStage }
        let probes = max(1, Int(Double(rate) * duration))
        let lat = LatencyProbe(cpus: n, capacity: probes)
        _ = pipe.request_irq(Self.timerIRQ, flags: IRQF_OOB, name: "timer (per-CPU POSIX timer)") { _ in IRQ_HANDLED }
        _ = pipe.request_irq(Self.probeIRQ, flags: IRQF_OOB, name: "latency probe (cross-CPU raise)") { _ in
            lat.record(cpu: pipe.currentCPU ?? 0)
            return IRQ_HANDLED
        }
        _ = pipe.request_irq(Self.inbandIRQ, flags: 0, name: "in-band IPI (cross-CPU raise)") { _ in IRQ_HANDLED }

        let baseline = try BaselineThreads(cores: (0..<n).map { m.core(of: $0) })
        defer { baseline.stop() }

        var timers: [MachineTimer] = []
        for k in 0..<n where timerHz > 0 {
            timers.append(
                try m.startTimer(
                    on: k, irq: Self.timerIRQ,
                    period: .nanoseconds(1_000_000_000 / max(1, timerHz))))
        }
        var base = [[UInt64]](repeating: [], count: n)
        for k in 0..<n { base[k].reserveCapacity(probes) }
        var lost = 0
        let periodNs = UInt64(1e9 / Double(max(1, rate)))
        let cores = HostCores.allowed
        let start = ctenon_monotonic_ns()
        // One CPU at a time, with the raiser pinned to another core than the
        // target's (a truly cross-CPU raise; the raiser never competes with
        // the target for its core). Machine and baseline probes alternate.
        var placements: [String] = []
        for k in 0..<n {
            let target = m.core(of: k)
            let raiser = cores.first(where: { $0 != target }) ?? target
            _ = ctenon_pin_self(Int32(raiser))
            placements.append(
                raiser == target
                    ? "CPU\(k): raiser on the target's own core \(target) (only one core allowed): each probe includes a context switch"
                    : "CPU\(k): raiser pinned to core \(raiser), target CPU on core \(target)")
            var next = ctenon_monotonic_ns()
            for round in 0..<probes {
                if round % 2 == 0 {
                    if !probeMachine(m, lat, k) { lost += 1 }
                    if !probeBaseline(baseline, k, into: &base[k]) { lost += 1 }
                } else {
                    if !probeBaseline(baseline, k, into: &base[k]) { lost += 1 }
                    if !probeMachine(m, lat, k) { lost += 1 }
                }
                m.raise(Self.inbandIRQ, on: k)
                next += periodNs
                let now = ctenon_monotonic_ns()
                if next > now {
                    var ts = timespec(tv_sec: Int((next - now) / 1_000_000_000), tv_nsec: Int((next - now) % 1_000_000_000))
                    nanosleep(&ts, nil)
                }
            }
        }
        let elapsed = Double(ctenon_monotonic_ns() - start) / 1e9
        for t in timers { t.cancel() }
        usleep(10_000)

        // Hard-mask cost: the lazy flag pair through the pipeline API on a CPU,
        // against a pthread_sigmask block + restore pair.
        let flagNs = m.run(on: 0) { () -> Double in
            let pairs = 10_000_000
            let t0 = ctenon_monotonic_ns()
            for _ in 0..<pairs {
                let f = pipe.hard_local_irq_save()
                pipe.hard_local_irq_restore(f)
            }
            return Double(ctenon_monotonic_ns() - t0) / Double(pairs)
        }
        let maskNs = m.run(on: 0) { ctenon_sigmask_pair_ns(1_000_000, MachineSignals.doorbell) }

        printTable(m, elapsed: elapsed, timers: timers)
        print("")
        print(
            "raise -> handler latency, \(n) CPU(s) probed one after the other, \(probes) probes/CPU at \(rate)/s, "
                + fmt(elapsed, 1) + " s in all, in µs (" + (timerHz > 0 ? "per-CPU timers at \(timerHz) Hz meanwhile" : "no timers") + "):")
        for p in placements { print("  " + p) }
        print("  (each probe: stamp, raise, spin 20 µs then yield until the handler's stamp; the baseline the same with tgkill)")
        print("  " + pad("", 34) + pad("p50", 9) + pad("p99", 9) + pad("max", 9) + "samples")
        var allM: [UInt64] = []
        var allB: [UInt64] = []
        for k in 0..<n {
            let s = lat.samples(cpu: k)
            allM += s
            allB += base[k]
            print("  " + pad("CPU\(k) raise -> oob handler", 34) + stats(s))
            print("  " + pad("CPU\(k) tgkill -> plain C handler", 34) + stats(base[k]))
        }
        let sm = allM.sorted()
        let sb = allB.sorted()
        print("  " + pad("all  raise -> oob handler", 34) + stats(sm))
        print("  " + pad("all  tgkill -> plain C handler", 34) + stats(sb))
        if !sm.isEmpty && !sb.isEmpty {
            print(
                "  ratio machine/baseline: p50 " + fmt(Double(pct(sm, 0.5)) / Double(pct(sb, 0.5)), 2)
                    + ", p99 " + fmt(Double(pct(sm, 0.99)) / Double(pct(sb, 0.99)), 2)
                    + ", max " + fmt(Double(sm.last!) / Double(sb.last!), 2))
        }
        if lost > 0 { print("  probes that timed out (50 ms): \(lost)") }
        print("")
        print("hard interrupt masking, one disable+enable pair:")
        print("  lazy flag (hard_local_irq_save/restore): " + lpad(fmt(flagNs, 2), 9) + " ns")
        print("  pthread_sigmask block + restore:         " + lpad(fmt(maskNs, 2), 9) + " ns")
        print("  ratio: sigmask costs " + fmt(maskNs / max(flagNs, 0.001), 0) + "x the lazy flag")
        if json {
            let perCPU = (0..<n).map {
                IRQBenchJSON.PerCPU(cpu: $0, tenon: .init(lat.samples(cpu: $0)), baseline: .init(base[$0]), placement: placements[$0])
            }
            let tenon = IRQBenchJSON.Latency(allM), bare = IRQBenchJSON.Latency(allB)
            func ratio(_ a: Double?, _ b: Double?) -> Double? { a.flatMap { a in b.flatMap { $0 > 0 ? (a / $0 * 1000).rounded() / 1000 : nil } } }
            let doc = IRQBenchJSON(
                command: CommandLine.arguments, cpus: n, probesPerCPU: probes, rateHz: rate, timerHz: timerHz,
                elapsed_s: (elapsed * 1000).rounded() / 1000, perCPU: perCPU,
                all: n > 0 ? IRQBenchJSON.PerCPU(cpu: -1, tenon: tenon, baseline: bare, placement: "all CPUs") : nil,
                ratios: .init(
                    p50: ratio(tenon.p50_us, bare.p50_us), p99: ratio(tenon.p99_us, bare.p99_us),
                    max: ratio(tenon.max_us, bare.max_us)),
                lostProbes: lost, hardMaskPair_ns: (flagNs * 100).rounded() / 100,
                sigmaskPair_ns: (maskNs * 100).rounded() / 100)
            Swift.print(ClientOptions.encode(doc))
        }
    }

    /// Stamps, raises the probe IRQ on `k`, waits for the oob handler's stamp.
    func probeMachine(_ m: Machine, _ lat: LatencyProbe, _ k: Int) -> Bool {
        lat.arm(cpu: k)
        m.raise(Self.probeIRQ, on: k)
        return lat.waitDone(cpu: k, timeoutNanos: 50_000_000)
    }

    /// The same with tgkill to a plain C handler on a thread pinned to the same core.
    func probeBaseline(_ baseline: BaselineThreads, _ k: Int, into samples: inout [UInt64]) -> Bool {
        let t0 = ctenon_monotonic_ns()
        _ = ctenon_tgkill(baseline.tids[k], BaselineThreads.signal)
        let deadline = t0 + 50_000_000
        while true {
            let t1 = ctenon_baseline_take()
            if t1 != 0 {
                samples.append(t1 &- t0)
                return true
            }
            let now = ctenon_monotonic_ns()
            if now > deadline { return false }
            if now > t0 + 20_000 { sched_yield() } else { ctenon_cpu_relax() }
        }
    }

    func printTable(_ m: Machine, elapsed: Double, timers: [MachineTimer]) {
        let pipe = m.pipeline
        var names: [UInt32: String] = [:]
        for a in pipe.actions() { names[a.irq] = a.name }
        var header = pad("", 6)
        for k in 0..<m.cpuCount { header += lpad("CPU\(k)", 11) }
        print(header)
        var total: UInt64 = 0
        for irq in names.keys.sorted() {
            let counts = (0..<m.cpuCount).map { pipe.count(irq: irq, cpu: $0) }
            if irq >= IRQNumberSpace.deviceIRQs && counts.allSatisfy({ $0 == 0 }) { continue }
            total += counts.reduce(0, +)
            var line = lpad("\(irq):", 6)
            for c in counts { line += lpad("\(c)", 11) }
            line += "  " + pad(pipe.irq_is_oob(irq) ? "oob" : "in-band", 8) + (names[irq] ?? "")
            print(line)
        }
        var line = lpad("ERR:", 6)
        for k in 0..<m.cpuCount { line += lpad("\(pipe.unhandledCount(cpu: k))", 11) }
        print(line)
        let overruns = timers.reduce(0) { $0 + $1.overruns }
        let merged = timers.reduce(0) { $0 + $1.merged }
        print(
            "\(total) handler runs in " + fmt(elapsed, 2) + " s: " + fmt(Double(total) / elapsed, 0)
                + " IRQs/s; timer overruns \(overruns), merged in controller \(merged)")
    }

    func stats(_ samples: [UInt64]) -> String {
        guard !samples.isEmpty else { return "no samples" }
        let s = samples.sorted()
        return pad(us(pct(s, 0.5)), 9) + pad(us(pct(s, 0.99)), 9) + pad(us(s.last!), 9) + "\(s.count)"
    }

    func pct(_ sorted: [UInt64], _ p: Double) -> UInt64 {
        sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    func us(_ ns: UInt64) -> String { fmt(Double(ns) / 1000, 1) }

    func fmt(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        if digits == 0 { return "\(Int(r))" }
        let whole = Int(r.rounded(.towardZero))
        let frac = Int(((abs(r) - Double(abs(whole))) * scale).rounded())
        let f = String(frac)
        return "\(r < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: max(0, digits - f.count)) + f
    }

    func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
    func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? " " + s : String(repeating: " ", count: w - s.count) + s }
}
