import Foundation
import Testing
import TenonStress

func faultStressOptions(seconds: Double) -> FaultStressOptions {
    var o = FaultStressOptions()
    o.duration = seconds
    o.seed = 42
    o.cpus = 2
    o.pluginDirectory = stressOptions(seconds: 1).pluginDirectory
    return o
}

@Suite("tenon stress --faults", .serialized)
struct FaultStressTests {
    @Test func faultsAreContainedUnderTheStorm() throws {
        let report = try FaultStress(options: faultStressOptions(seconds: 2)).run()
        print(report.summary)
        #expect(report.passed, "\(report.violations)")
        #expect(report.faultsInjected > 0 && UInt64(report.oopses) == report.faultsInjected)
        #expect(report.quarantined == Int(report.faultsInjected) || report.quarantined > 0)
        #expect(report.lost == 0 && report.doubled == 0 && report.bystanderEvents > 0)
    }

    /// With recovery disabled the first injected fault must end the process.
    @Test func withoutRecoveryTheHostDies() async throws {
        await #expect(processExitsWith: .failure) {
            var o = faultStressOptions(seconds: 10)
            o.recovery = false
            _ = try FaultStress(options: o).run()
        }
    }
}
