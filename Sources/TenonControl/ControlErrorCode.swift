/// The machine-readable `code` values of ``ControlResponse/error(code:message:)``.
///
/// Codes produced by the server itself are listed here; a ``ControlHandler`` should use them
/// where they fit (`unknown-plugin`, `bad-request`, …) and may add its own kebab-case codes.
public enum ControlErrorCode: String, Sendable, CaseIterable {
    /// The frame is not valid JSON (or not UTF-8).
    case malformedJSON = "malformed-json"
    /// The frame is JSON but not a valid request (unknown `op`, missing or mistyped field,
    /// out-of-range value).
    case badRequest = "bad-request"
    /// The frame's `version` is not one the server speaks.
    case unsupportedVersion = "unsupported-version"
    /// The frame exceeds ``ControlProtocol/maxRequestSize``; the connection is closed.
    case frameTooLarge = "frame-too-large"
    /// The peer's uid is neither the host's nor root; the connection is closed.
    case permissionDenied = "permission-denied"
    /// The server has too many connections; the connection is closed.
    case busy = "busy"
    /// The server is stopping.
    case shuttingDown = "shutting-down"
    /// The handler's response could not be encoded or was too large.
    case internalError = "internal-error"
    /// Suggested for handlers: the named plugin is not loaded.
    case unknownPlugin = "unknown-plugin"
    /// Suggested for handlers: the request was valid but the operation failed.
    case failed = "failed"
    /// Suggested for handlers: the operation did not complete in time.
    case timeout = "timeout"
    /// Suggested for handlers: the request kind is not supported by this host.
    case unsupported = "unsupported"
}
