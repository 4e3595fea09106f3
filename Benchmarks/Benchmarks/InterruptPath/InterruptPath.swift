import Benchmark
import TenonPipeline

let benchmarks: @Sendable () -> Void = {
    // The deterministic threshold (Thresholds/*.json, checked by
    // `swift package benchmark thresholds check`): no heap allocation on the
    // interrupt path. The checked figure is the p90 of the allocations in one
    // sample of 1,000 raises (a raise allocating once reads 1,000), tolerance
    // 0; "EmptyLoop" shows the framework's own share, 0 with these metrics
    // (adding .instructions, unsupported here, costs 16 per sample).
    // Everything else these benchmarks print is a timing: shown, never checked.
    let noAllocation: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: .init(absolute: [.p90: 0])
    ]
    // A plain C-convention handler: what the pipeline calls for each raise.
    let handler: IRQHandlerFunction = { irq, _ in Int32(irq & 1) }
    let configuration = Benchmark.Configuration(
        metrics: [.mallocCountTotal, .wallClock],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: noAllocation
    )

    // Pipeline entry, oob dispatch under the barrier's read side, the
    // handler call, stall/unstall and the in-band log check: what a CPU runs
    // for each IRQ, here synchronously on the calling thread (bound to CPU 0).
    let oob = IRQPipeline(cpus: 1)
    guard oob.enable_oob_stage("bench") == 0, oob.request_irq(5, handler, IRQF_OOB, "bench", nil) == 0 else {
        fatalError("benchmark setup: oob stage or IRQ 5 refused")
    }
    Benchmark("RaiseToOobHandler", configuration: configuration) { benchmark in
        oob.withCPU(0) {
            for _ in benchmark.scaledIterations { blackHole(oob.raise(5, on: 0)) }
        }
    }

    // An in-band handler: the IRQ is logged, then replayed on unstall.
    let inband = IRQPipeline(cpus: 1)
    guard inband.request_irq(6, handler, 0, "bench", nil) == 0 else {
        fatalError("benchmark setup: IRQ 6 refused")
    }
    Benchmark("RaiseToInBandHandler", configuration: configuration) { benchmark in
        inband.withCPU(0) {
            for _ in benchmark.scaledIterations { blackHole(inband.raise(6, on: 0)) }
        }
    }

    // The reference: what the framework allocates around one sample by itself.
    Benchmark("EmptyLoop", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(0) }
    }
}
