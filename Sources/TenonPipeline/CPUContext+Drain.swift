/// Taking what waits in a CPU's controller: the one loop behind a doorbell
/// signal, a local IRQ source, and every hard enable in task context.
///
/// Bounded like NAPI's poll: with a machine attached, one entry makes at most
/// ``PipelineCore/drainBudget`` passes over the controller (each pass takes
/// every line raised at its start once), then returns so that the
/// interrupted in-band work runs between batches of a flood. Nothing is left
/// behind silently: a raise that flips the controller from idle to pending
/// rings the doorbell, and a ring that lands while this CPU is hard-off (a
/// nested entry, which returns at once) is noted in
/// ``PerCPUPipeline/bellMissed``; an entry that stops with IRQs still
/// pending and a missed ring rings its own doorbell on the way out, which
/// enters again once the interrupted context is back (after `sigreturn` for
/// a signal entry). Without a machine (the deterministic model) there is no
/// doorbell to come back with, so the loop drains until the controller is idle.
extension CPUContext {
    /// The body of a signal entry (the machine's signals are blocked on entry
    /// and exit). The entry honours the lazy hard-off flag first (if the
    /// interrupted code had hard interrupts off, the IRQs stay in the
    /// controller until it enables them again), sets the flag, and only then
    /// has the machine open nested entries: a nested doorbell finds the flag
    /// set and returns at once. Before clearing the flag on its way out it
    /// has the machine close them again, and the interrupted state comes back
    /// atomically (`sigreturn`, as `iret`). In-band handlers replayed on the
    /// way out run with the flag clear and entries open, so an oob IRQ
    /// preempts them with a nested entry.
    @_noLocks
    func signalEntry() {
        if data.pointee.hardOff {
            data.pointee.bellMissed = true
            return
        }
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
                let squeezes = data.pointee.squeezes
                squeezes.pointee.store(squeezes.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
                // IRQs raised after the last pass: their raiser's ring is on
                // its way unless it landed while this CPU was hard-off.
                if data.pointee.bellMissed {
                    data.pointee.bellMissed = false
                    HostGlue.ring(bell, context: core.pointee.doorbellContext.load(ordering: .relaxed), cpu: index)
                }
                return
            }
            passes &+= 1
            data.pointee.bellMissed = false
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
        }
    }
}
