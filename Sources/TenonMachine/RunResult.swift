import Dispatch

/// The hand-over of ``Machine/run(on:_:)``: the CPU writes the value, then
/// signals; the caller waits, then reads.
final class RunResult<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}
