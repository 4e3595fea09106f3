import CTenon
import Synchronization

/// A Dovetail interrupt pipeline over `cpuCount` simulated CPUs.
///
/// The API keeps Dovetail's names and acts, like the kernel's, on the current
/// CPU: the CPU the calling thread runs (see ``withCPU(_:_:)``; a machine's CPU
/// threads are bound for life). Interrupt-path operations allocate nothing and
/// take no lock, so they may run in a signal handler; control-plane operations
/// (requesting IRQs, installing the stage) take the pipeline's lock.
public final class IRQPipeline: @unchecked Sendable {
    /// Number of simulated CPUs.
    public let cpuCount: Int
    let core: UnsafeMutablePointer<PipelineCore>
    let control: Mutex<ControlState>
    /// Serialises grace periods (one writer at a time, as the barrier requires).
    let writer = Mutex<Void>(())
    /// Read position of ``diagnostics()``.
    let diagnosticsRead = Atomic<UInt64>(0)
    /// The read side the barrier uses: membarrier, or fences as the fallback.
    public let barrierFence: BarrierConfiguration.Fence
    /// One signal-guard record per CPU (`ctenon_guard_records_create`): a
    /// machine's CPU threads bind theirs, a plugin host reads them.
    let guardRecords: OpaquePointer

    /// Creates a pipeline with no oob stage, every CPU in-band, unstalled, hard-on.
    /// The calling thread's CPU binding is left alone: a thread bound to no
    /// CPU acts as CPU 0 until a machine attaches (see ``currentCPU``).
    public init(cpus: Int, barrier: BarrierConfiguration = .init()) {
        precondition(cpus >= 1 && cpus <= 255, "a pipeline has 1 to 255 CPUs, not \(cpus)")
        cpuCount = cpus
        guard let records = ctenon_guard_records_create(Int32(cpus)) else { fatalError("out of memory for \(cpus) signal-guard records") }
        guardRecords = records
        let barrierMemory = UnsafeMutablePointer<QuiescenceBarrier>.allocate(capacity: 1)
        barrierMemory.initialize(to: QuiescenceBarrier(cpus: cpus, configuration: barrier))
        barrierFence = barrierMemory.pointee.fenced ? .fenced : .membarrier
        let cpuMemory = UnsafeMutablePointer<PerCPUPipeline>.allocate(capacity: cpus)
        core = .allocate(capacity: 1)
        core.initialize(to: PipelineCore(cpuCount: cpus, cpus: cpuMemory, barrier: barrierMemory))
        for i in 0..<cpus {
            (cpuMemory + i).initialize(to: PerCPUPipeline(index: i, core: core, slot: barrierMemory.pointee.slot(i)))
        }
        control = Mutex(ControlState())
        _ = IRQPipeline.faultHooks
        // The "in-band work" synthetic IRQ that plays irq_work.
        let work = createMapping(owner: 0)
        core.pointee.inbandWorkIRQ = work
        _ = requestAction(
            work, handler: inbandWorkTrampoline, devId: UnsafeMutableRawPointer(core), key: nil,
            flags: IRQF_PERCPU | IRQF_NO_THREAD, name: "in-band work", owner: 0, box: nil)
    }

    deinit {
        AttachedPipelines.remove(key: UInt(bitPattern: core))
        for i in 0..<cpuCount where ctenon_current_cpu() == UnsafeMutableRawPointer(core.pointee.cpus + i) {
            ctenon_set_current_cpu(nil)
        }
        control.withLock { state in
            for (irq, _) in state.records {
                let old = core.pointee.descriptors[Int(irq)].actions.exchange(0, ordering: .relaxed)
                freeChain(old)
            }
            for chain in state.pendingFree { freeChain(chain.chain) }
            state.records = [:]
            state.pendingFree = []
        }
        for i in 0..<cpuCount { core.pointee.cpus[i].deallocate() }
        core.pointee.cpus.deinitialize(count: cpuCount)
        core.pointee.cpus.deallocate()
        core.pointee.deallocate()
        core.deinitialize(count: 1)
        core.deallocate()
        ctenon_guard_records_free(guardRecords)
    }

    /// CPU `cpu`'s signal-guard record: what its handlers left blocked
    /// (``Machine`` binds it to the CPU's thread; ``PluginHost`` reports it).
    package func signalGuardRecord(cpu: Int) -> OpaquePointer {
        precondition(cpu >= 0 && cpu < cpuCount, "CPU \(cpu) out of range 0..<\(cpuCount)")
        return ctenon_guard_record_at(guardRecords, Int32(cpu))
    }

    /// Runs `body` with the calling thread acting as `cpu`, then restores the
    /// thread's previous CPU.
    @discardableResult
    public func withCPU<R>(_ cpu: Int, _ body: () throws -> R) rethrows -> R {
        precondition(cpu >= 0 && cpu < cpuCount, "CPU \(cpu) out of range 0..<\(cpuCount)")
        let previous = ctenon_current_cpu()
        ctenon_set_current_cpu(UnsafeMutableRawPointer(core.pointee.cpus + cpu))
        defer { ctenon_set_current_cpu(previous) }
        return try body()
    }

    /// Binds the calling thread to `cpu` for good (a machine's CPU thread).
    public func bindCurrentThread(to cpu: Int) {
        precondition(cpu >= 0 && cpu < cpuCount, "CPU \(cpu) out of range 0..<\(cpuCount)")
        ctenon_set_current_cpu(UnsafeMutableRawPointer(core.pointee.cpus + cpu))
        ctenon_fault_set_cpu(Int32(cpu))
    }

    /// The CPU the calling thread runs, if it runs one of this pipeline's:
    /// a machine's CPU thread, a thread inside ``withCPU(_:_:)``, or, while no
    /// machine is attached (the deterministic model), any thread bound to no
    /// CPU at all, which acts as CPU 0.
    public var currentCPU: Int? {
        interruptPath.current()?.index
    }

    /// This CPU (the calling thread's).
    @inline(__always)
    var this: CPUContext {
        guard let cpu = currentCPU else {
            preconditionFailure("this thread runs no CPU of this pipeline: use withCPU(_:_:)")
        }
        return CPUContext(data: core.pointee.cpus + cpu)
    }

    func context(_ cpu: Int) -> CPUContext {
        CPUContext(data: core.pointee.cpus + cpu)
    }
}

/// The handler of the "in-band work" synthetic IRQ (`devId`: the pipeline's core).
let inbandWorkTrampoline: IRQHandlerFunction = { _, core in
    guard let core, let cpu = InterruptPath(core: core.assumingMemoryBound(to: PipelineCore.self)).current() else {
        return IRQ_NONE
    }
    cpu.runWork()
    return IRQ_HANDLED
}
