import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// One group of interchangeable images cycled under one plugin name.
final class PluginGroup {
    let label: String
    /// Private copies (distinct paths and inodes: dlopen never shares them).
    var images: [String]
    let parameters: [String]
    let isTorture: Bool
    var loadedName: String?
    var loadedPath: String?
    var generation: UInt64 = 0
    init(label: String, images: [String], parameters: [String], isTorture: Bool) {
        self.label = label
        self.images = images
        self.parameters = parameters
        self.isTorture = isTorture
    }
}

/// An atomic counter in a class, so escaping closures can share it.
final class Counter: @unchecked Sendable {
    let value = Atomic<Int>(0)
    func add(_ n: Int = 1) { value.wrappingAdd(n, ordering: .acquiringAndReleasing) }
    func set(_ n: Int) { value.store(n, ordering: .releasing) }
    var get: Int { value.load(ordering: .acquiring) }
}

/// IRQs the raisers hit besides the torture IRQ (the loaded plugins' lines).
final class LiveIRQs: @unchecked Sendable {
    static let capacity = 32
    let count = Atomic<Int>(0)
    let lines: UnsafeMutablePointer<Atomic<UInt32>>
    init() {
        lines = .allocate(capacity: Self.capacity)
        for i in 0..<Self.capacity { (lines + i).initialize(to: Atomic(0)) }
    }
    deinit { lines.deallocate() }
    func set(_ irqs: [UInt32]) {
        let n = min(irqs.count, Self.capacity)
        count.store(0, ordering: .releasing)
        for i in 0..<n { lines[i].store(irqs[i], ordering: .relaxed) }
        count.store(n, ordering: .releasing)
    }
    func pick(_ r: UInt64) -> UInt32? {
        let n = count.load(ordering: .acquiring)
        return n == 0 ? nil : lines[Int(r % UInt64(n))].load(ordering: .relaxed)
    }
}

/// A ledger block in host memory (never freed while a plugin may use it).
final class Ledger: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let pointer: UnsafeMutablePointer<tenon_torture_ledger>
    let cpus: Int
    init(cpus: Int) {
        let size = tenon_torture_ledger_size(UInt32(cpus))
        raw = .allocate(byteCount: size, alignment: 64)
        pointer = tenon_torture_ledger_init(raw, UInt32(cpus))!
        self.cpus = cpus
    }
    var address: String { "0x" + String(UInt(bitPattern: raw), radix: 16) }
    var current: UInt64 {
        get { tenon_torture_load(&pointer.pointee.current_generation) }
        set { tenon_torture_store(&pointer.pointee.current_generation, newValue) }
    }
    var exited: UInt64 {
        get { tenon_torture_load(&pointer.pointee.exited_generation) }
        set { tenon_torture_store(&pointer.pointee.exited_generation, newValue) }
    }
    /// The generation whose unload or swap-out is running (0: none).
    var unloading: UInt64 {
        get { tenon_torture_load(&pointer.pointee.unloading_generation) }
        set { tenon_torture_store(&pointer.pointee.unloading_generation, newValue) }
    }
    func push(cpu: Int) -> Bool { tenon_torture_push(pointer, UInt32(cpu)) == 0 }
    func pending(cpu: Int) -> UInt64 { tenon_torture_pending(pointer, UInt32(cpu)) }
    func cpuRecord(_ cpu: Int) -> UnsafeMutablePointer<tenon_torture_cpu> {
        let base = UnsafeMutableRawPointer(pointer) + MemoryLayout<tenon_torture_ledger>.size
        return (base + cpu * MemoryLayout<tenon_torture_cpu>.stride).assumingMemoryBound(to: tenon_torture_cpu.self)
    }
    func read(_ p: UnsafeMutablePointer<UInt64>) -> UInt64 { tenon_torture_load(p) }
}

