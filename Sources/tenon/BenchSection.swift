import ArgumentParser

/// A part of `tenon bench` (`--only`).
enum BenchSection: String, CaseIterable, ExpressibleByArgument {
    /// Barrier read side around a handler call.
    case barrier
    /// One IRQ through the pipeline to a plugin handler.
    case handler
    /// Idle load/unload beside a bare dlopen cycle.
    case unload
    /// One plugin command call beside a bare ffi_call.
    case command
    /// Two trace points around a handler call, tracing off and on.
    case trace
}
