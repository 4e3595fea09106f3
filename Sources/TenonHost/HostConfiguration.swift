import TenonControl
import TenonPipeline

/// How `tenon run` sets up its machine.
public struct HostConfiguration: Sendable {
    /// Simulated CPUs (1-64).
    public var cpus: Int
    /// Per-CPU host tick in Hz on IRQ ``tickIRQ`` (0: none).
    public var timerHz: Int
    /// Name of the oob stage installed at start.
    public var stageName: String
    /// Control socket path.
    public var socketPath: String
    /// How the machine's quiescence barrier is built.
    public var barrier: BarrierConfiguration

    /// The IRQ of the host tick (a per-CPU oob timer).
    public static let tickIRQ: UInt32 = 0

    /// A configuration; each setting not given takes its default.
    public init(
        cpus: Int = 4, timerHz: Int = 100, stageName: String = "tenon",
        socketPath: String = ControlSocketPath.defaultPath(), barrier: BarrierConfiguration = .init()
    ) {
        self.cpus = cpus
        self.timerHz = timerHz
        self.stageName = stageName
        self.socketPath = socketPath
        self.barrier = barrier
    }
}