/// The torture engine behind `tenon stress` (see docs/stress.md).
public final class StressEngine: @unchecked Sendable {
    let options: StressOptions
    var report = StressReport()
    /// The plugin whose command the command thread is running (nil: none).
    let commandInFlight = Mutex<String?>(nil)
    /// Unloads and swaps that started while a command of that plugin ran.
    var unloadsDuringCommand = 0
    /// The barrier's window counters, summed over the phases' pipelines.
    var windowTotals: (stragglerWaits: UInt64, mainWaits: UInt64, acrossFlip: UInt64?, nested: UInt64?) = (0, 0, nil, nil)
    var rng: SplitMix64
    let ledger: Ledger
    let tortureIRQ: UInt32 = 20
    /// The torture plugin's in-band line for long sections.
    let longIRQ: UInt32 = 22
    var longSectionsEnabled: Bool { options.longSectionNanos > 0 && options.storm == .signals }
    var groups: [PluginGroup] = []
    var stuckImage: String?
    var tempDir = ""
    var nextGeneration: UInt64 = 1
    var unloadNanos: [UInt64] = []
    var swapNanos: [UInt64] = []
    var graceNanos: [UInt64] = []
    /// Poisoned (or unmapped-and-watched) ranges, oldest first: (watch index, start, end).
    var poisoned: [(Int, UInt, UInt)] = []
    var poisonHead = 0
    let raised = Counter()
    let live = LiveIRQs()
    var logger: Logger

    public init(options: StressOptions) {
        self.options = options
        rng = SplitMix64(seed: options.seed)
        ledger = Ledger(cpus: max(1, min(options.cpus + (options.storm == .threads ? 1 : 0), 64)))
        logger = Logger(label: "tenon.stress")
        logger.logLevel = .critical
    }

    // MARK: - Setup

