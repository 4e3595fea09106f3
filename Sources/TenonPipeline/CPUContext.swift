/// A handle on one CPU's pipeline state, through which all interrupt-path
/// code runs. Every method acts on "this CPU" and must be called by the thread
/// currently running it (Dovetail's `this_cpu` rule).
struct CPUContext {
    let data: UnsafeMutablePointer<PerCPUPipeline>

    @inline(__always) var core: UnsafeMutablePointer<PipelineCore> { @_noLocks get { data.pointee.core } }
    @inline(__always) var index: Int { @_noLocks get { data.pointee.index } }

    @inline(__always) @_noLocks
    init(data: UnsafeMutablePointer<PerCPUPipeline>) {
        self.data = data
    }

    @inline(__always) var oobPresent: Bool {
        @_noLocks get { core.pointee.oobStageIndex.load(ordering: .acquiring) != 0 }
    }

    @inline(__always) var debug: Bool {
        @_noLocks get { core.pointee.debug.load(ordering: .relaxed) }
    }

    @inline(__always) @_noLocks
    func diagnose(_ kind: PipelineDiagnostic.Kind, irq: UInt32 = 0, value: Int32 = 0) {
        core.pointee.diagnostics.record(kind, cpu: index, irq: irq, value: value)
    }
}
