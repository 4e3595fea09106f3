import Dispatch

/// Keeps apart, process-wide, the tests that assert the signal guard's
/// verdict and the tests that hold a plugin call past
/// `PluginGuard.turnWait`.
///
/// A call that waited `turnWait` for the guard's turn runs beside the slow
/// one, and the guard then pins a signal change on neither (it logs both
/// names and quarantines nobody), which is right for the product and a
/// false failure for a test that expects a quarantine. Suites run in
/// parallel, so `.serialized` on one suite does not prevent it. A semaphore,
/// not a lock: a suite takes it in `init` and gives it back in `deinit`,
/// possibly on another thread.
enum ExclusiveTurn {
    private static let semaphore = DispatchSemaphore(value: 1)

    static func take() { semaphore.wait() }
    static func give() { semaphore.signal() }

    static func holding<T>(_ body: () throws -> T) rethrows -> T {
        take()
        defer { give() }
        return try body()
    }
}
