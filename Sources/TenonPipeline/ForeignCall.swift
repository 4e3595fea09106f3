import CTenon

/// The one audited point where the interrupt path calls code the compiler
/// cannot see: IRQ handlers and irq_work functions (plugins' or the host's own
/// trampolines). The contract that makes this sound is in
/// include/tenon/tenon_plugin.h: handlers are async-signal-safe, never
/// allocate, never lock. Everything around this call is checked `@_noLocks`.
///
/// The call goes through `ctenon_call_out`, which marks the thread as running
/// `owner` (what the fault handler reads to tell plugin code from host code)
/// and, outside a pipeline entry, sets a recovery point for this call alone.
/// Returns the handler's result, or `CTENON_FAULTED` if a fault abandoned it.
@inline(never) @_noLocks
func callOut(core: UnsafeMutablePointer<PipelineCore>, owner: UInt32, context: UInt32,
             handler: IRQHandlerFunction?, work: IRQWorkFunction?,
             irq: UInt32, argument: UnsafeMutableRawPointer?) -> Int32 {
    _unsafePerformance {
        ctenon_call_out(UnsafeRawPointer(core), owner, irq, context, handler, work, argument)
    }
}

/// The same call without the marker or recovery point: the benchmark's
/// baseline (today's figure), never used to run plugin code.
@inline(never) @_noLocks
func callOutUnguarded(handler: IRQHandlerFunction?, irq: UInt32, argument: UnsafeMutableRawPointer?) -> Int32 {
    _unsafePerformance {
        if let handler { return handler(irq, argument) }
        return IRQ_HANDLED
    }
}

/// Async-signal-safe host glue the interrupt path needs (vDSO clock, the
/// machine's doorbell). Not plugin code; kept apart so `callOut` stays the
/// only door into foreign code.
enum HostGlue {
    @inline(__always) @_noLocks
    static func monotonicNanos() -> UInt64 {
        _unsafePerformance { ctenon_monotonic_ns() }
    }

    /// The calling thread's CPU (initial-exec TLS: one load).
    @inline(__always) @_noLocks
    static func currentCPU() -> UnsafeMutableRawPointer? {
        _unsafePerformance { ctenon_current_cpu() }
    }

    @inline(__always) @_noLocks
    static func ring(_ doorbell: UInt, context: UInt, cpu: Int) {
        _unsafePerformance {
            let fn = unsafeBitCast(doorbell, to: DoorbellFunction.self)
            fn(UnsafeMutableRawPointer(bitPattern: context), Int32(truncatingIfNeeded: cpu))
        }
    }
}
