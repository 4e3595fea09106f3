// The pipeline entries a machine's signal handlers call: C trampolines in
// CTenon find the CPU in TLS and call these with it (pass them to
// `ctenon_install_doorbell` / `ctenon_install_sources`). Async-signal-safe:
// no allocation, no lock, no runtime call.

/// The doorbell signal's entry: takes the IRQs waiting in `cpu`'s controller,
/// or returns at once if hard interrupts are off on it (they stay there and
/// are taken when the CPU enables hard interrupts again).
@_cdecl("tenon_doorbell_entry") @_noLocks
public func tenonDoorbellEntry(_ cpu: UnsafeMutableRawPointer?) {
    guard let cpu else { return }
    CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self)).takePendingIRQs()
}

/// A local IRQ source's entry (timer expiry, readable fd, on `cpu`'s own
/// thread): raises `irq` in the CPU's controller without ringing the
/// doorbell, then enters as the doorbell does. Returns 1 if `irq` was still
/// pending in the controller (the raise merged into it, as a hardware
/// controller merges an edge on a pending line), else 0.
@_cdecl("tenon_raise_local_entry") @_noLocks
public func tenonRaiseLocalEntry(_ cpu: UnsafeMutableRawPointer?, _ irq: UInt32) -> Int32 {
    guard let cpu, irq < IRQNumberSpace.total else { return 0 }
    let ctx = CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self))
    let merged = ctx.core.pointee.controllers[ctx.index].raiseLocal(irq)
    ctx.takePendingIRQs()
    return merged ? 1 : 0
}

extension IRQController {
    /// Marks `irq` raised by its own CPU (which takes it right after, so no
    /// doorbell is needed). Returns whether it was already pending.
    @_noLocks
    func raiseLocal(_ irq: UInt32) -> Bool {
        let bit: UInt64 = 1 &<< UInt64(irq & 63)
        let old = leaves[Int(irq >> 6)].bitwiseOr(bit, ordering: .sequentiallyConsistent).oldValue
        summary.store(1, ordering: .sequentiallyConsistent)
        return old & bit != 0
    }
}
