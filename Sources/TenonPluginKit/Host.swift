import TenonABI

/// The host services a plugin may call, typed. One per loaded plugin, valid
/// from `init(host:parameters:)` until `stop(host:)` returns; keep it in the
/// plugin's state to use it from handlers.
///
/// Each member carries the contexts it may be called from, as in
/// include/tenon/tenon_plugin.h: [task] (entry, init, start, stop, commands),
/// [inband] and [oob] (handlers, irq_work), [any]. Members marked
/// [async-signal-safe] are `@_noLocks`: a `@_noLocks` handler may call them.
public struct Host: @unchecked Sendable {
    @usableFromInline
    let raw: UnsafePointer<tenon_host_t>

    init(_ raw: UnsafePointer<tenon_host_t>) { self.raw = raw }

    // MARK: - The machine [any]

    /// Simulated CPUs of this machine. [any]
    @inlinable
    public var cpuCount: UInt32 { raw.pointee.nr_cpus }

    /// Valid IRQ numbers are `0..<irqCount`; synthetic IRQs are the upper half. [any]
    @inlinable
    public var irqCount: UInt32 { raw.pointee.nr_irqs }

    /// The CPU running the caller (smp_processor_id). [any][async-signal-safe]
    @inlinable
    public var cpu: UInt32 {
        @_noLocks get { _unsafePerformance { raw.pointee.smp_processor_id(raw) } }
    }

    /// CLOCK_MONOTONIC in nanoseconds. [any][async-signal-safe]
    @inlinable
    public var now: UInt64 {
        @_noLocks get { _unsafePerformance { raw.pointee.clock_ns(raw) } }
    }

    /// Whether the caller runs on the oob stage (running_oob). [any][async-signal-safe]
    @inlinable
    public var runningOOB: Bool {
        @_noLocks get { _unsafePerformance { raw.pointee.running_oob(raw) != 0 } }
    }

    // MARK: - IRQ actions [task]

    /// Installs `handler` on `irq` (request_irq). [task; init running]
    /// Throws ``Errno/invalidArgument`` (irq out of range or not mapped, bad
    /// flags), ``Errno/busy`` (line taken and not shareable, or flags
    /// mismatch), ``Errno/noSpace`` (the plugin holds 32 actions),
    /// ``Errno/deadlock`` (called from a handler).
    public func requestIRQ(
        _ irq: UInt32, flags: IRQFlags = [], name: StaticString,
        handler: IRQHandler
    ) throws(Errno) {
        try Errno.check(
            raw.pointee.request_irq(
                raw, irq, Self.abiHandler(handler), flags.rawValue,
                name.cString, Self.cookie(handler)))
    }

    /// Removes the action `(irq, handler)` and waits until no CPU runs it
    /// (free_irq). [task; init running exit] Throws ``Errno/noSuchEntry``,
    /// ``Errno/deadlock`` (from a handler), ``Errno/busy`` (a CPU stayed in
    /// the handler for 10 s; the action is out of dispatch anyway). Pass the same
    /// function as to ``requestIRQ(_:flags:name:handler:)`` (a `func`: two
    /// closure literals are two functions). Optional: the host revokes
    /// whatever the plugin still holds at unload.
    public func freeIRQ(_ irq: UInt32, handler: IRQHandler) throws(Errno) {
        try Errno.check(raw.pointee.free_irq(raw, irq, Self.cookie(handler)))
    }

    /// A new synthetic (software-only, per-CPU) IRQ (irq_create_direct_mapping).
    /// [task; init running] Throws ``Errno/noSpace`` when the synthetic domain
    /// is exhausted or the plugin holds 16 already.
    public func createDirectMapping() throws(Errno) -> UInt32 {
        let irq = raw.pointee.irq_create_direct_mapping(raw)
        if irq == 0 { throw .noSpace }
        return irq
    }

    /// Gives a synthetic IRQ back (irq_dispose_mapping). [task; init running exit]
    public func disposeMapping(_ irq: UInt32) {
        raw.pointee.irq_dispose_mapping(raw, irq)
    }

    // MARK: - Timers [task]

