/// Per-CPU timers for plugins (`timer_start` / `timer_stop` of `tenon_host_t`).
///
/// The plugin host has no clock source of its own: timers need the machine
/// (real CPU threads and their doorbell signals). A machine hands the host an
/// implementation; without one, both services return `-ENOSYS`, so a plugin
/// that needs timers fails its init cleanly instead of never firing.
///
/// Every call is made in task context (never from a handler).
public protocol TimerService: AnyObject, Sendable {
    /// Raises `irq` on `cpu` after `firstNanos`, then every `periodNanos`
    /// (0: one-shot), on behalf of `owner`. Returns a timer id > 0 or a
    /// negative errno.
    func start(owner: UInt32, cpu: UInt32, irq: UInt32, firstNanos: UInt64, periodNanos: UInt64) -> Int64
    /// Stops one timer of `owner`: 0 or `-ENOENT`.
    func stop(owner: UInt32, timerID: Int64) -> Int32
    /// Stops every timer of `owner` and returns only when none of its
    /// callbacks runs any more (the unload path's "drain deferred work").
    func cancelAll(owner: UInt32)
}
