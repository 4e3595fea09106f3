import CTenon
/// Pipeline entry: what runs when the CPU takes an IRQ (Dovetail's
/// `handle_irq_pipelined` with its prepare/finish halves).
extension CPUContext {
    /// `handle_irq_pipelined_prepare`: hard interrupts are off. Returns whether
    /// the entry switched the CPU from in-band to oob.
    @_noLocks
    func enterPipeline() -> Bool {
        if data.pointee.oobStalled && debug {
            diagnose(.oobStalledOnEntry)
            data.pointee.oobStalled = false
        }
        var switched = false
        if oobPresent && !data.pointee.oobCurrent {
            data.pointee.oobCurrent = true
            switched = true
        }
        data.pointee.pipelineDepth &+= 1
        return switched
    }

    /// `handle_irq_pipelined_finish`: returns "run the regular IRQ epilogue",
    /// i.e. the CPU is in-band and unstalled after the entry.
    @_noLocks
    func leavePipeline(switched: Bool) -> Bool {
        data.pointee.pipelineDepth &-= 1
        // restore_stage_on_irq: only undo our own switch; if a handler moved
        // the CPU in-band (a companion core switched context), leave it.
        if switched && data.pointee.oobCurrent { data.pointee.oobCurrent = false }
        synchronizePipelineOnIRQ()
        return !data.pointee.oobCurrent && !data.pointee.inbandStalled
    }

    /// The flow handler's first pass for one raised IRQ.
    @_noLocks
    func handleRaised(_ irq: UInt32) {
        if irq >= IRQNumberSpace.total || !core.pointee.descriptors[Int(irq)].has(IRQDescriptor.Setting.exists) {
            diagnose(.badIRQ, irq: irq)
            countUnhandled()
            return
        }
        _ = handleOOBIRQ(irq)
    }

    /// `handle_oob_irq`: runs the oob handlers now, or logs the IRQ for the
    /// in-band stage. Returns true if oob handlers ran.
    @_noLocks
    func handleOOBIRQ(_ irq: UInt32) -> Bool {
        let desc = core.pointee.descriptors + Int(irq)
        if !oobPresent || !desc.pointee.has(IRQDescriptor.Setting.oob) {
            data.pointee.inbandLog.post(irq)
            return false
        }
        let wasStalled = data.pointee.oobStalled
        data.pointee.oobStalled = true
        doOOBIRQ(irq)
        if !wasStalled { data.pointee.oobStalled = false }
        return true
    }

    /// `do_oob_irq`: call the oob actions, then apply the return-value rules.
    @_noLocks
    func doOOBIRQ(_ irq: UInt32) {
        let desc = core.pointee.descriptors + Int(irq)
        if desc.pointee.has(IRQDescriptor.Setting.spuriousDisabled) {
            countUnhandled()
            return
        }
        let (result, called) = callActions(irq, context: UInt32(CTENON_CTX_OOB.rawValue))
        if called == 0 { return }
        if result & IRQ_HANDLED != 0 {
            if desc.pointee.unhandled.load(ordering: .relaxed) != 0 {
                desc.pointee.unhandled.store(0, ordering: .relaxed)
            }
        } else if result == IRQ_NONE {
            noteUnhandled(irq)
        } else {
            diagnose(.bogusReturn, irq: irq, value: result)
        }
    }

    /// The spurious-IRQ rule of Dovetail's `handle_unexpected_irq()`: the
    /// counter restarts at 0 when the previous unhandled event is more than
    /// HZ/10 (100 ms) old (always so on a fresh line), else grows by one; once
    /// it exceeds 1000 (the 1,002nd event of a burst) the line loses oob mode
    /// and is disabled.
    @_noLocks
    func noteUnhandled(_ irq: UInt32) {
        let desc = core.pointee.descriptors + Int(irq)
        let now = HostGlue.monotonicNanos()
        let last = desc.pointee.lastUnhandled.exchange(now, ordering: .relaxed)
        var count: UInt32 = 0
        if last != 0 && now &- last <= 100_000_000 {
            count = desc.pointee.unhandled.wrappingAdd(1, ordering: .relaxed).newValue
        } else {
            desc.pointee.unhandled.store(0, ordering: .relaxed)
        }
        if count > 1000 && !desc.pointee.has(IRQDescriptor.Setting.spuriousDisabled) {
            desc.pointee.set(IRQDescriptor.Setting.spuriousDisabled)
            desc.pointee.clear(IRQDescriptor.Setting.oob)
            diagnose(.spuriousDisabled, irq: irq)
        }
    }