    /// Raises `irq` on `cpu` after `firstNanoseconds`, then every
    /// `periodNanoseconds` (0: one-shot), on CLOCK_MONOTONIC (timer_start).
    /// [task; init running] The timer dies with the plugin at the latest.
    /// Throws ``Errno/invalidArgument`` (period below 100 µs, cpu or irq out
    /// of range), ``Errno/tryAgain`` (the plugin holds 8 timers),
    /// ``Errno/notImplemented`` (a host without a machine), ``Errno/deadlock``.
    public func startTimer(
        on cpu: UInt32, irq: UInt32, after firstNanoseconds: UInt64,
        every periodNanoseconds: UInt64 = 0
    ) throws(Errno) -> TimerID {
        let id = raw.pointee.timer_start(raw, cpu, irq, firstNanoseconds, periodNanoseconds)
        if id < 0 { throw Errno(rawValue: Int32(truncatingIfNeeded: -id)) }
        return TimerID(rawValue: id)
    }

    /// Stops a timer (timer_stop). [task; init running exit] Throws
    /// ``Errno/noSuchEntry`` (not a running timer of this plugin).
    public func stopTimer(_ timer: TimerID) throws(Errno) {
        try Errno.check(raw.pointee.timer_stop(raw, timer.rawValue))
    }

    // MARK: - Interrupt delivery [any][async-signal-safe]

    /// A device IRQ or IPI arriving at `cpu`, asynchronously (raise_irq).
    /// [any][async-signal-safe] Throws ``Errno/invalidArgument``.
    @inlinable @_noLocks
    public func raise(_ irq: UInt32, on cpu: UInt32) throws(Errno) {
        let result = _unsafePerformance { raw.pointee.raise_irq(raw, irq, cpu) }
        if result < 0 { throw Errno(rawValue: -result) }
    }

    /// Marks `irq` pending in the current CPU's in-band log; its in-band
    /// handler runs when the in-band stage is unstalled (irq_post_inband).
    /// Hard interrupts must be off, as in any oob handler. [any][async-signal-safe]
    @inlinable @_noLocks
    public func postInband(_ irq: UInt32) {
        _unsafePerformance { raw.pointee.irq_post_inband(raw, irq) }
    }

    /// Marks `irq` pending in the current CPU's oob log (irq_post_oob).
    /// Hard interrupts must be off. [any][async-signal-safe]
    @inlinable @_noLocks
    public func postOOB(_ irq: UInt32) {
        _unsafePerformance { raw.pointee.irq_post_oob(raw, irq) }
    }

    /// Runs the pipeline for `irq` on the current CPU now, as if it had been
    /// raised (irq_inject_pipeline). [any][async-signal-safe]
    @inlinable @_noLocks
    public func injectPipeline(_ irq: UInt32) throws(Errno) {
        let result = _unsafePerformance { raw.pointee.irq_inject_pipeline(raw, irq) }
        if result < 0 { throw Errno(rawValue: -result) }
    }

    /// Queues `work` to run [inband] on this CPU (irq_work_queue). Returns
    /// false if it was already pending. [any][async-signal-safe]
    @inlinable @_noLocks @discardableResult
    public func irqWork(_ work: IRQWork) -> Bool {
        _unsafePerformance { raw.pointee.irq_work_queue(raw, work.raw) == 1 }
    }

    /// A new irq_work item running `function`, from the image's pool of
    /// TENON_KIT_MAX_WORK items. [task] Throws ``Errno/noSpace`` when the pool
    /// is exhausted.
    public func makeIRQWork(_ function: IRQWorkFunction) throws(Errno) -> IRQWork {
        guard let work = KitStorage.allocateWork(function) else {
            log("TenonPluginKit: out of irq_work items (TENON_KIT_MAX_WORK)", level: .error)
            throw .noSpace
        }
        return work
    }

    // MARK: - Interrupt state of the current CPU [any][async-signal-safe]

    /// Disables the CPU's real interrupts (hard_local_irq_save). [any][async-signal-safe]
    @inlinable @_noLocks
    public func hardIRQsSave() -> IRQState {
        IRQState(rawValue: _unsafePerformance { raw.pointee.hard_local_irq_save(raw) })
    }

