/// What `tenon stress --faults` runs.
public struct FaultStressOptions: Sendable {
    public var cpus = 4
    /// Seconds of the storm.
    public var duration: Double = 20
    public var seed: UInt64 = 1
    /// A faulting generation faults in one handler run in this many.
    public var faultOneIn: UInt64 = 200
    /// Device IRQs per second per CPU for the bystander plugin.
    public var rate = 5_000
    /// Per-CPU timer frequency (Hz) raising the faulting plugin's IRQ.
    public var timerHz = 1_000
    /// Seconds between generations (paces the faults: about one per pause).
    public var pause: Double = 0.25
    /// false: the sabotaged variant (fault recovery off): the first fault must take the host down.
    public var recovery = true
    public var pluginDirectory: String?
    public var progress: (@Sendable (String) -> Void)?

    public init() {}
}
