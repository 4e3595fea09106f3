/// The payload of ``ControlRequest/stats``: monotonic counters plus free-form values.
public struct StatsPayload: Codable, Sendable, Equatable {
    /// Monotonic counters, for example `"irqsRaised"`, `"irqsLost"`, `"swaps"`.
    public var counters: [String: UInt64]
    /// Anything else (gauges, percentiles, strings), keyed by name.
    public var values: [String: JSONValue]

    /// A payload from its counters and values (both empty by default).
    public init(counters: [String: UInt64] = [:], values: [String: JSONValue] = [:]) {
        self.counters = counters
        self.values = values
    }
}
