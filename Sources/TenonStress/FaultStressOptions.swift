/// What `tenon stress --faults` runs.
package struct FaultStressOptions: Sendable {
    package var cpus = 4
    /// Seconds of the storm.
    package var duration: Double = 20
    package var seed: UInt64 = 1
    /// A faulting generation faults in one handler run in this many.
    package var faultOneIn: UInt64 = 200
    /// Device IRQs per second per CPU for the bystander plugin.
    package var rate = 5_000
    /// Per-CPU timer frequency (Hz) raising the faulting plugin's IRQ.
    package var timerHz = 1_000
    /// Seconds between generations (paces the faults: about one per pause).
    package var pause: Double = 0.25
    /// false: the sabotaged variant (fault recovery off): the first fault must take the host down.
    package var recovery = true
    package var pluginDirectory: String?
    package var progress: (@Sendable (String) -> Void)?

    package init() {}
}
