/// What a machine plugs into a pipeline's interrupt path: the architecture
/// half of Dovetail's entry (its `arch_*` hooks), kept out of the model.
///
/// The pipeline decides *when* (a raise flipped a CPU's controller from idle
/// to pending: ring; an entry set the lazy hard-off flag: open; it is about to
/// clear it: close); the machine decides *how* (TenonMachine: `tgkill` of the
/// CPU's doorbell signal, and the thread's signal mask). Every hook is called
/// from signal context and must be async-signal-safe C. Without hooks (the
/// deterministic model) remote IRQs wait until their CPU takes them.
package struct MachineHooks: @unchecked Sendable {
    /// `(context, cpu)`: sends `cpu` its doorbell.
    package typealias Ring = @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void
    /// Opens the CPU to nested entries (after the hard-off flag is set).
    package typealias Open = @convention(c) () -> Void
    /// `(cpu, lastIRQ)`: closes it again before the flag is cleared; may check
    /// what the handlers left (the signal guard).
    package typealias Close = @convention(c) (Int32, UInt32) -> Void

    package var ring: Ring
    /// Makes sure `cpu`'s backstop is pending (called on that CPU's thread,
    /// at each stop on the drain budget while it has in-band work): a CPU
    /// comes back for what it left even if no raise rings. TenonMachine's
    /// is a periodic timer armed by the first call (a syscall) and a flag
    /// test after that, disarmed by its own expiry once nothing is left
    /// behind (``InterruptPath/backstopEntry(_:)``).
    package var later: Ring
    /// Wakes `cpu`'s idle loop, which takes what an entry left on its budget
    /// in task context (NAPI's ksoftirqd); called on that CPU's own thread.
    package var wake: Ring
    package var context: UnsafeMutableRawPointer?
    package var open: Open
    package var close: Close

    package init(
        ring: Ring, later: Ring, wake: Ring, context: UnsafeMutableRawPointer?,
        open: Open, close: Close
    ) {
        self.ring = ring
        self.later = later
        self.wake = wake
        self.context = context
        self.open = open
        self.close = close
    }
}
