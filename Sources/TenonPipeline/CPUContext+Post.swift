import CTenon
import Synchronization

/// Posting, software injection, escalation and irq_work.
extension CPUContext {
    /// `irq_post_stage`: marks only, never runs a handler. With debug checks
    /// on, a post with hard interrupts on or out of range is refused.
    @_noLocks
    func post(_ irq: UInt32, oob: Bool) {
        if irq >= IRQNumberSpace.total {
            diagnose(.postOutOfRange, irq: irq)
            return
        }
        if debug && !data.pointee.hardOff {
            diagnose(.postWithHardIRQsOn, irq: irq)
            return
        }
        // After disable_oob_stage(), this_staged(&oob_stage) is the in-band slot.
        if oob && oobPresent {
            data.pointee.oobLog.post(irq)
        } else {
            data.pointee.inbandLog.post(irq)
        }
    }

    /// `irq_inject_pipeline`: as if `irq` had been raised on this CPU now.
    @_noLocks
    func inject(_ irq: UInt32) -> Int32 {
        if irq >= IRQNumberSpace.total || !core.pointee.descriptors[Int(irq)].has(IRQDescriptor.Setting.exists) {
            return Errno.EINVAL
        }
        let flags = hardSave()
        let desc = core.pointee.descriptors + Int(irq)
        if oobPresent && desc.pointee.has(IRQDescriptor.Setting.oob) && data.pointee.oobStalled {
            data.pointee.oobLog.post(irq)
        } else {
            var switched = false
            if oobPresent && !data.pointee.oobCurrent {
                data.pointee.oobCurrent = true
                switched = true
            }
            _ = handleOOBIRQ(irq)
            if switched && data.pointee.oobCurrent { data.pointee.oobCurrent = false }
            synchronizePipelineOnIRQ()
        }
        hardRestore(flags)
        return 0
    }

    /// The epilogue of `run_oob_call` (hard-off): leaves no playable event
    /// unplayed and restores the entry stage unless the routine changed it.
    @_noLocks
    func escalationEpilogue(enteredInband: Bool, wasStalled: Bool) {
        data.pointee.hardOff = true
        if !wasStalled { data.pointee.oobStalled = false }
        let nowOOB = data.pointee.oobCurrent
        if !enteredInband && nowOOB {
            if !wasStalled && !data.pointee.oobLog.isEmpty { syncCurrentStage() }
        } else {
            if enteredInband && nowOOB { data.pointee.oobCurrent = false }
            syncStages(fromOOB: true)
        }
    }

    /// `irq_work_queue`: claims `work`, queues it on this CPU, and plays it
    /// at once only for an unstalled in-band caller with hard interrupts on.
    @_noLocks
    func queueWork(_ work: UnsafeMutablePointer<IRQWork>, owner: UInt32) -> Bool {
        let claim = UnsafeMutableRawPointer(work).advanced(by: IRQWork.pendingOffset)
            .assumingMemoryBound(to: Atomic<UInt64>.self)
        if !claim.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged {
            return false
        }
        let flags = hardSave()
        if !data.pointee.work.push(work, owner: owner) {
            claim.pointee.store(0, ordering: .releasing)
            diagnose(.workQueueFull)
            hardRestore(flags)
            return false
        }
        data.pointee.inbandLog.post(core.pointee.inbandWorkIRQ)
        if !data.pointee.oobCurrent && !flags && !data.pointee.inbandStalled {
            syncCurrentStage()
        }
        hardRestore(flags)
        return true
    }

    /// Runs this CPU's queued work (the in-band work IRQ's handler). Work of a
    /// revoked owner is dropped unread: its memory may be gone. Work of a
    /// suspended owner (an unload or swap waiting, which may be cancelled) is
    /// put back unread: dropping it would leave its claim flag set, so the
    /// owner could never queue it again; ``IRQPipeline/resume(owner:)`` raises
    /// the work IRQ to play it. Each call looks at the items queued when it
    /// started (work queued meanwhile posts the work IRQ again).
    @_noLocks
    func runWork() {
        var budget = data.pointee.work.count
        while budget > 0 {
            budget &-= 1
            let flags = hardSave()
            let next = data.pointee.work.pop()
            hardRestore(flags)
            guard let (work, owner) = next else { return }
            // A section of its own, marked before the owner's liveness is
            // read: the same rule as marking before loading a handler.
            let barrier = core.pointee.barrier
            let slot = data.pointee.slot
            let irq = core.pointee.inbandWorkIRQ
            let token = barrier.pointee.enter(slot, irq: irq)
            let state = core.pointee.ownerState(owner)
            barrier.pointee.step(.afterChainLoad, slot, detail: UInt(owner))
            if (owner == 0 || state == UInt64(owner)) && !core.pointee.hasFaulted(owner) {
                barrier.pointee.running(slot, token, irq: irq, owner: owner)
                let claim = UnsafeMutableRawPointer(work).advanced(by: IRQWork.pendingOffset)
                    .assumingMemoryBound(to: Atomic<UInt64>.self)
                claim.pointee.store(0, ordering: .releasing)
                core.pointee.trace(ring: index, .workBegin, irq: irq, owner: owner)
                _ = callOut(
                    cpu: self, owner: owner, context: UInt32(CTENON_CTX_WORK.rawValue), handler: nil,
                    work: work.pointee.function, irq: irq, argument: UnsafeMutableRawPointer(work))
                core.pointee.trace(ring: index, .workEnd, irq: irq, owner: owner)
            }
            barrier.pointee.exit(slot, token)
            if owner != 0 && state == UInt64(owner) | PipelineCore.suspendedBit {
                let flags = hardSave()
                // Fails only if oob code queued work into the slot just freed.
                if !data.pointee.work.push(work, owner: owner) { diagnose(.workQueueFull) }
                hardRestore(flags)
            }
        }
    }
}
