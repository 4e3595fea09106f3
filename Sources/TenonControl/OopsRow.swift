/// One entry of `tenon log`: the payload of ``ControlRequest/log`` is `[OopsRow]`.
///
/// An oops is a contained fault of plugin code (see docs/plugins.md, "When a
/// plugin misbehaves"): the host abandoned the call, quarantined the plugin
/// and kept running.
public struct OopsRow: Codable, Sendable, Equatable {
    /// 1, 2, … in fault order.
    public var sequence: UInt64
    /// The faulting plugin's name.
    public var plugin: String
    /// Its version string.
    public var version: String
    /// Simulated CPU; absent for a task-context call (entry point, init, exit, command).
    public var cpu: Int?
    /// IRQ being dispatched; absent for task-context calls.
    public var irq: Int?
    /// "oob handler", "in-band handler", "irq_work", "entry point", "init", "exit" or "command".
    public var context: String
    /// "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGTRAP", "SIGABRT" or "exit".
    public var signal: String
    /// `si_code`, or the status passed to `exit`.
    public var code: Int
    /// The faulting address (`si_addr`), hex.
    public var address: String
    /// The faulting instruction as `file+0xoffset <nearest-exported-symbol+0xoff>`.
    public var pc: String
    /// Return addresses found by a frame-pointer walk, innermost first, same format.
    public var frames: [String]
    /// Kernel thread id of the faulting thread.
    public var thread: Int
    /// Seconds since the host started.
    public var uptimeSeconds: Double
    /// The one-line summary the host logged.
    public var summary: String

    /// A row from its fields.
    public init(
        sequence: UInt64, plugin: String, version: String, cpu: Int?, irq: Int?, context: String,
        signal: String, code: Int, address: String, pc: String, frames: [String], thread: Int,
        uptimeSeconds: Double, summary: String
    ) {
        self.sequence = sequence
        self.plugin = plugin
        self.version = version
        self.cpu = cpu
        self.irq = irq
        self.context = context
        self.signal = signal
        self.code = code
        self.address = address
        self.pc = pc
        self.frames = frames
        self.thread = thread
        self.uptimeSeconds = uptimeSeconds
        self.summary = summary
    }
}
