import CTenon
import Foundation
import Histogram
import TenonMachine
import TenonPipeline

/// One latency measurement: a machine whose CPUs each run a periodic POSIX
/// timer into the pipeline, an oob handler per CPU stamping expiry -> entry,
/// and optionally a bare C timer thread per CPU (same core, period and
/// priority, half a period out of phase so the two never expire together).
///
/// The handlers only write a per-CPU ring; this (task) thread drains the
/// rings every 50 ms into HdrHistograms.
package struct LatencyRun {
    package let options: LatencyOptions
    /// Called about once a second with the seconds elapsed (progress lines).
    package var progress: ((Double) -> Void)?

    /// The first IRQ used; CPU k's timer raises `firstIRQ + k`.
    static let firstIRQ: UInt32 = 32
    /// The baseline's signal: its own, so nothing of the machine's is in the way.
    static var baselineSignal: Int32 { ctenon_sigrtmin() + 6 }

    package init(options: LatencyOptions) {
        self.options = options
    }

    package func run(command: [String]) throws(LatencyError) -> LatencyReport {
        guard options.periodNanos >= 20_000 else { throw .badPeriod(options.periodNanos) }
        let held = try RealtimeSettings.apply(options)
        defer { held.release() }
        let machine: Machine
        do { machine = try Machine(cpus: options.cpus) } catch { throw .setup("machine: \(error)") }
        defer { machine.stop() }
        let n = machine.cpuCount
        if options.priority > 0 {
            for k in 0..<n {
                let priority = Int32(options.priority)
                let rc = machine.run(on: k) { ctenon_set_fifo(priority) }
                if rc != 0 { throw .priorityRefused(options.priority, SystemError(rc)) }
            }
        }
        let pipeline = machine.pipeline
        guard pipeline.enable_oob_stage("latency") == 0 else { throw .setup("an oob stage is already installed") }
        defer { pipeline.disable_oob_stage() }

        let tenon = (0..<n).map { _ in ctenon_latency_create(.max, options.periodNanos)! }
        var baseline: [OpaquePointer] = []
        var installed = 0
        defer {
            // A recorder is freed only once no handler can reach it: free_irq
            // waited for quiescence (the baseline threads are joined by then).
            var freed = true
            for k in 0..<installed where pipeline.free_irq(Self.firstIRQ + UInt32(k), UnsafeMutableRawPointer(tenon[k])) != 0 {
                freed = false
            }
            if freed { (tenon + baseline).forEach { ctenon_latency_free($0) } }
        }
        for k in 0..<n {
            let rc = pipeline.request_irq(
                Self.firstIRQ + UInt32(k), ctenon_latency_handler, IRQF_OOB,
                "latency timer CPU\(k)", UnsafeMutableRawPointer(tenon[k]))
            guard rc == 0 else { throw .setup("request_irq(\(Self.firstIRQ + UInt32(k))) failed: \(rc)") }
            installed += 1
        }

        // Start a little ahead so every CPU's phase is known before its first expiry.
        var timers: [MachineTimer] = []
        defer { timers.forEach { $0.cancel() } }
        for k in 0..<n {
            do {
                let t = try machine.startTimer(
                    on: k, irq: Self.firstIRQ + UInt32(k),
                    period: .nanoseconds(Int64(options.periodNanos)),
                    delay: .milliseconds(20))
                ctenon_latency_set_first(tenon[k], t.firstExpiryNanos)
                timers.append(t)
            } catch {
                throw .setup("timer on CPU \(k): \(error)")
            }
        }
        var bare: [OpaquePointer?] = []
        defer { bare.forEach { ctenon_latency_baseline_stop($0) } }
        if options.compareBaseline {
            for k in 0..<n {
                let first = timers[k].firstExpiryNanos + options.periodNanos / 2
                let rec = ctenon_latency_create(first, options.periodNanos)!
                baseline.append(rec)
                var handle: OpaquePointer?
                let rc = ctenon_latency_baseline_start(
                    &handle, rec, Int32(machine.core(of: k)),
                    Int32(options.priority), Self.baselineSignal)
                if rc == -EPERM { throw .priorityRefused(options.priority, SystemError(EPERM)) }
                guard rc == 0 else { throw .setup("baseline thread on core \(machine.core(of: k)): \(String(cString: strerror(-rc)))") }
                bare.append(handle)
            }
        }

        var tenonHist = (0..<n).map { _ in Self.histogram() }
        var bareHist = baseline.map { _ in Self.histogram() }
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: 65_536)
        defer { buffer.deallocate() }
        func drain() {
            for k in 0..<n {
                Self.drain(tenon[k], into: &tenonHist[k], buffer: buffer)
                if k < baseline.count { Self.drain(baseline[k], into: &bareHist[k], buffer: buffer) }
            }
        }
        let start = ctenon_monotonic_ns()
        let end = start + UInt64(options.durationSeconds * 1e9)
        var nextProgress = start + 1_000_000_000
        while ctenon_monotonic_ns() < end {
            usleep(50_000)
            drain()
            let now = ctenon_monotonic_ns()
            if now >= nextProgress {
                progress?(Double(now - start) / 1e9)
                nextProgress += 1_000_000_000
            }
        }
        timers.forEach { $0.cancel() }
        bare.forEach { ctenon_latency_baseline_stop($0) }
        bare = []
        drain()

        let tenonFigures = (0..<n).map { k in
            LatencyFigures(
                cpu: k, core: machine.core(of: k), histogram: tenonHist[k],
                overruns: ctenon_latency_overruns(tenon[k]), dropped: ctenon_latency_dropped(tenon[k]))
        }
        var report = LatencyReport(
            command: command, system: .current(), settings: options,
            tenon: tenonFigures, baseline: nil, ratios: nil)
        if !baseline.isEmpty {
            let b = (0..<n).map { k in
                LatencyFigures(
                    cpu: k, core: machine.core(of: k), histogram: bareHist[k],
                    overruns: ctenon_latency_overruns(baseline[k]),
                    dropped: ctenon_latency_dropped(baseline[k]))
            }
            report.baseline = b
            report.ratios = zip(tenonFigures, b).map { LatencyRatio(tenon: $0, baseline: $1) }
        }
        return report
    }

    /// Nanoseconds from 1 to 10 s at three significant digits.
    static func histogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    }

    static func drain(_ rec: OpaquePointer, into h: inout Histogram<UInt64>, buffer: UnsafeMutablePointer<UInt64>) {
        while true {
            let got = Int(ctenon_latency_drain(rec, buffer, 65_536))
            for i in 0..<got { _ = h.record(min(buffer[i], 10_000_000_000)) }
            if got < 65_536 { return }
        }
    }
}
