import Foundation
import Synchronization
import TenonControl

/// One control request run on its own thread, so that its reply can be sent
/// at a deadline while plugin code (`init()`, `exit()`, a command) goes on.
///
/// Whichever comes first wins: the work's own response, or the deadline's
/// "still running" one. Work that finishes after the deadline hands its
/// response to `finishedLate` (the host logs it), since no client waits.
final class LateReply: Sendable {
    private struct State {
        var response: ControlResponse?
        var gaveUp = false
    }
    private let state = Mutex<State>(State())
    private let done = DispatchSemaphore(value: 0)

    /// Runs `work`, waiting at most `timeout` (nil: as long as it takes).
    static func run(
        timeout: Duration?, name: String,
        work: @escaping @Sendable () -> ControlResponse,
        late: () -> ControlResponse,
        finishedLate: @escaping @Sendable (ControlResponse) -> Void
    ) -> ControlResponse {
        guard let timeout else { return work() }
        let reply = LateReply()
        let thread = Thread {
            let response = work()
            let answered = reply.state.withLock { s -> Bool in
                s.response = response
                return s.gaveUp
            }
            if answered { finishedLate(response) } else { reply.done.signal() }
        }
        thread.name = name
        thread.stackSize = 8 << 20  // plugin code runs here, as on a main thread
        thread.start()
        let (seconds, attos) = timeout.components
        let wait = DispatchTime.now() + .nanoseconds(Int(min(seconds, 86_400 * 365)) * 1_000_000_000 + Int(attos / 1_000_000_000))
        if reply.done.wait(timeout: wait) == .success {
            return reply.state.withLock { $0.response! }
        }
        // The work may have finished right at the deadline: then its answer wins.
        let finished = reply.state.withLock { s -> ControlResponse? in
            if s.response == nil { s.gaveUp = true }
            return s.response
        }
        return finished ?? late()
    }
}