    /// `arch_do_IRQ_pipelined`: an in-band IRQ played from the log.
    ///
    /// An event is logged in-band when its line was not in oob mode at entry
    /// (no handler yet, or before its `IRQF_OOB` action was requested), but
    /// the chain is loaded now: if the line has meanwhile become oob, that
    /// chain holds oob handlers, which must never run in in-band context
    /// (hard-on, in-band current). Such an event goes to the oob stage, as
    /// if it had been raised now (`irq_inject_pipeline`).
    @_noLocks
    func doInbandIRQ(_ irq: UInt32) {
        let desc = core.pointee.descriptors + Int(irq)
        if !desc.pointee.has(IRQDescriptor.Setting.exists) || desc.pointee.has(IRQDescriptor.Setting.spuriousDisabled) {
            countUnhandled()
            return
        }
        if callActions(irq, context: UInt32(CTENON_CTX_INBAND.rawValue)).1 < 0 { _ = inject(irq) }
    }

    /// Calls every action of `irq` (one for per-CPU lines) inside a read
    /// section of the quiescence barrier. The slot is marked before the chain
    /// is loaded: that order is what makes unloading safe.
    ///
    /// With `inband`, a line found in oob mode once its chain is loaded calls
    /// nothing and returns -1 actions: `request_irq` sets oob mode before it
    /// publishes the chain, so checking after the (acquiring) load never
    /// misses an oob chain that a check before the load would.
    @_noLocks
    func callActions(_ irq: UInt32, context: UInt32) -> (Int32, Int) {
        let inband = context == UInt32(CTENON_CTX_INBAND.rawValue)
        let barrier = core.pointee.barrier
        let desc = core.pointee.descriptors + Int(irq)
        let slot = data.pointee.slot
        #if TENON_TORTURE
        let (token, head) = tortureEnter(barrier, slot, desc, irq: irq)
        #else
        let token = barrier.pointee.enter(slot, irq: irq)
        let head = desc.pointee.firstAction
        #endif
        barrier.pointee.step(.afterChainLoad, slot, detail: UInt(head?.pointee.owner ?? 0))
        if inband && head != nil && oobPresent && desc.pointee.has(IRQDescriptor.Setting.oob) {
            barrier.pointee.exit(slot, token)
            return (0, -1)
        }
        var result: Int32 = 0
        var called = 0
        var action = head
        let perCPU = desc.pointee.has(IRQDescriptor.Setting.perCPU)
        while let a = action {
            let owner = a.pointee.owner
            // A faulted owner's actions stay in the chain until the host
            // unpublishes them; they are not called again meanwhile.
            if core.pointee.hasFaulted(owner) {
                if perCPU { break }
                action = a.pointee.next
                continue
            }
            barrier.pointee.running(slot, token, irq: irq, owner: owner)
            core.pointee.trace(ring: index, .handlerBegin, irq: irq, owner: owner, arg: inband ? 0 : 1)
            let r = callOut(
                cpu: self, owner: owner, context: context, handler: a.pointee.handler, work: nil,
                irq: irq, argument: a.pointee.devId)
            core.pointee.trace(ring: index, .handlerEnd, irq: irq, owner: owner, arg: inband ? 0 : 1)
            result |= r == faultedCallResult ? IRQ_HANDLED : r
            called &+= 1
            let runs = data.pointee.ownerRuns + Int(a.pointee.owner & PipelineCore.ownerSlotMask)
            runs.pointee.store(runs.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
            if perCPU { break }
            action = a.pointee.next
        }
        barrier.pointee.exit(slot, token)
        let counter = data.pointee.counts + Int(irq)
        counter.pointee.store(counter.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        if called == 0 {
            countUnhandled()
            if debug { diagnose(.noHandler, irq: irq) }
        }
        return (result, called)
    }

    @inline(__always) @_noLocks
    func countUnhandled() {
        let c = data.pointee.unhandled
        c.pointee.store(c.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }
}
