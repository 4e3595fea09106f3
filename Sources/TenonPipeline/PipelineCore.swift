import Synchronization

/// State shared by all CPUs of one pipeline, in memory that never moves and
/// holds no reference-counted object, so the interrupt path can reach it from
/// a signal handler without touching the Swift runtime.
struct PipelineCore: ~Copyable {
    let cpuCount: Int
    let cpus: UnsafeMutablePointer<PerCPUPipeline>
    let controllers: UnsafeMutablePointer<IRQController>
    let descriptors: UnsafeMutablePointer<IRQDescriptor>
    let barrier: UnsafeMutablePointer<QuiescenceBarrier>
    let diagnostics = DiagnosticRing()
    /// Dovetail's `oob_stage.index`: 0 while absent, 1 while installed.
    let oobStageIndex = Atomic<UInt32>(0)
    /// Debug checks on (CONFIG_DEBUG_IRQ_PIPELINE) and not yet silenced by an oops.
    let debug = Atomic<Bool>(true)
    /// Trace points record (``IRQPipeline/startTracing()``): the one branch
    /// each trace point costs while off.
    let tracing = Atomic<Bool>(false)
    /// The trace rings (a `TraceRings` pointer), allocated by the first
    /// `startTracing` and published before `tracing` is set; 0 until then.
    let traceRings = Atomic<UInt>(0)
    /// Owner states, indexed by slot (`token & ownerSlotMask`): the token while
    /// live (its code may be entered), the token with ``suspendedBit`` while an
    /// unload or swap keeps it unpublished but mapped (it may come back), 0
    /// once revoked. The token's high bits are a generation, so a reused slot
    /// never revives stale work.
    let ownerLive: UnsafeMutablePointer<Atomic<UInt64>>
    static var maxOwners: Int { @_noLocks get { 4096 } }
    static var ownerSlotMask: UInt32 { @_noLocks get { 0xFFF } }
    /// Generations per slot (20 bits of the token); a slot that reached the
    /// last one is retired rather than wrapped, so no token is ever reissued.
    static var maxGeneration: UInt32 { @_noLocks get { 0xFFFFF } }
    static var suspendedBit: UInt64 { @_noLocks get { 1 << 32 } }
    /// Owners whose code faulted, indexed like ``ownerLive`` (the token, or 0):
    /// dispatch skips their actions from the fault on, before the host has
    /// unpublished them.
    let ownerFaulted: UnsafeMutablePointer<Atomic<UInt32>>
    @inline(__always) @_noLocks
    func hasFaulted(_ owner: UInt32) -> Bool {
        owner != 0 && ownerFaulted[Int(owner & Self.ownerSlotMask)].load(ordering: .relaxed) == owner
    }

    /// The synthetic IRQ that runs irq_work ("in-band work").
    var inbandWorkIRQ: UInt32 = 0
    /// The machine's hooks (``MachineHooks``), as raw function pointers (0:
    /// none, the deterministic model, where remote IRQs wait until that CPU
    /// takes them). Set with ``IRQPipeline/attach(_:)``.
    let doorbell = Atomic<UInt>(0)
    let doorbellContext = Atomic<UInt>(0)
    let doorbellLater = Atomic<UInt>(0)
    let idleWake = Atomic<UInt>(0)
    let entryOpen = Atomic<UInt>(0)
    let entryClose = Atomic<UInt>(0)
    /// Passes over the controller per entry while a machine is attached
    /// (``IRQPipeline/drainBudget``).
    let drainBudget = Atomic<UInt32>(PipelineCore.defaultDrainBudget)
    static var defaultDrainBudget: UInt32 { @_noLocks get { 2 } }
    /// Backstop expiries in a row that find nothing left behind before the
    /// backstop is disarmed (``InterruptPath/backstopEntry(_:)``): under a
    /// flood whose stops come less often than the period, re-arming after
    /// every quiet expiry would cost a timer syscall per stop again.
    static var backstopQuietLimit: UInt32 { @_noLocks get { 8 } }

    /// Records a trace event in ring `ring` (a CPU's, or `cpuCount` for the
    /// control plane) when tracing is on. One predictable branch when off.
    @inline(__always) @_noLocks
    func trace(ring: Int, _ kind: TraceEvent.Kind, irq: UInt32 = 0, owner: UInt32 = 0, arg: UInt32 = 0, value: UInt64 = 0) {
        if tracing.load(ordering: .relaxed) { traceSlow(ring: ring, kind, irq: irq, owner: owner, arg: arg, value: value) }
    }

    @inline(never) @_noLocks
    func traceSlow(ring: Int, _ kind: TraceEvent.Kind, irq: UInt32, owner: UInt32, arg: UInt32, value: UInt64) {
        guard let rings = UnsafeMutablePointer<TraceRings>(bitPattern: traceRings.load(ordering: .acquiring)) else { return }
        rings.pointee.write(ring: ring, time: HostGlue.monotonicNanos(), kind: kind, irq: irq, owner: owner, arg: arg, value: value)
    }

    @inline(__always) @_noLocks
    func isLive(_ owner: UInt32) -> Bool {
        owner == 0 || ownerLive[Int(owner & Self.ownerSlotMask)].load(ordering: .acquiring) == UInt64(owner)
    }

    /// The owner's state word: `UInt64(owner)` live, `| suspendedBit` suspended.
    @inline(__always) @_noLocks
    func ownerState(_ owner: UInt32) -> UInt64 {
        owner == 0 ? 0 : ownerLive[Int(owner & Self.ownerSlotMask)].load(ordering: .acquiring)
    }

    init(cpuCount: Int, cpus: UnsafeMutablePointer<PerCPUPipeline>, barrier: UnsafeMutablePointer<QuiescenceBarrier>) {
        self.cpuCount = cpuCount
        self.cpus = cpus
        self.barrier = barrier
        controllers = IRQController.allocate(count: cpuCount)
        descriptors = .allocate(capacity: Int(IRQNumberSpace.total))
        for i in 0..<Int(IRQNumberSpace.total) {
            (descriptors + i).initialize(to: IRQDescriptor())
            if i < Int(IRQNumberSpace.deviceIRQs) { descriptors[i].set(IRQDescriptor.Setting.exists) }
        }
        ownerLive = .allocate(capacity: Self.maxOwners)
        for i in 0..<Self.maxOwners { (ownerLive + i).initialize(to: Atomic(0)) }
        ownerFaulted = .allocate(capacity: Self.maxOwners)
        for i in 0..<Self.maxOwners { (ownerFaulted + i).initialize(to: Atomic(0)) }
    }

    func deallocate() {
        if let rings = UnsafeMutablePointer<TraceRings>(bitPattern: traceRings.load(ordering: .acquiring)) {
            rings.pointee.deallocate()
            rings.deinitialize(count: 1)
            rings.deallocate()
        }
        for i in 0..<cpuCount { controllers[i].deallocate() }
        controllers.deinitialize(count: cpuCount)
        UnsafeMutableRawPointer(controllers).deallocate()
        descriptors.deinitialize(count: Int(IRQNumberSpace.total))
        descriptors.deallocate()
        ownerLive.deinitialize(count: Self.maxOwners)
        ownerLive.deallocate()
        ownerFaulted.deinitialize(count: Self.maxOwners)
        ownerFaulted.deallocate()
        diagnostics.deallocate()
        barrier.pointee.deallocate()
        barrier.deinitialize(count: 1)
        barrier.deallocate()
    }
}
