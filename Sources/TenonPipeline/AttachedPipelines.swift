import Synchronization

/// Every pipeline with a machine attached, process-wide.
///
/// A machine's signals (doorbell, timer, fd) are the process's: all machines
/// share their numbers and dispositions. When a plugin sets the doorbell to
/// `SIG_IGN` or catches it, doorbells rung meanwhile to *any* machine of the
/// process are lost, not only to the plugin's own; the signal guard therefore
/// re-rings pending controllers on all of them (``IRQPipeline/ringPendingDoorbellsEverywhere()``).
enum AttachedPipelines {
    /// Keyed by the pipeline core's address; the value rings that pipeline's
    /// pending doorbells. Removed on detach and in the pipeline's deinit, so
    /// a path never outlives its core.
    static let paths = Mutex<[UInt: InterruptPath]>([:])

    static func insert(_ path: InterruptPath, key: UInt) {
        paths.withLock { $0[key] = path }
    }

    static func remove(key: UInt) {
        _ = paths.withLock { $0.removeValue(forKey: key) }
    }

    /// Rings every attached pipeline's pending doorbells, under the lock:
    /// a pipeline detaching meanwhile waits until its rings are sent.
    static func ringPending() {
        paths.withLock { paths in
            for path in paths.values { path.ringPending() }
        }
    }
}
