/// Log synchronisation: playing pending IRQs (Dovetail's `sync_current_irq_stage`,
/// `sync_irq_stage`, `synchronize_pipeline`). Hard interrupts are off on entry.
extension CPUContext {
    /// Plays the log of the current stage, stalled for the duration, and
    /// leaves it unstalled. In-band handlers run with hard interrupts on, so
    /// an oob IRQ can preempt them; oob handlers run hard-off.
    @_noLocks
    func syncCurrentStage() {
        var oob = data.pointee.oobCurrent
        core.pointee.trace(ring: index, .replayBegin, arg: oob ? 1 : 0)
        setStalled(oob: oob, true)
        while true {
            let next = oob ? data.pointee.oobLog.pull() : data.pointee.inbandLog.pull()
            guard let irq = next else { break }
            if oob {
                doOOBIRQ(irq)
            } else {
                hardEnable()
                doInbandIRQ(irq)
                hardDisable()
            }
            let now = data.pointee.oobCurrent
            if now != oob {
                if now {
                    // in-band -> oob inside an in-band handler is not allowed.
                    diagnose(.stageChangedInHandler, irq: irq)
                    break
                }
                // An oob handler moved the CPU in-band (companion context
                // switch): go on with the in-band log.
                oob = false
                setStalled(oob: false, true)
            }
        }
        setStalled(oob: oob, false)
        core.pointee.trace(ring: index, .replayEnd, arg: oob ? 1 : 0)
    }

    @inline(__always) @_noLocks
    func setStalled(oob: Bool, _ stalled: Bool) {
        if oob { data.pointee.oobStalled = stalled } else { data.pointee.inbandStalled = stalled }
    }

    /// `sync_irq_stage(top)`, in-band current: oob log first, then in-band;
    /// stop at the first stalled stage.
    @_noLocks
    func syncStages(fromOOB: Bool) {
        if fromOOB {
            if data.pointee.oobStalled { return }
            if !data.pointee.oobLog.isEmpty {
                data.pointee.oobCurrent = true
                syncCurrentStage()
                data.pointee.oobCurrent = false
            }
        }
        if data.pointee.inbandStalled { return }
        if !data.pointee.inbandLog.isEmpty { syncCurrentStage() }
    }

    /// `synchronize_pipeline`.
    @_noLocks
    func synchronizePipeline() {
        let top = oobPresent
        if top && !data.pointee.oobCurrent {
            syncStages(fromOOB: true)
        } else if !top && data.pointee.oobCurrent {
            // The stage was removed under oob code: nothing is playable until
            // the CPU is back in-band.
            return
        } else {
            let stalled = top ? data.pointee.oobStalled : data.pointee.inbandStalled
            if !stalled { syncCurrentStage() }
        }
    }

    /// `synchronize_pipeline_on_irq`: an IRQ that preempted oob code never
    /// plays the in-band log on its way out.
    @_noLocks
    func synchronizePipelineOnIRQ() {
        if !data.pointee.oobCurrent || !data.pointee.oobLog.isEmpty {
            synchronizePipeline()
        }
    }
}
