/// What the host implements to serve control requests.
///
/// ``ControlServer`` decodes and validates each request, checks the peer, and calls
/// ``handle(_:)`` on one of its connection threads. Calls are serialised by the server (never
/// two at once), so a handler may run load/unload/swap without its own outer lock; it must
/// still be safe to call from a thread other than the one that created it. `ping` is answered
/// by the server itself and never reaches the handler.
///
/// A handler should return promptly (bounded waits only, such as an unload timeout): while it
/// runs, other clients' requests queue behind it (their connections stay open).
package protocol ControlHandler: Sendable {
    /// Serves one decoded, validated request. Errors are reported as
    /// ``ControlResponse/error(code:message:)`` with a one-line message.
    func handle(_ request: ControlRequest) -> ControlResponse
}
