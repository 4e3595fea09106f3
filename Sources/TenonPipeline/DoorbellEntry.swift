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
/// doorbell, then enters as the doorbell does.
@_cdecl("tenon_raise_local_entry") @_noLocks
public func tenonRaiseLocalEntry(_ cpu: UnsafeMutableRawPointer?, _ irq: UInt32) {
    guard let cpu, irq < IRQNumberSpace.total else { return }
    let ctx = CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self))
    _ = ctx.core.pointee.controllers[ctx.index].raise(irq)
    ctx.takePendingIRQs()
}
