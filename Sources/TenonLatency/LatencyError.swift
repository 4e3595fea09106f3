import Glibc

/// Why a latency run could not start; each message says what to do.
package enum LatencyError: Error, CustomStringConvertible, Equatable {
    case badPeriod(UInt64)
    case priorityRefused(Int, errno: Int32)
    case mlockRefused(errno: Int32)
    case dmaLatencyUnavailable(errno: Int32)
    case setup(String)

    package var description: String {
        switch self {
        case .badPeriod(let ns):
            return "--period \(ns) ns is below the 20 µs this tool measures (signal delivery alone takes several µs)"
        case .priorityRefused(let p, let e):
            return "SCHED_FIFO priority \(p) refused (\(String(cString: strerror(e)))): run as root, "
                + "or raise RLIMIT_RTPRIO (`ulimit -r \(p)`); inside a container it may need CAP_SYS_NICE"
        case .mlockRefused(let e):
            return "mlockall refused (\(String(cString: strerror(e)))): run as root or raise RLIMIT_MEMLOCK (`ulimit -l unlimited`)"
        case .dmaLatencyUnavailable(let e):
            return "cannot hold /dev/cpu_dma_latency (\(String(cString: strerror(e)))): "
                + (e == ENOENT
                    ? "this kernel has no PM QoS device (common in VMs); drop --dma-latency"
                    : "it needs root")
        case .setup(let what):
            return what
        }
    }
}
