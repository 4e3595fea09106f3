import Synchronization

/// Per-IRQ state shared by all CPUs (Dovetail's `struct irq_desc`).
///
/// Written by the control plane under the pipeline's lock, read by every
/// CPU's dispatch without one; hence atomics only.
struct IRQDescriptor: ~Copyable {
    /// Bits of `IRQDescriptor.Setting`.
    let settings = Atomic<UInt32>(0)
    /// Address of the first `IRQAction` of the published chain, or 0.
    let actions = Atomic<UInt>(0)
    /// Consecutive `IRQ_NONE` results of the oob handlers (spurious rule).
    let unhandled = Atomic<UInt32>(0)
    /// When the last unhandled event was seen (CLOCK_MONOTONIC ns).
    let lastUnhandled = Atomic<UInt64>(0)

    enum Setting {
        /// The number has a descriptor (device IRQs always; synthetic once mapped).
        static var exists: UInt32 { @_noLocks get { 1 << 0 } }
        /// The line is in out-of-band mode (`irq_settings_is_oob`).
        static var oob: UInt32 { @_noLocks get { 1 << 1 } }
        /// Per-CPU with per-CPU dev_id semantics (synthetic IRQs, per-CPU requests).
        static var perCPU: UInt32 { @_noLocks get { 1 << 2 } }
        /// Synthetic: flow handler is `handle_synthetic_irq`.
        static var synthetic: UInt32 { @_noLocks get { 1 << 3 } }
        /// Disabled after the spurious-IRQ rule fired (`IRQS_SPURIOUS_DISABLED`).
        static var spuriousDisabled: UInt32 { @_noLocks get { 1 << 4 } }
    }

    @_noLocks
    func has(_ setting: UInt32) -> Bool {
        settings.load(ordering: .acquiring) & setting != 0
    }

    @_noLocks
    func set(_ setting: UInt32) {
        settings.bitwiseOr(setting, ordering: .releasing)
    }

    @_noLocks
    func clear(_ setting: UInt32) {
        settings.bitwiseAnd(~setting, ordering: .releasing)
    }

    var firstAction: UnsafeMutablePointer<IRQAction>? {
        @_noLocks get { UnsafeMutablePointer(bitPattern: actions.load(ordering: .acquiring)) }
    }
}
