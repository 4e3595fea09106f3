#if canImport(Glibc)
import Glibc
#endif
import Logging
import CTenon
import Synchronization
import TenonABI
import TenonPipeline

/// Loads, hot-swaps and unloads handler plugins on one ``IRQPipeline`` while
/// interrupts keep firing.
///
/// The one guarantee everything here serves: **no plugin code is unmapped
/// while a CPU may still execute it.** Unload is: unpublish (`suspend`) →
/// quiescence barrier (`synchronize`) → plugin `exit()` → timers drained →
/// `revoke` (everything the owner registered; its queued irq_work was already
/// dead-flagged by `suspend`) → `dlclose` or retire → `/proc/self/maps` check.
///
/// Thread safety: control operations (load, unload, swap, call, list) are
/// serialised by one lock, and may come from any task thread. They are refused
/// from inside an IRQ handler *before* that lock is taken, because a handler
/// that waited for quiescence would wait for itself.
public final class PluginHost: @unchecked Sendable {
    /// The pipeline plugins attach to; kept alive as long as the host, hence
    /// longer than any plugin's host services (which point into it unretained).
    public let pipeline: IRQPipeline
    let logger: Logger
    let timers: (any TimerService)?
    /// Serialises control operations; guards `plugins`.
    private let operations = Mutex<Void>(())
    /// Loaded plugins by name. Only touched under `operations`.
    private nonisolated(unsafe) var plugins: [String: PluginRecord] = [:]
    /// How long a failed init's rollback waits for quiescence before it
    /// gives up and leaves the image mapped (never unmapped unsafely).
    public var rollbackTimeout: Duration = .seconds(10)

    /// - Parameters:
    ///   - timers: the machine's timer service; nil until there is one
    ///     (`timer_start` then returns `-ENOSYS`).
    public init(pipeline: IRQPipeline, logger: Logger, timers: (any TimerService)? = nil) {
        self.pipeline = pipeline
        self.logger = logger
        self.timers = timers
        _ = ctenon_fault_install()
        FaultMonitor.shared.register(self, domain: pipeline.faultDomain)
    }

    deinit {
        FaultMonitor.shared.unregister(domain: pipeline.faultDomain)
    }

    // MARK: - Faults

    /// Oopses of this host's plugins, oldest first (the last ``oopsCapacity``).
    private let oopsLog = Mutex<[PluginOops]>([])
    /// How many oopses ``oopses()`` keeps.
    public static let oopsCapacity = 256
    /// Images kept mapped for good because their code faulted before the
    /// plugin was loaded (entry point, init): never closed.
    private nonisolated(unsafe) var faultedImages: [DynamicImage] = []

    /// Turns fault recovery off (process-wide) for the sabotaged variant of
    /// `tenon stress --faults`: every fault is then handled as a host bug.
    public static func setFaultRecovery(_ enabled: Bool) { ctenon_fault_set_recovery(enabled) }

    /// The bounded oops log (`tenon log`), oldest first.
    public func oopses() -> [PluginOops] { oopsLog.withLock { $0 } }

    /// Oopses of this host's plugins so far (the log keeps the last ``oopsCapacity``).
    public var oopsTotal: Int { oopsCount.load(ordering: .relaxed) }
    private let oopsCount = Atomic<Int>(0)

    /// Plugins of this host quarantined after a fault so far.
    public private(set) var faultedCount: Int {
        get { faultedTotal.load(ordering: .relaxed) }
        set { faultedTotal.store(newValue, ordering: .relaxed) }
    }
    private let faultedTotal = Atomic<Int>(0)

    /// Adds `oops` to the log once (the monitor and a failing call may both report it).
    @discardableResult
    private func note(_ oops: PluginOops) -> Bool {
        oopsLog.withLock { log in
            if log.contains(where: { $0.sequence == oops.sequence }) { return false }
            log.append(oops)
            oopsCount.wrappingAdd(1, ordering: .relaxed)
            if log.count > Self.oopsCapacity { log.removeFirst(log.count - Self.oopsCapacity) }
            return true
        }
    }

    /// Called by the fault monitor (its own thread) for each new oops on
    /// this pipeline: log it, then quarantine the owner if it is a plugin
    /// still loaded here.
    func faultReported(_ oops: PluginOops) {
        if note(oops) { logger.error("\(oops.description)") }
        operations.withLock { _ in
            if let record = plugins.values.first(where: { $0.owner == oops.owner }) ?? draining.first(where: { $0.owner == oops.owner }) {
                quarantine(record, oops: oops)
            }
        }
    }

