import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// The torture engine behind `tenon stress` (see docs/stress.md).
package final class StressEngine: @unchecked Sendable {
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
    var loadNanos: [UInt64] = []
    var graceNanos: [UInt64] = []
    /// Bare dlopen + dlsym + dlclose cycles of ``bareImage``, timed in the same storm.
    var bareCycleNanos: [UInt64] = []
    /// A private copy of the counter plugin that only the bare cycle opens.
    var bareImage: String?
    /// Poisoned (or unmapped-and-watched) ranges, oldest first: (watch index, start, end).
    var poisoned: [(Int, UInt, UInt)] = []
    var poisonHead = 0
    let raised = Counter()
    let live = LiveIRQs()
    var logger: Logger

    /// FNV-1a over the first `digestOps` operations (group, kind): equal for
    /// equal seeds, whatever the timing.
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    var digestCount = 0
    static let digestOps = 300

    package init(options: StressOptions) {
        self.options = options
        rng = SplitMix64(seed: options.seed)
        ledger = Ledger(cpus: max(1, min(options.cpus + (options.storm == .threads ? 1 : 0), 64)))
        logger = Logger(label: "tenon.stress")
        logger.logLevel = .critical
    }

    // MARK: - Run

    /// Runs the whole stress (main phase, then the fenced phase) and returns the report.
    /// A late execution or crash never returns: the fault handler prints and `_exit`s (3 or 4).
    package func run() throws -> StressReport {
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
        report.barrier = try phase(
            barrier(options.membarrier ? .membarrier : .fenced), seconds: options.duration,
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
        return String(
            format: "t=%5.1fs cycles %d (L %d U %d S %d) raised %llu torture runs %llu gen %llu late %llu viol %llu busy %d",
            t, report.cycles, report.loads, report.unloads, report.swaps, UInt64(raised.get),
            ledger.read(&l.pointee.handler_runs), nextGeneration - 1,
            ledger.read(&l.pointee.late_handler_runs) + ledger.read(&l.pointee.late_work_runs),
            ledger.read(&l.pointee.age_violations) + ledger.read(&l.pointee.doubles) + ledger.read(&l.pointee.gaps),
            report.busyResults)
    }
}
