#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was called (and on which path) and its `errno`.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call, for example `"bind /run/user/1000/tenon/control.sock"`.
    public var call: String
    /// The `errno` it failed with.
    public var error: SystemError

    /// `call` failed with `errno` (either sign).
    public init(call: String, errno: Int32) {
        self.call = call
        self.error = SystemError(errno)
    }

    /// `"call: strerror(errno)"`.
    public var description: String { "\(call): \(error.message)" }
}
