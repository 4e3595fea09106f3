import Foundation

/// Everything one `tenon stress` run saw. `passed` is false on any violation.
package struct StressReport: Codable, Sendable {
    package var seed: UInt64 = 0
    package var cpus = 0
    package var durationSeconds = 0.0
    package var barrier = ""
    package var sabotage = "none"
    package var jitterSpins: UInt32 = 0
    package var poison = true
    package var plugins: [String] = []

    // cycles
    package var loads = 0
    package var unloads = 0
    package var swaps = 0
    package var loadErrors = 0
    package var swapErrors = 0
    package var busyResults = 0
    package var refusedResults = 0
    package var imagesRetired = 0
    package var imagesUnmapped = 0
    package var cycles: Int { loads + unloads + swaps }
    package var cyclesPerSecond = 0.0

    // IRQs
    package var irqsRaised: UInt64 = 0
    package var timerDeliveries: UInt64 = 0
    package var handlerRuns: UInt64 = 0
    package var tortureHandlerRuns: UInt64 = 0
    package var tortureEntriesPushed: UInt64 = 0
    package var tortureEntriesDrained: UInt64 = 0
    package var ringFullSkips: UInt64 = 0
    package var workQueued: UInt64 = 0
    package var workRuns: UInt64 = 0
    package var commandsCalled = 0
    package var commandErrors = 0

    // checks
    package var lateExecutions: UInt64 = 0
    package var lateWorkRuns: UInt64 = 0
    package var lostIRQs: UInt64 = 0
    package var doubles: UInt64 = 0
    package var generationViolations: UInt64 = 0
    package var generations: UInt64 = 0
    /// Ages 0, 1, 2, 3, 4-7, 8-15, 16-31, 32+ (handler generation minus the generation current at raise time).
    package var ageHistogram: [UInt64] = []
    /// Drains of a CPU's torture FIFO refused because another drain of it ran.
    package var fifoReentries: UInt64 = 0
    /// Torture handler / irq_work runs of generation g after g's exit() began.
    package var runsAfterExit: UInt64 = 0
    /// Long in-band sections of the torture plugin that ended, and those whose
    /// end found their generation's exit() begun or its image changed.
    package var longSections: UInt64 = 0
    package var longSectionViolations: UInt64 = 0
    /// How often each dangerous window was exercised in this run (0: never, the run proves nothing about it).
    package var windows: [String: UInt64] = [:]
    package var poisonedRanges = 0
    package var poisonMisses = 0
    package var scenarios: [String: String] = [:]

    // latency (µs)
    package var loadP50 = 0.0
    package var loadP99 = 0.0
    package var loadMax = 0.0
    package var unloadP50 = 0.0
    package var unloadP99 = 0.0
    package var unloadMax = 0.0
    package var swapP50 = 0.0
    package var swapP99 = 0.0
    package var swapMax = 0.0
    package var graceP50 = 0.0
    package var graceP99 = 0.0
    package var graceMax = 0.0
    /// A bare dlopen + dlsym + dlclose by the same thread in the same storm:
    /// the scheduling floor an unload's own loader calls meet.
    package var bareCycleP50 = 0.0
    package var bareCycleP99 = 0.0

    /// Digest of the first 300 scheduled operations (same seed, same digest).
    package var scheduleDigest = "(fewer than 300 operations)"
    package var violations: [String] = []
    package var notes: [String] = []
    package var passed: Bool { violations.isEmpty }

    package init() {}

    enum CodingKeys: String, CodingKey {
        case seed, cpus, durationSeconds, barrier, sabotage, jitterSpins, poison, plugins
        case loads, unloads, swaps, loadErrors, swapErrors, busyResults, refusedResults, imagesRetired, imagesUnmapped, cyclesPerSecond
        case irqsRaised, timerDeliveries, handlerRuns, tortureHandlerRuns, tortureEntriesPushed, tortureEntriesDrained
        case ringFullSkips, workQueued, workRuns, commandsCalled, commandErrors
        case lateExecutions, lateWorkRuns, lostIRQs, doubles, generationViolations, generations, ageHistogram
        case fifoReentries, runsAfterExit, longSections, longSectionViolations, windows
        case poisonedRanges, poisonMisses, scenarios
        case loadP50, loadP99, loadMax, unloadP50, unloadP99, unloadMax, swapP50, swapP99, swapMax, graceP50, graceP99, graceMax
        case bareCycleP50, bareCycleP99
        case scheduleDigest, violations, notes
    }

    /// One JSON object (adds `cycles` and `passed`).
    package func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self),
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return "{}" }
        object["schema"] = "tenon.stress/1"
        object["cycles"] = cycles
        object["passed"] = passed
        guard let out = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: out, as: UTF8.self)
    }

    static let ageLabels = ["0", "1", "2", "3", "4-7", "8-15", "16-31", "32+"]

    /// The human summary.
    package var summary: String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s: [String] = []
        s.append(
            "tenon stress: seed \(seed), \(cpus) CPUs, \(f(durationSeconds)) s, barrier \(barrier), sabotage \(sabotage), jitter \(jitterSpins), poison \(poison ? "on" : "off")"
        )
        s.append("  plugins: \(plugins.joined(separator: ", "))")
        s.append(
            "  cycles: \(cycles) (loads \(loads), unloads \(unloads), swaps \(swaps)), \(f(cyclesPerSecond))/s; load errors \(loadErrors), swap errors \(swapErrors)"
        )
        s.append("  unload results: busy \(busyResults), refused \(refusedResults), images unmapped \(imagesUnmapped), retired \(imagesRetired)")
        s.append("  IRQs raised \(irqsRaised) (+ \(timerDeliveries) timer deliveries), handler runs \(handlerRuns) (torture \(tortureHandlerRuns))")
        s.append(
            "  torture ledger: \(generations) generations, entries pushed \(tortureEntriesPushed), drained \(tortureEntriesDrained), ring-full skips \(ringFullSkips); irq_work queued \(workQueued), run \(workRuns)"
        )
        s.append("  commands called \(commandsCalled) (errors \(commandErrors))")
        s.append(
            "  late executions: \(lateExecutions)   late irq_work: \(lateWorkRuns)   lost IRQs: \(lostIRQs)   doubles: \(doubles)   generation violations: \(generationViolations)"
        )
        s.append("  runs after exit() began: \(runsAfterExit)   FIFO re-entered drains: \(fifoReentries)")
        s.append("  long in-band sections: \(longSections) (ended after exit() began or with the image changed: \(longSectionViolations))")
        s.append("  poisoned ranges: \(poisonedRanges) (misses \(poisonMisses))")
        for (k, v) in windows.sorted(by: { $0.key < $1.key }) {
            s.append("  window \(k): \(v)\(v == 0 ? " (never exercised)" : "")")
        }
        s.append(
            "  latency µs: load p50 \(f(loadP50)) p99 \(f(loadP99)) max \(f(loadMax)); unload p50 \(f(unloadP50)) p99 \(f(unloadP99)) max \(f(unloadMax)); swap p50 \(f(swapP50)) p99 \(f(swapP99)) max \(f(swapMax)); grace period alone p50 \(f(graceP50)) p99 \(f(graceP99)) max \(f(graceMax))"
        )
        if bareCycleP50 > 0 {
            s.append(
                "  floor in this storm: a bare dlopen+dlsym+dlclose p50 \(f(bareCycleP50)) p99 \(f(bareCycleP99)) µs; unload p50 = ×\(String(format: "%.1f", unloadP50 / bareCycleP50)) of it"
            )
        }
        let total = max(1, ageHistogram.reduce(0, +))
        let hist = zip(Self.ageLabels, ageHistogram).map { "\($0)=\($1)" }.joined(separator: " ")
        s.append("  age histogram (handler gen - stamp): \(hist)  [\(String(format: "%.3f", Double(ageHistogram.first ?? 0) / Double(total) * 100))% age 0]")
        s.append("  schedule digest (first 300 operations): \(scheduleDigest)")
        for (k, v) in scenarios.sorted(by: { $0.key < $1.key }) { s.append("  scenario \(k): \(v)") }
        for n in notes { s.append("  note: \(n)") }
        for v in violations { s.append("  VIOLATION: \(v)") }
        s.append(passed ? "PASS" : "FAIL: \(violations.count) violation(s)")
        return s.joined(separator: "\n")
    }
}

func percentile(_ samples: [UInt64], _ p: Double) -> Double {
    guard !samples.isEmpty else { return 0 }
    let sorted = samples.sorted()
    let i = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
    return Double(sorted[i]) / 1000
}