    /// The directory holding the bundled plugins.
    static func bundledDirectory(_ explicit: String?) -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["TENON_PLUGIN_DIR"] { return env }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
        return (exe as NSString).deletingLastPathComponent
    }

    func copy(_ source: String, as name: String) throws -> String {
        let dest = tempDir + "/" + name
        try? FileManager.default.removeItem(atPath: dest)
        try FileManager.default.copyItem(atPath: source, toPath: dest)
        return dest
    }

    struct SetupError: Error, CustomStringConvertible { var description: String }

    func prepare() throws {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("tenon-stress-XXXXXX")).utf8CString)
        guard let dir = mkdtemp(&template) else { throw SetupError(description: "mkdtemp failed") }
        tempDir = String(cString: dir)
        let bundled = Self.bundledDirectory(options.pluginDirectory)
        func lib(_ n: String) -> String { bundled + "/libtenon-\(n).so" }
        func need(_ n: String) throws -> String {
            let p = lib(n)
            guard FileManager.default.fileExists(atPath: p) else {
                throw SetupError(description: "bundled plugin \(p) not found (build the package, or set TENON_PLUGIN_DIR)")
            }
            return p
        }
        var specs: [(String, [String], [String], Bool)] = []
        let torture = try need("torture")
        specs.append(("torture", [torture], [], true))
        if options.plugins.isEmpty {
            specs.append(("counter", [try need("counter")], ["irq=5"], false))
            specs.append(("swap", [try need("swapv1"), try need("swapv2")], ["irq=8"], false))
            specs.append(("chain", [try need("chain")], ["irq=6", "work=true"], false))
            if FileManager.default.fileExists(atPath: lib("embeddedcounter")) {
                specs.append(("embedded-counter", [lib("embeddedcounter")], ["irq=10"], false))
            }
        } else {
            for spec in options.plugins {
                var path = spec
                var params: [String] = []
                if let colon = spec.lastIndex(of: ":"), !FileManager.default.fileExists(atPath: spec) {
                    path = String(spec[..<colon])
                    params = spec[spec.index(after: colon)...].split(separator: ",").map(String.init)
                }
                guard FileManager.default.fileExists(atPath: path) else { throw SetupError(description: "no such plugin file: \(path)") }
                specs.append(((path as NSString).lastPathComponent, [path], params, false))
            }
        }
        for (i, (label, sources, params, isTorture)) in specs.enumerated() {
            var images: [String] = []
            let copies = sources.count == 1 ? 2 : 1
            for (j, src) in sources.enumerated() {
                for k in 0..<copies {
                    images.append(try copy(src, as: "g\(i)-\(j)-\(k)-" + (src as NSString).lastPathComponent))
                }
            }
            groups.append(PluginGroup(label: label, images: images, parameters: params, isTorture: isTorture))
        }
        stuckImage = FileManager.default.fileExists(atPath: lib("stuck")) ? try copy(lib("stuck"), as: "stuck.so") : nil
        report.plugins = specs.map { $0.0 }
    }

    func cleanup() {
        if !tempDir.isEmpty { try? FileManager.default.removeItem(atPath: tempDir) }
    }

    // MARK: - Run

    /// Runs the whole stress (main phase, then the fenced phase) and returns the report.
    /// A late execution or crash never returns: the fault handler prints and `_exit`s (3 or 4).
    public func run() throws -> StressReport {
        tstress_install_fault_handler()
        try prepare()
        defer { cleanup() }
        let start = tstress_now_ns()
        report.seed = options.seed
        report.cpus = options.cpus
#if TENON_TORTURE
        report.sabotage = "\(options.sabotage)"
        report.jitterSpins = options.jitterSpins
#endif
        report.poison = options.poison
        report.barrier = try phase(barrier(options.membarrier ? .membarrier : .fenced), seconds: options.duration,
                                   scenarios: options.scenarios)
        if options.membarrier && options.fencedPhase > 0 {
            _ = try phase(barrier(.fenced), seconds: options.fencedPhase, scenarios: false)
            report.barrier += " + \(options.fencedPhase) s fenced phase"
        }
        report.durationSeconds = Double(tstress_now_ns() - start) / 1e9
        finishReport()
        return report
    }

    /// The barrier of a phase: `fence`, plus the torture build's sabotage and jitter.
    func barrier(_ fence: BarrierConfiguration.Fence) -> BarrierConfiguration {
#if TENON_TORTURE
        BarrierConfiguration(fence: fence, sabotage: options.sabotage, jitterSpins: options.jitterSpins)
#else
        BarrierConfiguration(fence: fence)
#endif
    }

    func progressLine(_ t0: UInt64) -> String {
        let l = ledger.pointer
        let t = Double(tstress_now_ns() - t0) / 1e9
        return String(format: "t=%5.1fs cycles %d (L %d U %d S %d) raised %llu torture runs %llu gen %llu late %llu viol %llu busy %d",
                      t, report.cycles, report.loads, report.unloads, report.swaps, UInt64(raised.get),
                      ledger.read(&l.pointee.handler_runs), nextGeneration - 1,
                      ledger.read(&l.pointee.late_handler_runs) + ledger.read(&l.pointee.late_work_runs),
                      ledger.read(&l.pointee.age_violations) + ledger.read(&l.pointee.doubles) + ledger.read(&l.pointee.gaps),
                      report.busyResults)
    }

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
                machine.run(on: cpu) { tstress_set_thread_cpu(Int32(cpu)); tstress_ensure_altstack() }
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
            var prng = SplitMix64(seed: cmdSeed)
            while stop.get == 0 {
                let list = host.list()
                if let p = list.isEmpty ? nil : list[prng.below(list.count)], !p.commands.isEmpty,
                   p.name != "stuck" {
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

    // MARK: - Operations

    func freeImage(_ g: PluginGroup) -> String {
        let choices = g.images.filter { $0 != g.loadedPath }
        return choices[rng.below(choices.count)]
    }

    func parameters(_ g: PluginGroup, generation: UInt64) -> [String] {
        guard g.isTorture else { return g.parameters }
        let work = rng.next() & 1 == 1
        return ["irq=\(tortureIRQ)", "generation=\(generation)", "ledger=\(ledger.address)",
                "max_spin_ns=\(options.maxSpinNanos)", "work=\(work)",
                "long_irq=\(longSectionsEnabled ? longIRQ : 0)", "long_ns=\(options.longSectionNanos)"]
    }

    /// FNV-1a over the first `digestOps` operations (group, kind): equal for
    /// equal seeds, whatever the timing.
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    var digestCount = 0
    static let digestOps = 300

    func note(_ group: Int, _ kind: UInt8) {
        guard digestCount < Self.digestOps else { return }
        digestCount += 1
        for b in [UInt8(truncatingIfNeeded: group), kind] { digest = (digest ^ UInt64(b)) &* 0x100_0000_01b3 }
        if digestCount == Self.digestOps { report.scheduleDigest = String(digest, radix: 16) }
    }

    func step(host: PluginHost) {
        let gi = rng.below(groups.count)
        let g = groups[gi]
        let pause = rng.below(4)
        if g.loadedName == nil {
            note(gi, 1)
            load(g, host: host)
        } else if rng.next() & 1 == 0 {
            note(gi, 2)
            swap(g, host: host)
        } else {
            note(gi, 3)
            unload(g, host: host)
        }
        refreshLiveIRQs(host)
        if pause == 0 { usleep(UInt32(rng.below(2000))) }
    }

    func refreshLiveIRQs(_ host: PluginHost) {
        live.set(host.list().flatMap(\.irqs).filter { $0 != tortureIRQ && $0 != longIRQ })
    }

    func load(_ g: PluginGroup, host: PluginHost) {
        let path = freeImage(g)
        let gen = g.isTorture ? nextGeneration : 0
        if g.isTorture { nextGeneration += 1 }
        do {
            let p = try host.load(path: path, parameters: parameters(g, generation: gen))
            g.loadedName = p.name
            g.loadedPath = path
            g.generation = gen
            if g.isTorture { ledger.current = gen }
            report.loads += 1
        } catch {
            report.loadErrors += 1
            if report.loadErrors <= 3 { report.notes.append("load \(path): \(error)") }
        }
    }

    /// Watches the image's current mappings (before unload), labelled for the fault report.
    func watch(_ g: PluginGroup, host: PluginHost, name: String, path: String) -> [(Int, UInt, UInt)] {
        // The host maps a private copy of `path`, found by plugin name.
        guard options.poison else { return [] }
        let maps = host.mappings(of: name)
        let label = "plugin \(g.loadedName ?? g.label) (generation \(g.isTorture ? String(g.generation) : "-"), image \(path))"
        return maps.compactMap { m in
            let i = tstress_watch(UInt(m.start), UInt(m.end), label)
            return i >= 0 ? (Int(i), m.start, m.end) : nil
        }
    }

    /// After the barrier said quiescent and the image was closed: PROT_NONE over
    /// its former ranges, so a late execution faults at once instead of running reused memory.
    func settle(_ watched: [(Int, UInt, UInt)], result: UnloadResult) {
        switch result {
        case .unloaded:
            report.imagesUnmapped += 1
            for (i, s, e) in watched {
                if tstress_poison(s, e) == 0 {
                    poisoned.append((i, s, e))
                    report.poisonedRanges += 1
                } else {
                    tstress_unwatch(Int32(i))
                    report.poisonMisses += 1
                }
            }
            while poisoned.count - poisonHead > options.poisonRing {
                let (i, s, e) = poisoned[poisonHead]
                poisonHead += 1
                tstress_unwatch(Int32(i))
                _ = tstress_unmap(s, e)
            }
            if poisonHead > 4096 { poisoned.removeFirst(poisonHead); poisonHead = 0 }
        case .retired:
            report.imagesRetired += 1
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        case .busy:
            report.busyResults += 1
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        case .refused:
            report.refusedResults += 1
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        }
    }

    @discardableResult
    func unload(_ g: PluginGroup, host: PluginHost, timeout: Duration = .seconds(5)) -> UnloadResult {
        guard let name = g.loadedName, let path = g.loadedPath else { return .refused(reason: "not loaded") }
        if report.cycles % 4 == 0 {
            let s = tstress_now_ns()
            _ = host.pipeline.synchronize(timeout: .seconds(1))
            graceNanos.append(tstress_now_ns() - s)
        }
        let watched = watch(g, host: host, name: name, path: path)
        if g.isTorture { openLongSections(host: host) }
        let t = tstress_now_ns()
        if g.isTorture { ledger.unloading = g.generation }
        if commandInFlight.withLock({ $0 }) == name { unloadsDuringCommand += 1 }
        let result = host.unload(name: name, timeout: timeout)
        if g.isTorture { ledger.unloading = 0 }
        unloadNanos.append(tstress_now_ns() - t)
        switch result {
        case .unloaded, .retired:
            if g.isTorture { ledger.exited = max(ledger.exited, g.generation) }
            g.loadedName = nil
            g.loadedPath = nil
            report.unloads += 1
        case .busy:
            // Keep it: cancel (re-publish) and carry on; a busy unload is not a violation.
            try? host.cancelUnload(name: name)
        case .refused(let reason):
            report.notes.append("unload \(name) refused: \(reason)")
        }
        settle(watched, result: result)
        return result
    }

    func swap(_ g: PluginGroup, host: PluginHost) {
        guard let name = g.loadedName, let oldPath = g.loadedPath else { return }
        let path = freeImage(g)
        let gen = g.isTorture ? nextGeneration : 0
        if g.isTorture { nextGeneration += 1 }
        let oldGen = g.generation
        let watched = watch(g, host: host, name: name, path: oldPath)
        if g.isTorture { openLongSections(host: host) }
        let t = tstress_now_ns()
        if g.isTorture { ledger.unloading = oldGen }
        defer { if g.isTorture { ledger.unloading = 0 } }
        if commandInFlight.withLock({ $0 }) == name { unloadsDuringCommand += 1 }
        do {
            let result = try host.swap(name: name, path: path, parameters: parameters(g, generation: gen),
                                       timeout: .seconds(5))
            swapNanos.append(tstress_now_ns() - t)
            g.loadedPath = path
            g.generation = gen
            report.swaps += 1
            if g.isTorture {
                ledger.current = gen
                if case .unloaded = result { ledger.exited = max(ledger.exited, oldGen) }
                if case .retired = result { ledger.exited = max(ledger.exited, oldGen) }
            }
            if case .busy = result {
                // The old image stays mapped until drained; never reuse its path meanwhile.
                g.images.removeAll { $0 == oldPath }
                report.notes.append("swap of \(name): old version busy; image \(oldPath) set aside")
            }
            settle(watched, result: result)
        } catch {
            report.swapErrors += 1
            if report.swapErrors <= 3 { report.notes.append("swap \(name) -> \(path): \(error)") }
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        }
    }

    /// Raises the torture plugin's long in-band line on every CPU and waits
    /// (20 ms at most) until one of those sections is open, so the unload or
    /// swap that follows starts while an in-band section of the old generation
    /// runs, with oob IRQs nesting in it.
    func openLongSections(host: PluginHost) {
        guard longSectionsEnabled else { return }
        let open = ledger.read(&ledger.pointer.pointee.long_open)
        for cpu in 0..<options.cpus { host.pipeline.raise(longIRQ, on: cpu) }
        let limit = tstress_now_ns() + 20_000_000
        while ledger.read(&ledger.pointer.pointee.long_open) <= open && tstress_now_ns() < limit { usleep(50) }
    }

    // MARK: - Scenarios

    /// A handler that spins: unload must say busy within its timeout, never hang;
    /// after `release`, unload must succeed.
    func stuckScenario(machine: Machine, host: PluginHost) {
        guard let image = stuckImage else { report.scenarios["stuck"] = "skipped (libtenon-stuck.so not found)"; return }
        let stuck = PluginGroup(label: "stuck", images: [image], parameters: ["irq=7"], isTorture: false)
        do {
            let p = try host.load(path: image, parameters: ["irq=7"])
            stuck.loadedName = p.name
            stuck.loadedPath = image
        } catch {
            report.violations.append("stuck scenario: load failed: \(error)"); return
        }
        let cpu = options.cpus - 1
        machine.raise(7, on: cpu)
        let limit = tstress_now_ns() + 2_000_000_000
        while (try? host.call(plugin: "stuck", command: "entered")) == .uint(0) && tstress_now_ns() < limit { usleep(100) }
        let t = tstress_now_ns()
        let first = host.unload(name: "stuck", timeout: .milliseconds(100))
        let ms = Double(tstress_now_ns() - t) / 1e6
        var verdict: String
        if case let .busy(c, irq, _) = first, c == cpu, irq == 7, ms < 1000 {
            verdict = String(format: "busy on CPU %d IRQ 7 after %.0f ms (timeout 100 ms)", c, ms)
        } else {
            verdict = "expected busy on CPU \(cpu) IRQ 7 within 1 s, got \(first) after \(ms) ms"
            report.violations.append("stuck scenario: \(verdict)")
        }
        if case .busy = first { report.busyResults += 1 }
        _ = try? host.call(plugin: "stuck", command: "release")
        if case .busy = first {
            let second = unload(stuck, host: host, timeout: .seconds(5))
            if case .unloaded = second {
                verdict += "; after release: unloaded"
            } else {
                verdict += "; after release: \(second)"
                report.violations.append("stuck scenario: unload after release returned \(second)")
            }
        } else {
            _ = host.unload(name: "stuck", timeout: .seconds(5))
        }
        report.scenarios["stuck"] = verdict
    }

    /// A handler asking the host to unload a plugin must be refused (waiting
    /// for quiescence from inside a read section would never end).
    func selfUnloadScenario(machine: Machine, host: PluginHost) {
        let outcome = Counter()  // 0 pending, 1 refused, 2 other
        let irq: UInt32 = 30
        let name = groups.first(where: { $0.isTorture })?.loadedName ?? "torture"
        let rc = machine.pipeline.request_irq(irq, flags: TenonPipeline.IRQF_OOB, name: "stress-self-unload") { (_: UInt32) -> Int32 in
            let result = host.unload(name: name, timeout: .seconds(1))
            if case .refused = result {
                outcome.set(1)
            } else {
                outcome.set(2)
            }
            return TenonPipeline.IRQ_HANDLED
        }
        guard rc == 0 else { report.scenarios["self-unload"] = "skipped (request_irq \(rc))"; return }
        machine.raise(irq, on: 0)
        let limit = tstress_now_ns() + 2_000_000_000
        while outcome.get == 0 && tstress_now_ns() < limit { usleep(100) }
        _ = machine.pipeline.free_irq(irq, nil)
        switch outcome.get {
        case 1: report.scenarios["self-unload"] = "refused from inside the handler (CPU 0, IRQ \(irq))"
        case 2: report.violations.append("self-unload scenario: unload from inside a handler was not refused")
                report.scenarios["self-unload"] = "NOT refused"
        default: report.violations.append("self-unload scenario: the handler never ran within 2 s")
                 report.scenarios["self-unload"] = "handler never ran"
        }
    }

    // MARK: - Verdict

    func finishReport() {
        let l = ledger.pointer
        var pushed: UInt64 = 0, full: UInt64 = 0, pending: UInt64 = 0, reentered: UInt64 = 0
        for cpu in 0..<ledger.cpus {
            let c = ledger.cpuRecord(cpu)
            pushed += ledger.read(&c.pointee.pushed)
            full += ledger.read(&c.pointee.full)
            pending += ledger.pending(cpu: cpu)
            reentered += ledger.read(&c.pointee.reentered)
        }
        report.fifoReentries = reentered
        report.runsAfterExit = ledger.read(&l.pointee.runs_after_exit)
        report.longSections = ledger.read(&l.pointee.long_sections)
        report.longSectionViolations = ledger.read(&l.pointee.long_violations)
        do {
            let w = windowTotals
            report.windows = ["straggler drain waited for a reader": w.stragglerWaits,
                              "main drain waited for a reader": w.mainWaits,
                              "torture handler ran during its own unload/swap-out": ledger.read(&l.pointee.runs_during_unload),
                              "unload busy (a CPU stayed inside)": UInt64(report.busyResults),
                              "unload/swap started while a command of that plugin ran": UInt64(unloadsDuringCommand)]
            if longSectionsEnabled {
                report.windows["long in-band section open across its plugin's unload/swap-out"] = ledger.read(&l.pointee.long_during_unload)
                report.windows["oob IRQ nested in a long in-band section"] = ledger.read(&l.pointee.long_nested)
            }
            // Counted on the read side by the torture build with --jitter only.
            if let a = w.acrossFlip { report.windows["reader marked after the parity flipped under it"] = a }
            if let n = w.nested { report.windows["section nested in another"] = n }
        }
        report.irqsRaised = UInt64(raised.get)
        report.tortureEntriesPushed = pushed
        report.tortureEntriesDrained = ledger.read(&l.pointee.drained)
        report.ringFullSkips = full
        report.tortureHandlerRuns = ledger.read(&l.pointee.handler_runs)
        report.workQueued = ledger.read(&l.pointee.work_queued)
        report.workRuns = ledger.read(&l.pointee.work_runs)
        report.lateExecutions = ledger.read(&l.pointee.late_handler_runs)
        report.lateWorkRuns = ledger.read(&l.pointee.late_work_runs)
        report.doubles = ledger.read(&l.pointee.doubles)
        report.generationViolations = ledger.read(&l.pointee.age_violations)
        let gaps = ledger.read(&l.pointee.gaps)
        report.lostIRQs = gaps + pending
        report.generations = nextGeneration - 1
        report.ageHistogram = withUnsafeBytes(of: &l.pointee.age) { raw in
            (0..<Int(TENON_TORTURE_AGE_BUCKETS)).map { tenon_torture_load(raw.baseAddress!.assumingMemoryBound(to: UInt64.self) + $0) }
        }
        report.unloadP50 = percentile(unloadNanos, 0.5); report.unloadP99 = percentile(unloadNanos, 0.99); report.unloadMax = percentile(unloadNanos, 1)
        report.swapP50 = percentile(swapNanos, 0.5); report.swapP99 = percentile(swapNanos, 0.99); report.swapMax = percentile(swapNanos, 1)
        report.graceP50 = percentile(graceNanos, 0.5); report.graceP99 = percentile(graceNanos, 0.99); report.graceMax = percentile(graceNanos, 1)
        report.cyclesPerSecond = Double(report.cycles) / max(0.001, options.duration + (options.membarrier ? options.fencedPhase : 0))

        let kind = ledger.read(&l.pointee.first_violation_kind)
        let first = kind == 0 ? "" : " (first: generation \(ledger.read(&l.pointee.first_violation_generation)) handled an entry stamped \(ledger.read(&l.pointee.first_violation_stamp)) on CPU \(ledger.read(&l.pointee.first_violation_cpu)))"
        if report.generationViolations > 0 {
            report.violations.append("GENERATION VIOLATION: \(report.generationViolations) IRQ(s) handled by a generation older than the one current when raised\(kind == 1 ? first : "")")
        }
        if report.lateExecutions > 0 {
            report.violations.append("LATE EXECUTION: \(report.lateExecutions) handler run(s) of a generation whose unload had returned\(kind == 2 ? first : "")")
        }
        if report.lateWorkRuns > 0 {
            report.violations.append("LATE IRQ_WORK: \(report.lateWorkRuns) irq_work run(s) of a generation whose unload had returned")
        }
        if report.doubles > 0 { report.violations.append("DOUBLE: \(report.doubles) IRQ(s) handled twice") }
        if report.lostIRQs > 0 {
            report.violations.append("LOST IRQ: \(report.lostIRQs) torture entries never handled (\(gaps) skipped, \(pending) still queued after the final drain)")
        }
        if report.tortureHandlerRuns == 0 { report.violations.append("VACUOUS: the torture handler never ran") }
        // Every entry pushed is drained exactly once or still pending (then LOST IRQ above):
        // more drained than pushed means a FIFO was drained twice (two readers, stale copies).
        if report.tortureEntriesDrained + pending != pushed {
            report.violations.append("LEDGER: drained \(report.tortureEntriesDrained) + pending \(pending) != pushed \(pushed)")
        }
        if reentered > 0 {
            report.violations.append("FIFO REENTERED: \(reentered) drain(s) of a CPU's FIFO while another drain of it ran (a handler ran nested in, or beside, its own CPU's handler)")
        }
        if report.longSectionViolations > 0 {
            report.violations.append("LONG SECTION: \(report.longSectionViolations) long in-band section(s) of generation g found at their end that g's exit() had begun, its unload had returned, or its code/data had changed")
        }
        if report.runsAfterExit > 0 {
            report.violations.append("RUN AFTER EXIT: \(report.runsAfterExit) torture handler or irq_work run(s) of generation g after g's exit() began")
        }
    }
}
