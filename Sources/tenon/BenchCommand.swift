import ArgumentParser
import TenonPipeline

/// `tenon bench`: micro-benchmarks that run the baseline beside the code.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the quiescence barrier's read-side cost against a bare call and a shared refcount.",
        discussion: """
            Then the cost of one IRQ through the pipeline to the C counter plugin and to the \
            same handler on TenonPluginKit (embedded-counter), as a ratio (needs the bundled plugins).

            Example: swift run -c release tenon bench
            """
    )

    @Option(name: .long, help: "Handler calls per round.")
    var iterations: Int = 20_000_000

    @Option(name: .long, help: "Rounds; each figure is the best round.")
    var rounds: Int = 5

    func validate() throws {
        guard iterations >= 1000, rounds >= 1 else { throw ValidationError("--iterations must be >= 1000 and --rounds >= 1") }
    }

    func run() {
        let r = BarrierBenchmark.run(iterations: iterations, rounds: rounds)
        func row(_ name: String, _ ns: Double) {
            let added = ns - r.bareCall
            print("\(name.padding(44)) \(fmt(ns)) ns/call   +\(fmt(added)) ns   x\(fmt(ns / r.bareCall))")
        }
        print("read side around one indirect handler call (\(iterations) calls, best of \(rounds) rounds)")
        row("bare indirect call (baseline)", r.bareCall)
        row(r.membarrierAvailable ? "barrier, membarrier read side (default)" : "barrier (membarrier unavailable: fenced)", r.membarrierReadSide)
        row("barrier, fenced read side (fallback)", r.fencedReadSide)
        row("shared refcount, 2 threads on one line", r.sharedRefcount)
        row("barrier + recovery point (1 IRQ per entry)", r.recoveryPoint)
        print("recovery point: +\(fmt(r.recoveryPoint - r.membarrierReadSide)) ns per IRQ over the default read side "
              + "(x\(fmt(r.recoveryPoint / r.membarrierReadSide))); one _setjmp and state snapshot per pipeline entry, "
              + "an owner marker per handler call")

        let raises = max(iterations / 20, 1000)
        print("one IRQ through the pipeline to a plugin handler (\(raises) raises, best of \(rounds) rounds)")
        do {
            let h = try PluginHandlerBenchmark.run(iterations: raises, rounds: rounds)
            print("\("C counter (Plugins/Counter)".padding(44)) \(fmt(h.c)) ns/IRQ")
            print("\("TenonPluginKit counter (embedded-counter)".padding(44)) \(fmt(h.kit)) ns/IRQ   x\(fmt(h.kit / h.c)) of C")
        } catch {
            print("skipped: \(error)")
        }
    }

    private func fmt(_ x: Double) -> String {
        let v = (x * 100).rounded() / 100
        return String(v)
    }
}
