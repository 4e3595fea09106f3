/// Taking what waits in a CPU's controller: the one loop behind a doorbell
/// signal, a local IRQ source, a machine's idle loop, and every hard enable
/// in task context.
///
/// Bounded like NAPI's poll: with a machine attached, one entry makes at most
/// ``PipelineCore/drainBudget`` passes over the controller (each pass takes
/// every line raised at its start once), then returns so that the
/// interrupted in-band work runs between batches of a flood. While it drains,
/// the controller's summary stays set, so raisers do not ring a CPU that is
/// already taking its IRQs; a pass that finds nothing new completes the drain
/// (``IRQController/complete()``), after which a raise rings again.
///
/// Nothing is left behind silently. An entry that stops on its budget leaves
/// the summary set (raisers still do not ring) and has the machine bring the
/// CPU back: after a pause (``MachineHooks/later``) if it interrupted in-band
/// work, which runs meanwhile; at once through the idle loop
/// (``MachineHooks/wake``) if the CPU was idle, which takes the rest in task
/// context between checks for submitted work. Without a machine (the
/// deterministic model) the loop drains until the controller is idle.
extension CPUContext {
    /// The body of a signal entry (the machine's signals are blocked on entry
    /// and exit). The entry honours the lazy hard-off flag first (if the
    /// interrupted code had hard interrupts off, the IRQs stay in the
    /// controller until it enables them again), sets the flag, and only then
    /// has the machine open nested entries: a nested doorbell finds the flag
    /// set and returns at once (the outer drain takes its IRQs). Before
    /// clearing the flag on its way out it has the machine close them again,
    /// and the interrupted state comes back atomically (`sigreturn`, as
    /// `iret`). In-band handlers replayed on the way out run with the flag
    /// clear and entries open, so an oob IRQ preempts them with a nested entry.
    @_noLocks
    func signalEntry() {
        if data.pointee.hardOff { return }
        drain(signalled: true)
    }

    /// Takes the controller's IRQs through the pipeline entry, at most
    /// `drainBudget` passes when a machine is attached (see the type's note).
    /// Hard interrupts are on at the call and on return.
    @_noLocks
    func drain(signalled: Bool) {
        let controller = core.pointee.controllers + index
        let bell = core.pointee.doorbell.load(ordering: .acquiring)
        let budget = bell == 0 ? UInt32.max : core.pointee.drainBudget.load(ordering: .relaxed)
        var passes: UInt32 = 0
        while !data.pointee.hardOff && controller.pointee.mayHavePending() {
            if passes == budget {
                stopOnBudget()
                return
            }
            passes &+= 1
            data.pointee.hardOff = true
            compilerBarrier()
            if signalled { HostGlue.openEntry(core) }
            let switched = enterPipeline()
            let lastIRQ = takeRaised()
            _ = leavePipeline(switched: switched)
            if signalled { HostGlue.closeEntry(core, cpu: index, lastIRQ: lastIRQ) }
            compilerBarrier()
            data.pointee.hardOff = false
            compilerBarrier()
            if !controller.pointee.hasRaised() && !controller.pointee.complete() { return }
        }
    }

    /// The budget is spent and IRQs wait: count it and arrange the return
    /// (the summary stays set, so no raiser rings meanwhile).
    @_noLocks
    func stopOnBudget() {
        let squeezes = data.pointee.squeezes
        squeezes.pointee.store(squeezes.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        let context = core.pointee.doorbellContext.load(ordering: .relaxed)
        // Busy: the interrupted in-band work runs for the machine's pause.
        // Idle: the idle loop takes the rest in task context, where it also
        // sees work submitted meanwhile (ringing at once would chain signal
        // deliveries that never let it run).
        let hook = data.pointee.inbandIdle ? core.pointee.idleWake.load(ordering: .relaxed)
            : core.pointee.doorbellLater.load(ordering: .relaxed)
        HostGlue.ring(hook, context: context, cpu: index)
    }
}
