/// The interrupt state of the current CPU: hard, in-band (virtual), oob.
/// Flags are 1 for "disabled/stalled" and 0 for "enabled".
extension IRQPipeline {
    // MARK: hard interrupts

    /// Disables hard interrupts; returns the previous hard state (1: they were off).
    public func hard_local_irq_save() -> UInt { this.hardSave() ? 1 : 0 }
    /// Restores the hard state from ``hard_local_irq_save()``; 0 enables and takes the IRQs that waited.
    public func hard_local_irq_restore(_ flags: UInt) { this.hardRestore(flags != 0) }
    /// Disables hard interrupts: IRQs raised meanwhile wait in this CPU's controller.
    public func hard_local_irq_disable() { this.hardDisable() }
    /// Enables hard interrupts and takes the IRQs that waited in the controller.
    public func hard_local_irq_enable() { this.hardEnable() }
    /// The hard state, unchanged: 1 if hard interrupts are off.
    public func hard_local_save_flags() -> UInt { this.data.pointee.hardOff ? 1 : 0 }
    /// True if hard interrupts are off on this CPU.
    public func hard_irqs_disabled() -> Bool { this.data.pointee.hardOff }
    /// True if `flags` (a saved hard state) say hard interrupts were off.
    public func hard_irqs_disabled_flags(_ flags: UInt) -> Bool { flags != 0 }

    // MARK: in-band stage (virtual interrupt flag)

    /// Stalls the in-band stage: in-band IRQs are logged, not run, until it is unstalled.
    public func local_irq_disable() { this.inbandDisable() }
    /// Unstalls the in-band stage and plays its log (outside a pipeline entry).
    public func local_irq_enable() { this.inbandEnable() }
    /// Stalls the in-band stage; returns the previous stall bit (1: it was stalled).
    public func local_irq_save() -> UInt { this.inbandSave() ? 1 : 0 }
    /// Restores the in-band stall bit from ``local_irq_save()``; 0 unstalls and plays the log.
    public func local_irq_restore(_ flags: UInt) { this.inbandRestore(flags != 0) }
    /// The in-band stall bit, unchanged: 1 if the in-band stage is stalled.
    public func local_save_flags() -> UInt { this.data.pointee.inbandStalled ? 1 : 0 }
    /// True if the in-band stage is stalled (its virtual interrupt flag is off).
    public func irqs_disabled() -> Bool { this.data.pointee.inbandStalled }
    /// True if `flags` (a saved stall bit) say the in-band stage was stalled.
    public func irqs_disabled_flags(_ flags: UInt) -> Bool { flags != 0 }
    /// Same as ``local_irq_disable()``: stalls the in-band stage.
    public func inband_irq_disable() { this.inbandDisable() }
    /// Same as ``local_irq_enable()``: unstalls the in-band stage and plays its log.
    public func inband_irq_enable() { this.inbandEnable() }
    /// Same as ``local_irq_save()``: stalls the in-band stage, returns the previous stall bit.
    public func inband_irq_save() -> UInt { this.inbandSave() ? 1 : 0 }
    /// Same as ``local_irq_restore(_:)``: restores the in-band stall bit.
    public func inband_irq_restore(_ flags: UInt) { this.inbandRestore(flags != 0) }
    /// Same as ``irqs_disabled()``: true if the in-band stage is stalled.
    public func inband_irqs_disabled() -> Bool { this.data.pointee.inbandStalled }

    /// Enables hard interrupts, then unstalls the in-band stage and plays its log.
    public func local_irq_enable_full() {
        this.hardEnable()
        this.inbandEnable()
    }

    /// Stalls the in-band stage, then disables hard interrupts.
    public func local_irq_disable_full() {
        this.inbandDisable()
        this.hardDisable()
    }

    /// Stalls the in-band stage and disables hard interrupts; returns the previous stall bit.
    public func local_irq_save_full() -> UInt {
        let flags = local_irq_save()
        this.hardDisable()
        return flags
    }

    /// Undoes ``local_irq_save_full()``: 0 enables hard interrupts and unstalls; 1 leaves both off.
    public func local_irq_restore_full(_ flags: UInt) {
        if flags == 0 { this.hardEnable() }
        local_irq_restore(flags)
    }

    // MARK: oob stage

    /// Stalls the oob stage, with hard interrupts off (the oob stall always pairs with hard-off).
    public func oob_irq_disable() { this.oobDisable() }
    /// Unstalls the oob stage, synchronizes the pipeline if oob IRQs are logged, enables hard interrupts.
    public func oob_irq_enable() { this.oobEnable() }
    /// Disables hard interrupts and stalls the oob stage; returns the previous oob stall bit.
    public func oob_irq_save() -> UInt { this.oobSave() ? 1 : 0 }
    /// Restores the oob stall bit from ``oob_irq_save()``: unstalling also synchronizes and enables hard IRQs.
    public func oob_irq_restore(_ flags: UInt) { this.oobRestore(flags != 0) }
    /// True if the oob stage is stalled.
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

    /// True if this CPU runs on the in-band stage.
    public func running_inband() -> Bool { !this.data.pointee.oobCurrent }
    /// True if this CPU runs on the oob stage.
    public func running_oob() -> Bool { this.data.pointee.oobCurrent }
    /// The current stage: 0 in-band, 1 oob.
    public func stage_level() -> Int { this.data.pointee.oobCurrent ? 1 : 0 }
    /// Inside a pipeline entry section (Dovetail's `on_pipeline_entry()`).
    public func on_pipeline_entry() -> Bool { this.data.pointee.pipelineDepth != 0 }
    /// Same as ``on_pipeline_entry()``: inside a pipeline entry section.
    public func in_pipeline() -> Bool { this.data.pointee.pipelineDepth != 0 }
    /// `inband_unsafe`: running oob, or hard-off.
    public func inband_unsafe() -> Bool { running_oob() || hard_irqs_disabled() }

    /// `switch_oob` / `switch_inband`: companion-core stage switches.
    public func switch_oob() { this.data.pointee.oobCurrent = true }
    /// Makes the in-band stage current on this CPU.
    public func switch_inband() { this.data.pointee.oobCurrent = false }
}
