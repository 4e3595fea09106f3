import CTenon
import Synchronization
import TenonPipeline

/// The real-time signals every machine uses, installed process-wide while at
/// least one machine runs and restored to their previous dispositions when the
/// last one stops. Handlers route by the thread's TLS CPU, so machines share
/// the signal numbers: a thread belongs to one machine only.
public enum MachineSignals {
    /// The doorbell: "your controller has IRQs" (SIGRTMIN+2).
    public static var doorbell: Int32 { ctenon_sigrtmin() + 2 }
    /// Per-CPU POSIX timers (SIGRTMIN+3); `si_value` points at the timer's record.
    public static var timer: Int32 { ctenon_sigrtmin() + 3 }
    /// Readable file descriptors, via `F_SETSIG` (SIGRTMIN+4); `si_fd` names the fd.
    public static var fileDescriptor: Int32 { ctenon_sigrtmin() + 4 }

    static let users = Mutex<Int>(0)

    /// The signal-mask protocol of an entry, as the pipeline's hooks: ring is
    /// `tgkill` of the doorbell to the CPU's thread, ring-later arms the
    /// CPU's periodic backstop timer (``Machine/drainBackstopNanos``) unless
    /// it is armed, wake a bump of its idle loop's futex word; the
    /// trampolines start an
    /// entry with the machine's signals blocked (`sa_mask`), open them once
    /// the entry set the lazy hard-off flag, and block them again (checking
    /// what the handlers left, for the signal guard) before it clears it.
    static func hooks(bell: OpaquePointer) -> MachineHooks {
        MachineHooks(
            ring: { ctenon_bell_ring($0, $1) }, later: { ctenon_bell_ring_later($0, $1) },
            wake: { ctenon_bell_wake($0, $1) },
            context: UnsafeMutableRawPointer(bell),
            open: { ctenon_irq_signals_unblock() }, close: { ctenon_irq_signals_block_at_exit($0, $1) })
    }

    /// Installs the handlers if no machine runs yet.
    static func acquire() throws(MachineError) {
        let failure = users.withLock { count -> MachineError? in
            if count == 0 {
                _ = ctenon_set_machine_signals(doorbell, timer, fileDescriptor)
                // Fault handlers block the machine's signals while they run.
                _ = ctenon_fault_install()
                var r = ctenon_install_doorbell(doorbell, { tenonDoorbellEntry($0) })
                if r != 0 { return .signalInstall(doorbell, SystemError(r)) }
                ctenon_set_backstop_entry { tenonBackstopEntry($0) }
                r = ctenon_install_sources(timer, fileDescriptor, { tenonRaiseLocalEntry($0, $1) })
                if r != 0 {
                    _ = ctenon_restore_signal(doorbell)
                    _ = ctenon_restore_signal(timer)
                    return .signalInstall(timer, SystemError(r))
                }
            }
            count += 1
            return nil
        }
        if let failure { throw failure }
    }

    /// Restores the previous dispositions when the last machine stops.
    static func release() {
        users.withLock { count in
            count -= 1
            if count == 0 {
                _ = ctenon_restore_signal(doorbell)
                _ = ctenon_restore_signal(timer)
                _ = ctenon_restore_signal(fileDescriptor)
            }
        }
    }
}
