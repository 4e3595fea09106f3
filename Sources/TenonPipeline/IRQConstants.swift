import Glibc

// Dovetail's (Linux's) names and values, so tests and plugins read like kernel code.

/// Handler return value: the interrupt was not for this handler.
public var IRQ_NONE: Int32 { @_noLocks get { 0 } }
/// Handler return value: the interrupt was handled.
public var IRQ_HANDLED: Int32 { @_noLocks get { 1 } }
/// Handler return value asking for a threaded handler; illegal from oob handlers.
public var IRQ_WAKE_THREAD: Int32 { @_noLocks get { 2 } }

/// The line may be shared; every action on it must agree on the sharing flags.
public var IRQF_SHARED: UInt32 { @_noLocks get { 0x0000_0080 } }
/// A per-CPU interrupt (timers, IPIs, synthetic IRQs).
public var IRQF_PERCPU: UInt32 { @_noLocks get { 0x0000_0400 } }
/// Keep the line masked until the threaded handler ran; cleared by `IRQF_OOB`.
public var IRQF_ONESHOT: UInt32 { @_noLocks get { 0x0000_2000 } }
/// Never thread this handler; forced by `IRQF_OOB`.
public var IRQF_NO_THREAD: UInt32 { @_noLocks get { 0x0001_0000 } }
/// Run this handler on the out-of-band stage.
public var IRQF_OOB: UInt32 { @_noLocks get { 0x0020_0000 } }

/// Flags that every action on a shared line must agree on (`__setup_irq`).
var IRQF_SHARING_MASK: UInt32 { IRQF_SHARED | IRQF_OOB | IRQF_ONESHOT | IRQF_PERCPU }

/// The C type of every handler: Dovetail's `irq_handler_t` with our fixed-width types.
public typealias IRQHandlerFunction = @convention(c) (UInt32, UnsafeMutableRawPointer?) -> Int32

/// Layout of the IRQ number space of a pipeline.
public enum IRQNumberSpace {
    /// Device IRQs (and IPIs): `0 ..< deviceIRQs`, each with a descriptor from the start.
    public static var deviceIRQs: UInt32 { @_noLocks get { 1024 } }
    /// Synthetic IRQs: `deviceIRQs ..< total`, mapped on demand.
    public static var syntheticIRQs: UInt32 { @_noLocks get { 1024 } }
    /// Every valid IRQ number is below this.
    public static var total: UInt32 { @_noLocks get { 2048 } }
    /// 64-bit words of an IRQ bitmap covering `total`.
    static var words: Int { @_noLocks get { 32 } }
}

/// Negative errno values, as Dovetail returns them.
public enum Errno {
    /// `-EINVAL`: IRQ or CPU out of range, IRQ without descriptor, NULL handler, bad flags, thread function.
    public static var EINVAL: Int32 { @_noLocks get { -Glibc.EINVAL } }
    /// `-EBUSY`: line taken or not shareable, oob stage already installed, or a handler outlived `free_irq`'s timeout.
    public static var EBUSY: Int32 { @_noLocks get { -Glibc.EBUSY } }
    /// `-ENOENT`: `free_irq` found no action with that `devId`; `timer_stop` found no such timer.
    public static var ENOENT: Int32 { @_noLocks get { -Glibc.ENOENT } }
    /// `-ENOMEM`: Dovetail's out-of-memory error; nothing in the pipeline returns it (`request_irq` never does).
    public static var ENOMEM: Int32 { @_noLocks get { -Glibc.ENOMEM } }
    /// `-EDEADLK`: `free_irq` (or a plugin's task service) called from a handler, which would wait for itself.
    public static var EDEADLK: Int32 { @_noLocks get { -Glibc.EDEADLK } }
    /// `-EIO`: `membarrier` failed in `free_irq`'s grace period (the action is out of dispatch, memory kept).
    public static var EIO: Int32 { @_noLocks get { -Glibc.EIO } }
    /// `-EAGAIN`: a tick proxy already installed, no synthetic IRQ left, or no timer could be started.
    public static var EAGAIN: Int32 { @_noLocks get { -Glibc.EAGAIN } }
    /// `-ENODEV`: `tick_install_proxy` on a line with no in-band tick handler to relay.
    public static var ENODEV: Int32 { @_noLocks get { -Glibc.ENODEV } }
    /// `-ENOSPC`: a plugin's `request_irq` beyond its limit of IRQ actions held (32).
    public static var ENOSPC: Int32 { @_noLocks get { -Glibc.ENOSPC } }
    /// `-ETIMEDOUT`: Dovetail's timeout error; nothing returns it here (a timed-out grace period is `-EBUSY`).
    public static var ETIMEDOUT: Int32 { @_noLocks get { -Glibc.ETIMEDOUT } }
}
