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
    /// Rings `cpu` after ``laterNanos`` (a one-shot backstop, re-armed by
    /// each call): a drain that stopped on its budget while the CPU had
    /// in-band work comes back even if no raise rings.
    package var later: Ring
    package var laterNanos: UInt64
    /// Wakes `cpu`'s idle loop, which takes what an entry left on its budget
    /// in task context (NAPI's ksoftirqd); called on that CPU's own thread.
    package var wake: Ring
    package var context: UnsafeMutableRawPointer?
    package var open: Open
    package var close: Close

    package init(
        ring: Ring, later: Ring, laterNanos: UInt64, wake: Ring, context: UnsafeMutableRawPointer?,
        open: Open, close: Close
    ) {
        self.ring = ring
        self.later = later
        self.laterNanos = laterNanos
        self.wake = wake
        self.context = context
        self.open = open
        self.close = close
    }
}
