import CTenon
import Glibc
import TenonPipeline

/// IRQ sources: per-CPU POSIX timers and file descriptors.
extension Machine {
    /// Creates a timer on `cpu` whose expiries raise `irq` there. Periodic with
    /// `period` (first expiry after `delay`, default one period), or one-shot
    /// after `delay` when `period` is nil. The timer is created and armed by
    /// the CPU's own thread, so the kernel timer lives on its core.
    @discardableResult
    public func startTimer(on cpu: Int, irq: UInt32, period: Duration?, delay: Duration? = nil) throws(MachineError) -> MachineTimer {
        guard cpu >= 0 && cpu < cpuCount else { throw .invalidCPU(cpu) }
        guard irq < IRQNumberSpace.total else { throw .invalidTimer }
        let periodNanos = period.map(Self.nanos) ?? 0
        let first = delay.map(Self.nanos) ?? periodNanos
        guard first > 0 else { throw .invalidTimer }
        if isStopped { throw .stopped }
        let tid = threadID(of: cpu)
        let outcome: Result<MachineTimer, MachineError> = run(on: cpu) {
            guard let record = ctenon_timer_create(tid, MachineSignals.timer, irq) else { return .failure(.timer(SystemError(errno))) }
            let firstAt = ctenon_monotonic_ns() &+ first
            let r = ctenon_timer_arm_at(record, firstAt, periodNanos)
            let timer = MachineTimer(irq: irq, cpu: cpu, periodNanos: periodNanos, firstExpiryNanos: firstAt, record: record)
            if r != 0 { return .failure(.timer(SystemError(r))) }
            return .success(timer)
        }
        let timer = try outcome.get()
        let stopped = sources.withLock { state -> Bool in
            if state.stopped { return true }
            state.timers.append(timer)
            return false
        }
        if stopped {
            timer.cancel()
            throw .stopped
        }
        return timer
    }

    /// Makes readable data on `fd` raise `irq` on `cpu` (`O_ASYNC`, `F_SETSIG`,
    /// `F_SETOWN_EX` to the CPU's thread; the fd is made non-blocking).
    public func attachFD(_ fd: Int32, irq: UInt32, cpu: Int) throws(MachineError) {
        guard cpu >= 0 && cpu < cpuCount else { throw .invalidCPU(cpu) }
        guard irq < IRQNumberSpace.total else { throw .fileDescriptor(SystemError(EINVAL)) }
        let stopped = sources.withLock { state -> Bool in
            if state.stopped { return true }
            state.fds[fd] = irq
            return false
        }
        if stopped { throw .stopped }
        let r = ctenon_fd_attach(fd, threadID(of: cpu), MachineSignals.fileDescriptor, irq)
        if r != 0 {
            _ = sources.withLock { $0.fds.removeValue(forKey: fd) }
            throw .fileDescriptor(SystemError(r))
        }
    }

    /// Stops `fd` from raising its IRQ (before the caller closes it).
    public func detachFD(_ fd: Int32) {
        let known = sources.withLock { $0.fds.removeValue(forKey: fd) != nil }
        if known { _ = ctenon_fd_detach(fd) }
    }

    static func nanos(_ d: Duration) -> UInt64 {
        let (s, a) = d.components
        return UInt64(max(0, s)) &* 1_000_000_000 &+ UInt64(max(0, a) / 1_000_000_000)
    }
}
