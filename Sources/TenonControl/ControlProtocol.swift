/// Constants of the Tenon control protocol (wire format version 1).
///
/// ## Framing
/// Newline-delimited JSON over a UNIX stream socket: each frame is one UTF-8 JSON object
/// followed by `\n` (0x0A). A connection may carry several request/response exchanges in
/// turn; ``ControlClient`` uses one connection per request.
///
/// - A request frame is ``ControlRequestFrame``: `{"version":1,"request":{"op":"list"}}`.
/// - A response frame is ``ControlResponseFrame``:
///   `{"version":1,"response":{"status":"ok","payload":…}}` or
///   `{"version":1,"response":{"status":"error","code":"bad-request","message":"…"}}`.
///
/// ## Limits
/// - A request frame (newline included) is at most ``maxRequestSize`` bytes. A longer one
///   gets a `frame-too-large` error and the connection is closed (it cannot be resynchronised).
/// - A request frame must arrive completely within the server's read timeout (2 s by default)
///   from the moment the server starts waiting for it; otherwise the connection is closed
///   without a reply. This also bounds idle connections.
/// - Responses may be larger (tables), up to ``maxResponseSize``.
///
/// ## Versioning
/// Every frame carries `version`. The server answers a frame whose version it does not speak
/// with an `unsupported-version` error (in its own version) and keeps the connection.
/// `ping` returns the server's version (see ``PingPayload``).
package enum ControlProtocol {
    /// The protocol version this module speaks.
    package static let version = 1
    /// Hard maximum size in bytes of one request frame, terminating newline included.
    package static let maxRequestSize = 64 * 1024
    /// Hard maximum size in bytes of one response frame, terminating newline included.
    package static let maxResponseSize = 16 * 1024 * 1024
    /// The frame terminator.
    package static let frameTerminator: UInt8 = 0x0A
}
