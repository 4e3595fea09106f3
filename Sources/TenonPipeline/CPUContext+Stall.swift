/// Stall control of both stages (Dovetail's `inband_irq_*` and `oob_irq_*`).
extension CPUContext {
    // MARK: in-band (the virtual interrupt flag)

    @inline(__always) @_noLocks
    func inbandDisable() {
        data.pointee.inbandStalled = true
        compilerBarrier()
    }

    @_noLocks
    func inbandEnable() {
        if debug {
            if data.pointee.oobCurrent || data.pointee.oobStalled {
                diagnose(data.pointee.oobCurrent ? .inbandEnableFromOOB : .inbandEnableWithOOBStalled)
                // irq_pipeline_oopsing: report once, then stop checking.
                core.pointee.debug.store(false, ordering: .relaxed)
            } else if data.pointee.hardOff {
                diagnose(.inbandEnableHardIRQsOff)
            }
        }
        let flags = hardSave()
        data.pointee.inbandStalled = false
        if !data.pointee.inbandLog.isEmpty && data.pointee.pipelineDepth == 0 {
            syncCurrentStage()
        }
        hardRestore(flags)
    }

    @inline(__always) @_noLocks
    func inbandSave() -> Bool {
        let old = data.pointee.inbandStalled
        data.pointee.inbandStalled = true
        compilerBarrier()
        return old
    }

    @inline(__always) @_noLocks
    func inbandRestore(_ stalled: Bool) {
        if stalled { inbandDisable() } else { inbandEnable() }
    }

    // MARK: oob stall bit (always paired with hard-off)

    @inline(__always) @_noLocks
    func oobDisable() {
        hardDisable()
        data.pointee.oobStalled = true
    }

    @inline(__always) @_noLocks
    func oobSave() -> Bool {
        hardDisable()
        let old = data.pointee.oobStalled
        data.pointee.oobStalled = true
        return old
    }

    @_noLocks
    func oobEnable() {
        hardDisable()
        data.pointee.oobStalled = false
        if !data.pointee.oobLog.isEmpty { synchronizePipeline() }
        hardEnable()
    }

    /// Acts only when `stalled` differs from the current bit; restoring
    /// "unstalled" always ends hard-enabled (Dovetail's pairing rule).
    @_noLocks
    func oobRestore(_ stalled: Bool) {
        if stalled != data.pointee.oobStalled && !stalled {
            data.pointee.oobStalled = false
            if !data.pointee.oobLog.isEmpty { synchronizePipeline() }
            hardEnable()
        }
    }
}
