import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// `tenon stress --faults`: the torture plugin injects faults (NULL
/// dereference, division by zero, `abort()`, stack overflow) at random in its
/// oob handler while IRQ storms run and generations are loaded, quarantined,
/// retired and unloaded; a counting plugin draining a test device is the
/// bystander whose every event must be handled exactly once.
///
/// Passes only if the host survives every fault, the plugin's own count of
/// injected faults per CPU equals the host's oopses per CPU naming the right
/// generation (one oops per fault, right plugin, right CPU), every faulting
/// generation ends up quarantined, and the bystander lost and doubled nothing.
package final class FaultStress {
    let options: FaultStressOptions
    var report = FaultStressReport()
    let faultIRQ: UInt32 = 21
    let deviceIRQ: UInt32 = 6

    package init(options: FaultStressOptions) {
        self.options = options
    }

    package func run() throws -> FaultStressReport {
        report.seed = options.seed
        PluginHost.setFaultRecovery(options.recovery)
        let bundled = StressEngine.bundledDirectory(options.pluginDirectory)
        let torture = bundled + "/libtenon-torture.so", counter = bundled + "/libtenon-counter.so"
        for f in [torture, counter] where !FileManager.default.fileExists(atPath: f) {
            throw StressEngine.SetupError(description: "\(f) not found (build with `swift build -c release`, or pass --plugin-dir)")
        }
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("tenon-faults-XXXXXX")).utf8CString)
        guard let dirp = mkdtemp(&template) else { throw StressEngine.SetupError(description: "mkdtemp failed") }
        let dir = String(cString: dirp)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var logger = Logger(label: "tenon.stress.faults")
        logger.logLevel = .critical
        let machine = try Machine(cpus: options.cpus)
        defer { machine.stop() }
        let pipeline = machine.pipeline
        _ = pipeline.enable_oob_stage("stress-faults")
        let host = PluginHost(pipeline: pipeline, logger: logger, timers: MachineTimerService(machine: machine))

        // The bystander: counter draining a test device (exactly-once accounting).
        let capacity: UInt32 = 1 << 22
        let cpus = UInt32(options.cpus)
        let size = tenon_test_device_size(cpus, capacity, 4096)
        let deviceMemory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { deviceMemory.deallocate() }
        guard let device = tenon_test_device_init(deviceMemory, cpus, capacity, 4096) else {
            throw StressEngine.SetupError(description: "test device init failed")
        }
        let counterCopy = dir + "/counter.so"
        try FileManager.default.copyItem(atPath: counter, toPath: counterCopy)
        try host.load(path: counterCopy, parameters: ["irq=\(deviceIRQ)", "device=\(UInt(bitPattern: device))"])

        // Per-CPU fault counters the torture plugin bumps before each fault.
        let faultLog = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
        faultLog.initialize(repeating: 0, count: 64)
        defer { faultLog.deallocate() }

        // Storm: one producer thread for every device ring, plus timers on the faulting line.
        let stop = Atomic<Bool>(false)
        let done = Atomic<Int>(0)
        let pushed = Atomic<UInt64>(0)
        let rate = options.rate, deviceIRQ = self.deviceIRQ, faultIRQ = self.faultIRQ, n = options.cpus
        let devicePointer = UInt(bitPattern: device)
        let producer = Thread {
            let device = UnsafeMutablePointer<tenon_test_device>(bitPattern: devicePointer)!
            var seq: UInt64 = 0
            let interval = rate > 0 ? 1_000_000_000 / UInt64(rate) : 0
            while !stop.load(ordering: .acquiring) && seq < UInt64(capacity) - UInt64(n) {
                for cpu in 0..<n {
                    if tenon_test_device_push(device, UInt32(cpu), seq) == 0 {
                        seq += 1
                        machine.raise(deviceIRQ, on: cpu)
                    }
                    machine.raise(faultIRQ, on: (cpu + 1) % n)
                }
                if interval > 0 { usleep(UInt32(max(1, interval / 1000))) }
            }
            pushed.store(seq, ordering: .releasing)
            done.wrappingAdd(1, ordering: .releasing)
        }
        producer.start()
        var timers: [MachineTimer] = []
        if options.timerHz > 0 {
            for cpu in 0..<options.cpus {
                timers.append(try machine.startTimer(on: cpu, irq: faultIRQ, period: .nanoseconds(Int64(1_000_000_000 / options.timerHz))))
            }
        }

        // The schedule: load a generation; wait for it to fault (or, one time in
        // four, unload it early); check the quarantine; retire it; repeat.
        var rng = SplitMix64(seed: options.seed)
        let t0 = ctenon_now()
        let deadline = t0 + UInt64(options.duration * 1e9)
        var lastProgress = t0
        var owners: Set<UInt32> = []
        while ctenon_now() < deadline {
            report.generations += 1
            let path = dir + "/torture-\(report.generations).so"
            try FileManager.default.copyItem(atPath: torture, toPath: path)
            let plugin: LoadedPlugin
            do {
                plugin = try host.load(
                    path: path,
                    parameters: [
                        "irq=\(faultIRQ)", "generation=\(report.generations)", "fault_one_in=\(options.faultOneIn)",
                        "fault_log=\(UInt(bitPattern: faultLog))",
                    ])
            } catch {
                report.violations.append("generation \(report.generations): load failed: \(error)")
                break
            }
            owners.insert(plugin.owner)
            let early = rng.next() % 4 == 0
            let until = ctenon_now() + (early ? 1_000_000 + rng.next() % 20_000_000 : 5_000_000_000)
            while ctenon_now() < until && host.plugin(named: "torture")?.state != .faulted { usleep(200) }
            let state = host.plugin(named: "torture")?.state
            switch host.unload(name: "torture", timeout: .seconds(5)) {
            case .retired(let reason) where state == .faulted:
                report.quarantined += 1
                report.retired += 1
                if !reason.contains("faulted") { report.violations.append("generation \(report.generations): retired without naming the fault: \(reason)") }
            case .unloaded where state != .faulted:
                report.cleanUnloads += 1
            case .retired where state != .faulted:
                // Faulted between the check and the unload: quarantine and unload raced, both fine.
                report.quarantined += 1
                report.retired += 1
            case let other:
                if !early {
                    report.violations.append("generation \(report.generations): state \(state.map { "\($0)" } ?? "gone"), unload \(other)")
                } else if case .unloaded = other {
                    report.cleanUnloads += 1
                } else {
                    report.violations.append("generation \(report.generations): unload \(other)")
                }
            }
            if !early && state != .faulted { report.violations.append("generation \(report.generations) did not fault within 5 s") }
            usleep(UInt32(options.pause * 1e6))
            let now = ctenon_now()
            if now - lastProgress >= 1_000_000_000 {
                lastProgress = now
                options.progress?("faults: \(report.generations) generations, \(host.oopsTotal) oopses, \(String(format: "%.0f", Double(now - t0) / 1e9)) s")
            }
        }
        stop.store(true, ordering: .releasing)
        while done.load(ordering: .acquiring) < 1 { usleep(1000) }
        for t in timers { t.cancel() }
        // Drain the bystander: raise until every ring is empty.
        let limit = ctenon_now() + 5_000_000_000
        while (0..<options.cpus).contains(where: { tenon_test_device_pending(device, UInt32($0)) > 0 }) && ctenon_now() < limit {
            for cpu in 0..<options.cpus where tenon_test_device_pending(device, UInt32(cpu)) > 0 { machine.raise(deviceIRQ, on: cpu) }
            usleep(1000)
        }
        // Let the monitor log the last oopses.
        usleep(200_000)
        report.durationSeconds = Double(ctenon_now() - t0) / 1e9

        let total = pushed.load(ordering: .acquiring)
        report.bystanderEvents = total
        for seq in 0..<total {
            let seen = tenon_test_device_seen(device, seq)
            if seen == 0 { report.lost += 1 } else if seen > 1 { report.doubled += 1 }
        }
        if report.lost > 0 { report.violations.append("the other plugin lost \(report.lost) of \(total) events") }
        if report.doubled > 0 { report.violations.append("the other plugin handled \(report.doubled) events twice") }

        // One oops per injected fault, naming the torture plugin, one of its
        // generations, and the CPU the plugin itself counted the fault on.
        let oopses = host.oopses().filter { owners.contains($0.owner) }
        report.oopses = oopses.count
        if host.oopsTotal > PluginHost.oopsCapacity {
            report.violations.append("more oopses (\(host.oopsTotal)) than the log keeps: rerun shorter or with a higher --fault-one-in")
        }
        for o in host.oopses() where o.plugin != "torture" || !owners.contains(o.owner) {
            report.violations.append("oops #\(o.sequence) names \(o.plugin) (owner \(o.owner)), not a torture generation")
        }
        for cpu in 0..<options.cpus {
            let injected = faultLog[cpu]
            report.faultsInjected += injected
            let seen = UInt64(oopses.filter { $0.cpu == cpu }.count)
            if seen != injected { report.violations.append("CPU \(cpu): \(injected) faults injected, \(seen) oopses name it") }
        }
        for o in oopses where o.context != "oob handler" || o.irq != faultIRQ {
            report.violations.append(
                "oops #\(o.sequence): context \(o.context), IRQ \(o.irq.map(String.init) ?? "-"), expected the oob handler of IRQ \(faultIRQ)")
        }
        _ = host.unloadAll(timeout: .seconds(5))
        return report
    }
}

private func ctenon_now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
