#if canImport(Glibc)
import Glibc
#endif
import CTenon
import Logging
import TenonABI
import TenonPipeline

/// The `tenon_host_t` handed to one plugin instance, and what stands behind it.
///
/// One per loaded plugin instance (a hot swap gives the new version its own):
/// `host_data` identifies the caller, so everything a plugin registers is
/// recorded under its owner token and revoked at unload even if its `exit()`
/// forgets.
///
/// Memory: the `tenon_host_t` and the ``ServiceContext`` it points to are
/// allocated raw, never move, and hold no reference-counted value, because the
/// interrupt-path services read them from inside a signal frame where retain,
/// release or any other Swift runtime call is forbidden. Both stay allocated
/// until ``deallocate()``, which the plugin host calls only after the plugin's
/// `exit()` returned and no CPU can run its code.
final class HostServices {
    /// What `host_data` points to. Trivial (POD): copying it retains nothing.
    struct ServiceContext {
        /// The pipeline's raw interrupt path (no reference to the class).
        var path: InterruptPath
        /// The plugin's owner token.
        var owner: UInt32
        /// Task services only: the object behind them (unretained; it outlives
        /// the context, see ``deallocate()``).
        var services: Unmanaged<HostServices>
    }

    let pipeline: IRQPipeline
    let owner: UInt32
    let logger: Logger
    let timers: (any TimerService)?
    /// Name used in log lines; the descriptor's name once known.
    let pluginName: String
    /// Synthetic IRQs this instance created, so it may dispose only its own.
    private(set) var mappings: Set<UInt32> = []
    /// Timers this instance holds (for ``PluginLimits/maxTimers``).
    private var timerIDs: Set<Int64> = []
    /// Why the host refused this plugin's registrations, one line each (task
    /// context only): relayed in the error of a failed `init()`.
    private(set) var refusals: [String] = []

    /// The C struct given to the plugin.
    let host: UnsafeMutablePointer<tenon_host_t>
    private let context: UnsafeMutablePointer<ServiceContext>
    private let hostName: UnsafeMutablePointer<CChar>
    /// The `TENON_EXT_LIMITS` extension: raw, like `host`, so it stays put
    /// until ``deallocate()``.
    private let limits: UnsafeMutablePointer<tenon_host_limits_t>

    init(pipeline: IRQPipeline, owner: UInt32, pluginName: String, logger: Logger, timers: (any TimerService)?) {
        self.pipeline = pipeline
        self.owner = owner
        self.pluginName = pluginName
        self.logger = logger
        self.timers = timers
        host = .allocate(capacity: 1)
        context = .allocate(capacity: 1)
        hostName = strdup("tenon 0.1.0")!
        limits = .allocate(capacity: 1)
        limits.initialize(to: PluginLimits.extension)
        context.initialize(
            to: ServiceContext(
                path: pipeline.interruptPath, owner: owner,
                services: .passUnretained(self)))
        host.initialize(
            to: HostServices.makeHost(
                context: context, hostName: hostName,
                cpus: UInt32(pipeline.cpuCount)))
    }

    /// Frees the C structs. Call once, after the plugin's `exit()` (or a
    /// failed `init()`) and after the quiescence barrier.
    func deallocate() {
        host.deinitialize(count: 1)
        host.deallocate()
        context.deinitialize(count: 1)
        context.deallocate()
        free(hostName)
        limits.deinitialize(count: 1)
        limits.deallocate()
    }

    // MARK: - Task services (may allocate, lock, log)

