import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// One phase: a machine, its storm threads, the command thread and the schedule.
extension StressEngine {
    /// One machine, one barrier configuration, `seconds` of storm and cycles.
    func phase(_ barrier: BarrierConfiguration, seconds: Double, scenarios: Bool) throws -> String {
        let threadStorm = options.storm == .threads
        let machine: Machine? = threadStorm ? nil : try Machine(cpus: options.cpus, barrier: barrier)
        defer { machine?.stop() }
        // Thread storm: this thread is CPU 0 (never dispatches), storm threads are CPUs 1...cpus.
        let pipeline = machine?.pipeline ?? IRQPipeline(cpus: options.cpus + 1, barrier: barrier)
        defer {
            let w = pipeline.barrierWindows
            windowTotals.stragglerWaits &+= w.stragglerWaits
            windowTotals.mainWaits &+= w.mainWaits
            if let a = w.acrossFlip { windowTotals.acrossFlip = (windowTotals.acrossFlip ?? 0) &+ a }
            if let n = w.nested { windowTotals.nested = (windowTotals.nested ?? 0) &+ n }
        }
        let cpuCount = pipeline.cpuCount
        let stormCPUs = threadStorm ? Array(1...options.cpus) : Array(0..<options.cpus)
        _ = pipeline.enable_oob_stage("stress")
        let layout = pipeline.barrierSlotLayout
        tstress_set_barrier_slots(layout.base, layout.stride, Int32(cpuCount))
        if let machine {
            for cpu in 0..<options.cpus {
                machine.run(on: cpu) {
                    tstress_set_thread_cpu(Int32(cpu)); tstress_ensure_altstack()
                }
            }
            if let nice = options.cpuNice, let refused = machine.setCPUNice(nice) {
                throw SetupError(description: "--cpu-nice \(nice) refused on CPU \(refused.cpu): setpriority: \(refused.error)")
            }
        }
        // Machine-backed plugin timers (timer_start/stop; cancelled on unload).
        let host = PluginHost(pipeline: pipeline, logger: logger, timers: machine.map { MachineTimerService(machine: $0) })
        let stop = Counter()
        let threadsDone = Counter()
        var threads = 0

        // Per-CPU timers raising the torture IRQ (the handler drains whatever is queued).
        var timers: [MachineTimer] = []
        if let machine, options.timerHz > 0 {
            let period = Duration.nanoseconds(Int64(1_000_000_000 / options.timerHz))
            for cpu in 0..<options.cpus {
                timers.append(try machine.startTimer(on: cpu, irq: tortureIRQ, period: period))
            }
        }
        // Raiser threads: each owns a disjoint set of CPU rings (single producer per ring).
        // Thread storm: one per CPU, bound to it, raising on its own CPU only.
        let raisers = threadStorm ? options.cpus : min(options.cpus, 2)
        for r in 0..<raisers {
            threads += 1
            let mine = threadStorm ? [stormCPUs[r]] : Array(stride(from: r, to: options.cpus, by: raisers))
            let rate = options.rate
            let ledger = self.ledger, live = self.live, irq = tortureIRQ, raisedCount = self.raised
            let seed = options.seed &+ UInt64(r) &* 0x1234_5678_9ABC_DEF1
            let t = Thread {
                ThreadName.setCurrent("stress-raise\(r)")
                if threadStorm {
                    pipeline.bindCurrentThread(to: mine[0])
                    tstress_set_thread_cpu(Int32(mine[0]))
                    tstress_ensure_altstack()
                }
                var prng = SplitMix64(seed: seed)
                let interval: UInt64 = rate > 0 ? 1_000_000_000 / UInt64(rate) : 0
                var next = tstress_now_ns()
                var local: UInt64 = 0
                while stop.get == 0 {
                    for cpu in mine {
                        _ = ledger.push(cpu: cpu)
                        pipeline.raise(irq, on: cpu)
                        local += 1
                        if let other = live.pick(prng.next()) {
                            pipeline.raise(other, on: threadStorm ? cpu : Int(prng.next() % UInt64(cpuCount)))
                            local += 1
                        }
                    }
                    if local >= 256 { raisedCount.add(Int(local)); local = 0 }
                    if interval > 0 {
                        next += interval
                        let now = tstress_now_ns()
                        if next > now {
                            var ts = timespec(tv_sec: Int((next - now) / 1_000_000_000), tv_nsec: Int((next - now) % 1_000_000_000))
                            nanosleep(&ts, nil)
                        } else if now - next > 50_000_000 {
                            next = now  // fell behind (loaded machine): do not burst
                        }
                    }
                }
                raisedCount.add(Int(local))
                if threadStorm { tstress_set_thread_cpu(-1) }
                threadsDone.add()
            }
            t.stackSize = 1 << 20
            t.start()
        }
        // Concurrent plugin commands.
        let calls = Counter(), callErrors = Counter()
        threads += 1
        let cmdSeed = options.seed ^ 0xC0FFEE
        let commander = Thread {
            ThreadName.setCurrent("stress-calls")
            var prng = SplitMix64(seed: cmdSeed)
            while stop.get == 0 {
                let list = host.list()
                if let p = list.isEmpty ? nil : list[prng.below(list.count)], !p.commands.isEmpty,
                    p.name != "stuck"
                {
                    let c = p.commands[prng.below(p.commands.count)]
                    self.commandInFlight.withLock { $0 = p.name }
                    do {
                        _ = try host.call(plugin: p.name, command: c)
                    } catch {
                        do { _ = try host.call(plugin: p.name, command: c, arguments: ["0"]) } catch { callErrors.add() }
                    }
                    self.commandInFlight.withLock { $0 = nil }
                    calls.add()
                }
                var ts = timespec(tv_sec: 0, tv_nsec: 500_000)
                nanosleep(&ts, nil)
            }
            threadsDone.add()
        }
        commander.start()

        // The schedule.
        let t0 = tstress_now_ns()
        let deadline = t0 + UInt64(seconds * 1e9)
        var lastProgress = t0
        var stuckDone = !scenarios, selfDone = !scenarios
        while tstress_now_ns() < deadline {
            let now = tstress_now_ns()
            let frac = Double(now - t0) / (seconds * 1e9)
            if let machine, !stuckDone && frac >= 0.3 { stuckDone = true; stuckScenario(machine: machine, host: host) }
            if let machine, !selfDone && frac >= 0.5 { selfDone = true; selfUnloadScenario(machine: machine, host: host) }
            step(host: host)
            if now - lastProgress >= 1_000_000_000 {
                lastProgress = now
                options.progress?(progressLine(t0))
            }
        }

        // Drain: stop the storm, make sure a torture generation drains every ring.
        stop.set(1)
        while threadsDone.get < threads { usleep(1000) }
        for t in timers { t.cancel() }
        report.timerDeliveries += timers.reduce(0) { $0 + $1.deliveries }
        if let torture = groups.first(where: { $0.isTorture }) {
            if torture.loadedName == nil { load(torture, host: host) }
            let limit = tstress_now_ns() + 5_000_000_000
            while stormCPUs.contains(where: { ledger.pending(cpu: $0) > 0 }) && tstress_now_ns() < limit {
                for cpu in stormCPUs where ledger.pending(cpu: cpu) > 0 {
                    if let machine {
                        machine.raise(tortureIRQ, on: cpu)
                    } else {
                        // Thread storm: play the CPU's part from this thread, bound to it for the drain.
                        pipeline.withCPU(cpu) { _ = pipeline.raise(tortureIRQ, on: cpu) }
                    }
                }
                usleep(1000)
            }
        }
        for g in groups where g.loadedName != nil { unload(g, host: host) }
        let leftovers = host.unloadAll(timeout: .seconds(5))
        if !leftovers.isEmpty { report.notes.append("left loaded at the end of a phase: \(leftovers)") }
        for irq in 0..<UInt32(64) {
            for cpu in 0..<cpuCount { report.handlerRuns += pipeline.count(irq: irq, cpu: cpu) }
        }
        report.commandsCalled += calls.get
        report.commandErrors += callErrors.get
        options.progress?(progressLine(t0))
        return "\(pipeline.barrierFence)"
    }
}
