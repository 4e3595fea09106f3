/// Getting IRQs into the pipeline: hardware raises, posting, injection,
/// escalation, irq_work.
extension IRQPipeline {
    /// A device IRQ or IPI arriving at `cpu`, from any thread. If that CPU's
    /// controller was idle, the machine's doorbell is rung; in the
    /// deterministic model the IRQ is taken when the CPU next enables hard
    /// interrupts or calls ``takePendingIRQs()``, or at once when `cpu` is the
    /// caller's own CPU with hard interrupts on. `-EINVAL` if out of range.
    @discardableResult
    public func raise(_ irq: UInt32, on cpu: Int) -> Int32 {
        guard cpu >= 0 else { return Errno.EINVAL }
        return interruptPath.raise(irq, on: UInt32(truncatingIfNeeded: cpu))
    }

    /// Attaches a machine's hooks to the interrupt path (nil: detaches them,
    /// back to the deterministic model). Call before the machine's CPUs run,
    /// and detach before they stop.
    package func attach(_ hooks: MachineHooks?) {
        core.pointee.doorbellContext.store(UInt(bitPattern: hooks?.context), ordering: .relaxed)
        core.pointee.doorbellLater.store(hooks.map { unsafeBitCast($0.later, to: UInt.self) } ?? 0, ordering: .relaxed)
        core.pointee.idleWake.store(hooks.map { unsafeBitCast($0.wake, to: UInt.self) } ?? 0, ordering: .relaxed)
        core.pointee.entryOpen.store(hooks.map { unsafeBitCast($0.open, to: UInt.self) } ?? 0, ordering: .relaxed)
        core.pointee.entryClose.store(hooks.map { unsafeBitCast($0.close, to: UInt.self) } ?? 0, ordering: .relaxed)
        core.pointee.doorbell.store(hooks.map { unsafeBitCast($0.ring, to: UInt.self) } ?? 0, ordering: .releasing)
        let key = UInt(bitPattern: core)
        if hooks == nil { AttachedPipelines.remove(key: key) } else { AttachedPipelines.insert(interruptPath, key: key) }
    }

    /// Passes an entry makes over a CPU's controller before it returns to the
    /// interrupted work, while a machine is attached (NAPI's budget; at least
    /// 1). A pass takes every line raised at its start once. IRQs raised
    /// meanwhile are never dropped: the CPU comes back for them, through its
    /// idle loop if it was idle, else with the next raise's doorbell or the
    /// machine's backstop timer, whichever first; the in-band work runs
    /// meanwhile (see docs/machine.md, "Bounded drain"). Default 2: under a
    /// raise flood the flooded CPU's in-band work keeps its share (median
    /// ×0.83 the C drain-once scheme's over 9 runs, against ×0.78 with 4, at
    /// 1.0–1.2 instead of 1.8–2.0 M handler runs/s on the busy CPU), and an
    /// IRQ raised while its predecessor's handler runs is still taken in the
    /// same entry (`tenon doorbellbench --budget N` compares).
    public var drainBudget: Int {
        get { Int(core.pointee.drainBudget.load(ordering: .relaxed)) }
        set {
            precondition(newValue >= 1, "the drain budget is at least one pass, not \(newValue)")
            core.pointee.drainBudget.store(UInt32(clamping: newValue), ordering: .relaxed)
        }
    }

    /// Entries of `cpu` that stopped on ``drainBudget`` with IRQs still
    /// pending, and came back for them (Linux's `time_squeeze`).
    public func drainSqueezes(cpu: Int) -> UInt64 {
        core.pointee.cpus[cpu].squeezes.pointee.load(ordering: .relaxed)
    }

    /// Takes the IRQs waiting in this CPU's controller (the doorbell handler's
    /// work); does nothing while hard interrupts are off.
    public func takePendingIRQs() { this.takePendingIRQs() }