    /// Unpublishes a faulted plugin through the normal path: suspend (its
    /// actions leave the chains, its queued irq_work is dead), a grace
    /// period, its timers cancelled. Never unmaps it. Under `operations`.
    private func quarantine(_ record: PluginRecord, oops: PluginOops?) {
        if let oops, record.lastOops.map({ $0.sequence < oops.sequence }) ?? true { record.lastOops = oops }
        guard record.state != .faulted else { return }
        pipeline.markFaulted(owner: record.owner)
        pipeline.suspend(owner: record.owner)
        timers?.cancelAll(owner: record.owner)
        record.state = .faulted
        faultedCount += 1
        let wait = pipeline.synchronize(timeout: .seconds(1))
        logger.error("plugin \(record.name) \(record.descriptor.version) quarantined after a fault: unpublished, timers cancelled, image kept mapped\(wait == .quiescent ? "" : " (\(wait))"); `tenon unload \(record.name)` retires it")
    }

    /// The oops of a guarded call a fault abandoned, logged.
    private func oops(of call: FaultedCall) -> PluginOops? {
        guard let oops = call.oops else { return nil }
        if note(oops) { logger.error("\(oops.description)") }
        return oops
    }

    // MARK: - Load

    /// Loads the plugin at `path` with `key=value` parameters and runs its init.
    ///
    /// Order: ELF checks → `dlopen` (`RTLD_NODELETE` if it must be retired) →
    /// descriptor → unique name → parameters → owner token → host services →
    /// `init()`. If init fails, everything it registered is unpublished,
    /// waited for, revoked, and the image closed before the error is thrown.
    /// - Throws: ``PluginError`` naming the file or plugin and the problem.
    @discardableResult
    public func load(path: String, parameters: [String] = []) throws(PluginError) -> LoadedPlugin {
        try refuseInsideHandler(plugin: path, what: "load")
        return try operations.withLock { _ throws(PluginError) -> LoadedPlugin in
            let record = try instantiate(path: path, parameters: parameters, replacing: nil)
            plugins[record.name] = record
            logger.info("plugin \(record.name) \(record.descriptor.version) loaded from \(record.image.path) as owner \(record.owner)")
            return snapshot(record)
        }
    }

