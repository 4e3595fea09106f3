import CTenon

/// A per-CPU POSIX timer (`CLOCK_MONOTONIC`, `SIGEV_THREAD_ID` to the CPU's
/// thread) whose every expiry raises ``irq`` on ``cpu``.
///
/// The kernel merges expiries that occur while the previous signal is still
/// pending and reports them as overruns; ``overruns`` is the sum of
/// `si_overrun`, so `deliveries + overruns` accounts for every expiry; of the
/// deliveries, ``merged`` ones found their IRQ still pending, so handler runs
/// are `deliveries - merged`.
public final class MachineTimer: @unchecked Sendable {
    /// The IRQ each expiry raises.
    public let irq: UInt32
    /// The CPU it belongs to.
    public let cpu: Int
    /// Interval in nanoseconds (0: one-shot).
    public let periodNanos: UInt64
    /// CLOCK_MONOTONIC time of the first expiry, in nanoseconds.
    public let firstExpiryNanos: UInt64
    let record: OpaquePointer
    var deleted = false

    init(irq: UInt32, cpu: Int, periodNanos: UInt64, firstExpiryNanos: UInt64, record: OpaquePointer) {
        self.irq = irq
        self.cpu = cpu
        self.periodNanos = periodNanos
        self.firstExpiryNanos = firstExpiryNanos
        self.record = record
    }

    deinit {
        // The machine keeps its timers until its threads are joined, so no
        // signal can carry this record any more.
        if !deleted { _ = ctenon_timer_delete(record) }
        ctenon_timer_free(record)
    }

    /// Timer signals delivered to the CPU (each raised ``irq`` once).
    public var deliveries: UInt64 { ctenon_timer_signals(record) }
    /// Expiries merged into a delivered signal (sum of `si_overrun`).
    public var overruns: UInt64 { ctenon_timer_overruns(record) }

    /// Deliveries whose IRQ was still pending in the CPU's controller, so the
    /// pipeline merged them into one handler run (Dovetail coalesces an IRQ
    /// raised twice before it is taken, as a controller merges edges).
    public var merged: UInt64 { ctenon_timer_merged(record) }

    /// CLOCK_MONOTONIC time (ns) of the latest delivery, 0 before the first.
    /// Every expiry up to it is accounted for by `deliveries + overruns`
    /// (`si_overrun` counts up to the signal's delivery).
    public var lastDeliveryNanos: UInt64 { ctenon_timer_last_ns(record) }

    /// Stops the timer (no expiry after this returns). Idempotent.
    public func cancel() {
        if !deleted {
            deleted = true
            _ = ctenon_timer_delete(record)
        }
    }
}
