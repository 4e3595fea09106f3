import CTenon

/// What a trace point costs on the interrupt path: a bare indirect handler
/// call, the same call between two trace points with tracing off (the
/// default: one load and one branch each), and with tracing on (two records
/// written). One run, interleaved rounds, best of each.
public enum TraceBenchmark {
    /// Nanoseconds per handler call.
    public struct Result: Sendable {
        /// A bare indirect call of the handler.
        public var bareCall: Double
        /// The call between two trace points, tracing off (one load and one branch each).
        public var traceOff: Double
        /// The same with tracing on: two records written per call.
        public var traceOn: Double
    }

    /// Times each variant over `iterations` calls per round, interleaved over `rounds`; keeps the best.
    public static func run(iterations: Int = 20_000_000, rounds: Int = 5) -> Result {
        let handler: IRQHandlerFunction = ctenon_bench_handler
        let pipeline = IRQPipeline(cpus: 1)
        let core = pipeline.core
        var best = [Double](repeating: .infinity, count: 3)
        var sink: Int32 = 0
        for _ in 0..<rounds {
            best[0] = min(best[0], BarrierBenchmark.time(iterations) { i in sink &+= callOutUnguarded(handler: handler, irq: i, argument: nil) })
            pipeline.stopTracing()
            best[1] = min(
                best[1],
                BarrierBenchmark.time(iterations) { i in
                    core.pointee.trace(ring: 0, .handlerBegin, irq: i, owner: 1, arg: 1)
                    sink &+= callOutUnguarded(handler: handler, irq: i, argument: nil)
                    core.pointee.trace(ring: 0, .handlerEnd, irq: i, owner: 1, arg: 1)
                })
            pipeline.startTracing()
            best[2] = min(
                best[2],
                BarrierBenchmark.time(iterations) { i in
                    core.pointee.trace(ring: 0, .handlerBegin, irq: i, owner: 1, arg: 1)
                    sink &+= callOutUnguarded(handler: handler, irq: i, argument: nil)
                    core.pointee.trace(ring: 0, .handlerEnd, irq: i, owner: 1, arg: 1)
                })
            pipeline.stopTracing()
        }
        if sink == 42 { print("") }  // keeps the calls
        return Result(bareCall: best[0], traceOff: best[1], traceOn: best[2])
    }
}
