import TenonSystem
/// Why a ``Machine`` operation failed. Errno values are positive.
public enum MachineError: Error, Equatable, CustomStringConvertible {
    /// A machine has 1 to ``Machine/maxCPUs`` CPUs.
    case invalidCPUCount(Int)
    /// No such CPU on this machine.
    case invalidCPU(Int)
    /// The machine was stopped.
    case stopped
    /// Installing a signal handler failed (signal, errno).
    case signalInstall(Int32, SystemError)
    /// `pthread_create` failed (errno).
    case threadCreate(SystemError)
    /// `timer_create` / `timer_settime` failed (errno).
    case timer(SystemError)
    /// Attaching a file descriptor failed (errno).
    case fileDescriptor(SystemError)
    /// A timer needs a period (periodic) or a delay (one-shot).
    case invalidTimer

    public var description: String {
        switch self {
        case .invalidCPUCount(let n): "a machine has 1 to \(Machine.maxCPUs) CPUs, not \(n)"
        case .invalidCPU(let n): "no CPU \(n) on this machine"
        case .stopped: "the machine is stopped"
        case .signalInstall(let sig, let e): "sigaction(\(sig)) failed: \(e)"
        case .threadCreate(let e): "pthread_create failed: \(e)"
        case .timer(let e): "POSIX timer failed: \(e)"
        case .fileDescriptor(let e): "fd attach failed: \(e)"
        case .invalidTimer: "a timer needs a period or a delay"
        }
    }
}
