import Glibc
import Logging
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins

/// Idle unload beside a bare `dlopen` + `dlsym` + `dlclose` cycle of the same
/// file, in one run: a machine of N CPUs (pinned threads, idle), the C counter
/// plugin loaded and unloaded `cycles` times. Iterations interleave the bare
/// cycle, an unload proved by the default probe and one proved by the full
/// `/proc/self/maps` check, so that drift hits all three alike.
enum UnloadBenchmark {
    struct Figures {
        var cpus: Int
        /// Nanoseconds, sorted.
        var bare: [UInt64] = []
        var unload: [UInt64] = []
        var unloadFullMaps: [UInt64] = []
        var grace: [UInt64] = []
        var load: [UInt64] = []
        var privateCopy: [UInt64] = []
    }

    static func run(cpus: Int, cycles: Int) throws -> Figures {
        let path = try BundledPlugins.require("counter")
        let machine = try Machine(cpus: cpus)
        defer { machine.stop() }
        var logger = Logger(label: "tenon.bench")
        logger.logLevel = .error
        let host = PluginHost(pipeline: machine.pipeline, logger: logger, timers: MachineTimerService(machine: machine))
        let fullCheck = UnmapCheck.alsoReadProcessMaps
        defer { UnmapCheck.alsoReadProcessMaps = fullCheck }
        var f = Figures(cpus: cpus)
        for i in 0..<(cycles + 2) {
            let warm = i < 2
            var t = now()
            guard DynamicImage.bareCycle(path: path) else { throw BenchSetupError.bareCycle(path) }
            if !warm { f.bare.append(now() - t) }

            t = now()
            if let copy = try? PrivateImage(copying: path) { copy.close() }
            if !warm { f.privateCopy.append(now() - t) }

            t = now()
            let plugin = try host.load(path: path, parameters: ["irq=5"])
            if !warm { f.load.append(now() - t) }
            t = now()
            _ = machine.pipeline.synchronize(timeout: .seconds(1))
            if !warm { f.grace.append(now() - t) }

            UnmapCheck.alsoReadProcessMaps = i % 2 == 1
            t = now()
            let result = host.unload(name: plugin.name)
            let spent = now() - t
            guard case .unloaded(mapsGone: true) = result else { throw BenchSetupError.unload("\(result)") }
            if !warm { if i % 2 == 1 { f.unloadFullMaps.append(spent) } else { f.unload.append(spent) } }
        }
        f.bare.sort(); f.unload.sort(); f.unloadFullMaps.sort(); f.grace.sort(); f.load.sort(); f.privateCopy.sort()
        return f
    }

    static func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]) / 1000
    }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
