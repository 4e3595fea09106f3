#if canImport(Glibc)
import Glibc
#endif

/// Settings of a ``ControlServer``. The defaults are the production ones.
package struct ControlServerConfiguration: Sendable {
    /// The socket path (default ``ControlSocketPath/defaultPath(environment:uid:)``).
    package var path: String
    /// The socket file's mode (default `0600`).
    package var socketMode: mode_t
    /// The mode of the socket's directory: it is created with this mode, and an existing one
    /// may have no permission bits outside it (default `0700`).
    package var directoryMode: mode_t
    /// How long a whole request frame may take to arrive (also the idle limit) (default 2 s).
    package var readTimeout: Duration
    /// How long a response write may block on a client that does not read (default 2 s).
    package var writeTimeout: Duration
    /// Connections served at once; more get a `busy` error (default 32).
    package var maxConnections: Int
    /// Connections one client process (peer pid) may hold at once; more get
    /// a `busy` error, so that one client cannot take every slot and lock
    /// others (`tenon shutdown`) out (default 8).
    package var maxConnectionsPerClient: Int
    /// How long ``ControlServer/stop()`` waits for connection threads (default 5 s).
    package var stopTimeout: Duration

    package init(
        path: String = ControlSocketPath.defaultPath(),
        socketMode: mode_t = 0o600,
        directoryMode: mode_t = 0o700,
        readTimeout: Duration = .seconds(2),
        writeTimeout: Duration = .seconds(2),
        maxConnections: Int = 32,
        maxConnectionsPerClient: Int = 8,
        stopTimeout: Duration = .seconds(5)
    ) {
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.path = path
        self.socketMode = socketMode
        self.directoryMode = directoryMode
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.maxConnections = maxConnections
        self.stopTimeout = stopTimeout
    }
}
