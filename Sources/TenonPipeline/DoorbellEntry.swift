import CTenon

// The pipeline entries a machine's signal handlers call: C trampolines in
// CTenon find the CPU in TLS and call these with it (see
// `ctenon_install_doorbell` / `ctenon_install_sources`). Async-signal-safe:
// no allocation, no lock, no runtime call.
//
// The trampolines are installed with the machine's signals in `sa_mask`, so
// an entry starts with interrupts really off, as on a CPU. It honours the
// lazy hard-off flag first (if the interrupted code had hard interrupts off,
// the IRQs stay in the controller until it enables them again), sets the
// flag, and only then opens the signal mask: a nested doorbell finds the flag
// set and returns at once. Before clearing the flag on its way out it closes
// the mask again, and sigreturn restores the interrupted mask atomically, as
// iret does. In-band handlers replayed on the way out run with the flag clear
// and the mask open, so an oob IRQ preempts them with a nested entry.

/// The doorbell signal's entry: takes the IRQs waiting in `cpu`'s controller,
/// or returns at once if hard interrupts are off on it.
@_cdecl("tenon_doorbell_entry") @_noLocks
public func tenonDoorbellEntry(_ cpu: UnsafeMutableRawPointer?) {
    guard let cpu else { return }
    CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self)).signalEntry()
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
    ctx.signalEntry()
    return merged ? 1 : 0
}

extension CPUContext {
    /// The body of a signal entry (machine signals blocked on entry and exit).
    @_noLocks
    func signalEntry() {
        let controller = core.pointee.controllers + index
        if data.pointee.hardOff { return }
        while controller.pointee.mayHavePending() {
            data.pointee.hardOff = true
            compilerBarrier()
            HostGlue.openMachineSignals()
            let switched = enterPipeline()
            let lastIRQ = takeRaised()
            _ = leavePipeline(switched: switched)
            // Also the signal guard's check: handlers must not leave host
            // signals blocked (no extra syscall: the old mask comes back).
            HostGlue.closeMachineSignals(cpu: index, lastIRQ: lastIRQ)
            compilerBarrier()
            data.pointee.hardOff = false
            compilerBarrier()
        }
    }
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
