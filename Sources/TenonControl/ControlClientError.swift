/// Why a ``ControlClient`` request failed. Each description is one line fit for a CLI.
public enum ControlClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing listens on the path (no file, or a stale socket).
    case noHost(path: String)
    /// The socket exists but this user may not connect to it.
    case permissionDenied(path: String)
    /// The path does not fit in `sockaddr_un` or is empty.
    case invalidPath(path: String)
    /// No complete response within the timeout.
    case timedOut(path: String, timeout: Duration)
    /// The host closed the connection before a complete response.
    case connectionClosed(path: String)
    /// The response was not a valid response frame.
    case malformedResponse(String)
    /// The request could not be encoded or exceeds ``ControlProtocol/maxRequestSize``.
    case requestTooLarge(size: Int)
    /// A system call failed.
    case system(SystemCallError)

    public var description: String {
        switch self {
        case .noHost(let path):
            "no tenon host at \(path) (is `tenon run` running?)"
        case .permissionDenied(let path):
            "permission denied connecting to \(path) (the host belongs to another user)"
        case .invalidPath(let path):
            "invalid control socket path \"\(path)\" (empty or longer than "
                + "\(UnixSocketAddress.maxPathLength) bytes)"
        case .timedOut(let path, let timeout):
            "no answer from the tenon host at \(path) within \(timeout)"
        case .connectionClosed(let path):
            "the tenon host at \(path) closed the connection without answering"
        case .malformedResponse(let reason):
            "malformed response from the tenon host: \(reason)"
        case .requestTooLarge(let size):
            "request too large: \(size) bytes (the limit is \(ControlProtocol.maxRequestSize))"
        case .system(let error):
            "control socket: \(error)"
        }
    }
}
