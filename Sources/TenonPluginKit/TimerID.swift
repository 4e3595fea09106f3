/// A per-CPU timer started with ``Host/startTimer(on:irq:after:every:)``.
public struct TimerID: Hashable, Sendable {
    public let rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
}
