import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serves the control socket of a Tenon host.
///
/// ``start()`` prepares the private directory, replaces a stale socket (or refuses if a live
/// host answers), binds with the configured mode and starts an accept thread. Each connection
/// gets its own thread (at most ``ControlServerConfiguration/maxConnections``), which:
///
/// 1. checks the peer with `SO_PEERCRED`: only the host's effective uid and root are served;
///    anyone else gets a `permission-denied` error and the connection is closed;
/// 2. reads newline-delimited request frames (see ``ControlProtocol``) with a size limit and a
///    per-frame deadline, answering malformed frames with an error;
/// 3. answers `ping` itself and passes every other request to the ``ControlHandler``
///    (on this connection's thread: requests of different clients run at once).
///
/// Nothing a client sends can stop the accept thread or the host; a slow or silent client only
/// ties up its own thread until its read timeout.
///
/// A started server is kept alive by its threads until ``stop()``: always call it (the host
/// does so on SIGINT/SIGTERM, after `shutdown`).
package final class ControlServer: Sendable {
    private struct State: Sendable {
        var started = false
        var running = false
        var listenFD: Int32 = -1
        var wakeFDs: (read: Int32, write: Int32) = (-1, -1)
        var socketIdentity: (device: UInt64, inode: UInt64)?
        var connections: Set<Int32> = []
        /// Connections per client process (peer pid).
        var perClient: [Int32: Int] = [:]
    }

    /// The settings this server runs with.
    package let configuration: ControlServerConfiguration
    /// The socket path.
    package var path: String { configuration.path }

    private let handler: any ControlHandler
    private let logger: Logger
    private let state = Mutex(State())
    private let acceptDone = DispatchSemaphore(value: 0)
    private let connectionGroup = DispatchGroup()
    private let hostUID: UInt32 = geteuid()

    /// The key marking connection threads (so that ``stop()`` called from a handler does not
    /// wait for itself).
    private static let connectionThreadKey = "TenonControl.ControlServer.connectionThread"

    /// Creates a server; nothing happens until ``start()``.
    package init(
        configuration: ControlServerConfiguration = ControlServerConfiguration(),
        handler: any ControlHandler,
        logger: Logger = Logger(label: "tenon.control")
    ) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
    }

    /// Whether the server is accepting connections.
    package var isRunning: Bool { state.withLock { $0.running } }

    /// Binds the socket and starts serving. Throws ``ControlServerError`` with a one-line
    /// reason if the directory is insecure, another host is live on the path, or a system call
    /// fails.
    package func start() throws(ControlServerError) {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        if alreadyStarted { throw .alreadyStarted }
        do {
            try bindAndListen()
        } catch {
            state.withLock { $0.started = false }
            throw error
        }
        let thread = Thread { [self] in
            ThreadName.setCurrent("tenon-control")
            acceptLoop()
            acceptDone.signal()
        }
        thread.start()
        logger.info("control socket listening", metadata: ["path": "\(path)"])
    }

    /// Stops accepting, closes live connections, waits (bounded) for connection threads,
    /// closes the socket and unlinks its file (if it is still ours). Idempotent.
    package func stop() {
        let (wasRunning, wakeWrite) = state.withLock { state in
            defer { state.running = false }
            return (state.running, state.wakeFDs.write)
        }
        guard wasRunning else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        acceptDone.wait()
        // Under the lock: a connection thread removes its fd from the set (under the lock)
        // before closing it, so these numbers cannot have been reused by someone else.
        state.withLock { state in
            for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        let onConnectionThread =
            Thread.current.threadDictionary[Self.connectionThreadKey] as? Bool == true
        if !onConnectionThread {
            let (seconds, attoseconds) = configuration.stopTimeout.components
            let timeout =
                DispatchTime.now()
                + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
            if connectionGroup.wait(timeout: timeout) == .timedOut {
                logger.warning("control connections still busy after stop timeout")
            }
        }
        let (listenFD, wakeFDs, identity) = state.withLock { state in
            defer {
                state.listenFD = -1
                state.wakeFDs = (-1, -1)
            }
            return (state.listenFD, state.wakeFDs, state.socketIdentity)
        }
        close(listenFD)
        close(wakeFDs.read)
        close(wakeFDs.write)
        var info = stat()
        if let identity, lstat(path, &info) == 0,
            UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode
        {
            unlink(path)
        }
        logger.info("control socket closed", metadata: ["path": "\(path)"])
    }

    deinit {
        stop()
    }

    // MARK: - Start-up

    private func bindAndListen() throws(ControlServerError) {
        guard let address = UnixSocketAddress(path: path) else { throw .invalidPath(path: path) }
        try ControlSocketPath.prepareDirectory(
            ControlSocketPath.directory(of: path), mode: configuration.directoryMode)
        try removeStaleSocket(address)

        let fd: Int32
        switch SocketIO.makeSocket() {
        case .success(let value): fd = value
        case .failure(let error): throw .system(error)
        }
        var pipeFDs: [Int32] = [-1, -1]
        do throws(ControlServerError) {
            if address.withSockaddr({ bind(fd, $0, $1) }) != 0 {
                if errno == EADDRINUSE { throw .alreadyRunning(path: path) }
                throw .system(SystemCallError(call: "bind \(path)", errno: errno))
            }
            // The directory is private, so the socket is unreachable until this chmod.
            if chmod(path, configuration.socketMode) != 0 {
                let error = SystemCallError(call: "chmod \(path)", errno: errno)
                unlink(path)
                throw .system(error)
            }
            var info = stat()
            _ = lstat(path, &info)
            if listen(fd, 64) != 0 {
                let error = SystemCallError(call: "listen \(path)", errno: errno)
                unlink(path)
                throw .system(error)
            }
            if pipe(&pipeFDs) != 0 {
                let error = SystemCallError(call: "pipe", errno: errno)
                unlink(path)
                throw .system(error)
            }
            _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
            let identity = (device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            let wake = (read: pipeFDs[0], write: pipeFDs[1])
            state.withLock { state in
                state.listenFD = fd
                state.wakeFDs = wake
                state.socketIdentity = identity
                state.running = true
            }
        } catch {
            close(fd)
            throw error
        }
    }

    /// Removes a socket file nobody listens on; refuses if a host answers or if the path is
    /// not a socket.
    private func removeStaleSocket(_ address: UnixSocketAddress) throws(ControlServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw .notASocket(path: path) }
        let probe: Int32
        switch SocketIO.makeSocket() {
        case .success(let value): probe = value
        case .failure(let error): throw .system(error)
        }
        defer { close(probe) }
        SocketIO.setTimeout(probe, option: SO_SNDTIMEO, .seconds(1))
        switch SocketIO.connect(probe, to: address) {
        case 0, EAGAIN:  // EAGAIN: a live listener with a full backlog
            throw .alreadyRunning(path: path)
        case ECONNREFUSED:
            logger.notice("removing stale control socket", metadata: ["path": "\(path)"])
            if unlink(path) != 0 && errno != ENOENT {
                throw .system(SystemCallError(call: "unlink \(path)", errno: errno))
            }
        case ENOENT:
            return
        case let code:
            throw .system(SystemCallError(call: "connect \(path)", errno: code))
        }
    }

    // MARK: - Accepting

    private func acceptLoop() {
        let (listenFD, wakeRead) = state.withLock { ($0.listenFD, $0.wakeFDs.read) }
        while true {
            var descriptors = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("control socket poll failed: \(SocketIO.describe(errno: errno))")
                usleep(100_000)
                continue
            }
            if descriptors[1].revents != 0 || !isRunning { return }
            guard descriptors[0].revents != 0 else { continue }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, EAGAIN, ECONNABORTED: break
                default:
                    logger.error("control accept failed: \(SocketIO.describe(errno: errno))")
                    usleep(100_000)  // EMFILE and friends: do not spin
                }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // no accept4 in Glibc's Swift overlay
            SocketIO.setTimeout(fd, option: SO_SNDTIMEO, configuration.writeTimeout)
            let admitted = state.withLock { state -> Bool in
                guard state.running, state.connections.count < configuration.maxConnections
                else { return false }
                state.connections.insert(fd)
                return true
            }
            guard admitted else {
                let response: ControlResponse =
                    isRunning
                    ? .error(.busy, "the host is busy: too many control connections, retry later")
                    : .error(.shuttingDown, "the host is shutting down")
                _ = SocketIO.sendAll(fd, Self.encode(response))
                close(fd)
                continue
            }
            connectionGroup.enter()
            let thread = Thread { [self] in
                ThreadName.setCurrent("tenon-client")
                Thread.current.threadDictionary[Self.connectionThreadKey] = true
                serve(fd)
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
                connectionGroup.leave()
            }
            thread.name = "tenon-control-conn"
            thread.start()
        }
    }

    // MARK: - Serving one connection

    private func serve(_ fd: Int32) {
        guard let peer = SocketIO.peerCredentials(fd) else {
            logger.warning("control connection without peer credentials: closed")
            _ = SocketIO.sendAll(
                fd, Self.encode(.error(.permissionDenied, "permission denied: unknown peer")))
            return
        }
        var metadata: Logger.Metadata = ["peer.pid": "\(peer.pid)", "peer.uid": "\(peer.uid)"]
        guard peer.uid == hostUID || peer.uid == 0 else {
            logger.warning("control connection refused: foreign uid", metadata: metadata)
            _ = SocketIO.sendAll(
                fd,
                Self.encode(
                    .error(
                        .permissionDenied,
                        "permission denied: uid \(peer.uid) is not the host's user (\(hostUID))")))
            return
        }
        let admitted = state.withLock { s -> Bool in
            guard s.perClient[peer.pid, default: 0] < configuration.maxConnectionsPerClient else { return false }
            s.perClient[peer.pid, default: 0] += 1
            return true
        }
        guard admitted else {
            logger.warning("control connection refused: too many from one client", metadata: metadata)
            _ = SocketIO.sendAll(
                fd,
                Self.encode(
                    .error(
                        .busy,
                        "the host is busy: process \(peer.pid) already holds "
                            + "\(configuration.maxConnectionsPerClient) control connections (the limit per client); close some and retry")))
            return
        }
        defer {
            state.withLock { s in
                s.perClient[peer.pid]! -= 1
                if s.perClient[peer.pid] == 0 { s.perClient[peer.pid] = nil }
            }
        }
        logger.debug("control connection", metadata: metadata)
        let reader = FrameReader(fd: fd, limit: ControlProtocol.maxRequestSize)
        while isRunning {
            let deadline = ContinuousClock.now + configuration.readTimeout
            switch reader.next(until: deadline) {
            case .frame(let bytes):
                let (response, op) = respond(to: bytes)
                metadata["op"] = "\(op ?? "-")"
                if case .error(let code, let message) = response {
                    metadata["error"] = "\(code): \(message)"
                }
                logger.debug("control request", metadata: metadata)
                metadata["error"] = nil
                if SocketIO.sendAll(fd, Self.encode(response)) != 0 { return }
            case .endOfStream:
                return
            case .truncated:
                logger.debug("control client closed mid-frame", metadata: metadata)
                return
            case .timedOut:
                logger.debug("control connection closed after read timeout", metadata: metadata)
                return
            case .tooLarge:
                logger.warning("control frame too large: closed", metadata: metadata)
                _ = SocketIO.sendAll(
                    fd,
                    Self.encode(
                        .error(
                            .frameTooLarge,
                            "request frame larger than \(ControlProtocol.maxRequestSize) bytes")))
                return
            case .failed(let code):
                logger.debug(
                    "control read failed: \(SocketIO.describe(errno: code))", metadata: metadata)
                return
            }
        }
    }

    /// Decodes, validates and serves one frame; returns the response and the request's `op`.
    private func respond(to bytes: [UInt8]) -> (ControlResponse, String?) {
        let decoder = ControlCoding.decoder()
        let data = Data(bytes)
        let json: JSONValue
        do {
            json = try decoder.decode(JSONValue.self, from: data)
        } catch {
            return (.error(.malformedJSON, "malformed request: not valid JSON"), nil)
        }
        guard case .object = json else {
            return (.error(.badRequest, "bad request: a request frame must be a JSON object"), nil)
        }
        guard case .int(let version)? = json["version"] else {
            return (
                .error(.badRequest, "bad request: missing or non-integer \"version\" member"), nil
            )
        }
        guard version == ControlProtocol.version else {
            return (
                .error(
                    .unsupportedVersion,
                    "unsupported protocol version \(version): this host speaks version "
                        + "\(ControlProtocol.version)"), nil
            )
        }
        let frame: ControlRequestFrame
        do {
            frame = try decoder.decode(ControlRequestFrame.self, from: data)
        } catch let error as DecodingError {
            return (.error(.badRequest, "bad request: \(Self.describe(error))"), nil)
        } catch {
            return (.error(.badRequest, "bad request: \(error)"), nil)
        }
        let request = frame.request
        if let problem = request.validationError {
            return (.error(.badRequest, "bad request: \(problem)"), request.op)
        }
        if case .ping = request {
            return (
                .ok(
                    encoding: PingPayload(
                        version: ControlProtocol.version, pid: getpid(), uid: hostUID)),
                request.op
            )
        }
        // Not serialised: a slow request must not hold up the others.
        let response = handler.handle(request)
        return (response, request.op)
    }

    /// A one-line description of a decoding error, naming the offending member.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            var keys = context.codingPath.map(\.stringValue)
            if let key { keys.append(key.stringValue) }
            keys.removeAll { $0 == "request" }
            return keys.isEmpty ? "the request" : "\"" + keys.joined(separator: ".") + "\""
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing member \(path(context, key))"
        case .typeMismatch(let type, let context):
            return "member \(path(context)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "member \(path(context)) is null (expected \(type))"
        case .dataCorrupted(let context):
            return context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }

    /// One response frame, newline included; an oversized or unencodable response becomes an
    /// `internal-error` frame.
    static func encode(_ response: ControlResponse) -> [UInt8] {
        let encoder = ControlCoding.encoder()
        if let data = try? encoder.encode(ControlResponseFrame(response: response)),
            data.count < ControlProtocol.maxResponseSize
        {
            return Array(data) + [ControlProtocol.frameTerminator]
        }
        let fallback = ControlResponseFrame(
            response: .error(.internalError, "the response could not be encoded or is too large"))
        return Array((try? encoder.encode(fallback)) ?? Data()) + [ControlProtocol.frameTerminator]
    }
}
