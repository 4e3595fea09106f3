import TenonABI
import TenonPipeline

/// What one plugin instance may ask of the host, so that a buggy or greedy
/// plugin cannot wedge the machine (a 1 µs timer pins every core) or starve
/// the other plugins of action slots and synthetic IRQs.
///
/// The figures are per plugin instance (a hot swap's new version has its own
/// budget) and are documented in `include/tenon/tenon_plugin.h` and
/// `docs/plugins.md`; changing one is an ABI-visible change.
package enum PluginLimits {
    /// Shortest period of a periodic timer (one-shots, period 0, are not
    /// limited: they fire once). 100 µs = 10 kHz per timer: a timer signal entry
    /// costs a few µs on the reference machine (2 vCPU KVM guest), so even
    /// ``maxTimers`` timers at this period leave most of a core to the rest.
    package static let minTimerPeriodNanos: UInt64 = 100_000
    /// Timers one plugin may hold at once (a one-shot counts until it is
    /// stopped with `timer_stop` or the plugin unloads).
    package static let maxTimers = 8
    /// IRQ actions (`request_irq` successes not yet freed) per plugin.
    package static let maxActions = 32
    /// Synthetic IRQs (`irq_create_direct_mapping`) per plugin; the domain
    /// holds 1024 for the whole host.
    package static let maxSyntheticIRQs = 16
    /// Every `request_irq` flag the host understands; any other bit is refused
    /// with `-EINVAL` rather than ignored (a plugin built against a newer
    /// header must not get silently different semantics).
    package static let knownIRQFlags: UInt32 = IRQF_SHARED | IRQF_PERCPU | IRQF_ONESHOT | IRQF_NO_THREAD | IRQF_OOB

    /// These figures as the `TENON_EXT_LIMITS` extension hands them to a plugin.
    static var `extension`: tenon_host_limits_t {
        tenon_host_limits_t(
            struct_size: UInt32(MemoryLayout<tenon_host_limits_t>.size),
            max_actions: UInt32(maxActions), max_timers: UInt32(maxTimers),
            max_synthetic_irqs: UInt32(maxSyntheticIRQs), min_timer_period_ns: minTimerPeriodNanos)
    }

    /// Why `request_irq` must be refused before it reaches the pipeline, with
    /// the errno to return; nil if within limits.
    static func checkRequest(flags: UInt32, actionsHeld: Int) -> (errno: Int32, reason: String)? {
        let unknown = flags & ~knownIRQFlags
        if unknown != 0 {
            return (
                Errno.EINVAL,
                "unknown flag bits 0x\(String(unknown, radix: 16)) (known: TENON_IRQF_SHARED, TENON_IRQF_PERCPU, TENON_IRQF_ONESHOT, TENON_IRQF_NO_THREAD, TENON_IRQF_OOB)"
            )
        }
        if actionsHeld >= maxActions {
            return (Errno.ENOSPC, "the plugin already holds \(actionsHeld) IRQ actions, the limit is \(maxActions); free_irq some first")
        }
        return nil
    }

    /// Why `timer_start` must be refused, with the errno; nil if within limits.
    static func checkTimer(periodNanos: UInt64, timersHeld: Int) -> (errno: Int32, reason: String)? {
        if periodNanos != 0 && periodNanos < minTimerPeriodNanos {
            return (Errno.EINVAL, "period \(periodNanos) ns is below the minimum of \(minTimerPeriodNanos) ns (\(minTimerPeriodNanos / 1000) µs)")
        }
        if timersHeld >= maxTimers {
            return (
                Errno.EAGAIN, "the plugin already holds \(timersHeld) timers, the limit is \(maxTimers); timer_stop one first (one-shots count until stopped)"
            )
        }
        return nil
    }
}
