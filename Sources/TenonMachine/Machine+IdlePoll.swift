extension Machine {
    /// Sets how long each CPU's idle loop polls its controller before it
    /// sleeps (0, the default: it sleeps at once). Takes effect at the CPUs'
    /// next idle pass.
    ///
    /// Why: waking a sleeping CPU thread is most of a round trip when IRQs
    /// come one at a time (a request/response device, a ping-pong): in a VM
    /// the signal has to wake a halted vCPU. While a CPU polls, raisers set
    /// its summary without sending the doorbell (Linux's
    /// `TIF_POLLING_NRFLAG`), and the idle loop takes the IRQ in task context
    /// (as a hard enable would), so a round trip costs no signal and no
    /// wake-up. The window restarts after every IRQ taken; the CPU sleeps
    /// once a whole window passes without one (KVM's guest halt-polling).
    ///
    /// The cost is CPU time: an idle CPU spins for the window after each IRQ.
    /// With more CPUs than usable cores that time is taken from busy CPUs and
    /// from the control plane, so use it with at most one CPU per core.
    public func setIdlePoll(nanoseconds: UInt64) {
        for cpu in cpus { cpu.idlePollNanos.store(nanoseconds, ordering: .relaxed) }
        // Sleeping CPUs start polling at their next wake-up; wake them now.
        for cpu in cpus { cpu.kick() }
    }

    /// The idle-poll window set by ``setIdlePoll(nanoseconds:)`` (0: none).
    public var idlePollNanoseconds: UInt64 { cpus.first?.idlePollNanos.load(ordering: .relaxed) ?? 0 }
}
