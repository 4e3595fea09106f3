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
/// Nothing is left behind silently. An entry that stops on its budget while
/// the CPU idles wakes the idle loop (``MachineHooks/wake``), which takes the
/// rest in task context between checks for submitted work. One that
/// interrupted in-band work clears the summary, so the next raise rings (the
/// work runs until then, as with a handler that drains once per signal), and
/// makes sure the machine's backstop timer (``MachineHooks/later``) is
/// pending, for when no raise comes. Without a machine (the deterministic
/// model) the loop drains until the controller is idle.
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
        if !data.pointee.hardOff && !controller.pointee.mayHavePending() {
            // IRQs a drain left on its budget with the summary clear (the
            // backstop's entry): mark them again. Only then are the leaves
            // read: a hard enable must not pay for it every time.
            if !data.pointee.leftBehind { return }
            data.pointee.leftBehind = false
            if !controller.pointee.hasRaised() { return }
            controller.pointee.summary.store(1, ordering: .sequentiallyConsistent)
        }
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

    /// The budget is spent and IRQs wait: count it and arrange the return.
    @_noLocks
    func stopOnBudget() {
        let squeezes = data.pointee.squeezes
        squeezes.pointee.store(squeezes.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        let context = core.pointee.doorbellContext.load(ordering: .relaxed)
        if data.pointee.inbandIdle {
            // The idle loop takes the rest in task context, where it also sees
            // work submitted meanwhile (ringing at once would chain signal
            // deliveries that never let it run). The summary stays set.
            HostGlue.ring(core.pointee.idleWake.load(ordering: .relaxed), context: context, cpu: index)
            return
        }
        // Busy: the interrupted in-band work runs until the next raise rings
        // (the summary is cleared, as by a drain-once handler), and the
        // machine's backstop timer is pending in case no raise comes: armed
        // for a full period at most half a period ago, so it always fires
        // after this point (one arm per half period under a flood, not one
        // per entry: arming a timer is a syscall, and a VM exit in a guest).
        let now = HostGlue.monotonicNanos()
        let half = core.pointee.backstopNanos.load(ordering: .relaxed) / 2
        if now &- data.pointee.backstopArmedAt >= half {
            data.pointee.backstopArmedAt = now
            HostGlue.ring(core.pointee.doorbellLater.load(ordering: .relaxed), context: context, cpu: index)
        }
        data.pointee.leftBehind = true
        core.pointee.controllers[index].summary.store(0, ordering: .sequentiallyConsistent)
    }
}
