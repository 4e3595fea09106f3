import Foundation

/// How big the storms are. `swift test` runs them at a size that still
/// exercises every path (hundreds of unload/swap cycles under real-signal
/// IRQ storms) in seconds; `scripts/soak` sets `TENON_SOAK=1` and runs the
/// same tests at their full size (tens of thousands of cycles).
enum SoakScale {
    static let enabled = ProcessInfo.processInfo.environment["TENON_SOAK"] == "1"

    /// `full` in a soak run, `quick` otherwise.
    static func cycles(quick: Int, full: Int) -> Int { enabled ? full : quick }

    /// A soak storm's time budget (`TENON_SOAK_SECONDS`, default 150 s per
    /// storm): past it, a storm that has done at least its quick size stops
    /// early and says how many cycles it did, so a slow machine makes the
    /// soak shorter, never red for want of time.
    static let budgetNanos: UInt64? =
        enabled
        ? UInt64((Double(ProcessInfo.processInfo.environment["TENON_SOAK_SECONDS"] ?? "") ?? 150) * 1e9) : nil

    /// Whether a storm that started at `start` (monotonic ns) and has done
    /// `done` of at least `minimum` cycles should stop for the budget.
    static func outOfBudget(since start: UInt64, now: UInt64, done: Int, minimum: Int) -> Bool {
        guard let budgetNanos else { return false }
        return done >= minimum && now - start > budgetNanos
    }
}
