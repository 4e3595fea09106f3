import Foundation

/// The verdict of `tenon stress --faults`.
public struct FaultStressReport: Sendable {
    public var seed: UInt64 = 0
    public var durationSeconds = 0.0
    /// Torture generations loaded with fault injection on.
    public var generations = 0
    /// Faults the plugin injected (its own per-CPU count, bumped just before faulting).
    public var faultsInjected: UInt64 = 0
    /// Oopses the host recorded for them.
    public var oopses = 0
    /// Generations found `faulted` (quarantined) after their fault.
    public var quarantined = 0
    /// Faulted generations retired by unload.
    public var retired = 0
    /// Generations unloaded normally before they faulted.
    public var cleanUnloads = 0
    /// Bystander (counter plugin, test device) events pushed, lost, doubled.
    public var bystanderEvents: UInt64 = 0
    public var lost: UInt64 = 0
    public var doubled: UInt64 = 0
    public var violations: [String] = []

    public var passed: Bool { violations.isEmpty && faultsInjected > 0 }

    public var summary: String {
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
