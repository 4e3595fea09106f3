import CTenon
import Foundation
import Logging
import TenonHost
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// Why a demo could not run (before or while setting up; a run that found
/// lost IRQs is a ``DemoReport`` that did not pass, not an error).
package struct DemoSetupError: Error, CustomStringConvertible {
    package var description: String
}

/// `tenon demo`'s scenario: a machine with the oob stage, the bundled
/// example plugins, per-CPU timers and a device-IRQ storm, the `swap` plugin
/// hot-swapped v1 <-> v2 every 100 ms under load with sequence numbers that
/// prove no IRQ is lost or handled twice, raise-to-handler latency probes,
/// then everything unloaded.
package enum DemoRun {
    /// IRQ lines of the scenario.
    static let (counterIRQ, chainIRQ, embeddedIRQ, swapIRQ, probeIRQ): (UInt32, UInt32, UInt32, UInt32, UInt32) = (5, 6, 10, 8, 20)

    /// Runs the scenario. `progress` gets one line per step and one per second
    /// of load (task context, the caller's thread).
    package static func run(
        _ options: DemoOptions, probe: some DemoLatencyProbe,
        progress: (String) -> Void
    ) throws -> DemoReport {
        if let problem = options.problem { throw DemoSetupError(description: problem) }
        let cpus = options.cpus
        var logger = Logger(label: "tenon.demo")
        logger.logLevel = .warning
        let paths = try ["counter", "chain", "embeddedcounter", "swapv1", "swapv2"].map { try BundledPlugins.require($0) }

        let host = try HostRuntime(
            configuration: HostConfiguration(
                cpus: cpus, timerHz: 1000, stageName: "demo",
                socketPath: "/dev/null"), logger: logger)
        let pipeline = host.machine.pipeline
        if options.tracePath != nil { pipeline.startTracing() }
        progress("machine up: \(cpus) CPU threads, oob stage 'demo' installed, barrier read side: \(pipeline.barrierFence), host tick 1 kHz per CPU on IRQ 0")

        // The test device: per-CPU FIFOs of sequence numbers the swap plugin drains.
        let capacity = UInt32(4_000_000)
        let size = tenon_test_device_size(UInt32(cpus), capacity, 4096)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { memory.deallocate() }
        guard let device = tenon_test_device_init(memory, UInt32(cpus), capacity, 4096) else {
            throw DemoSetupError(description: "the test device refused \(cpus) CPUs of \(capacity) entries")
        }
        let deviceParam = "device=\(UInt(bitPattern: memory))"

        let loads: [(String, [String])] = [
            (paths[0], ["irq=\(counterIRQ)"]), (paths[1], ["irq=\(chainIRQ)", "work=true"]),
            (paths[2], ["irq=\(embeddedIRQ)"]), (paths[3], ["irq=\(swapIRQ)", deviceParam]),
        ]
        for (path, params) in loads {
            let p = try host.plugins.load(path: path, parameters: params)
            progress("loaded \(p.name) \(p.version) on IRQ \(p.irqs.map(String.init).joined(separator: ","))")
        }

        let probeHandler: (UInt32) -> Int32 = { _ in
            if let cpu = pipeline.currentCPU { probe.record(cpu: cpu) }
            return IRQ_HANDLED
        }
        _ = pipeline.request_irq(probeIRQ, flags: IRQF_OOB, name: "latency probe", handler: probeHandler)

        // Load: a device storm over the example plugins' IRQs on every CPU;
        // sequence numbers for the swapped plugin; latency probes.
        let state = DemoLoad(device: device)
        let threads = [
            Thread {
                var i = 0
                while !state.stop.load(ordering: .relaxed) {
                    for irq in [counterIRQ, chainIRQ, embeddedIRQ] { _ = host.machine.raise(irq, on: i % cpus); i += 1 }
                    usleep(100)
                }
            },
            Thread {
                var seq: UInt64 = 0
                while !state.stop.load(ordering: .relaxed) && seq < UInt64(capacity) {
                    let cpu = Int(seq % UInt64(cpus))
                    if tenon_test_device_push(state.device, UInt32(cpu), seq) == 0 {
                        seq += 1
                        state.pushed.store(seq, ordering: .relaxed)
                    }
                    _ = host.machine.raise(swapIRQ, on: cpu)
                    if seq % 4 == 0 { usleep(50) }
                }
            },
            Thread {
                var k = 0
                while !state.stop.load(ordering: .relaxed) {
                    probe.arm(cpu: k)
                    _ = host.machine.raise(probeIRQ, on: k)
                    _ = probe.waitDone(cpu: k, timeoutNanos: 50_000_000)
                    k = (k + 1) % cpus
                    usleep(1000)
                }
            },
        ]
        threads.forEach { $0.start() }

        var swaps = 0, version = 1, busySwaps = 0
        var last = ctenon_monotonic_ns(), lastHandled = host.handledTotal
        let end = ctenon_monotonic_ns() + UInt64(options.durationSeconds) * 1_000_000_000
        while ctenon_monotonic_ns() < end {
            usleep(100_000)
            let next = version == 1 ? paths[4] : paths[3]
            do {
                let result = try host.plugins.swap(name: "swap", path: next, parameters: ["irq=\(swapIRQ)", deviceParam])
                if case .busy = result { busySwaps += 1 }
                swaps += 1
                version = 3 - version
            } catch {
                progress("swap failed: \(error)")
            }
            let now = ctenon_monotonic_ns()
            if now - last >= 1_000_000_000 {
                let handled = host.handledTotal
                progress(
                    "\(handled) handler runs (\(Int(Double(handled - lastHandled) / (Double(now - last) / 1e9)))/s), "
                        + "\(swaps) hot swaps, \(state.pushed.load(ordering: .relaxed)) sequence numbers sent, swap plugin now v\(version)")
                last = now
                lastHandled = handled
            }
        }
        state.stop.store(true, ordering: .relaxed)
        while threads.contains(where: { !$0.isFinished }) { usleep(1000) }

        // Let every CPU drain its FIFO: one more raise each, until nothing is pending.
        let total = state.pushed.load(ordering: .relaxed)
        for _ in 0..<200 {
            let pending = (0..<cpus).reduce(UInt64(0)) { $0 + tenon_test_device_pending(device, UInt32($1)) }
            if pending == 0 { break }
            for cpu in 0..<cpus { _ = host.machine.raise(swapIRQ, on: cpu) }
            usleep(5000)
        }
        var lost = 0, doubled = 0, byV1 = 0, byV2 = 0
        for seq in 0..<total {
            let seen = tenon_test_device_seen(device, seq)
            if seen == 0 { lost += 1 } else if seen > 1 { doubled += 1 }
            switch tenon_test_device_handled_by(device, seq) {
            case 1: byV1 += 1
            case 2: byV2 += 1
            default: break
            }
        }
        let rows = host.irqRows()
        let perCPU = (0..<cpus).map { probe.samples(cpu: $0).sorted() }
        let latencies = perCPU.flatMap { $0 }.sorted()
        let unloads = host.shutdown().results.sorted(by: { $0.key < $1.key }).map { (name: $0.key, result: $0.value) }
        if let path = options.tracePath {
            do {
                let (records, lost) = try host.writeTrace(to: path)
                progress("trace written to \(path): \(records) records" + (lost > 0 ? " (the rings kept the last ones: \(lost) overwritten)" : ""))
            } catch {
                throw DemoSetupError(description: "cannot write the trace to \(path): \(error.localizedDescription)")
            }
        }
        return DemoReport(
            durationSeconds: options.durationSeconds, irqRows: rows, latencies: latencies,
            latenciesPerCPU: perCPU,
            swaps: swaps, busySwaps: busySwaps, sent: total, handledByV1: byV1, handledByV2: byV2,
            lost: lost, doubled: doubled, unloads: unloads)
    }
}
