#if canImport(Glibc)
import Glibc
#endif
import CTenon
import Logging
import Synchronization
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
/// ``auditEntries(pipeline:describe:)``).
final class PluginGuard {
    let logger: Logger
    /// Per-CPU violation counts already reported (at entry exit, pinned to an IRQ).
    private var reported: [UInt64] = []
    private var reportedPinned: [UInt64] = []

    init(logger: Logger) {
        self.logger = logger
    }

    /// What the host looked like before a plugin call.
    struct Section {
        let id: Int
        /// It held `turn`.
        let exclusive: Bool
        let blocked: UInt64
        let owned: UInt64
    }

    /// What a plugin call changed.
    struct Verdict {
        /// Non-nil: the plugin took an IRQ signal; quarantine it for this reason.
        var quarantine: String?
    }

    /// Plugin calls in progress in the process, by section id. Dispositions
    /// are process-wide, so a change found after one call may come from any
    /// call that overlapped it (another plugin's, or another host's in the
    /// same process). So calls take turns (`turn`), which pins every change
    /// on one plugin, but only for up to ``turnWait``: a 30 s `init()` must not
    /// hold up every command and `exit()` in the process. A call that waited
    /// that long runs beside the slow one; each section remembers who
    /// overlapped it, and a change is pinned on a plugin only when its call
    /// ran alone (otherwise all are named, it is undone, nobody is quarantined).
    private struct Open {
        var label: String
        var overlapped: Set<String>
    }
    private struct Windows {
        var open: [Int: Open] = [:]
        var next = 0
    }
    private static let windows = Mutex<Windows>(Windows())
    /// Taken by a call for its whole run when it can get it within ``turnWait``.
    nonisolated(unsafe) private static let turn: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    /// How long a plugin call waits for the one before it to end.
    static let turnWait: Duration = .seconds(1)

    /// Call right before plugin code runs (`label` names it: plugin or file);
    /// pair with exactly one `end`.
    func begin(_ label: String) -> Section {
        var until = timespec()
        clock_gettime(CLOCK_REALTIME, &until)
        until.tv_sec += Int(Self.turnWait.components.seconds)
        let exclusive = pthread_mutex_timedlock(Self.turn, &until) == 0
        let id = Self.windows.withLock { w -> Int in
            let id = w.next
            w.next &+= 1
            var mine = Open(label: label, overlapped: [])
            for key in w.open.keys {
                w.open[key]!.overlapped.insert(label)
                mine.overlapped.insert(w.open[key]!.label)
            }
            w.open[id] = mine
            return id
        }
        let owned = ctenon_guard_owned()
        return Section(id: id, exclusive: exclusive, blocked: ctenon_guard_blocked(owned), owned: owned)
    }

    /// Checks and repairs after the call `what` of `plugin`.
    func end(_ section: Section, plugin: String, what: String) -> Verdict {
        var verdict = Verdict()
        let owned = ctenon_guard_owned()
        var critical = false
        for signo in Self.signals(in: owned) {
            let state = ctenon_guard_check(signo, 1)
            guard state > 0 else { continue }
            let found =
                switch state {
                case Int32(CTENON_GUARD_IGNORED): "set it to SIG_IGN"
                case Int32(CTENON_GUARD_DEFAULT): "set it to SIG_DFL"
                case Int32(CTENON_GUARD_REPLACED): "installed its own handler"
                default: "changed its flags or mask"
                }
            let role = String(cString: ctenon_guard_role(signo))
            let isCritical = ctenon_guard_critical(signo) != 0
            critical = critical || isCritical
            // Read under the lock each time: a call that began meanwhile counts.
            let others = Self.windows.withLock { $0.open[section.id]?.overlapped ?? [] }.subtracting([plugin])
            guard others.isEmpty else {
                logger.error(
                    "plugin \(plugin)'s \(what) or a call of \(others.sorted().joined(separator: ", ")) running at the same time \(found) for \(Self.name(signo)) (the host's \(role) signal); the host's disposition was restored; no plugin is quarantined because the calls overlapped"
                )
                continue
            }
            logger.error(
                "plugin \(plugin): its \(what) \(found) for \(Self.name(signo)) (the host's \(role) signal); the host's disposition was restored\(isCritical ? " and the plugin is quarantined" : "")"
            )
            if isCritical && verdict.quarantine == nil {
                verdict.quarantine = "its \(what) \(found) for \(Self.name(signo)) (the host's \(role) signal)"
            }
        }
        Self.windows.withLock { _ = $0.open.removeValue(forKey: section.id) }
        if section.exclusive { pthread_mutex_unlock(Self.turn) }
        // Doorbells lost meanwhile left their CPUs' controllers pending, and a
        // pending controller never rings again by itself. The signals are the
        // process's: any machine in it may have lost one, not only this host's.
        if critical { IRQPipeline.ringPendingDoorbellsEverywhere() }
        let watched = owned & section.owned
        let blocked = ctenon_guard_blocked(watched)
        if blocked != section.blocked & watched {
            let changed = blocked ^ (section.blocked & watched)
            _ = ctenon_guard_set_blocked(changed, section.blocked)
            let names = Self.signals(in: changed).map { "\(Self.name($0)) (\(String(cString: ctenon_guard_role($0))))" }
            logger.error(
                "plugin \(plugin): its \(what) changed the calling thread's blocking of \(names.joined(separator: ", ")); the host's mask was restored")
        }
        return verdict
    }

    /// Reports handlers that left host signals blocked on a CPU (recorded by
    /// the signal entry's exit check or after in-band work on a CPU thread;
    /// the mask itself was already put back there). `describe` names the
    /// plugins behind an IRQ.
    func auditEntries(pipeline: IRQPipeline, describe: (UInt32) -> String) {
        if reported.count < pipeline.cpuCount {
            reported += Array(repeating: 0, count: pipeline.cpuCount - reported.count)
            reportedPinned += Array(repeating: 0, count: pipeline.cpuCount - reportedPinned.count)
        }
        for cpu in 0..<pipeline.cpuCount {
            let record = pipeline.signalGuardRecord(cpu: cpu)
            let count = ctenon_guard_violations(record)
            let pinned = ctenon_guard_pinned(record)
            guard count != reported[cpu] || pinned != reportedPinned[cpu] else { continue }
            let times = max(count &- reported[cpu], pinned &- reportedPinned[cpu])
            let names = Self.signals(in: ctenon_guard_violation_bits(record)).map(Self.name).joined(separator: ", ")
            let culprit: String
            if pinned != reportedPinned[cpu] {
                let irq = ctenon_guard_pinned_irq(record)
                culprit = "the handler of IRQ \(irq) (\(describe(irq)))"
            } else if ctenon_guard_violation_irq(record) == UInt32.max {
                culprit = "an in-band handler replayed in task context"
            } else {
                let irq = ctenon_guard_violation_irq(record)
                culprit = "a handler run by an IRQ entry (its last IRQ: \(irq), \(describe(irq)); the next time names the line exactly)"
            }
            reported[cpu] = count
            reportedPinned[cpu] = pinned
            logger.error(
                "CPU \(cpu): \(culprit) left \(names) blocked (\(times) time(s) since the last report); the CPU's mask was restored, but IRQs were held off meanwhile"
            )
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
