/// A load whose plugin code is still running (constructors, entry point or
/// `init()`): its name is reserved, and `tenon list` shows it as `loading`.
struct PendingLoad {
    let name: String
    let version: String
    let path: String
    /// Wall-clock start, seconds since 1970 (shown as the load time).
    let started: Double
    /// CLOCK_MONOTONIC nanoseconds at the start (for "running for N s").
    let startedNanos: UInt64
    /// The `key=value` arguments given.
    let parameters: [String]
}
