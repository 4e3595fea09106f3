import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// The verdict: the ledger and counters turned into the report and its violations.
extension StressEngine {
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
            report.windows = [
                "straggler drain waited for a reader": w.stragglerWaits,
                "main drain waited for a reader": w.mainWaits,
                "torture handler ran during its own unload/swap-out": ledger.read(&l.pointee.runs_during_unload),
                "unload busy (a CPU stayed inside)": UInt64(report.busyResults),
                "unload/swap started while a command of that plugin ran": UInt64(unloadsDuringCommand),
            ]
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
        report.loadP50 = percentile(loadNanos, 0.5); report.loadP99 = percentile(loadNanos, 0.99); report.loadMax = percentile(loadNanos, 1)
        report.unloadP50 = percentile(unloadNanos, 0.5); report.unloadP99 = percentile(unloadNanos, 0.99); report.unloadMax = percentile(unloadNanos, 1)
        report.swapP50 = percentile(swapNanos, 0.5); report.swapP99 = percentile(swapNanos, 0.99); report.swapMax = percentile(swapNanos, 1)
        report.graceP50 = percentile(graceNanos, 0.5); report.graceP99 = percentile(graceNanos, 0.99); report.graceMax = percentile(graceNanos, 1)
        report.bareCycleP50 = percentile(bareCycleNanos, 0.5); report.bareCycleP99 = percentile(bareCycleNanos, 0.99)
        report.cyclesPerSecond = Double(report.cycles) / max(0.001, options.duration + (options.membarrier ? options.fencedPhase : 0))

        let kind = ledger.read(&l.pointee.first_violation_kind)
        let first =
            kind == 0
            ? ""
            : " (first: generation \(ledger.read(&l.pointee.first_violation_generation)) handled an entry stamped \(ledger.read(&l.pointee.first_violation_stamp)) on CPU \(ledger.read(&l.pointee.first_violation_cpu)))"
        if report.generationViolations > 0 {
            report.violations.append(
                "GENERATION VIOLATION: \(report.generationViolations) IRQ(s) handled by a generation older than the one current when raised\(kind == 1 ? first : "")"
            )
        }
        if report.lateExecutions > 0 {
            report.violations.append(
                "LATE EXECUTION: \(report.lateExecutions) handler run(s) of a generation whose unload had returned\(kind == 2 ? first : "")")
        }
        if report.lateWorkRuns > 0 {
            report.violations.append("LATE IRQ_WORK: \(report.lateWorkRuns) irq_work run(s) of a generation whose unload had returned")
        }
        if report.doubles > 0 { report.violations.append("DOUBLE: \(report.doubles) IRQ(s) handled twice") }
        if report.lostIRQs > 0 {
            report.violations.append(
                "LOST IRQ: \(report.lostIRQs) torture entries never handled (\(gaps) skipped, \(pending) still queued after the final drain)")
        }
        if report.tortureHandlerRuns == 0 { report.violations.append("VACUOUS: the torture handler never ran") }
        // Every entry pushed is drained exactly once or still pending (then LOST IRQ above):
        // more drained than pushed means a FIFO was drained twice (two readers, stale copies).
        if report.tortureEntriesDrained + pending != pushed {
            report.violations.append("LEDGER: drained \(report.tortureEntriesDrained) + pending \(pending) != pushed \(pushed)")
        }
        if reentered > 0 {
            report.violations.append(
                "FIFO REENTERED: \(reentered) drain(s) of a CPU's FIFO while another drain of it ran (a handler ran nested in, or beside, its own CPU's handler)"
            )
        }
        if report.longSectionViolations > 0 {
            report.violations.append(
                "LONG SECTION: \(report.longSectionViolations) long in-band section(s) of generation g found at their end that g's exit() had begun, its unload had returned, or its code/data had changed"
            )
        }
        if report.runsAfterExit > 0 {
            report.violations.append("RUN AFTER EXIT: \(report.runsAfterExit) torture handler or irq_work run(s) of generation g after g's exit() began")
        }
    }
}
