#if canImport(Glibc)
import Glibc
#endif
import CTenon
import Logging
import TenonPipeline

/// Holds plugin code to the host's rules where the compiler cannot: around
/// every task-context call into a plugin (`dlopen` constructors, entry point,
/// `init`, `exit`, commands) it notes the calling thread's signal mask, and
/// afterwards
///
/// - checks the dispositions of the signals the host owns (`ctenon_guard_own`:
///   the machine's doorbell, timer and fd signals, and whatever else the host
///   installs later) and puts back any that changed, naming the plugin; a
///   changed IRQ signal (the doorbell above all) also asks for quarantine;
/// - puts back the calling thread's blocking of owned signals.
///
/// Handlers on CPU threads are checked by the signal entry itself (see
/// ``auditEntries(cpus:describe:)``).
final class PluginGuard {
    let logger: Logger
    let pipeline: IRQPipeline
    /// Per-CPU violation counts already reported (at entry exit, pinned to an IRQ).
    private var reported: [UInt64] = Array(repeating: 0, count: 64)
    private var reportedPinned: [UInt64] = Array(repeating: 0, count: 64)

    init(logger: Logger, pipeline: IRQPipeline) {
        self.logger = logger
        self.pipeline = pipeline
    }

    /// What the host looked like before a plugin call.
    struct Section {
        let blocked: UInt64
        let owned: UInt64
    }

    /// What a plugin call changed.
    struct Verdict {
        /// Non-nil: the plugin took an IRQ signal; quarantine it for this reason.
        var quarantine: String?
    }

    /// Held from ``begin()`` to ``end(_:plugin:what:)``: dispositions are
    /// process-wide, so with several plugin hosts in one process (tests) one
    /// host's check must not undo, and misattribute, a change made by a plugin
    /// of another host whose call is still running.
    nonisolated(unsafe) private static let section: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    /// Call right before plugin code runs; pair with exactly one `end`.
    func begin() -> Section {
        pthread_mutex_lock(Self.section)
        let owned = ctenon_guard_owned()
        return Section(blocked: ctenon_guard_blocked(owned), owned: owned)
    }

    /// Checks and repairs after the call `what` of `plugin`.
    func end(_ section: Section, plugin: String, what: String) -> Verdict {
        defer { pthread_mutex_unlock(Self.section) }
        var verdict = Verdict()
        let owned = ctenon_guard_owned()
        for signo in Self.signals(in: owned) {
            let state = ctenon_guard_check(signo, 1)
            guard state > 0 else { continue }
            let found = switch state {
            case Int32(CTENON_GUARD_IGNORED): "set it to SIG_IGN"
            case Int32(CTENON_GUARD_DEFAULT): "set it to SIG_DFL"
            case Int32(CTENON_GUARD_REPLACED): "installed its own handler"
            default: "changed its flags or mask"
            }
            let role = String(cString: ctenon_guard_role(signo))
            let critical = ctenon_guard_critical(signo) != 0
            logger.error("plugin \(plugin): its \(what) \(found) for \(Self.name(signo)) (the host's \(role) signal); the host's disposition was restored\(critical ? " and the plugin is quarantined" : "")")
            if critical && verdict.quarantine == nil {
                verdict.quarantine = "its \(what) \(found) for \(Self.name(signo)) (the host's \(role) signal)"
            }
        }
        // Doorbells lost meanwhile left their CPUs' controllers pending, and a
        // pending controller never rings again by itself.
        if verdict.quarantine != nil { pipeline.ringPendingDoorbells() }
        let watched = owned & section.owned
        let blocked = ctenon_guard_blocked(watched)
        if blocked != section.blocked & watched {
            let changed = blocked ^ (section.blocked & watched)
            _ = ctenon_guard_set_blocked(changed, section.blocked)
            let names = Self.signals(in: changed).map { "\(Self.name($0)) (\(String(cString: ctenon_guard_role($0))))" }
            logger.error("plugin \(plugin): its \(what) changed the calling thread's blocking of \(names.joined(separator: ", ")); the host's mask was restored")
        }
        return verdict
    }

    /// Reports handlers that left host signals blocked on a CPU (recorded by
    /// the signal entry's exit check or after in-band work on a CPU thread;
    /// the mask itself was already put back there). `describe` names the
    /// plugins behind an IRQ.
    func auditEntries(cpus: Int, describe: (UInt32) -> String) {
        for cpu in 0..<min(cpus, 64) {
            let count = ctenon_guard_violations(Int32(cpu))
            let pinned = ctenon_guard_pinned(Int32(cpu))
            guard count != reported[cpu] || pinned != reportedPinned[cpu] else { continue }
            let times = max(count &- reported[cpu], pinned &- reportedPinned[cpu])
            let names = Self.signals(in: ctenon_guard_violation_bits(Int32(cpu))).map(Self.name).joined(separator: ", ")
            let culprit: String
            if pinned != reportedPinned[cpu] {
                let irq = ctenon_guard_pinned_irq(Int32(cpu))
                culprit = "the handler of IRQ \(irq) (\(describe(irq)))"
            } else if ctenon_guard_violation_irq(Int32(cpu)) == UInt32.max {
                culprit = "an in-band handler replayed in task context"
            } else {
                let irq = ctenon_guard_violation_irq(Int32(cpu))
                culprit = "a handler run by an IRQ entry (its last IRQ: \(irq), \(describe(irq)); the next time names the line exactly)"
            }
            reported[cpu] = count
            reportedPinned[cpu] = pinned
            logger.error("CPU \(cpu): \(culprit) left \(names) blocked (\(times) time(s) since the last report); the CPU's mask was restored, but IRQs were held off meanwhile")
        }
    }

    static func signals(in mask: UInt64) -> [Int32] {
        (1...64).filter { mask & (1 << UInt64($0 - 1)) != 0 }.map { Int32($0) }
    }

    /// "SIGRTMIN+2", "SIGSEGV", ...
    static func name(_ signo: Int32) -> String {
        let rtmin = ctenon_sigrtmin()
        if signo >= rtmin { return "SIGRTMIN+\(signo - rtmin)" }
        switch signo {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        case SIGABRT: return "SIGABRT"
        default: return "signal \(signo)"
        }
    }
}
