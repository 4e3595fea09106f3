@_exported import CTenonPluginKit

/// A Linux errno value: what init refuses a load with, and what a failed
/// host service reports. The ABI returns them negated (Dovetail's
/// convention); ``Errno`` holds the positive value. Modelled on
/// swift-system's `Errno`.
public struct Errno: Error, RawRepresentable, Hashable, Sendable {
    /// The positive errno value (e.g. 22 for EINVAL).
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// A host service result: 0 or a negative errno.
    @usableFromInline
    static func check(_ result: Int32) throws(Errno) {
        if result < 0 { throw Errno(rawValue: -result) }
    }

    /// EPERM
    public static var notPermitted: Errno { Errno(rawValue: EPERM) }
    /// ENOENT: e.g. freeing an IRQ action that does not exist.
    public static var noSuchEntry: Errno { Errno(rawValue: ENOENT) }
    /// E2BIG: the plugin declares more than the kit's tables hold.
    public static var tooBig: Errno { Errno(rawValue: E2BIG) }
    /// EAGAIN
    public static var tryAgain: Errno { Errno(rawValue: EAGAIN) }
    /// ENOMEM
    public static var noMemory: Errno { Errno(rawValue: ENOMEM) }
    /// EDEADLK: a task service was called from a handler.
    public static var deadlock: Errno { Errno(rawValue: EDEADLK) }
    /// EBUSY: the IRQ line is taken and not shareable, or the flags differ.
    public static var busy: Errno { Errno(rawValue: EBUSY) }
    /// EINVAL: bad IRQ number, flags or parameter.
    public static var invalidArgument: Errno { Errno(rawValue: EINVAL) }
    /// ENOSPC: e.g. the plugin holds its 32 IRQ actions, or the synthetic IRQ
    /// domain or the irq_work pool is exhausted.
    public static var noSpace: Errno { Errno(rawValue: ENOSPC) }
    /// ERANGE: a parameter value does not fit the Swift type it is read as.
    public static var outOfRange: Errno { Errno(rawValue: ERANGE) }
    /// ENOSYS: the host does not provide the service (e.g. timers without a machine).
    public static var notImplemented: Errno { Errno(rawValue: ENOSYS) }
}
