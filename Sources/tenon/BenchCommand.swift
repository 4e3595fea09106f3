import ArgumentParser
import TenonPipeline

/// `tenon bench`: micro-benchmarks that run the baseline beside the code.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the quiescence barrier's read-side cost against a bare call and a shared refcount.",
        discussion: "Example: swift run -c release tenon bench"
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
        row("shared atomic refcount (uncontended)", r.sharedRefcount)
    }

    private func fmt(_ x: Double) -> String {
        let v = (x * 100).rounded() / 100
        return String(v)
    }
}
