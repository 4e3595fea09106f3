import Synchronization

/// A raw, reference-free handle on a pipeline's interrupt path, for the
/// plugin host's C services.
///
/// Why it exists: a plugin's handler calls host services (`raise_irq`,
/// `hard_local_irq_save`, …) from inside a signal frame. Reaching the
/// `IRQPipeline` class from there would mean retain/release and exclusivity
/// checks — Swift runtime calls that are not async-signal-safe. This struct is
/// one pointer to memory that never moves; every method takes the current CPU
/// from TLS (one load) and is checked `@_noLocks`.
///
/// Valid while its pipeline lives: the plugin host keeps the pipeline alive
/// longer than any plugin's host services.
package struct InterruptPath: @unchecked Sendable {
    let core: UnsafeMutablePointer<PipelineCore>

    init(core: UnsafeMutablePointer<PipelineCore>) {
        self.core = core
    }

    /// The calling thread's CPU, if it runs one of this pipeline's; services
    /// called from an unbound thread get an error value, never a trap (a trap
    /// in a plugin-triggered path would take the whole host down).
    ///
    /// The deterministic model (no machine attached): a thread bound to no
    /// CPU at all acts as CPU 0, so a single-threaded program or test drives
    /// the pipeline without binding (``IRQPipeline/withCPU(_:_:)`` picks
    /// another CPU). With a machine attached, only its CPU threads are CPUs.
    @inline(__always) @_noLocks
    func current() -> CPUContext? {
        let base = core.pointee.cpus
        guard let raw = HostGlue.currentCPU() else {
            return core.pointee.doorbell.load(ordering: .relaxed) == 0 ? CPUContext(data: base) : nil
        }
        let p = raw.assumingMemoryBound(to: PerCPUPipeline.self)
        guard p >= base && p < base + core.pointee.cpuCount else { return nil }
        return CPUContext(data: p)
    }

    /// Number of CPUs.
    package var cpuCount: Int { @_noLocks get { core.pointee.cpuCount } }

    /// `raise_irq` (and ``IRQPipeline/raise(_:on:)``, the only raise path):
    /// marks `irq` in `cpu`'s controller and rings its doorbell if the
    /// controller was idle; without a machine, the caller's own CPU takes it
    /// at once. 0, or `-EINVAL` for an IRQ or CPU out of range.
    @_noLocks
    package func raise(_ irq: UInt32, on cpu: UInt32) -> Int32 {
        guard irq < IRQNumberSpace.total, Int(cpu) < core.pointee.cpuCount else { return Errno.EINVAL }
        if core.pointee.controllers[Int(cpu)].raise(irq) {
            let bell = core.pointee.doorbell.load(ordering: .acquiring)
            if bell != 0 {
                // The machine's ring signals a busy CPU, wakes an idle one
                // and leaves a polling one alone (CPUThread's idle flag).
                HostGlue.ring(bell, context: core.pointee.doorbellContext.load(ordering: .relaxed), cpu: Int(cpu))
                return 0
            }
        }
        if let own = current(), own.index == Int(cpu) { own.takePendingIRQs() }
        return 0
    }

    /// Marks the calling CPU's task context idle or busy (a machine's idle
    /// loop, around its sleep): see ``IRQPipeline/drainBudget``.
    @_noLocks
    package func setIdle(_ idle: Bool) {
        guard let cpu = current() else { return }
        cpu.data.pointee.inbandIdle = idle
        compilerBarrier()
    }

    /// Polls the calling CPU's controller from its idle loop for at most
    /// `nanos`. Returns as soon as the summary is set or `stop()` holds (work
    /// was submitted); the caller then looks at ``hasPending`` as usual. The
    /// machine tells raisers not to ring meanwhile (its idle flag, see
    /// TenonMachine's CPUThread). Task context; the CPU must be marked idle.
    package func poll(nanos: UInt64, until stop: () -> Bool) {
        guard let cpu = current() else { return }
        let controller = core.pointee.controllers + cpu.index
        let end = HostGlue.monotonicNanos() &+ nanos
        var spins: UInt32 = 0
        while controller.pointee.summary.load(ordering: .relaxed) == 0 {
            HostGlue.cpuRelax()
            spins &+= 1
            // The clock (vDSO) and the stop check every 64 spins.
            if spins & 63 == 0 && (stop() || HostGlue.monotonicNanos() >= end) { break }
        }
    }

    /// Whether the calling CPU's controller may hold IRQs, including any a
    /// drain left on its budget (its idle loop takes them before it sleeps).
    package var hasPending: Bool {
        @_noLocks get {
            guard let cpu = current() else { return false }
            let controller = core.pointee.controllers + cpu.index
            if controller.pointee.mayHavePending() { return true }
            if !controller.pointee.hasRaised() { return false }
            // Left with the summary clear: set it, as the drain's loop requires.
            controller.pointee.summary.store(1, ordering: .sequentiallyConsistent)
            return true
        }
    }

    /// Rings the doorbell of every CPU whose controller holds IRQs (see
    /// ``IRQPipeline/ringPendingDoorbells()``). Task context.
    package func ringPending() {
        let bell = core.pointee.doorbell.load(ordering: .acquiring)
        guard bell != 0 else { return }
        let context = core.pointee.doorbellContext.load(ordering: .relaxed)
        for cpu in 0..<core.pointee.cpuCount where core.pointee.controllers[cpu].mayHavePending() {
            HostGlue.ring(bell, context: context, cpu: cpu)
        }
    }

    /// A doorbell signal's entry on `cpu` (the machine's trampoline found it
    /// in TLS): takes what waits in its controller, a budget at a time, or
    /// returns at once if hard interrupts are off on it.
    @_noLocks
    package static func doorbellEntry(_ cpu: UnsafeMutableRawPointer) {
        CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self)).signalEntry()
    }

    /// The machine's drain backstop on `cpu` (its periodic timer's expiry,
    /// see ``MachineHooks/later``): takes what an entry left on its budget,
    /// as a doorbell would, and says what the backstop should do next
    /// (``BackstopPace``). Fast (the machine's period) when it was needed:
    /// IRQs were left behind and no raise has rung since. Slow while entries
    /// stop on the budget but raises ring after each stop (a flood: the
    /// next doorbell takes what a stop leaves, so the backstop only covers
    /// the flood's tail, and each expiry costs the flooded CPU a timer
    /// interrupt and a signal, ~10 µs in a KVM guest). Stopped once
    /// ``PipelineCore/backstopQuietLimit`` expiries in a row saw no stop.
    @_noLocks
    package static func backstopEntry(_ cpu: UnsafeMutableRawPointer) -> Int32 {
        let ctx = CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self))
        let controller = ctx.core.pointee.controllers + ctx.index
        // A stop clears the summary: set again means a raise rang since.
        let waiting = ctx.data.pointee.leftBehind && !controller.pointee.mayHavePending()
        let stopped = ctx.data.pointee.stoppedSinceBackstop
        ctx.data.pointee.stoppedSinceBackstop = false
        ctx.signalEntry()
        // This entry's own stop relies on the backstop too: never disarm then.
        let stoppedNow = ctx.data.pointee.stoppedSinceBackstop
        if waiting || stopped || stoppedNow {
            ctx.data.pointee.backstopQuiet = 0
            return waiting ? BackstopPace.fast : stopped ? BackstopPace.slow : BackstopPace.unchanged
        }
        ctx.data.pointee.backstopQuiet &+= 1
        return ctx.data.pointee.backstopQuiet < PipelineCore.backstopQuietLimit ? BackstopPace.unchanged : BackstopPace.stop
    }

    /// A local IRQ source's entry (timer expiry, readable fd, on `cpu`'s own
    /// thread): raises `irq` in the CPU's controller without ringing the
    /// doorbell, then enters as the doorbell does. Returns whether `irq` was
    /// still pending (the raise merged into it, as a hardware controller
    /// merges an edge on a pending line).
    @_noLocks
    package static func raiseLocalEntry(_ cpu: UnsafeMutableRawPointer, _ irq: UInt32) -> Bool {
        guard irq < IRQNumberSpace.total else { return false }
        let ctx = CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self))
        let merged = ctx.core.pointee.controllers[ctx.index].raiseLocal(irq)
        ctx.signalEntry()
        return merged
    }

    /// `irq_post_inband` / `irq_post_oob` on the current CPU (ignored off-CPU).
    @_noLocks
    package func post(_ irq: UInt32, oob: Bool) {
        current()?.post(irq, oob: oob)
    }

    /// `irq_inject_pipeline` on the current CPU: 0 or `-EINVAL`.
    @_noLocks
    package func inject(_ irq: UInt32) -> Int32 {
        guard let cpu = current() else { return Errno.EINVAL }
        return cpu.inject(irq)
    }

    /// `irq_work_queue` for `owner`: 1 if queued, 0 if already pending or no CPU.
    @_noLocks
    package func queueWork(_ work: UnsafeMutableRawPointer, owner: UInt32) -> Int32 {
        guard let cpu = current() else { return 0 }
        return cpu.queueWork(work.assumingMemoryBound(to: IRQWork.self), owner: owner) ? 1 : 0
    }

    /// Flags: 1 = disabled/stalled, 0 = enabled (as `IRQPipeline`'s).
    @_noLocks
    package func hardSave() -> UInt64 {
        guard let cpu = current() else { return 1 }
        return cpu.hardSave() ? 1 : 0
    }

    @_noLocks
    package func hardRestore(_ flags: UInt64) {
        current()?.hardRestore(flags != 0)
    }

    @_noLocks
    package func oobSave() -> UInt64 {
        guard let cpu = current() else { return 1 }
        return cpu.oobSave() ? 1 : 0
    }

    @_noLocks
    package func oobRestore(_ flags: UInt64) {
        current()?.oobRestore(flags != 0)
    }

    @_noLocks
    package func localSave() -> UInt64 {
        guard let cpu = current() else { return 1 }
        return cpu.inbandSave() ? 1 : 0
    }

    @_noLocks
    package func localRestore(_ flags: UInt64) {
        current()?.inbandRestore(flags != 0)
    }

    /// 1 if the current CPU runs the oob stage, else 0.
    @_noLocks
    package func runningOOB() -> Int32 {
        guard let cpu = current() else { return 0 }
        return cpu.data.pointee.oobCurrent ? 1 : 0
    }

    /// The current CPU's index, or `UInt32.max` off-CPU.
    @_noLocks
    package func processorID() -> UInt32 {
        guard let cpu = current() else { return .max }
        return UInt32(truncatingIfNeeded: cpu.index)
    }

    /// CLOCK_MONOTONIC in nanoseconds (vDSO).
    @_noLocks
    package func clockNanos() -> UInt64 {
        HostGlue.monotonicNanos()
    }

    /// Whether the calling thread's CPU is inside a barrier read section
    /// (i.e. runs a handler): waiting for a grace period from here would
    /// deadlock.
    package var callerInsideHandler: Bool {
        @_noLocks get {
            guard let cpu = current() else { return false }
            return cpu.data.pointee.slot.pointee.isInside
        }
    }
}

extension IRQPipeline {
    /// The reference-free interrupt-path handle (for the plugin host).
    package var interruptPath: InterruptPath { InterruptPath(core: core) }
}
