#if canImport(Glibc)
import Glibc
#endif

/// An `errno` value, the one error type Tenon's Swift layers carry for a failed
/// system call or a plugin's `-errno` (as swift-system's `Errno` does). The
/// Dovetail façade itself keeps returning negative `Int32` values, as the
/// kernel API it mirrors does; above it, errors hold a `SystemError`.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The positive errno number.
    public let code: Int32

    /// `code` may be given negated (`-EINVAL`, as a plugin or the façade returns it).
    public init(_ code: Int32) { self.code = code < 0 ? (code == Int32.min ? Int32.max : -code) : code }

    /// The calling thread's `errno` now.
    public static var current: SystemError { SystemError(errno) }

    /// The symbolic name, `"EINVAL"` (`"errno N"` for one not in ``names``).
    public var name: String { Self.names[code] ?? "errno \(code)" }

    /// Names of the errno values Tenon's layers meet.
    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        E2BIG: "E2BIG", ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
        ENFILE: "ENFILE", EMFILE: "EMFILE", ENOTTY: "ENOTTY", EFBIG: "EFBIG", ENOSPC: "ENOSPC",
        ESPIPE: "ESPIPE", EROFS: "EROFS", EPIPE: "EPIPE", EDOM: "EDOM", ERANGE: "ERANGE",
        EDEADLK: "EDEADLK", ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS", ELOOP: "ELOOP",
        EOVERFLOW: "EOVERFLOW", ENOTSUP: "ENOTSUP", EADDRINUSE: "EADDRINUSE", ECONNREFUSED: "ECONNREFUSED",
        ECONNRESET: "ECONNRESET", ENOTCONN: "ENOTCONN", ETIMEDOUT: "ETIMEDOUT", ENOTSOCK: "ENOTSOCK",
    ]

    /// `strerror`'s text, `"Invalid argument"`.
    public var message: String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// `"EINVAL (Invalid argument)"`.
    public var description: String { "\(name) (\(message))" }
}
