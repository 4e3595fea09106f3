import Synchronization
import TenonMachine
import TenonPipeline
import TenonPlugins

/// Plugins' per-CPU timers (`timer_start` / `timer_stop`), as POSIX timers of
/// the machine: each expiry raises the plugin's IRQ on its CPU.
public final class MachineTimerService: TimerService, @unchecked Sendable {
    private let machine: Machine
    private let timers = Mutex<[UInt32: [Int64: MachineTimer]]>([:])
    private let nextID = Atomic<Int64>(1)

    /// Timers on `machine`'s CPUs.
    public init(machine: Machine) {
        self.machine = machine
    }

    /// Starts a POSIX timer of the machine raising `irq` on `cpu`: its id, `-EINVAL` for a CPU
    /// or IRQ out of range, or `-EAGAIN` if the machine cannot create it.
    public func start(owner: UInt32, cpu: UInt32, irq: UInt32, firstNanos: UInt64, periodNanos: UInt64) -> Int64 {
        guard Int(cpu) < machine.cpuCount else { return Int64(Errno.EINVAL) }
        guard irq < IRQNumberSpace.total else { return Int64(Errno.EINVAL) }
        let period: Duration? = periodNanos == 0 ? nil : .nanoseconds(Int64(clamping: periodNanos))
        let delay: Duration = .nanoseconds(Int64(clamping: max(firstNanos, 1)))
        let timer: MachineTimer
        do {
            timer = try machine.startTimer(on: Int(cpu), irq: irq, period: period, delay: delay)
        } catch {
            return Int64(Errno.EAGAIN)
        }
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        timers.withLock { $0[owner, default: [:]][id] = timer }
        return id
    }

    /// Cancels `owner`'s timer `timerID`: 0, or `-ENOENT` if `owner` holds no such timer.
    public func stop(owner: UInt32, timerID: Int64) -> Int32 {
        guard let timer = timers.withLock({ $0[owner]?.removeValue(forKey: timerID) }) else { return Errno.ENOENT }
        timer.cancel()
        return 0
    }

    /// Cancels every timer of `owner`; none of them expires after this returns.
    public func cancelAll(owner: UInt32) {
        let mine = timers.withLock { $0.removeValue(forKey: owner) ?? [:] }
        for timer in mine.values { timer.cancel() }
    }

    /// Timers running, for `tenon stats`.
    public var count: Int { timers.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