    func requestIRQ(
        _ irq: UInt32, _ handler: IRQHandlerFunction?, _ flags: UInt32,
        _ name: UnsafePointer<CChar>?, _ devId: UnsafeMutableRawPointer?
    ) -> Int32 {
        let actionName = name == nil ? pluginName : DisplayText.from(name, limit: DisplayText.actionNameLimit)
        guard irq < IRQNumberSpace.total else {
            return refuse("request_irq(\(irq)) refused: -EINVAL, IRQ \(irq) is out of range (nr_irqs is \(IRQNumberSpace.total))", Errno.EINVAL)
        }
        guard let handler else {
            return refuse("request_irq(\(irq)) refused: -EINVAL, handler is NULL", Errno.EINVAL)
        }
        let held = pipeline.actions().count { $0.owner == owner }
        if let (errno, reason) = PluginLimits.checkRequest(flags: flags, actionsHeld: held) {
            logger.error("plugin \(pluginName): request_irq(\(irq), \"\(actionName)\") refused with \(errno): \(reason)")
            return errno
        }
        let rc = pipeline.request_irq(irq, handler, flags, actionName, devId, owner: owner)
        if rc == Errno.EBUSY {
            let holders = pipeline.actions().filter { $0.irq == irq && $0.owner != owner }.map(\.name)
            let held = holders.isEmpty ? "line taken" : "line held by \(holders.joined(separator: ", "))"
            return refuse("request_irq(\(irq)) refused: -EBUSY, \(held) (not shareable with flags 0x\(String(flags, radix: 16)))", rc)
        } else if rc != 0 {
            return refuse("request_irq(\(irq)) refused: \(rc), IRQ \(irq) has no descriptor or the flags are invalid", rc)
        }
        return rc
    }

    /// Logs and keeps `reason`, returns `rc`.
    private func refuse(_ reason: String, _ rc: Int32) -> Int32 {
        logger.error("plugin \(pluginName): \(reason)")
        refusals.append(reason)
        return rc
    }

    func freeIRQ(_ irq: UInt32, _ devId: UnsafeMutableRawPointer?) -> Int32 {
        // Only this plugin's own actions: another plugin's cookie is not ours to free.
        guard pipeline.actions().contains(where: { $0.irq == irq && $0.owner == owner }) else { return Errno.ENOENT }
        return pipeline.free_irq(irq, devId)
    }

    func createMapping() -> UInt32 {
        guard mappings.count < PluginLimits.maxSyntheticIRQs else {
            logger.error(
                "plugin \(pluginName): irq_create_direct_mapping refused (returns 0): the plugin already holds \(mappings.count) synthetic IRQs, the limit is \(PluginLimits.maxSyntheticIRQs); irq_dispose_mapping some first"
            )
            return 0
        }
        let irq = pipeline.irq_create_direct_mapping(owner: owner)
        if irq != 0 { mappings.insert(irq) }
        return irq
    }

    func disposeMapping(_ irq: UInt32) {
        guard mappings.remove(irq) != nil else {
            logger.warning("plugin \(pluginName): irq_dispose_mapping(\(irq)) ignored: not a synthetic IRQ of this plugin")
            return
        }
        pipeline.irq_dispose_mapping(irq)
    }

    func timerStart(cpu: UInt32, irq: UInt32, first: UInt64, period: UInt64) -> Int64 {
        guard let timers else { return Int64(-ENOSYS) }
        if let (errno, reason) = PluginLimits.checkTimer(periodNanos: period, timersHeld: timerIDs.count) {
            logger.error("plugin \(pluginName): timer_start(cpu \(cpu), irq \(irq), period \(period) ns) refused with \(errno): \(reason)")
            return Int64(errno)
        }
        let id = timers.start(owner: owner, cpu: cpu, irq: irq, firstNanos: first, periodNanos: period)
        if id > 0 { timerIDs.insert(id) }
        return id
    }

    func timerStop(_ id: Int64) -> Int32 {
        guard let timers else { return -ENOSYS }
        let rc = timers.stop(owner: owner, timerID: id)
        if rc == 0 { timerIDs.remove(id) }
        return rc
    }

    /// `get_extension`: the host's extension `id`, or nil when it offers none
    /// of that id (the plugin then works without it, so this is no error).
    func getExtension(_ id: UnsafePointer<CChar>?) -> UnsafeRawPointer? {
        guard let id else { return nil }
        // Bounded: an unterminated id must not make us read past its page.
        let name = String(decoding: UnsafeRawBufferPointer(start: id, count: strnlen(id, 128)), as: UTF8.self)
        switch name {
        case TENON_EXT_LIMITS: return UnsafeRawPointer(limits)
        default:
            logger.debug("plugin \(pluginName): get_extension(\"\(DisplayText.escaped(name, limit: 64))\") = NULL: not offered by this host")
            return nil
        }
    }

