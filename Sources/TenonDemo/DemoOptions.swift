/// What `tenon demo` runs: machine size and how long the load lasts.
package struct DemoOptions: Sendable {
    /// Simulated CPUs: 1 to 16 (the test device's per-CPU FIFOs are sized for it).
    package var cpus: Int
    /// Seconds of load: 1 to 25, so the whole demo stays under 30 s.
    package var durationSeconds: Int
    /// Where to write the pipeline's trace of the whole run (Chrome trace-event JSON), if anywhere.
    package var tracePath: String?

    package static let cpuRange = 1...16
    package static let durationRange = 1...25

    package init(cpus: Int = 4, durationSeconds: Int = 12) {
        self.cpus = cpus
        self.durationSeconds = durationSeconds
    }

    /// Why these options cannot run, one line, or nil.
    package var problem: String? {
        if !Self.cpuRange.contains(cpus) { return "--cpus must be 1 to 16, not \(cpus)" }
        if !Self.durationRange.contains(durationSeconds) { return "--duration must be 1 to 25 s, not \(durationSeconds)" }
        return nil
    }
}
