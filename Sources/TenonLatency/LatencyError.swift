import Glibc
import TenonPipeline

/// Why a latency run could not start; each message says what to do.
package enum LatencyError: Error, CustomStringConvertible, Equatable {
    case badPeriod(UInt64)
    case priorityRefused(Int, SystemError)
    case mlockRefused(SystemError)
    case dmaLatencyUnavailable(SystemError)
    case setup(String)

    package var description: String {
        switch self {
        case .badPeriod(let ns):
            return "--period \(ns) ns is below the 20 µs this tool measures (signal delivery alone takes several µs)"
        case .priorityRefused(let p, let e):
            return "SCHED_FIFO priority \(p) refused (\(e.message)): run as root, "
                + "or raise RLIMIT_RTPRIO (`ulimit -r \(p)`); inside a container it may need CAP_SYS_NICE"
        case .mlockRefused(let e):
            return "mlockall refused (\(e.message)): run as root or raise RLIMIT_MEMLOCK (`ulimit -l unlimited`)"
        case .dmaLatencyUnavailable(let e):
            return "cannot hold /dev/cpu_dma_latency (\(e.message)): "
                + (e.code == ENOENT
                    ? "this kernel has no PM QoS device (common in VMs); drop --dma-latency"
                    : "it needs root")
        case .setup(let what):
            return what
        }
    }
}
