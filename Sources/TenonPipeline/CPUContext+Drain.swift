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
/// Hard interrupts stay off from the first pass to the last, and a signal
/// entry has the machine open nested entries once for all its passes and
/// close them once at its end: two `rt_sigprocmask` per entry, not two per
/// pass (they were ~1.8 µs of a budget-4 entry under a flood).
///
/// Nothing is left behind silently. An entry that stops on its budget while
/// the CPU idles wakes the idle loop (``MachineHooks/wake``), which takes the
/// rest in task context between checks for submitted work. One that
/// interrupted in-band work clears the summary, so the next raise rings (the
/// work runs until then, as with a handler that drains once per signal), and
/// makes sure the machine's backstop (``MachineHooks/later``) is pending,
/// for when no raise comes. Without a machine (the deterministic
/// model) the loop drains until the controller is idle.
extension CPUContext {
    /// The body of a signal entry (the machine's signals are blocked on entry
    /// and exit). The entry honours the lazy hard-off flag first (if the
    /// interrupted code had hard interrupts off, the IRQs stay in the
    /// controller until it enables them again), sets the flag, and only then
    /// has the machine open nested entries: a nested doorbell finds the flag
    /// set and returns at once (the outer drain takes its IRQs). Before
    /// clearing the flag on its way out (after its last pass) it has the
    /// machine close them again, and the interrupted state comes back
    /// atomically (`sigreturn`, as `iret`). In-band handlers replayed inside
    /// a pass run with the flag clear and entries open, so an oob IRQ
    /// preempts them with a nested entry.
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
        if !data.pointee.hardOff && !controller.pointee.mayHavePending() {
            // IRQs a drain left on its budget with the summary clear (the
            // backstop's entry): mark them again. Only then are the leaves
            // read: a hard enable must not pay for it every time.
            if !data.pointee.leftBehind { return }
            data.pointee.leftBehind = false
            if !controller.pointee.hasRaised() { return }
            controller.pointee.summary.store(1, ordering: .sequentiallyConsistent)
        }
        if data.pointee.hardOff { return }
        var passes: UInt32 = 0
        while controller.pointee.mayHavePending() {
            if passes == budget {
                stopOnBudget()
                return
            }
            data.pointee.hardOff = true
            compilerBarrier()
            if signalled { HostGlue.openEntry(core) }
            // The first pass takes every raised line, what a stop left included.
            data.pointee.leftBehind = false
            var lastIRQ: UInt32 = 0
            var stopped = false
            while true {
                passes &+= 1
                let switched = enterPipeline()
                lastIRQ = takeRaised()
                _ = leavePipeline(switched: switched)
                // Hard-off again whatever a handler did (in-band replays
                // enable and disable around each handler): a nested entry
                // between passes returns at once.
                data.pointee.hardOff = true
                compilerBarrier()
                if !controller.pointee.hasRaised() && !controller.pointee.complete() { break }
                if passes == budget {
                    stopped = true
                    break
                }
            }
            if signalled { HostGlue.closeEntry(core, cpu: index, lastIRQ: lastIRQ) }
            compilerBarrier()
            data.pointee.hardOff = false
            compilerBarrier()
            if stopped {
                stopOnBudget()
                return
            }
            // The completion cleared the summary with hard interrupts still
            // off: a raise that rang meanwhile set it again, but its doorbell
            // may have found the flag set and returned at once. Go round
            // again for it (a doorbell still pending finds nothing later).
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
        // machine's backstop is pending in case no raise comes. Its hook
        // arms a timer only if none is armed: arming one per stop (a
        // syscall, 10-26 µs in a KVM guest) was the largest part of a flooded
        // entry, and an arm made every half period still came once per entry
        // because the arm itself made each entry longer than that.
        //
        // Hard-off while the stop is recorded: in task context an entry could
        // otherwise nest here, take the lines (clearing `leftBehind`) and
        // complete, and a raise ringing after that would find the summary
        // cleared below and nothing marking its line. A doorbell arriving
        // meanwhile returns at once; its line is left behind, which the
        // backstop covers. The flags come before the hook, so a backstop
        // expiry landing right after the hook found it armed sees this stop
        // (and does not count a quiet expiry and disarm what it relies on).
        data.pointee.hardOff = true
        compilerBarrier()
        data.pointee.leftBehind = true
        data.pointee.stoppedSinceBackstop = true
        HostGlue.ring(core.pointee.doorbellLater.load(ordering: .relaxed), context: context, cpu: index)
        core.pointee.controllers[index].summary.store(0, ordering: .sequentiallyConsistent)
        compilerBarrier()
        data.pointee.hardOff = false
        compilerBarrier()
    }
}
