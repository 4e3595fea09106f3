import Foundation

/// How big the storms are. `swift test` runs them at a size that still
/// exercises every path (hundreds of unload/swap cycles under real-signal
/// IRQ storms) in seconds; `scripts/soak` sets `TENON_SOAK=1` and runs the
/// same tests at their full size (tens of thousands of cycles).
enum SoakScale {
    static let enabled = ProcessInfo.processInfo.environment["TENON_SOAK"] == "1"

    /// `full` in a soak run, `quick` otherwise.
    static func cycles(quick: Int, full: Int) -> Int { enabled ? full : quick }
}
