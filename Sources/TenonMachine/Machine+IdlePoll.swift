extension Machine {
    /// Sets how long each CPU's idle loop polls its controller before it
    /// sleeps (0, the default: it sleeps at once). Takes effect at the CPUs'
    /// next idle pass.
    ///
    /// Why: an idle CPU is already woken on its futex word rather than
    /// signalled (see ``Machine``), but a CPU that went to sleep still needs a
    /// `FUTEX_WAKE` and, in a VM, a halted vCPU woken. While a CPU polls,
    /// raisers only set its summary (Linux's `TIF_POLLING_NRFLAG`) and the
    /// idle loop takes the IRQ in task context, with no system call on
    /// either side. The window restarts after every IRQ taken; the CPU sleeps
    /// once a whole window passes without one (KVM's guest halt-polling).
    /// Since idle CPUs are woken instead of signalled, ping-pong gains
    /// ×1.1–1.9 from a 50 µs window (four runs), where it gained ×3–7 before: it helps when IRQs
    /// come just too far apart for the idle loop to catch them awake.
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
