/// What the pipeline can tell about itself (for `/proc/interrupts`-style
/// tables, tests and diagnostics). Control plane only: these allocate.
extension IRQPipeline {
    /// Diagnostics recorded since the previous call.
    public func diagnostics() -> [PipelineDiagnostic] {
        let start = diagnosticsRead.load(ordering: .relaxed)
        let (records, next) = core.pointee.diagnostics.read(from: start)
        diagnosticsRead.store(next, ordering: .relaxed)
        return records
    }

    /// Turns the debug checks (CONFIG_DEBUG_IRQ_PIPELINE) on or off.
    public var debugChecks: Bool {
        get { core.pointee.debug.load(ordering: .relaxed) }
        set { core.pointee.debug.store(newValue, ordering: .relaxed) }
    }

    /// IRQs pending in `cpu`'s in-band log, ascending. Read it from that CPU
    /// (or while it is quiet): the log belongs to its CPU.
    public func inbandLog(cpu: Int) -> [UInt32] { core.pointee.cpus[cpu].inbandLog.pending }
    /// IRQs pending in `cpu`'s oob log, ascending.
    public func oobLog(cpu: Int) -> [UInt32] { core.pointee.cpus[cpu].oobLog.pending }

    /// Handler runs of `irq` on `cpu` (one per dispatch of its action chain).
    public func count(irq: UInt32, cpu: Int) -> UInt64 {
        core.pointee.cpus[cpu].counts[Int(irq)].load(ordering: .relaxed)
    }

    /// Handler runs on `cpu` of the owner in `owner`'s slot (0: the host),
    /// since the pipeline started: slots are reused, so subtract the value
    /// read when the owner was registered.
    public func handlerRuns(owner: UInt32, cpu: Int) -> UInt64 {
        core.pointee.cpus[cpu].ownerRuns[Int(owner & PipelineCore.ownerSlotMask)].load(ordering: .relaxed)
    }

    /// ``handlerRuns(owner:cpu:)`` summed over every CPU.
    public func handlerRuns(owner: UInt32) -> UInt64 {
        (0..<cpuCount).reduce(0) { $0 &+ handlerRuns(owner: owner, cpu: $1) }
    }

    /// Events on `cpu` that found no handler, no descriptor, or a disabled line.
    public func unhandledCount(cpu: Int) -> UInt64 {
        core.pointee.cpus[cpu].unhandled.pointee.load(ordering: .relaxed)
    }

    /// `irq_is_oob`: the line is in out-of-band mode.
    public func irq_is_oob(_ irq: UInt32) -> Bool {
        irq < IRQNumberSpace.total && core.pointee.descriptors[Int(irq)].has(IRQDescriptor.Setting.oob)
    }

    /// The line was disabled by the spurious-IRQ rule.
    public func irq_is_spurious_disabled(_ irq: UInt32) -> Bool {
        irq < IRQNumberSpace.total && core.pointee.descriptors[Int(irq)].has(IRQDescriptor.Setting.spuriousDisabled)
    }

    /// One requested action, as the control plane knows it.
    public struct ActionInfo: Sendable, Equatable {
        /// The line it is attached to.
        public var irq: UInt32
        /// The name given to `request_irq`.
        public var name: String
        /// `IRQF_*` flags as stored (`IRQF_OOB` adds `IRQF_NO_THREAD`, drops `IRQF_ONESHOT`).
        public var flags: UInt32
        /// The owner token that requested it; 0 for the host.
        public var owner: UInt32
        /// Reachable from dispatch; false while staged by a swap or its owner is suspended.
        public var published: Bool
    }

    /// Every requested action, by IRQ.
    public func actions() -> [ActionInfo] {
        control.withLock { state in
            state.records.keys.sorted().flatMap { irq in
                state.records[irq]!.map {
                    ActionInfo(irq: irq, name: $0.name, flags: $0.flags, owner: $0.owner, published: $0.published)
                }
            }
        }
    }

    /// The synthetic IRQ that runs irq_work ("in-band work").
    public var inbandWorkIRQ: UInt32 { core.pointee.inbandWorkIRQ }

    /// Where the barrier's read side of `cpu` stands (tests, stress reports).
    public func barrierInside(cpu: Int) -> Bool {
        core.pointee.cpus[cpu].slot.pointee.isInside
    }
}
