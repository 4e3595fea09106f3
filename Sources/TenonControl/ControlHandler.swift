/// What the host implements to serve control requests.
///
/// ``ControlServer`` decodes and validates each request, checks the peer, and calls
/// ``handle(_:)`` on the requesting connection's thread. Calls are **not** serialised: two
/// clients' requests run at once, so that a read-only request (`list`, `stats`) is answered
/// while a slow one (a plugin `init()` that sleeps) is in progress. A handler synchronises
/// its own state. `ping` is answered by the server itself and never reaches the handler.
///
/// A handler should still reply in bounded time (the client gives up after its own deadline):
/// Tenon's host replies "still running" at a request's deadline and lets the work go on.
package protocol ControlHandler: Sendable {
    /// Serves one decoded, validated request. Errors are reported as
    /// ``ControlResponse/error(code:message:)`` with a one-line message.
    func handle(_ request: ControlRequest) -> ControlResponse
}
