import Dispatch
import Logging
import TenonHost
import TenonPipeline
import TenonPlugins

/// The cost of one IRQ through the pipeline to a plugin handler: the C
/// `counter` beside `embedded-counter`, the same handler written on
/// TenonPluginKit, both loaded from the bundled images into one pipeline.
/// Each raise runs synchronously on the calling thread (the CPU it is bound
/// to): pipeline entry, oob dispatch, the handler's call to
/// smp_processor_id() and its atomic add.
enum PluginHandlerBenchmark {
    struct Figures {
        /// ns per raise, best round.
        var c: Double
        var kit: Double
    }

    static func run(iterations: Int, rounds: Int) throws -> Figures {
        let pipeline = IRQPipeline(cpus: 1)
        _ = pipeline.enable_oob_stage("bench")
        var logger = Logger(label: "tenon.bench")
        logger.logLevel = .error
        let host = PluginHost(pipeline: pipeline, logger: logger)
        let c = try host.load(path: BundledPlugins.require("counter"), parameters: ["irq=5"])
        let kit = try host.load(path: BundledPlugins.require("embeddedcounter"), parameters: ["irq=10"])
        defer {
            _ = host.unload(name: c.name)
            _ = host.unload(name: kit.name)
        }
        var figures = Figures(c: .infinity, kit: .infinity)
        // Rounds alternate between the two so that drift (frequency, other
        // load) spreads over both.
        for _ in 0..<rounds {
            figures.c = min(figures.c, nanosecondsPerRaise(pipeline, irq: 5, iterations: iterations))
            figures.kit = min(figures.kit, nanosecondsPerRaise(pipeline, irq: 10, iterations: iterations))
        }
        return figures
    }

    private static func nanosecondsPerRaise(_ pipeline: IRQPipeline, irq: UInt32, iterations: Int) -> Double {
        pipeline.withCPU(0) {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { _ = pipeline.raise(irq, on: 0) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
        }
    }
}