    func log(level: Int32, _ message: UnsafePointer<CChar>?) {
        let text = message == nil ? "(null)" : DisplayText.from(message, limit: 512)
        let logLevel: Logger.Level =
            switch level {
            case ...0: .debug
            case 1: .info
            case 2: .warning
            default: .error
            }
        logger.log(level: logLevel, "\(text)", metadata: ["plugin": "\(pluginName)"])
    }

    // MARK: - The C table

    private static func makeHost(
        context: UnsafeMutablePointer<ServiceContext>,
        hostName: UnsafePointer<CChar>, cpus: UInt32
    ) -> tenon_host_t {
        var h = tenon_host_t()
        h.abi = ABIVersion.host.c
        h.struct_size = UInt32(MemoryLayout<tenon_host_t>.size)
        h.host_data = UnsafeMutableRawPointer(context)
        h.host_name = hostName
        h.nr_cpus = cpus
        h.nr_irqs = IRQNumberSpace.total
        h.get_extension = { host, id in inHandler(host) ? nil : hostCode { services(host).getExtension(id) } }

        // Task services: back to the Swift object (allowed to use the runtime).
        // Called from a handler by mistake, they fail at once without touching
        // any Swift object (that would retain, allocate, maybe lock in a signal frame).
        h.request_irq = { host, irq, handler, flags, name, devId in
            if inHandler(host) { return Errno.EDEADLK }
            return hostCode { services(host).requestIRQ(irq, handler, flags, name, devId) }
        }
        h.free_irq = { host, irq, devId in
            if inHandler(host) { return Errno.EDEADLK }
            return hostCode { services(host).freeIRQ(irq, devId) }
        }
        h.irq_create_direct_mapping = { host in inHandler(host) ? 0 : hostCode { services(host).createMapping() } }
        h.irq_dispose_mapping = { host, irq in if !inHandler(host) { hostCode { services(host).disposeMapping(irq) } } }
        h.timer_start = { host, cpu, irq, first, period in
            if inHandler(host) { return Int64(Errno.EDEADLK) }
            return hostCode { services(host).timerStart(cpu: cpu, irq: irq, first: first, period: period) }
        }
        h.timer_stop = { host, id in inHandler(host) ? Errno.EDEADLK : hostCode { services(host).timerStop(id) } }
        h.log = { host, level, message in if !inHandler(host) { hostCode { services(host).log(level: level, message) } } }

        // Interrupt-path services: raw pointers only, see ServiceContext.
        h.raise_irq = { host, irq, cpu in hostRaise(host, irq, cpu) }
        h.irq_post_inband = { host, irq in hostPost(host, irq, oob: false) }
        h.irq_post_oob = { host, irq in hostPost(host, irq, oob: true) }
        h.irq_inject_pipeline = { host, irq in hostInject(host, irq) }
        h.irq_work_queue = { host, work in hostQueueWork(host, work) }
        h.hard_local_irq_save = { host in hostHardSave(host) }
        h.hard_local_irq_restore = { host, flags in hostHardRestore(host, flags) }
        h.oob_irq_save = { host in hostOOBSave(host) }
        h.oob_irq_restore = { host, flags in hostOOBRestore(host, flags) }
        h.local_irq_save = { host in hostLocalSave(host) }
        h.local_irq_restore = { host, flags in hostLocalRestore(host, flags) }
        h.running_oob = { host in hostRunningOOB(host) }
        h.smp_processor_id = { host in hostProcessorID(host) }
        h.clock_ns = { host in hostClock(host) }
        return h
    }
}

// MARK: - Service trampolines
//
// File-level functions so the interrupt-path ones can carry `@_noLocks`: the
// compiler then proves they neither lock nor allocate nor call the runtime.

