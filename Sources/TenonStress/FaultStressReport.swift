import Foundation

/// The verdict of `tenon stress --faults`.
package struct FaultStressReport: Sendable {
    package var seed: UInt64 = 0
    package var durationSeconds = 0.0
    /// Torture generations loaded with fault injection on.
    package var generations = 0
    /// Faults the plugin injected (its own per-CPU count, bumped just before faulting).
    package var faultsInjected: UInt64 = 0
    /// Oopses the host recorded for them.
    package var oopses = 0
    /// Generations found `faulted` (quarantined) after their fault.
    package var quarantined = 0
    /// Faulted generations retired by unload.
    package var retired = 0
    /// Generations unloaded normally before they faulted.
    package var cleanUnloads = 0
    /// Bystander (counter plugin, test device) events pushed, lost, doubled.
    package var bystanderEvents: UInt64 = 0
    package var lost: UInt64 = 0
    package var doubled: UInt64 = 0
    package var violations: [String] = []

    package var passed: Bool { violations.isEmpty && faultsInjected > 0 }

    package var summary: String {
        var lines = [
            "tenon stress --faults: \(passed ? "PASS" : "FAIL") (seed \(seed), \(String(format: "%.1f", durationSeconds)) s)",
            "  faults injected \(faultsInjected), oopses \(oopses), generations \(generations) "
                + "(quarantined \(quarantined), retired \(retired), unloaded before faulting \(cleanUnloads))",
            "  other plugin: \(bystanderEvents) device events, \(lost) lost, \(doubled) doubled",
        ]
        if faultsInjected == 0 { lines.append("  no fault was injected: run longer or lower --fault-one-in") }
        lines += violations.prefix(20).map { "  VIOLATION: \($0)" }
        return lines.joined(separator: "\n")
    }
}
