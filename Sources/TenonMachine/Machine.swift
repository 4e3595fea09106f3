import CTenon
import Glibc
import Synchronization
import TenonPipeline

/// A machine of simulated CPUs running a Dovetail ``IRQPipeline`` with real
/// asynchronous interrupts.
///
/// Each CPU is a pthread pinned round-robin to the real cores and bound to
/// its pipeline CPU for life. It runs an in-band task context: an idle loop
/// sleeping on a futex, plus work submitted with ``submit(cpu:_:)`` or
/// ``run(on:_:)``. Hardware interrupts are real-time signals: a raise sets a
/// bit in the CPU's controller and, if the controller was idle, rings the
/// doorbell (``MachineSignals/doorbell``, `tgkill` to the CPU's thread); the
/// signal handler is the pipeline entry. A CPU idle in its loop is not
/// signalled: the ring bumps and wakes its futex word and the loop takes the
/// IRQs in task context (``doorbellRings(cpu:)`` counts both kinds). Hard
/// interrupts are masked lazily (a per-CPU flag the entry honours), not with
/// the thread's signal mask.
public final class Machine: @unchecked Sendable {
    /// The largest machine.
    public static let maxCPUs = 64
    /// The longest a CPU's in-band work runs before the CPU comes back for
    /// IRQs an entry left on its ``IRQPipeline/drainBudget``, if no new raise
    /// rings it first (a per-CPU periodic timer armed by the first such stop;
    /// plus the kernel's timer slack, 50 µs for SCHED_OTHER threads). While
    /// raises keep ringing after each stop (a flood) it ticks every 16
    /// periods instead: see docs/machine.md, "Bounded drain".
    public static let drainBackstopNanos: UInt64 = 100_000
    /// The pipeline all CPUs run. Request IRQs and install the oob stage here.
    public let pipeline: IRQPipeline
    /// Number of CPUs.
    public let cpuCount: Int
    let bell: OpaquePointer
    let cpus: [CPUThread]
    let sources = Mutex<MachineSources>(MachineSources())

    /// Starts `cpus` CPU threads (default: one per usable core).
    /// Throws ``MachineError/invalidCPUCount(_:)`` outside 1...64.
    public init(cpus: Int = HostCores.online, barrier: BarrierConfiguration = .init()) throws(MachineError) {
        guard cpus >= 1 && cpus <= Self.maxCPUs else { throw .invalidCPUCount(cpus) }
        cpuCount = cpus
        let pipeline = IRQPipeline(cpus: cpus, barrier: barrier)
        self.pipeline = pipeline
        guard let bell = ctenon_bell_create(MachineSignals.doorbell, Int32(cpus)) else {
            throw .threadCreate(SystemError(ENOMEM))
        }
        self.bell = bell
        let cores = HostCores.allowed
        self.cpus = (0..<cpus).map {
            CPUThread(index: $0, core: cores[$0 % cores.count], pipeline: pipeline, bell: bell)
        }
        try MachineSignals.acquire()
        pipeline.attach(MachineSignals.hooks(bell: bell))
        var started = 0
        do {
            for cpu in self.cpus {
                try cpu.start()
                started += 1
            }
        } catch {
            pipeline.attach(nil)
            for cpu in self.cpus.prefix(started) { cpu.stopAndJoin() }
            MachineSignals.release()
            sources.withLock { $0.stopped = true }
            throw error
        }
    }

    deinit {
        stop()
        ctenon_bell_free(bell)
    }

    /// Whether ``stop()`` ran.
    public var isStopped: Bool { sources.withLock { $0.stopped } }

    /// The core CPU `cpu` is pinned to.
    public func core(of cpu: Int) -> Int { cpus[cpu].core }

    /// The kernel thread id of CPU `cpu`'s thread.
    public func threadID(of cpu: Int) -> Int32 { cpus[cpu].tid.load(ordering: .relaxed) }

    /// Queues `work` to run on `cpu`'s thread in in-band task context
    /// (in-band, unstalled, hard interrupts on; the work may stall the stage
    /// itself, and whatever state it leaves is reset after it).
    public func submit(cpu: Int, _ work: @escaping @Sendable () -> Void) {
        precondition(cpu >= 0 && cpu < cpuCount, "no CPU \(cpu) on this machine")
        cpus[cpu].submit(work)
    }

    /// Runs `body` on `cpu`'s thread in in-band task context and returns its
    /// value (runs it inline if called on that CPU). Traps if the machine is stopped.
    public func run<T>(on cpu: Int, _ body: @escaping @Sendable () -> T) -> T {
        precondition(cpu >= 0 && cpu < cpuCount, "no CPU \(cpu) on this machine")
        if pipeline.currentCPU == cpu { return body() }
        precondition(!isStopped, "the machine is stopped")
        let result = RunResult<T>()
        cpus[cpu].submit {
            result.value = body()
            result.done.signal()
        }
        result.done.wait()
        return result.value!
    }

    /// A device IRQ or IPI arriving at `cpu`, from any thread (async-signal-safe).
    /// 0, or `-EINVAL` for a bad IRQ or CPU.
    @discardableResult
    public func raise(_ irq: UInt32, on cpu: Int) -> Int32 {
        pipeline.raise(irq, on: cpu)
    }

    /// Stops the machine: deletes its timers, detaches its fds, clears the
    /// doorbell, lets every CPU finish its queue and joins the threads, then
    /// restores the signal dispositions if it was the last machine. Idempotent.
    public func stop() {
        let taken = sources.withLock { state -> MachineSources? in
            if state.stopped { return nil }
            state.stopped = true
            let copy = state
            state.fds = [:]
            return copy
        }
        guard let taken else { return }
        for fd in taken.fds.keys { _ = ctenon_fd_detach(fd) }
        for timer in taken.timers { timer.cancel() }
        pipeline.attach(nil)
        for cpu in cpus { cpu.stopAndJoin() }
        // Threads are gone: no signal can reach a timer record now.
        sources.withLock { $0.timers = [] }
        MachineSignals.release()
    }
}