/// Runs a task service as host code: the thread's plugin marker is cleared
/// for its duration, so a fault inside it is a host crash, not an oops. Task
/// services are Swift frames that may hold references and locks, which a
/// jump back to a recovery point must never skip.
@inline(__always)
private func hostCode<R>(_ body: () -> R) -> R {
    let saved = ctenon_host_section_enter()
    defer { ctenon_host_section_leave(saved) }
    return body()
}

/// Task services: the `HostServices` object behind `host`.
private func services(_ host: UnsafePointer<tenon_host_t>?) -> HostServices {
    context(host).pointee.services.takeUnretainedValue()
}

/// A task service called from inside a handler (a plugin bug): refused.
private func inHandler(_ host: UnsafePointer<tenon_host_t>?) -> Bool {
    context(host).pointee.path.callerInsideHandler
}

@inline(__always) @_noLocks
private func context(_ host: UnsafePointer<tenon_host_t>?) -> UnsafeMutablePointer<HostServices.ServiceContext> {
    // A NULL host or host_data is a plugin bug that would crash anyway; trap
    // with no runtime call rather than read garbage.
    guard let data = host?.pointee.host_data else { hostTrap("tenon_host_t is NULL") }
    return data.assumingMemoryBound(to: HostServices.ServiceContext.self)
}

@_noLocks private func hostRaise(_ host: UnsafePointer<tenon_host_t>?, _ irq: UInt32, _ cpu: UInt32) -> Int32 {
    context(host).pointee.path.raise(irq, on: cpu)
}

@_noLocks private func hostPost(_ host: UnsafePointer<tenon_host_t>?, _ irq: UInt32, oob: Bool) {
    context(host).pointee.path.post(irq, oob: oob)
}

@_noLocks private func hostInject(_ host: UnsafePointer<tenon_host_t>?, _ irq: UInt32) -> Int32 {
    context(host).pointee.path.inject(irq)
}

@_noLocks private func hostQueueWork(
    _ host: UnsafePointer<tenon_host_t>?,
    _ work: UnsafeMutablePointer<tenon_irq_work_t>?
) -> Int32 {
    guard let work else { return 0 }
    let c = context(host)
    // tenon_irq_work_t and IRQWork share one layout (asserted by a test).
    return c.pointee.path.queueWork(UnsafeMutableRawPointer(work), owner: c.pointee.owner)
}

@_noLocks private func hostHardSave(_ host: UnsafePointer<tenon_host_t>?) -> UInt64 {
    context(host).pointee.path.hardSave()
}

@_noLocks private func hostHardRestore(_ host: UnsafePointer<tenon_host_t>?, _ flags: UInt64) {
    context(host).pointee.path.hardRestore(flags)
}

@_noLocks private func hostOOBSave(_ host: UnsafePointer<tenon_host_t>?) -> UInt64 {
    context(host).pointee.path.oobSave()
}

@_noLocks private func hostOOBRestore(_ host: UnsafePointer<tenon_host_t>?, _ flags: UInt64) {
    context(host).pointee.path.oobRestore(flags)
}

@_noLocks private func hostLocalSave(_ host: UnsafePointer<tenon_host_t>?) -> UInt64 {
    context(host).pointee.path.localSave()
}

@_noLocks private func hostLocalRestore(_ host: UnsafePointer<tenon_host_t>?, _ flags: UInt64) {
    context(host).pointee.path.localRestore(flags)
}

@_noLocks private func hostRunningOOB(_ host: UnsafePointer<tenon_host_t>?) -> Int32 {
    context(host).pointee.path.runningOOB()
}

@_noLocks private func hostProcessorID(_ host: UnsafePointer<tenon_host_t>?) -> UInt32 {
    context(host).pointee.path.processorID()
}

@_noLocks private func hostClock(_ host: UnsafePointer<tenon_host_t>?) -> UInt64 {
    context(host).pointee.path.clockNanos()
}
