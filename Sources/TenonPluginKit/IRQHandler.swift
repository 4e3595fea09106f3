/// An IRQ handler: `{ irq, _ in ...; return .handled }`, a `func` or a
/// closure that captures nothing (the ABI calls it directly, through a C
/// function pointer: no thunk, no context).
///
/// Context: [oob] when requested with ``IRQFlags/oob`` while an oob stage is
/// installed, else [inband]. Either way it runs in a signal frame: atomics,
/// plain memory, the plugin's ``Plugin/shared`` state and the ``Host``
/// services marked [any]; no allocation, no lock, no `log`. Mark it
/// `@_noLocks` to have the compiler check that.
///
/// The second argument is the action's cookie (the kit passes the handler
/// itself, so that `(irq, handler)` names the action); ignore it.
public typealias IRQHandler = @convention(c) (_ irq: UInt32, _ cookie: UnsafeMutableRawPointer?) -> IRQReturn

/// A function deferred with ``Host/irqWork(_:)``: runs [inband] on the CPU
/// that queued it. Same rules as an ``IRQHandler``.
public typealias IRQWorkFunction = @convention(c) () -> Void
