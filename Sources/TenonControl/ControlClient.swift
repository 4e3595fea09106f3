import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends requests to a running Tenon host over its control socket.
///
/// Each ``send(_:)`` opens a connection, writes one request frame, reads one response frame
/// and closes. The whole exchange is bounded by ``timeout``; for an unload, pass a timeout
/// longer than the unload's own `timeoutMilliseconds`.
public struct ControlClient: Sendable {
    /// The socket path.
    public var path: String
    /// The limit on one whole exchange (connect, send, receive).
    public var timeout: Duration

    /// A client of the host at `path` (default: this user's socket); no I/O until ``send(_:)``.
    public init(path: String = ControlSocketPath.defaultPath(), timeout: Duration = .seconds(10)) {
        self.path = path
        self.timeout = timeout
    }

    /// Sends `request` and returns the host's response (which may be an error response).
    /// Throws ``ControlClientError`` when there is no usable exchange at all.
    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        // JSONText, not JSONEncoder: see its note (the server decodes either).
        let frame: JSONValue = ["version": .int(ControlProtocol.version), "request": request.jsonValue]
        let bytes = Array(JSONText.serialize(frame).utf8)
        guard bytes.count + 1 <= ControlProtocol.maxRequestSize else {
            throw .requestTooLarge(size: bytes.count + 1)
        }
        return try exchange(bytes + [ControlProtocol.frameTerminator])
    }

    /// Sends `ping` and returns the server's ``PingPayload``.
    public func ping() throws(ControlClientError) -> PingPayload {
        let response = try send(.ping)
        guard case .ok(let payload) = response, let ping = try? payload.decode(PingPayload.self)
        else { throw .malformedResponse("unexpected answer to ping: \(response)") }
        return ping
    }

    /// Writes raw bytes (normally one encoded frame) and reads one response frame.
    func exchange(_ bytes: [UInt8]) throws(ControlClientError) -> ControlResponse {
        let deadline = ContinuousClock.now + timeout
        let fd = try connect()
        defer { close(fd) }
        switch SocketIO.sendAll(fd, bytes) {
        case 0: break
        case EAGAIN: throw .timedOut(path: path, timeout: timeout)
        // The host may refuse (and close) before reading: its reply is still readable.
        case EPIPE, ECONNRESET: break
        case let code: throw .system(SystemCallError(call: "send \(path)", errno: code))
        }
        let reader = FrameReader(fd: fd, limit: ControlProtocol.maxResponseSize)
        switch reader.next(until: deadline) {
        case .frame(let frame):
            do {
                let json = try JSONText.parse(Array(frame))
                guard let response = json["response"] else {
                    throw JSONText.ParseError(offset: 0, reason: "no response in the frame")
                }
                return try ControlResponse(json: response)
            } catch {
                throw .malformedResponse("\(error)")
            }
        case .endOfStream, .truncated, .failed(ECONNRESET):
            throw .connectionClosed(path: path)
        case .timedOut:
            throw .timedOut(path: path, timeout: timeout)
        case .tooLarge:
            throw .malformedResponse("response larger than \(ControlProtocol.maxResponseSize) bytes")
        case .failed(let code):
            throw .system(SystemCallError(call: "read \(path)", errno: code))
        }
    }

    /// A connected socket, with the send timeout set to ``timeout``.
    func connect() throws(ControlClientError) -> Int32 {
        guard let address = UnixSocketAddress(path: path) else { throw .invalidPath(path: path) }
        let fd: Int32
        switch SocketIO.makeSocket() {
        case .success(let value): fd = value
        case .failure(let error): throw .system(error)
        }
        SocketIO.setTimeout(fd, option: SO_SNDTIMEO, timeout)
        switch SocketIO.connect(fd, to: address) {
        case 0:
            return fd
        case let code:
            close(fd)
            switch code {
            case ENOENT, ECONNREFUSED, ENOTDIR: throw .noHost(path: path)
            case EACCES, EPERM: throw .permissionDenied(path: path)
            case EAGAIN: throw .timedOut(path: path, timeout: timeout)
            default: throw .system(SystemCallError(call: "connect \(path)", errno: code))
            }
        }
    }
}
