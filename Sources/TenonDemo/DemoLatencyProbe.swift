/// The raise-to-oob-handler latency probe the demo drives: the raiser arms a
/// CPU and stamps, the oob handler records on entry. `record` runs in
/// interrupt context: it must allocate nothing and take no lock. The CLI
/// hands in its `LatencyProbe` (shared with `tenon irqbench`).
package protocol DemoLatencyProbe: AnyObject, Sendable {
    /// Stamps `cpu`'s hand-over word just before the raise. [task]
    func arm(cpu: Int)
    /// Stores the latency of `cpu`'s armed raise. [oob]
    func record(cpu: Int)
    /// Waits until `cpu`'s armed raise was recorded, or the timeout. [task]
    func waitDone(cpu: Int, timeoutNanos: UInt64) -> Bool
    /// The latencies recorded on `cpu`, in nanoseconds. [task]
    func samples(cpu: Int) -> [UInt64]
}
