import ArgumentParser
import CTenon
import Glibc
import TenonMachine
import TenonPipeline

/// `tenon doorbellbench`: the doorbell path under a raise flood and in
/// ping-pong, each beside its bare C baseline in the same run (interleaved
/// rounds, medians). See README, "Performance".
struct DoorbellBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doorbellbench",
        abstract: "Measure a raise flood and ping-pong against bare C signal baselines.",
        discussion: """
            Flood: a raiser on one core raises --lines IRQs round robin at a CPU on another \
            core while that CPU runs an in-band spin; reports the spin's share of an \
            unflooded spin and the handler runs per second, beside a C doorbell that \
            drains once per signal, and the same with the target idle (peak throughput). \
            Ping-pong: one outstanding IRQ at a time, beside bare tgkill to a C handler, \
            the target idle (each round trip wakes it) and busy (spinning in-band). With \
            --idle-poll, a third ping-pong row has the target's idle loop poll for that long \
            before it sleeps (Machine.setIdlePoll: no signal and no wake-up per round trip). \
            Needs two usable cores. Example: swift run -c release tenon doorbellbench
            """
    )

    @Option(help: "Interleaved rounds (medians are reported).")
    var rounds: Int = 5
    @Option(help: "Seconds per measurement.")
    var seconds: Double = 0.5
    @Option(help: "IRQ lines the flood raises round robin (1...64).")
    var lines: Int = 16
    @Option(help: "The machine's drain budget, passes per entry (default: IRQPipeline's, 2).")
    var budget: Int?
    @Option(help: "Also run ping-pong with the target's idle loop polling this long before it sleeps: e.g. 50us.")
    var idlePoll: String?

    var idlePollNanos: UInt64? { idlePoll.flatMap { DurationText.nanoseconds($0) } }

    func validate() throws {
        if let idlePoll, (idlePollNanos ?? 0) == 0 {
            throw ValidationError(DurationText.invalid("--idle-poll", idlePoll))
        }
        guard rounds >= 1, seconds > 0, (1...64).contains(lines), (budget ?? 1) >= 1 else {
            throw ValidationError("--rounds must be >= 1, --seconds > 0, --lines in 1...64 and --budget >= 1")
        }
        guard HostCores.allowed.count >= 2 else {
            throw ValidationError("doorbellbench needs two usable cores (the raiser and the target), found 1")
        }
    }

    static var baselineSignal: Int32 { ctenon_sigrtmin() + 6 }

    func run() throws {
        let cores = HostCores.allowed
        let target = Int32(cores[0])
        let raiser = Int32(cores[1])
        let ns = UInt64(seconds * 1e9)
        let m = try Machine(cpus: 1)
        defer { m.stop() }
        let pipe = m.pipeline
        guard pipe.enable_oob_stage("doorbellbench") == 0 else { throw BenchSetupError.oobStage }
        if let budget { pipe.drainBudget = budget }
        let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        counter.initialize(to: 0)
        for irq in 0..<UInt32(lines) {
            _ = pipe.request_irq(irq, ctenon_count_handler, IRQF_OOB, "flood \(irq)", counter)
        }
        _ = ctenon_pin_self(raiser)

        var rows: [String: [Double]] = [:]
        func add(_ key: String, _ v: Double) { rows[key, default: []].append(v) }
        for _ in 0..<rounds {
            var inband: UInt64 = 0
            var handled: UInt64 = 0
            guard ctenon_flood_c(Self.baselineSignal, target, raiser, 0, ns, 1, &inband, &handled) == 0 else {
                throw BenchSetupError.baseline
            }
            let reference = Double(inband)
            add("ref", reference)
            _ = ctenon_flood_c(Self.baselineSignal, target, raiser, UInt32(lines), ns, 1, &inband, &handled)
            add("c.share", Double(inband) / reference)
            add("c.busy", Double(handled) / seconds)
            let (share, busyRate) = floodTenon(m, counter, ns: ns, busy: true)
            add("t.share", share / reference)
            add("r.share", (share / reference) / max(rows["c.share"]!.last!, 1e-9))
            add("t.busy", busyRate)
            _ = ctenon_flood_c(Self.baselineSignal, target, raiser, UInt32(lines), ns, 0, &inband, &handled)
            add("c.idle", Double(handled) / seconds)
            add("t.idle", floodTenon(m, counter, ns: ns, busy: false).1)
            add("r.idle", rows["t.idle"]!.last! / max(rows["c.idle"]!.last!, 1e-9))
            var pings: UInt64 = 0
            _ = ctenon_pingpong_c(Self.baselineSignal, target, raiser, ns, 0, &pings)
            add("c.ping", Double(pings) / seconds)
            add("t.ping", pingPongTenon(m, counter, ns: ns, busy: false))
            add("r.ping", rows["t.ping"]!.last! / max(rows["c.ping"]!.last!, 1e-9))
            if let poll = idlePollNanos {
                m.setIdlePoll(nanoseconds: poll)
                add("t.pingp", pingPongTenon(m, counter, ns: ns, busy: false))
                m.setIdlePoll(nanoseconds: 0)
                add("r.pingp", rows["t.pingp"]!.last! / max(rows["c.ping"]!.last!, 1e-9))
            }
            _ = ctenon_pingpong_c(Self.baselineSignal, target, raiser, ns, 1, &pings)
            add("c.pingb", Double(pings) / seconds)
            add("t.pingb", pingPongTenon(m, counter, ns: ns, busy: true))
            add("r.pingb", rows["t.pingb"]!.last! / max(rows["c.pingb"]!.last!, 1e-9))
        }
        func med(_ key: String) -> Double {
            let s = rows[key, default: [0]].sorted()
            return s[s.count / 2]
        }
        print(
            "doorbell bench: \(rounds) interleaved rounds of \(seconds) s, medians (a ratio: the median of each round's); target core \(target), "
                + "raiser core \(raiser), flood over \(lines) lines")
        print("  flood, target running an in-band spin:")
        print(
            "    in-band share    C drain-once " + f(med("c.share"), 3) + "   Tenon " + f(med("t.share"), 3)
                + "   ratio Tenon/C " + f(med("r.share"), 2))
        print(
            "    handler runs/s   C drain-once " + f(med("c.busy") / 1e6, 2) + " M   Tenon "
                + f(med("t.busy") / 1e6, 2) + " M")
        print("  flood, target idle (peak handler throughput):")
        print(
            "    handler runs/s   C drain-once " + f(med("c.idle") / 1e6, 2) + " M   Tenon "
                + f(med("t.idle") / 1e6, 2) + " M   ratio Tenon/C " + f(med("r.idle"), 2))
        print("  ping-pong (one outstanding IRQ), round trips/s:")
        print(
            "    target idle      bare RT signal " + f(med("c.ping") / 1e3, 1) + " k   Tenon "
                + f(med("t.ping") / 1e3, 1) + " k   ratio Tenon/bare " + f(med("r.ping"), 2))
        if let idlePoll {
            print(
                "    idle, polling \(idlePoll) bare RT signal " + f(med("c.ping") / 1e3, 1) + " k   Tenon "
                    + f(med("t.pingp") / 1e3, 1) + " k   ratio Tenon/bare " + f(med("r.pingp"), 2))
        }
        print(
            "    target busy      bare RT signal " + f(med("c.pingb") / 1e3, 1) + " k   Tenon "
                + f(med("t.pingb") / 1e3, 1) + " k   ratio Tenon/bare " + f(med("r.pingb"), 2))
    }

    /// One flood at the machine's CPU 0: (in-band spin iterations, handler runs/s).
    func floodTenon(_ m: Machine, _ counter: UnsafeMutablePointer<UInt64>, ns: UInt64, busy: Bool) -> (Double, Double) {
        let before = ctenon_word_load64(counter)
        let end = ctenon_monotonic_ns() + ns
        let spun = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        spun.initialize(to: 0)
        defer { spun.deallocate() }
        let box = UInt(bitPattern: spun)
        if busy {
            m.submit(cpu: 0) {
                ctenon_word_store64(UnsafeMutablePointer<UInt64>(bitPattern: box)!, ctenon_spin_until(end))
            }
        }
        var irq: UInt32 = 0
        let n = UInt32(lines)
        while true {
            for _ in 0..<64 {
                m.raise(irq, on: 0)
                irq = irq + 1 == n ? 0 : irq + 1
            }
            if ctenon_monotonic_ns() >= end { break }
        }
        let handled = ctenon_word_load64(counter) &- before
        // The job stores a non-zero count when its spin ends: wait for it
        // (it writes `spun`, freed below).
        while busy && ctenon_word_load64(spun) == 0 { usleep(1000) }
        let iterations = busy ? ctenon_word_load64(spun) : 0
        return (Double(iterations), Double(handled) / (Double(ns) / 1e9))
    }

    /// Ping-pong at CPU 0: raise, wait until the handler ran, raise again;
    /// with `busy`, CPU 0 spins in-band meanwhile (no wake-up from idle).
    func pingPongTenon(_ m: Machine, _ counter: UnsafeMutablePointer<UInt64>, ns: UInt64, busy: Bool) -> Double {
        var n = ctenon_word_load64(counter)
        let start = n
        let end = ctenon_monotonic_ns() + ns
        let spun = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        spun.initialize(to: 0)
        defer { spun.deallocate() }
        let box = UInt(bitPattern: spun)
        if busy {
            m.submit(cpu: 0) {
                ctenon_word_store64(UnsafeMutablePointer<UInt64>(bitPattern: box)!, ctenon_spin_until(end))
            }
        }
        defer { while busy && ctenon_word_load64(spun) == 0 { usleep(1000) } }
        while ctenon_monotonic_ns() < end {
            for _ in 0..<64 {
                n += 1
                m.raise(0, on: 0)
                _ = ctenon_pingpong_wait(counter, n)
            }
        }
        return Double(n - start) / (Double(ns) / 1e9)
    }

    func f(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        let whole = Int(r.rounded(.towardZero))
        if digits == 0 { return "\(whole)" }
        let frac = String(Int(((abs(r) - Double(abs(whole))) * scale).rounded()))
        return "\(whole)." + String(repeating: "0", count: max(0, digits - frac.count)) + frac
    }
}
