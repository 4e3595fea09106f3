import ArgumentParser
import CTenon
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// `tenon demo`: Tenon's main job on an embedded default, no set-up: a
/// machine with the oob stage, the example plugins, per-CPU timers and a
/// device-IRQ storm, a plugin hot-swapped over and over under load, and
/// everything unloaded; then what happened.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole thing on a default set-up and report (under 30 s).",
        discussion: """
            4 CPUs, oob stage installed, the bundled example plugins loaded \
            (counter, chain, embedded-counter, swap), per-CPU timers at 1 kHz plus a \
            device-IRQ storm, `swap` hot-swapped v1 <-> v2 every 100 ms under load \
            with sequence numbers proving no IRQ is lost or handled twice, raise-to-\
            handler latency measured, then everything unloaded. Exit 0 when no IRQ \
            was lost or doubled and every unloaded image left the address space.

            Example: .build/release/tenon demo --cpus 4
            """)

    @Option(name: .long, help: "Simulated CPUs (1-16).")
    var cpus: Int = 4

    @Option(name: .long, help: "Seconds of load (1-25).")
    var duration: Int = 12

    func validate() throws {
        guard (1...16).contains(cpus) else { throw ValidationError("--cpus must be 1 to 16, not \(cpus)") }
        guard (1...25).contains(duration) else { throw ValidationError("--duration must be 1 to 25 s, not \(duration)") }
    }

    func run() throws {
        let t0 = ctenon_monotonic_ns()
        func say(_ text: String) {
            print(String(format: "[%5.1fs] ", Double(ctenon_monotonic_ns() - t0) / 1e9) + text)
            fflush(nil)
        }
        var logger = Logger(label: "tenon.demo")
        logger.logLevel = .warning
        let paths = try ["counter", "chain", "embeddedcounter", "swapv1", "swapv2"].map { try BundledPlugins.require($0) }

        let host = try HostRuntime(configuration: HostConfiguration(cpus: cpus, timerHz: 1000, stageName: "demo",
                                                                    socketPath: "/dev/null"), logger: logger)
        let pipeline = host.machine.pipeline
        say("machine up: \(cpus) CPU threads, oob stage 'demo' installed, barrier read side: \(pipeline.barrierFence), host tick 1 kHz per CPU on IRQ 0")

        // The test device: per-CPU FIFOs of sequence numbers the swap plugin drains.
        let capacity = UInt32(4_000_000)
        let size = tenon_test_device_size(UInt32(cpus), capacity, 4096)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { memory.deallocate() }
        guard let device = tenon_test_device_init(memory, UInt32(cpus), capacity, 4096) else { throw ExitCode(2) }
        let deviceParam = "device=\(UInt(bitPattern: memory))"

        let (swapIRQ, probeIRQ): (UInt32, UInt32) = (8, 20)
        let loads: [(String, [String])] = [(paths[0], ["irq=5"]), (paths[1], ["irq=6", "work=true"]),
                                           (paths[2], ["irq=10"]), (paths[3], ["irq=\(swapIRQ)", deviceParam])]
        for (path, params) in loads {
            let p = try host.plugins.load(path: path, parameters: params)
            say("loaded \(p.name) \(p.version) on IRQ \(p.irqs.map(String.init).joined(separator: ","))")
        }

        let probe = LatencyProbe(cpus: cpus, capacity: 200_000)
        let probeHandler: (UInt32) -> Int32 = { _ in
            if let cpu = pipeline.currentCPU { probe.record(cpu: cpu) }
            return TenonPipeline.IRQ_HANDLED
        }
        _ = pipeline.request_irq(probeIRQ, flags: TenonPipeline.IRQF_OOB, name: "latency probe", handler: probeHandler)

        // Load: a device storm over IRQs 5, 6, 10 on every CPU; sequence
        // numbers for the swapped plugin; latency probes.
        let state = DemoLoad(device: device)
        let threads = [
            Thread {
                var i = 0
                while !state.stop.load(ordering: .relaxed) {
                    for irq: UInt32 in [5, 6, 10] { _ = host.machine.raise(irq, on: i % cpus); i += 1 }
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
        let end = ctenon_monotonic_ns() + UInt64(duration) * 1_000_000_000
        while ctenon_monotonic_ns() < end {
            usleep(100_000)
            let next = version == 1 ? paths[4] : paths[3]
            do {
                let result = try host.plugins.swap(name: "swap", path: next, parameters: ["irq=\(swapIRQ)", deviceParam])
                if case .busy = result { busySwaps += 1 }
                swaps += 1
                version = 3 - version
            } catch {
                say("swap failed: \(error)")
            }
            let now = ctenon_monotonic_ns()
            if now - last >= 1_000_000_000 {
                let handled = host.handledTotal
                say("\(handled) handler runs (\(Int(Double(handled - lastHandled) / (Double(now - last) / 1e9)))/s), "
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

        print("")
        print("/proc/interrupts after \(duration) s of load:")
        printIRQTable(host.irqRows())
        let samples = (0..<cpus).flatMap { probe.samples(cpu: $0) }.sorted()
        func us(_ p: Double) -> String {
            samples.isEmpty ? "-" : String(format: "%.1f", Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000)
        }
        print("")
        print("raise -> oob handler latency (\(samples.count) probes, µs): p50 \(us(0.5))  p99 \(us(0.99))  max \(us(1.0))")
        print("hot swaps: \(swaps) (v1 <-> v2 under load; \(busySwaps) left the old version waiting for a busy CPU)")
        print("sequence numbers: \(total) sent, handled by v1 \(byV1), by v2 \(byV2)")
        print("IRQs lost = \(lost), handled twice = \(doubled)")

        var gone = true
        for (name, result) in host.shutdown().results.sorted(by: { $0.key < $1.key }) {
            say("unload \(name): \(result)")
            if case .unloaded(let g) = result { gone = gone && g } else if case .retired = result {} else { gone = false }
        }
        let ok = lost == 0 && doubled == 0 && gone
        say(ok ? "demo OK: no IRQ lost or doubled, every plugin unloaded and unmapped" : "demo FAILED")
        if !ok { throw ExitCode(1) }
    }
}

/// What the demo's load threads share.
final class DemoLoad: @unchecked Sendable {
    let stop = Atomic<Bool>(false)
    let pushed = Atomic<UInt64>(0)
    /// The test device (its memory outlives the threads).
    let device: UnsafeMutablePointer<tenon_test_device>

    init(device: UnsafeMutablePointer<tenon_test_device>) {
        self.device = device
    }
}