    /// Restores what ``hardIRQsSave()`` returned (hard_local_irq_restore). [any][async-signal-safe]
    @inlinable @_noLocks
    public func hardIRQsRestore(_ state: IRQState) {
        _unsafePerformance { raw.pointee.hard_local_irq_restore(raw, state.rawValue) }
    }

    /// Stalls the oob stage, hard interrupts off (oob_irq_save). [any][async-signal-safe]
    @inlinable @_noLocks
    public func oobIRQsSave() -> IRQState {
        IRQState(rawValue: _unsafePerformance { raw.pointee.oob_irq_save(raw) })
    }

    /// Restores what ``oobIRQsSave()`` returned (oob_irq_restore). [any][async-signal-safe]
    @inlinable @_noLocks
    public func oobIRQsRestore(_ state: IRQState) {
        _unsafePerformance { raw.pointee.oob_irq_restore(raw, state.rawValue) }
    }

    /// Stalls the in-band stage (local_irq_save). [task][inband][async-signal-safe]
    @inlinable @_noLocks
    public func localIRQsSave() -> IRQState {
        IRQState(rawValue: _unsafePerformance { raw.pointee.local_irq_save(raw) })
    }

    /// Restores what ``localIRQsSave()`` returned (local_irq_restore). [task][inband][async-signal-safe]
    @inlinable @_noLocks
    public func localIRQsRestore(_ state: IRQState) {
        _unsafePerformance { raw.pointee.local_irq_restore(raw, state.rawValue) }
    }

    // MARK: - Extensions [task]

    /// The host's extension `id` (get_extension), e.g. `TENON_EXT_LIMITS`,
    /// or nil when the host does not offer it. [task; init running exit]
    /// Valid until `stop(host:)` returns.
    public func `extension`(_ id: StaticString) -> UnsafeRawPointer? {
        tenon_kit_get_extension(raw, id.cString)
    }

    /// The per-plugin budgets of this host (the `TENON_EXT_LIMITS`
    /// extension), or nil if it does not say. [task; init running exit]
    public var limits: tenon_host_limits_t? {
        tenon_kit_get_extension(raw, tenon_kit_ext_limits())?.assumingMemoryBound(to: tenon_host_limits_t.self).pointee
    }

    // MARK: - Log [task]

    /// Writes `message` to the host's log. [task] only, never from a handler.
    public func log(_ message: StaticString, level: LogLevel = .info) {
        raw.pointee.log(raw, level.rawValue, message.cString)
    }

    /// Writes a message built by `body` (at most 255 bytes) to the host's log. [task]
    func log(level: LogLevel, _ body: (inout TextWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            var writer = TextWriter(buffer.baseAddress!, capacity: 256)
            body(&writer)
            raw.pointee.log(raw, level.rawValue, writer.text)
        }
    }

    // MARK: - ABI glue

    /// The ABI handler type returns `int32_t`, IRQReturn is an `int32_t` enum:
    /// same C signature, so the host calls the plugin's handler directly.
    static func abiHandler(_ handler: IRQHandler) -> tenon_irq_handler_t {
        unsafeBitCast(handler, to: tenon_irq_handler_t.self)
    }

    /// The action's dev_id: the handler's address, unique per plugin function.
    static func cookie(_ handler: IRQHandler) -> UnsafeMutableRawPointer {
        unsafeBitCast(handler, to: UnsafeMutableRawPointer.self)
    }
}

// The kit's only other unchecked call, kept in this file with the services'
// so that the kit's `_unsafePerformance` sites are audited in one place.
extension KitStorage {
    /// The plugin's state: TENON_KIT_STATE_BYTES aligned to TENON_KIT_STATE_ALIGN.
    /// Generic, so not `@_noLocks` itself: a `@_noLocks` handler checks it
    /// once specialised for its plugin type.
    @usableFromInline @inline(__always)
    static func state<P: ~Copyable>(_: P.Type) -> UnsafeMutablePointer<P> {
        _unsafePerformance { tenon_kit_state().unsafelyUnwrapped.assumingMemoryBound(to: P.self) }
    }
}
