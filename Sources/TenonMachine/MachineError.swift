/// Why a ``Machine`` operation failed. Errno values are positive.
public enum MachineError: Error, Equatable, CustomStringConvertible {
    /// A machine has 1 to ``Machine/maxCPUs`` CPUs.
    case invalidCPUCount(Int)
    /// No such CPU on this machine.
    case invalidCPU(Int)
    /// The machine was stopped.
    case stopped
    /// Installing a signal handler failed (signal, errno).
    case signalInstall(Int32, Int32)
    /// `pthread_create` failed (errno).
    case threadCreate(Int32)
    /// `timer_create` / `timer_settime` failed (errno).
    case timer(Int32)
    /// Attaching a file descriptor failed (errno).
    case fileDescriptor(Int32)
    /// A timer needs a period (periodic) or a delay (one-shot).
    case invalidTimer

    public var description: String {
        switch self {
        case .invalidCPUCount(let n): "a machine has 1 to \(Machine.maxCPUs) CPUs, not \(n)"
        case .invalidCPU(let n): "no CPU \(n) on this machine"
        case .stopped: "the machine is stopped"
        case .signalInstall(let sig, let e): "sigaction(\(sig)) failed: errno \(e)"
        case .threadCreate(let e): "pthread_create failed: errno \(e)"
        case .timer(let e): "POSIX timer failed: errno \(e)"
        case .fileDescriptor(let e): "fd attach failed: errno \(e)"
        case .invalidTimer: "a timer needs a period or a delay"
        }
    }
}
