import ArgumentParser
import TenonPipeline

/// `tenon bench`: micro-benchmarks that run the baseline beside the code.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the interrupt path, unload and command calls, each beside its bare baseline.",
        discussion: """
            barrier: the quiescence barrier's read side against a bare call and a shared refcount. \
            handler: one IRQ through the pipeline to the C counter plugin and to the same handler on \
            TenonPluginKit (embedded-counter). unload: idle unload p50/p99 on machines of --cpus CPUs beside \
            a bare dlopen + dlsym + dlclose of the same file, with the load and the private copy apart. \
            command: a plugin command through FFICommand and PluginHost beside a bare ffi_call. \
            The handler, unload and command parts need the bundled plugins.

            Examples: swift run -c release tenon bench
                      tenon bench --only unload --cpus 2,4,16,64 --cycles 400
            """
    )

    @Option(name: .long, help: "Handler calls per round.")
    var iterations: Int = 20_000_000

    @Option(name: .long, help: "Rounds; each figure is the best round.")
    var rounds: Int = 5

    @Option(name: .long, help: "Run only these parts (barrier, handler, unload, command, trace; repeatable).")
    var only: [BenchSection] = []

    @Option(name: .long, help: "Machine sizes for the unload part, comma-separated.")
    var cpus: String = "2,4,16,64"

    @Option(name: .long, help: "Load/unload cycles per machine size.")
    var cycles: Int = 200

    @Flag(name: .long, help: "Print the figures as one JSON object (schema tenon.bench/1, docs/latency.md).")
    var json = false

    func validate() throws {
        guard iterations >= 1000, rounds >= 1 else { throw ValidationError("--iterations must be >= 1000 and --rounds >= 1") }
        guard cycles >= 2 else { throw ValidationError("--cycles must be >= 2") }
        _ = try machineSizes()
    }

    private func machineSizes() throws -> [Int] {
        try cpus.split(separator: ",").map { text in
            guard let n = Int(text), (1...64).contains(n) else {
                throw ValidationError("--cpus: '\(text)' is not a CPU count from 1 to 64 (e.g. --cpus 2,4,16,64)")
            }
            return n
        }
    }

    private func wants(_ section: BenchSection) -> Bool { only.isEmpty || only.contains(section) }

    func run() throws {
        let out = BenchRows(json: json)
        if wants(.barrier) { barrier(out) }
        if wants(.handler) { handler(out) }
        if wants(.unload) { try unload(out) }
        if wants(.command) { command(out) }
        if wants(.trace) { trace(out) }
        if json { print(out.document(iterations: iterations, rounds: rounds)) }
    }

    private func trace(_ out: BenchRows) {
        let r = TraceBenchmark.run(iterations: iterations, rounds: rounds)
        let bare = (name: "bare indirect call", value: r.bareCall)
        out.add(.trace, "2 trace points, tracing off", r.traceOff, baseline: bare)
        out.add(.trace, "2 trace points, tracing on", r.traceOn, baseline: bare)
        out.line("trace points around one indirect handler call (\(iterations) calls, best of \(rounds) rounds)")
        out.line("\("bare indirect call (baseline)".padding(44)) \(fmt(r.bareCall)) ns/call")
        out.line(
            "\("2 trace points, tracing off (default)".padding(44)) \(fmt(r.traceOff)) ns/call   +\(fmt(r.traceOff - r.bareCall)) ns   x\(fmt(r.traceOff / r.bareCall))"
        )
        out.line(
            "\("2 trace points, tracing on (2 records)".padding(44)) \(fmt(r.traceOn)) ns/call   +\(fmt(r.traceOn - r.bareCall)) ns   x\(fmt(r.traceOn / r.bareCall))"
        )
    }

    private func barrier(_ out: BenchRows) {
        let r = BarrierBenchmark.run(iterations: iterations, rounds: rounds)
        func row(_ name: String, _ ns: Double) {
            let added = ns - r.bareCall
            out.add(.barrier, name, ns, baseline: ("bare indirect call", r.bareCall))
            out.line("\(name.padding(44)) \(fmt(ns)) ns/call   +\(fmt(added)) ns   x\(fmt(ns / r.bareCall))")
        }
        out.line("read side around one indirect handler call (\(iterations) calls, best of \(rounds) rounds)")
        out.line("\("bare indirect call (baseline)".padding(44)) \(fmt(r.bareCall)) ns/call")
        row(r.membarrierAvailable ? "barrier, membarrier read side (default)" : "barrier (membarrier unavailable: fenced)", r.membarrierReadSide)
        row("barrier, fenced read side (fallback)", r.fencedReadSide)
        row("shared refcount, 2 threads on one line", r.sharedRefcount)
        row("barrier + recovery point (1 IRQ per entry)", r.recoveryPoint)
        out.line(
            "recovery point: +\(fmt(r.recoveryPoint - r.membarrierReadSide)) ns per IRQ over the default read side "
                + "(x\(fmt(r.recoveryPoint / r.membarrierReadSide))); one _setjmp and state snapshot per pipeline entry, "
                + "an owner marker per handler call")
    }

    private func handler(_ out: BenchRows) {

        let raises = max(iterations / 20, 1000)
        out.line("one IRQ through the pipeline to a plugin handler (\(raises) raises, best of \(rounds) rounds)")
        do {
            let h = try PluginHandlerBenchmark.run(iterations: raises, rounds: rounds)
            out.add(.handler, "C counter", h.c)
            out.add(.handler, "TenonPluginKit counter", h.kit, baseline: ("C counter", h.c))
            out.line("\("C counter (Plugins/Counter)".padding(44)) \(fmt(h.c)) ns/IRQ")
            out.line("\("TenonPluginKit counter (embedded-counter)".padding(44)) \(fmt(h.kit)) ns/IRQ   x\(fmt(h.kit / h.c)) of C")
        } catch {
            out.line("skipped: \(error)")
        }
    }

    private func unload(_ out: BenchRows) throws {
        out.line(
            "idle unload of the C counter on an idle machine, beside a bare dlopen + dlsym + dlclose of the same file "
                + "(\(cycles) cycles per size, interleaved; microseconds)")
        out.line("cpus   bare p50/p99   unload p50/p99   x bare   full maps check p50/p99   x bare   grace p50   load p50   private copy p50")
        for n in try machineSizes() {
            let f = try UnloadBenchmark.run(cpus: n, cycles: cycles)
            func p(_ v: [UInt64], _ q: Double) -> String { fmt(UnloadBenchmark.percentile(v, q)) }
            let bare = UnloadBenchmark.percentile(f.bare, 0.5)
            let ratio = UnloadBenchmark.percentile(f.unload, 0.5) / bare
            let fullRatio = UnloadBenchmark.percentile(f.unloadFullMaps, 0.5) / bare
            for (q, label) in [(0.5, "p50"), (0.99, "p99")] {
                let b = (name: "bare dlopen+dlsym+dlclose", value: UnloadBenchmark.percentile(f.bare, q))
                out.add(.unload, "unload", UnloadBenchmark.percentile(f.unload, q), unit: "us", baseline: b, cpus: n, percentile: label)
                out.add(
                    .unload, "unload with the full maps check", UnloadBenchmark.percentile(f.unloadFullMaps, q), unit: "us",
                    baseline: b, cpus: n, percentile: label)
            }
            out.add(.unload, "grace period", UnloadBenchmark.percentile(f.grace, 0.5), unit: "us", cpus: n, percentile: "p50")
            out.add(.unload, "load", UnloadBenchmark.percentile(f.load, 0.5), unit: "us", cpus: n, percentile: "p50")
            out.add(.unload, "private copy", UnloadBenchmark.percentile(f.privateCopy, 0.5), unit: "us", cpus: n, percentile: "p50")
            out.line(
                "\(String(n).padding(6)) \((p(f.bare, 0.5) + "/" + p(f.bare, 0.99)).padding(14)) "
                    + "\((p(f.unload, 0.5) + "/" + p(f.unload, 0.99)).padding(16)) \(("x" + fmt(ratio)).padding(8)) "
                    + "\((p(f.unloadFullMaps, 0.5) + "/" + p(f.unloadFullMaps, 0.99)).padding(25)) \(("x" + fmt(fullRatio)).padding(8)) "
                    + "\(p(f.grace, 0.5).padding(11)) \(p(f.load, 0.5).padding(10)) \(p(f.privateCopy, 0.5))")
        }
    }

    private func command(_ out: BenchRows) {
        let calls = max(iterations / 20, 1000)
        out.line("one plugin command, counter's count(u32) -> u64 (\(calls) calls, best of \(rounds) rounds)")
        do {
            let f = try CommandBenchmark.run(iterations: calls, rounds: rounds)
            out.add(.command, "FFICommand.call(converted:)", f.typed, baseline: ("bare ffi_call", f.bare))
            out.add(.command, "PluginHost.call", f.host, baseline: ("bare ffi_call", f.bare))
            out.line("\("bare ffi_call (baseline)".padding(44)) \(fmt(f.bare)) ns/call")
            out.line("\("FFICommand.call(converted:)".padding(44)) \(fmt(f.typed)) ns/call   x\(fmt(f.typed / f.bare))")
            out.line("\("PluginHost.call (names, strings, guarded)".padding(44)) \(fmt(f.host)) ns/call   x\(fmt(f.host / f.bare))")
        } catch {
            out.line("skipped: \(error)")
        }
    }

    private func fmt(_ x: Double) -> String {
        let v = (x * 100).rounded() / 100
        return String(v)
    }
}
