import Foundation
import Testing
import TenonPipeline
import TenonStress

/// The bundled plugins sit in the build directory, next to the test bundle.
func stressOptions(seconds: Double) -> StressOptions {
    var o = StressOptions()
    o.duration = seconds
    o.fencedPhase = 1
    o.seed = 42
    o.rate = 5_000
    let bundle = Bundle.main.bundleURL.path
    for dir in [bundle, (bundle as NSString).deletingLastPathComponent, Bundle.main.executableURL?.deletingLastPathComponent().path ?? "."]
    where FileManager.default.fileExists(atPath: dir + "/libtenon-torture.so") {
        o.pluginDirectory = dir
    }
    return o
}

@Suite("tenon stress engine", .serialized)
struct StressEngineTests {
    @Test func shortCorrectRunPasses() throws {
        let report = try StressEngine(options: stressOptions(seconds: 3)).run()
        print(report.summary)
        #expect(report.passed, "\(report.violations)")
        #expect(report.cycles > 10)
        #expect(report.tortureHandlerRuns > 0)
        #expect(report.lostIRQs == 0 && report.doubles == 0 && report.generationViolations == 0)
        #expect(report.tortureEntriesDrained == report.tortureEntriesPushed)
        #expect(report.fifoReentries == 0 && report.runsAfterExit == 0)
        #expect(report.windows["main drain waited for a reader"] != nil)
        #expect(report.summary.contains("window torture handler ran during its own unload/swap-out"))
    }

    #if TENON_TORTURE
    // Torture build only (the `Torture` trait): the shipped build has no sabotage.
    /// Skipping the barrier's wait must be caught: the child exits non-zero
    /// (1: a ledger violation, 3: late execution in a poisoned image, 4: crash).
    @Test func skipWaitIsDetected() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardOutputContent, \.standardErrorContent]) {
            var o = stressOptions(seconds: 20)
            o.sabotage = .skipWait
            o.jitterSpins = 2_000
            o.fencedPhase = 0
            let report = try StressEngine(options: o).run()
            print(report.summary)
            exit(report.passed ? 0 : 1)
        }
        let out = String(decoding: result.standardOutputContent + result.standardErrorContent, as: UTF8.self)
        print("sabotaged child: \(result.exitStatus)")
        // Whichever check fires first names it: a late execution in a poisoned
        // image, a use-after-free of a freed action chain, a crash, or a ledger violation.
        let named = ["LATE EXECUTION", "USE-AFTER-FREE", "CRASH", "VIOLATION", "LOST IRQ"]
        #expect(named.contains { out.contains($0) }, "\(out.suffix(2000))")
    }
    #endif
}
