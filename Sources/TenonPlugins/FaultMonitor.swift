#if canImport(Glibc)
import Glibc
#endif
import CTenon
import TenonSystem
import Synchronization

/// The host-side half of fault containment: one process-wide thread that
/// sleeps on the fault handler's oops counter (a futex the handler wakes),
/// reads each new oops from the ring, symbolises it, and hands it to the
/// plugin host whose pipeline the fault happened on, which quarantines the
/// plugin through the normal unpublish path (task context, grace period
/// included). The fault handler itself only records and flags.
final class FaultMonitor: @unchecked Sendable {
    static let shared = FaultMonitor()

    private struct Entry { weak var host: PluginHost? }
    private let hosts = Mutex<[UInt: Entry]>([:])
    private var thread: pthread_t = 0
    /// The next oops to read; set before any plugin host can exist, so no
    /// fault of a registered host is skipped. Only the monitor thread moves it.
    private var next: UInt64

    private init() {
        next = UInt64(ctenon_oops_count()) + 1
        let arg = Unmanaged.passUnretained(self).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                Unmanaged<FaultMonitor>.fromOpaque(arg!).takeUnretainedValue().run()
                return nil
            }, arg)
        precondition(rc == 0, "cannot start the fault monitor thread: error \(rc)")
        pthread_detach(thread)
    }

    func register(_ host: PluginHost, domain: UnsafeRawPointer) {
        hosts.withLock { $0[UInt(bitPattern: domain)] = Entry(host: host) }
    }

    func unregister(domain: UnsafeRawPointer) {
        _ = hosts.withLock { $0.removeValue(forKey: UInt(bitPattern: domain)) }
    }

    private func run() {
        ThreadName.setCurrent("tenon-faults")
        while true {
            let seen = ctenon_oops_count()
            while next <= UInt64(seen) {
                if let oops = PluginOops.read(seq: next) {
                    let host = hosts.withLock { $0[oops.domain]?.host }
                    host?.faultReported(oops)
                }
                next += 1
            }
            ctenon_oops_wait(seen, 1_000_000_000)
        }
    }
}
