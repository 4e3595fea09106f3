/// Why ``ControlServer/start()`` refused to start. Each description is one line.
package enum ControlServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket's directory exists with the wrong type, owner or permissions.
    case insecureDirectory(path: String, reason: String)
    /// Another live host answers on the socket path.
    case alreadyRunning(path: String)
    /// Something that is not a socket exists at the socket path.
    case notASocket(path: String)
    /// The path does not fit in `sockaddr_un` (108 bytes on Linux) or is empty.
    case invalidPath(path: String)
    /// The server was already started.
    case alreadyStarted
    /// A system call failed.
    case system(SystemCallError)

    package var description: String {
        switch self {
        case .insecureDirectory(let path, let reason):
            "refusing to use control socket directory \(path): \(reason)"
        case .alreadyRunning(let path):
            "a host is already running at \(path)"
        case .notASocket(let path):
            "refusing to replace \(path): it exists and is not a socket"
        case .invalidPath(let path):
            "invalid control socket path \"\(path)\" (empty or longer than "
                + "\(UnixSocketAddress.maxPathLength) bytes)"
        case .alreadyStarted:
            "the control server is already started"
        case .system(let error):
            "control socket: \(error)"
        }
    }
}