    /// The CPU takes `irq` now (a deterministic pipeline entry): returns
    /// whether the regular IRQ epilogue would run (in-band and unstalled after).
    /// Hard interrupts must be on, as for any IRQ a CPU accepts.
    public func handle_irq_pipelined(_ irq: UInt32) -> Bool {
        let ctx = this
        precondition(!ctx.data.pointee.hardOff, "a CPU takes no IRQ with hard interrupts off")
        ctx.hardDisable()
        let switched = ctx.enterPipeline()
        ctx.handleRaised(irq)
        let epilogue = ctx.leavePipeline(switched: switched)
        ctx.hardEnable()
        return epilogue
    }

    /// `irq_post_inband`: marks `irq` pending in this CPU's in-band log.
    public func irq_post_inband(_ irq: UInt32) { this.post(irq, oob: false) }
    /// `irq_post_oob`: marks `irq` pending in this CPU's oob log (the in-band
    /// log when no oob stage is installed, as in Dovetail).
    public func irq_post_oob(_ irq: UInt32) { this.post(irq, oob: true) }

    /// `irq_inject_pipeline`: 0, or `-EINVAL` if `irq` has no descriptor.
    public func irq_inject_pipeline(_ irq: UInt32) -> Int32 { this.inject(irq) }

    /// `run_oob_call`: runs `body` on the oob stage, hard-off and oob stalled,
    /// and returns its value. Requires an installed oob stage.
    public func run_oob_call(_ body: () -> Int32) -> Int32 {
        let ctx = this
        let flags = ctx.hardSave()
        let enteredInband = !ctx.data.pointee.oobCurrent
        ctx.data.pointee.oobCurrent = true
        let wasStalled = ctx.data.pointee.oobStalled
        ctx.data.pointee.oobStalled = true
        let result = body()
        ctx.escalationEpilogue(enteredInband: enteredInband, wasStalled: wasStalled)
        ctx.hardRestore(flags)
        return result
    }

    /// `irq_work_queue`: true if queued, false if `work` was already pending.
    @discardableResult
    public func irq_work_queue(_ work: UnsafeMutablePointer<IRQWork>, owner: UInt32 = 0) -> Bool {
        this.queueWork(work, owner: owner)
    }

    /// `sync_inband_irqs`: from unstalled in-band, plays the in-band log; returns hard-off.
    public func sync_inband_irqs() {
        let ctx = this
        ctx.hardDisable()
        if !ctx.data.pointee.inbandStalled && !ctx.data.pointee.inbandLog.isEmpty { ctx.syncCurrentStage() }
    }

    /// `irq_pipeline_can_idle` / `irq_cpuidle_enter`: in-band, stalled, hard-on.
    /// Plays pending in-band events and refuses idling (false); otherwise
    /// returns `control()`'s verdict. Returns hard-off either way.
    public func irq_pipeline_can_idle(_ control: () -> Bool = { true }) -> Bool {
        let ctx = this
        ctx.hardDisable()
        if !ctx.data.pointee.inbandLog.isEmpty {
            ctx.data.pointee.inbandStalled = false
            ctx.synchronizePipeline()
            ctx.data.pointee.inbandStalled = true
            ctx.hardDisable()
            return false
        }
        return control()
    }

    public func irq_cpuidle_enter(_ control: () -> Bool = { true }) -> Bool {
        irq_pipeline_can_idle(control)
    }

    /// `stop_machine` in the deterministic model: runs `body` on every CPU in
    /// turn with hard interrupts off; returns the first non-zero result, or 0.
    public func stop_machine(_ body: (Int) -> Int32) -> Int32 {
        var result: Int32 = 0
        for cpu in 0..<cpuCount {
            withCPU(cpu) {
                let ctx = this
                let flags = ctx.hardSave()
                let r = body(cpu)
                if result == 0 { result = r }
                ctx.hardRestore(flags)
            }
        }
        return result
    }
}