    /// dlopen → descriptor → params → owner → services → init, with rollback.
    /// With `replacing`, the new instance is staged as its replacement: its
    /// requests are validated as if `replacing` were gone and stay
    /// unpublished until the caller commits.
    private func instantiate(path: String, parameters: [String],
                             replacing: PluginRecord?) throws(PluginError) -> PluginRecord {
        let elf = try ELFImage(validating: path)
        let image = try DynamicImage.open(elf)
        let descriptor: PluginDescriptor
        let params: PluginParameters
        let commands: FFICommandTable
        do {
            descriptor = try loadDescriptor(from: image)
            if replacing == nil {
                try descriptor.ensureUniqueName(among: plugins.mapValues { $0.image.path })
            }
            params = try descriptor.parseParameters(parameters)
            commands = try FFICommandTable(descriptor)
        } catch {
            try? image.close()
            throw error
        }
        guard let owner = pipeline.registerOwner() else {
            try? image.close()
            throw .ownerSlotsExhausted(plugin: descriptor.name)
        }
        let name = replacing?.name ?? descriptor.name
        let services = HostServices(pipeline: pipeline, owner: owner, pluginName: name,
                                    logger: logger, timers: timers)
        if let replacing { pipeline.beginStaging(owner: owner, replacing: replacing.owner) }
        if ctenon_fault_register(pipeline.faultDomain, owner, name, descriptor.version) != 0 {
            logger.warning("plugin \(name): the fault handler's owner table is full; a fault in this plugin will not be contained")
        }
        let site = PluginCallSite(domain: pipeline.faultDomain, owner: owner)
        commands.site = site
        if let initFunction = descriptor.initFunction {
            let outcome = params.withUnsafeBufferPointer { buffer in
                PluginCall.initialize(initFunction, site: site, host: services.host, parameters: buffer.baseAddress,
                                      count: UInt32(buffer.count))
            }
            switch outcome {
            case .success(let rc) where rc < 0:
                ctenon_fault_unregister(pipeline.faultDomain, owner)
                rollback(name: name, owner: owner, image: image, services: services)
                throw .initFailed(plugin: name, errno: rc == Int32.min ? Int32.max : -rc)
            case .success:
                break
            case .failure(let call):
                let summary = oops(of: call)?.summary ?? call.summary
                pipeline.markFaulted(owner: owner)
                rollback(name: name, owner: owner, image: image, services: services, keepMapped: true)
                throw .faulted(plugin: name, during: "init", oops: summary)
            }
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return PluginRecord(name: name, descriptor: descriptor, elf: elf, image: image, owner: owner,
                            services: services, commands: commands,
                            loadTime: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
    }

    /// Calls the image's entry point through the guarded path, as a
    /// temporary owner (slot 0, never a real owner's) named after the file.
    private func loadDescriptor(from image: DynamicImage) throws(PluginError) -> PluginDescriptor {
        let entry = try image.entryPoint()
        let loading: UInt32 = 0xFFFF_F000
        let file = image.path.split(separator: "/").last.map(String.init) ?? image.path
        _ = ctenon_fault_register(pipeline.faultDomain, loading, file, "(loading)")
        defer { ctenon_fault_unregister(pipeline.faultDomain, loading) }
        switch PluginCall.entry(entry, site: PluginCallSite(domain: pipeline.faultDomain, owner: loading)) {
        case .success(let pointer):
            return try PluginDescriptor(validating: pointer, path: image.path)
        case .failure(let call):
            // Its code may have left anything behind: never unmap it.
            faultedImages.append(image)
            throw .faulted(plugin: image.path, during: "entry point", oops: oops(of: call)?.summary ?? call.summary)
        }
    }

    /// Undoes a failed init: its actions may already have fired, so the full
    /// unload order applies (minus `exit()`, which the ABI says is not called).
    private func rollback(name: String, owner: UInt32, image: DynamicImage, services: HostServices,
                          keepMapped: Bool = false) {
        pipeline.suspend(owner: owner)
        let wait = pipeline.synchronize(timeout: rollbackTimeout)
        timers?.cancelAll(owner: owner)
        guard wait == .quiescent else {
            // A CPU is still inside code init published: keep everything
            // mapped and allocated for good rather than unmap it under it.
            logger.critical("plugin \(name): init failed and a CPU is still inside its code (\(wait)); image left mapped, owner \(owner) left suspended")
            return
        }
        let revoked = pipeline.revoke(owner: owner)
        if keepMapped {
            // A fault: its code and what it points at stay valid for good.
            faultedImages.append(image)
            ctenon_fault_unregister(pipeline.faultDomain, owner)
            logger.error("plugin \(name): init faulted; rolled back \(revoked) registration(s); image retired (kept mapped)")
            return
        }
        services.deallocate()
        try? image.close()
        logger.info("plugin \(name): init failed; rolled back \(revoked) registration(s) and closed the image")
    }

    // MARK: - Unload

    /// Unloads `name` (see the type's documentation for the order).
    ///
    /// Never blocks past `timeout` plus the plugin's `exit()` and `dlclose`:
    /// returns ``UnloadResult/busy(cpu:irq:since:)`` when a CPU stays inside
    /// a handler; the plugin then stays unpublished and mapped.
    @discardableResult
    public func unload(name: String, timeout: Duration = .seconds(1)) -> UnloadResult {
        if let reason = insideHandlerReason() { return .refused(reason: reason) }
        return operations.withLock { _ -> UnloadResult in
            guard let record = plugins[name] else {
                return .refused(reason: PluginError.unknownPlugin(name: name, loaded: plugins.keys.sorted()).description)
            }
            if record.state == .faulted {
                plugins[name] = nil
                return retireFaulted(record)
            }
            if record.state == .live {
                pipeline.suspend(owner: record.owner)
                record.state = .unpublished
            }
            switch pipeline.synchronize(timeout: timeout) {
            case .quiescent:
                break
            case let .busy(cpu, irq, owner, since):
                logger.warning("plugin \(name): unload busy: CPU \(cpu) inside IRQ \(irq.map(String.init) ?? "?") (owner \(owner)); plugin stays unpublished")
                return .busy(cpu: cpu, irq: irq, since: since)
            case .wouldDeadlock(let cpu):
                return .refused(reason: "the caller runs inside a handler on CPU \(cpu): waiting for quiescence would deadlock")
            }
            plugins[name] = nil
            return finish(record)
        }
    }

    /// Unload of a quarantined plugin: its `exit()` is not called (its state
    /// is unknown after the fault); registrations are revoked after a grace
    /// period; the image stays mapped.
    private func retireFaulted(_ record: PluginRecord) -> UnloadResult {
        timers?.cancelAll(owner: record.owner)
        let reason = "faulted: " + (record.lastOops?.summary ?? "code of this plugin faulted")
        guard pipeline.synchronize(timeout: .seconds(1)) == .quiescent else {
            faultedImages.append(record.image)
            return .retired(reason: reason + "; a CPU stayed busy, registrations left unpublished")
        }
        pipeline.revoke(owner: record.owner)
        ctenon_fault_unregister(pipeline.faultDomain, record.owner)
        faultedImages.append(record.image)
        logger.info("plugin \(record.name) retired: \(reason)")
        return .retired(reason: reason)
    }

    /// After a quiescent barrier: exit → drain timers → revoke → close → verify.
    private func finish(_ record: PluginRecord) -> UnloadResult {
        if record.state == .faulted { return retireFaulted(record) }
        if let exitFunction = record.descriptor.exitFunction,
           let call = PluginCall.exit(exitFunction, site: record.site, host: UnsafePointer(record.services.host)) {
            let oops = oops(of: call)
            record.lastOops = oops
            pipeline.markFaulted(owner: record.owner)
            timers?.cancelAll(owner: record.owner)
            if pipeline.synchronize(timeout: .seconds(1)) == .quiescent {
                pipeline.revoke(owner: record.owner)
                ctenon_fault_unregister(pipeline.faultDomain, record.owner)
            }
            faultedImages.append(record.image)
            faultedCount += 1
            let reason = "exit() faulted: " + (oops?.summary ?? call.summary)
            logger.error("plugin \(record.name) retired: \(reason)")
            return .retired(reason: reason)
        }
        timers?.cancelAll(owner: record.owner)
        let revoked = pipeline.revoke(owner: record.owner)
        ctenon_fault_unregister(pipeline.faultDomain, record.owner)
        if revoked > 0 {
            logger.debug("plugin \(record.name): revoked \(revoked) registration(s) its exit() left behind")
        }
        record.services.deallocate()
        let path = record.image.path
        do {
            try record.image.close()
        } catch {
            logger.error("plugin \(record.name): \(error)")
        }
        if record.image.isRetained {
            let reason = record.elf.retireReasons.joined(separator: "; ")
            logger.info("plugin \(record.name) retired: \(reason)")
            return .retired(reason: reason)
        }
        let gone = (try? ProcessMaps.mappings(of: path).isEmpty) ?? false
        if !gone { logger.warning("plugin \(record.name): \(path) is still mapped after dlclose") }
        return .unloaded(mapsGone: gone)
    }

    /// Cancels a busy unload: re-publishes the plugin's actions.
    /// - Throws: ``PluginError/unknownPlugin(name:loaded:)``.
    public func cancelUnload(name: String) throws(PluginError) {
        try operations.withLock { _ throws(PluginError) in
            guard let record = plugins[name] else {
                throw .unknownPlugin(name: name, loaded: plugins.keys.sorted())
            }
            guard record.state == .unpublished else { return }
            pipeline.resume(owner: record.owner)
            record.state = .live
            logger.info("plugin \(name): unload cancelled, re-published")
        }
    }

    /// Unloads every plugin; returns each one's result by name.
    public func unloadAll(timeout: Duration = .seconds(1)) -> [String: UnloadResult] {
        let names = operations.withLock { _ in plugins.keys.sorted() }
        var results: [String: UnloadResult] = [:]
        for name in names { results[name] = unload(name: name, timeout: timeout) }
        _ = drainSwappedOut(timeout: timeout)
        return results
    }

    // MARK: - Hot swap

    /// Replaces plugin `name` by the image at `path`, on the same IRQ lines,
    /// so that every IRQ is handled by exactly one of the two versions.
    ///
    /// The new instance's init runs staged; its actions are published in
    /// place of the old one's with one atomic chain swap per line; then the
    /// old one is waited for, exits, is revoked and closed. If the new init
    /// fails, it is rolled back and the old one stays untouched and live.
    ///
    /// Returns what became of the old image: normally `.unloaded`/`.retired`;
    /// `.busy` if a CPU stayed inside the old version past `timeout` (it is
    /// then kept mapped and unpublished, and unloaded later by ``unloadAll(timeout:)``
    /// or by unloading the new one — the old owner's code never runs again).
    @discardableResult
    public func swap(name: String, path: String, parameters: [String] = [],
                     timeout: Duration = .seconds(10)) throws(PluginError) -> UnloadResult {
        try refuseInsideHandler(plugin: name, what: "swap")
        return try operations.withLock { _ throws(PluginError) -> UnloadResult in
            guard let old = plugins[name] else {
                throw .unknownPlugin(name: name, loaded: plugins.keys.sorted())
            }
            guard old.state == .live else {
                if old.state == .faulted {
                    throw .refused(plugin: name, reason: "it is quarantined after a fault (\(old.lastOops?.summary ?? "see `tenon log`")); unload it, then load the new version")
                }
                throw .refused(plugin: name, reason: "an unload is pending (busy); finish or cancel it before swapping")
            }
            let new = try instantiate(path: path, parameters: parameters, replacing: old)
            pipeline.commitStaging(owner: new.owner)
            old.state = .unpublished
            plugins[name] = new
            logger.info("plugin \(name): swapped \(old.descriptor.version) -> \(new.descriptor.version)")
            switch pipeline.synchronize(timeout: timeout) {
            case .quiescent:
                return finish(old)
            case let .busy(cpu, irq, _, since):
                draining.append(old)
                return .busy(cpu: cpu, irq: irq, since: since)
            case .wouldDeadlock(let cpu):
                // Unreachable: refused above; keep the old image mapped anyway.
                draining.append(old)
                return .refused(reason: "caller inside a handler on CPU \(cpu)")
            }
        }
    }

    /// Old versions of swapped plugins a CPU was still inside: unpublished,
    /// mapped, finished at the next successful barrier. Only under `operations`.
    private nonisolated(unsafe) var draining: [PluginRecord] = []

    /// Finishes old swapped-out versions once quiescent (called by unloadAll).
    public func drainSwappedOut(timeout: Duration = .seconds(1)) -> Int {
        operations.withLock { _ -> Int in
            guard !draining.isEmpty, pipeline.synchronize(timeout: timeout) == .quiescent else { return draining.count }
            for old in draining { _ = finish(old) }
            draining = []
            return 0
        }
    }

    // MARK: - Commands and introspection

    /// Calls a plugin command with string arguments checked against its
    /// signature (`tenon call PLUGIN CMD ARGS...`), in task context.
    /// - Throws: unknown plugin/command, argument count or type mismatch.
    public func call(plugin: String, command: String, arguments: [String] = []) throws(PluginError) -> CommandResult {
        try operations.withLock { _ throws(PluginError) -> CommandResult in
            guard let record = plugins[plugin] else {
                throw .unknownPlugin(name: plugin, loaded: plugins.keys.sorted())
            }
            if record.state == .faulted {
                throw .refused(plugin: plugin, reason: "it is quarantined after a fault (\(record.lastOops?.summary ?? "see `tenon log`")); unload it")
            }
            switch try record.commands.guardedCall(command, arguments) {
            case .success(let result):
                return result
            case .failure(let call):
                let oops = oops(of: call)
                quarantine(record, oops: oops)
                throw .faulted(plugin: plugin, during: "command \(command)", oops: oops?.summary ?? call.summary)
            }
        }
    }

    /// Every loaded plugin, by name.
    public func list() -> [LoadedPlugin] {
        operations.withLock { _ in plugins.keys.sorted().map { snapshot(plugins[$0]!) } }
    }

    /// One plugin's snapshot, or nil.
    public func plugin(named name: String) -> LoadedPlugin? {
        operations.withLock { _ in plugins[name].map(snapshot) }
    }

    private func snapshot(_ r: PluginRecord) -> LoadedPlugin {
        let irqs = Set(pipeline.actions().filter { $0.owner == r.owner }.map(\.irq)).sorted()
        var calls: UInt64 = 0
        for irq in irqs { for cpu in 0..<pipeline.cpuCount { calls &+= pipeline.count(irq: irq, cpu: cpu) } }
        return LoadedPlugin(name: r.name, version: r.descriptor.version, path: r.image.path, state: r.state,
                            owner: r.owner, irqs: irqs, loadTime: r.loadTime, handlerCalls: calls,
                            commands: r.commands.names, retireReasons: r.elf.retireReasons,
                            lastOops: r.lastOops)
    }

    // MARK: - Handler-context guard

    /// Non-nil when the calling thread runs a CPU of this pipeline inside a
    /// handler: then no control operation may wait for quiescence.
    private func insideHandlerReason() -> String? {
        guard pipeline.interruptPath.callerInsideHandler else { return nil }
        let cpu = pipeline.currentCPU.map(String.init) ?? "?"
        return "called from inside an IRQ handler on CPU \(cpu): waiting for quiescence there would deadlock; "
            + "unload from task context (e.g. defer it to the control thread)"
    }

    private func refuseInsideHandler(plugin: String, what: String) throws(PluginError) {
        if let reason = insideHandlerReason() { throw .refused(plugin: plugin, reason: "\(what) \(reason)") }
    }
}
