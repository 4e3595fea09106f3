import Synchronization

/// The pipeline's trace: per-CPU rings of fixed-size records written on the
/// interrupt path (handler begin/end, irq_work, log replay) and a control-plane
/// ring (grace-period phases, unload and swap steps). Off by default; each
/// trace point then costs one predictable branch. Task context only.
extension IRQPipeline {
    /// Empties the rings and starts recording (allocating them the first time:
    /// 512 KiB per CPU, plus one ring for the control plane).
    public func startTracing() {
        control.withLock { _ in
            if core.pointee.traceRings.load(ordering: .acquiring) == 0 {
                let rings = UnsafeMutablePointer<TraceRings>.allocate(capacity: 1)
                rings.initialize(to: TraceRings(rings: cpuCount + 1))
                core.pointee.traceRings.store(UInt(bitPattern: rings), ordering: .releasing)
            }
            rings?.pointee.reset()
            core.pointee.tracing.store(true, ordering: .releasing)
        }
    }

    /// Stops recording; the records stay readable (``traceEvents()``).
    public func stopTracing() {
        core.pointee.tracing.store(false, ordering: .releasing)
    }

    /// Whether trace points record.
    public var isTracing: Bool { core.pointee.tracing.load(ordering: .relaxed) }

    /// What the rings hold, in time order. Stop tracing first: a record being
    /// written while this reads may come out torn.
    public func traceEvents() -> [TraceEvent] {
        (rings?.pointee.read(cpuCount: cpuCount) ?? []).sorted { $0.timeNanos < $1.timeNanos }
    }

    /// Records lost to ring wrap-around since tracing started.
    public var traceOverwritten: UInt64 { rings?.pointee.overwritten() ?? 0 }

    /// Records a step of a plugin operation (task context).
    public func traceControl(_ step: TraceEvent.ControlStep, owner: UInt32) {
        core.pointee.trace(ring: cpuCount, .control, owner: owner, arg: step.rawValue)
    }

    private var rings: UnsafeMutablePointer<TraceRings>? {
        UnsafeMutablePointer<TraceRings>(bitPattern: core.pointee.traceRings.load(ordering: .acquiring))
    }
}
