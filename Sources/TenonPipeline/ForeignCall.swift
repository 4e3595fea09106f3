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
func callOut(
    cpu: CPUContext, owner: UInt32, context: UInt32,
    handler: IRQHandlerFunction?, work: IRQWorkFunction?,
    irq: UInt32, argument: UnsafeMutableRawPointer?
) -> Int32 {
    _unsafePerformance {
        ctenon_call_out(
            UnsafeRawPointer(cpu.core), UnsafeMutableRawPointer(cpu.data), owner, irq, context,
            handler, work, argument)
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
/// machine's hooks, the signal guard, the signal fence, the test hook). Not
/// plugin code; kept apart so `callOut` stays the only door into foreign code.
/// Every call the compiler cannot check from `@_noLocks` code is in this file
/// (CI fails if `_unsafePerformance` appears anywhere else in the host), each
/// with the reason it is sound.
enum HostGlue {
    /// The machine's `open` hook (``MachineHooks``): nested entries may come.
    /// TenonMachine's is one `rt_sigprocmask` (a syscall: no lock, no
    /// allocation); the hook contract requires async-signal-safe C.
    @inline(__always) @_noLocks
    static func openEntry(_ core: UnsafeMutablePointer<PipelineCore>) {
        let hook = core.pointee.entryOpen.load(ordering: .relaxed)
        if hook == 0 { return }
        _unsafePerformance { unsafeBitCast(hook, to: MachineHooks.Open.self)() }
    }

    /// The machine's `close` hook on the way out of an entry. TenonMachine's
    /// blocks its signals again and, in the same syscall, lets the signal
    /// guard see whether a handler left host signals blocked (a word compare,
    /// atomics on a violation).
    @inline(__always) @_noLocks
    static func closeEntry(_ core: UnsafeMutablePointer<PipelineCore>, cpu: Int, lastIRQ: UInt32) {
        let hook = core.pointee.entryClose.load(ordering: .relaxed)
        if hook == 0 { return }
        _unsafePerformance { unsafeBitCast(hook, to: MachineHooks.Close.self)(Int32(truncatingIfNeeded: cpu), lastIRQ) }
    }

    /// After each IRQ, only once a violation was seen: which line left host
    /// signals blocked (one `rt_sigprocmask` read, async-signal-safe).
    @inline(__always) @_noLocks
    static func pinpointBlockedSignals(irq: UInt32) {
        _unsafePerformance {
            if ctenon_guard_pinpointing() != 0 { ctenon_guard_check_irq(irq) }
        }
    }

    /// A pause instruction.
    @inline(__always) @_noLocks
    static func cpuRelax() {
        _unsafePerformance { ctenon_cpu_relax() }
    }

    #if DEBUG
    /// Debug builds' deterministic-interleaving hook (``BarrierHook``): test
    /// code that pauses a reader or writer at a named step. Never installed
    /// outside tests; not compiled into release builds.
    @inline(never) @_noLocks
    static func callTestHook(_ hook: UInt, _ step: BarrierStep, _ cpu: Int, _ detail: UInt) {
        _unsafePerformance {
            Unmanaged<BarrierHook>.fromOpaque(UnsafeRawPointer(bitPattern: hook)!).takeUnretainedValue().body(step, cpu, detail)
        }
    }
    #endif

    @inline(__always) @_noLocks
    static func monotonicNanos() -> UInt64 {
        _unsafePerformance { ctenon_monotonic_ns() }
    }

    /// The calling thread's CPU (initial-exec TLS: one load).
    @inline(__always) @_noLocks
    static func currentCPU() -> UnsafeMutableRawPointer? {
        _unsafePerformance { ctenon_current_cpu() }
    }

    /// The machine's `ring` hook (async-signal-safe C by contract; only
    /// TenonMachine sets it, through the package-only ``IRQPipeline/attach(_:)``).
    @inline(__always) @_noLocks
    static func ring(_ doorbell: UInt, context: UInt, cpu: Int) {
        _unsafePerformance {
            let fn = unsafeBitCast(doorbell, to: MachineHooks.Ring.self)
            fn(UnsafeMutableRawPointer(bitPattern: context), Int32(truncatingIfNeeded: cpu))
        }
    }
}

/// Forbids the compiler to move memory accesses across this point, with
/// `atomic_signal_fence` semantics (C's: it orders this thread's accesses
/// against its own signal handlers and emits no instruction). That is all the
/// interrupt path needs around the lazy hard-off flag and the barrier's read
/// side: the handler that reads them runs on the same thread. Swift has no
/// signal fence of its own, hence the C one (inlined: a `static inline`).
@inline(__always) @_noLocks
func compilerBarrier() {
    _unsafePerformance { ctenon_signal_fence() }
}

/// Traps with no runtime call that could allocate or lock (a plugin passing a
/// NULL host to a service: a plugin bug that would crash anyway).
@inline(never) @_noLocks
package func hostTrap(_ message: StaticString) -> Never {
    _unsafePerformance { fatalError("\(message)") }
}
