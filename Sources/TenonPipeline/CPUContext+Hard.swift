/// The CPU's real interrupt flag ("hard" state), masked lazily: disabling is
/// a flag write; an IRQ arriving meanwhile stays in the controller and the
/// doorbell handler returns at once; enabling takes whatever waited, as a CPU
/// takes pending IRQs right after it sets its interrupt flag. A flag pair costs
/// under a nanosecond where a `pthread_sigmask` pair costs ~300 ns (a syscall each way).
extension CPUContext {
    @inline(__always) @_noLocks
    func hardSave() -> Bool {
        let old = data.pointee.hardOff
        data.pointee.hardOff = true
        compilerBarrier()
        return old
    }

    @inline(__always) @_noLocks
    func hardDisable() {
        data.pointee.hardOff = true
        compilerBarrier()
    }

    @_noLocks
    func hardEnable() {
        compilerBarrier()
        data.pointee.hardOff = false
        compilerBarrier()
        takePendingIRQs()
    }

    @inline(__always) @_noLocks
    func hardRestore(_ off: Bool) {
        if off { hardDisable() } else { hardEnable() }
    }

    /// Takes the IRQs waiting in this CPU's controller through the pipeline
    /// entry, as long as hard interrupts are on: the tail of every hard
    /// enable, and what a CPU thread runs when it starts. The same bounded
    /// loop as a signal entry (``drain(signalled:)``), in task context.
    @_noLocks
    func takePendingIRQs() {
        drain(signalled: false)
    }
}
