/// The interrupt state of the current CPU: hard, in-band (virtual), oob.
/// Flags are 1 for "disabled/stalled" and 0 for "enabled".
extension IRQPipeline {
    // MARK: hard interrupts

    public func hard_local_irq_save() -> UInt { this.hardSave() ? 1 : 0 }
    public func hard_local_irq_restore(_ flags: UInt) { this.hardRestore(flags != 0) }
    public func hard_local_irq_disable() { this.hardDisable() }
    public func hard_local_irq_enable() { this.hardEnable() }
    public func hard_local_save_flags() -> UInt { this.data.pointee.hardOff ? 1 : 0 }
    public func hard_irqs_disabled() -> Bool { this.data.pointee.hardOff }
    public func hard_irqs_disabled_flags(_ flags: UInt) -> Bool { flags != 0 }

    // MARK: in-band stage (virtual interrupt flag)

    public func local_irq_disable() { this.inbandDisable() }
    public func local_irq_enable() { this.inbandEnable() }
    public func local_irq_save() -> UInt { this.inbandSave() ? 1 : 0 }
    public func local_irq_restore(_ flags: UInt) { this.inbandRestore(flags != 0) }
    public func local_save_flags() -> UInt { this.data.pointee.inbandStalled ? 1 : 0 }
    public func irqs_disabled() -> Bool { this.data.pointee.inbandStalled }
    public func irqs_disabled_flags(_ flags: UInt) -> Bool { flags != 0 }
    public func inband_irq_disable() { this.inbandDisable() }
    public func inband_irq_enable() { this.inbandEnable() }
    public func inband_irq_save() -> UInt { this.inbandSave() ? 1 : 0 }
    public func inband_irq_restore(_ flags: UInt) { this.inbandRestore(flags != 0) }
    public func inband_irqs_disabled() -> Bool { this.data.pointee.inbandStalled }

    public func local_irq_enable_full() {
        this.hardEnable()
        this.inbandEnable()
    }

    public func local_irq_disable_full() {
        this.inbandDisable()
        this.hardDisable()
    }

    public func local_irq_save_full() -> UInt {
        let flags = local_irq_save()
        this.hardDisable()
        return flags
    }

    public func local_irq_restore_full(_ flags: UInt) {
        if flags == 0 { this.hardEnable() }
        local_irq_restore(flags)
    }

    // MARK: oob stage

    public func oob_irq_disable() { this.oobDisable() }
    public func oob_irq_enable() { this.oobEnable() }
    public func oob_irq_save() -> UInt { this.oobSave() ? 1 : 0 }
    public func oob_irq_restore(_ flags: UInt) { this.oobRestore(flags != 0) }
    public func oob_irqs_disabled() -> Bool { this.data.pointee.oobStalled }

    // MARK: combined state

    /// True if hard-off, or in-band and stalled.
    public func stage_disabled() -> Bool {
        let cpu = this.data.pointee
        return cpu.hardOff || (!cpu.oobCurrent && cpu.inbandStalled)
    }

    /// Hard-saves and, in-band, stalls; bit 0 of the result is the hard state,
    /// bit 1 the previous stall bit. Only ``unlock_stage(_:)`` may take it back.
    public func test_and_lock_stage(_ irqsoff: UnsafeMutablePointer<Int32>? = nil) -> UInt {
        let ctx = this
        let hard = ctx.hardSave()
        var off: Int32 = hard ? 1 : 0
        var word: UInt = hard ? 1 : 0
        if !ctx.data.pointee.oobCurrent {
            let stalled = ctx.inbandSave()
            if stalled {
                word |= 2
                off = 1
            }
        }
        irqsoff?.pointee = off
        return word
    }

    /// Undoes ``test_and_lock_stage(_:)``: unstalls without replaying, then restores the hard state.
    public func unlock_stage(_ word: UInt) {
        let ctx = this
        if !ctx.data.pointee.oobCurrent && word & 2 == 0 { ctx.data.pointee.inbandStalled = false }
        ctx.hardRestore(word & 1 != 0)
    }

    public func running_inband() -> Bool { !this.data.pointee.oobCurrent }
    public func running_oob() -> Bool { this.data.pointee.oobCurrent }
    public func stage_level() -> Int { this.data.pointee.oobCurrent ? 1 : 0 }
    /// Inside a pipeline entry section (Dovetail's `on_pipeline_entry()`).
    public func on_pipeline_entry() -> Bool { this.data.pointee.pipelineDepth != 0 }
    public func in_pipeline() -> Bool { this.data.pointee.pipelineDepth != 0 }
    /// `inband_unsafe`: running oob, or hard-off.
    public func inband_unsafe() -> Bool { running_oob() || hard_irqs_disabled() }

    /// `switch_oob` / `switch_inband`: companion-core stage switches.
    public func switch_oob() { this.data.pointee.oobCurrent = true }
    public func switch_inband() { this.data.pointee.oobCurrent = false }
}
