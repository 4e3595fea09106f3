#if canImport(Glibc)
import Glibc
#endif
import CTenon
import Logging
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
    /// Checks the host's signals around every task-context plugin call.
    let sentry: PluginGuard

    /// - Parameters:
    ///   - timers: the machine's timer service; nil until there is one
    ///     (`timer_start` then returns `-ENOSYS`).
    public init(pipeline: IRQPipeline, logger: Logger, timers: (any TimerService)? = nil) {
        self.pipeline = pipeline
        self.logger = logger
        self.timers = timers
        sentry = PluginGuard(logger: logger, pipeline: pipeline)
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
            if let reason = record.quarantineReason { quarantine(record, reason: reason) }
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
        let section = sentry.begin()  // constructors, entry point and init
        let image: DynamicImage
        do {
            image = try DynamicImage.open(elf)
        } catch {
            _ = sentry.end(section, plugin: elf.path, what: "dlopen")
            throw error
        }
        // Before the entry point: threads it starts are known by their start routine.
        _ = ctenon_thread_hook(image.handle)
        let descriptor: PluginDescriptor
        let params: PluginParameters
        let commands: FFICommandTable
        do {
            descriptor = try PluginDescriptor.load(from: image)
            if replacing == nil {
                try descriptor.ensureUniqueName(among: plugins.mapValues { $0.image.path })
            }
            params = try descriptor.parseParameters(parameters)
            commands = try FFICommandTable(descriptor)
        } catch {
            closeAfterFailedLoad(image, section, plugin: elf.path)
            throw error
        }
        guard let owner = pipeline.registerOwner() else {
            closeAfterFailedLoad(image, section, plugin: descriptor.name)
            throw .ownerSlotsExhausted(plugin: descriptor.name)
        }
        let name = replacing?.name ?? descriptor.name
        let services = HostServices(pipeline: pipeline, owner: owner, pluginName: name,
                                    logger: logger, timers: timers)
        if let replacing { pipeline.beginStaging(owner: owner, replacing: replacing.owner) }
        do {
            try descriptor.callInit(host: services.host, parameters: params)
        } catch {
            rollback(name: name, owner: owner, image: image, services: services, section: section)
            throw error
        }
        let verdict = sentry.end(section, plugin: name, what: "load (constructors, entry point, init)")
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let record = PluginRecord(name: name, descriptor: descriptor, elf: elf, image: image, owner: owner,
                                  services: services, commands: commands,
                                  loadTime: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
        record.quarantineReason = verdict.quarantine
        return record
    }

    /// A load failed before init: close the image, unless a thread its
    /// entry point started still runs in it.
    private func closeAfterFailedLoad(_ image: DynamicImage, _ section: PluginGuard.Section, plugin: String) {
        _ = sentry.end(section, plugin: plugin, what: "load")
        if let reason = Self.liveThreadsReason(image) {
            logger.error("plugin \(plugin): load failed; image kept mapped: \(reason)")
            return
        }
        try? image.close()
    }

    /// Why the image must stay mapped, if a thread it started (its start
    /// routine lies in the image, see `ctenon_thread_hook`) still runs.
    static func liveThreadsReason(_ image: DynamicImage) -> String? {
        guard image.handle != nil, let inside = image.symbol(named: PluginDescriptor.entrySymbol) else { return nil }
        let live = ctenon_thread_live(inside)
        guard live > 0 else { return nil }
        return "\(live) thread(s) the plugin started are still running; unmapping its code would crash them "
            + "(exit() must stop and join every thread the plugin started)"
    }

    /// Unpublishes a plugin that broke a host rule. It stays mapped, listed
    /// as `quarantined`, and is removed by a normal unload. The one place a
    /// guard verdict takes a plugin out of service.
    func quarantine(_ record: PluginRecord, reason: String) {
        if record.state == .live { pipeline.suspend(owner: record.owner) }
        record.state = .quarantined
        logger.error("plugin \(record.name) quarantined: \(reason); its handlers receive no more IRQs; unload it to remove it")
    }

    /// Undoes a failed init: its actions may already have fired, so the full
    /// unload order applies (minus `exit()`, which the ABI says is not called).
    private func rollback(name: String, owner: UInt32, image: DynamicImage, services: HostServices,
                          section: PluginGuard.Section) {
        // Undo signal changes at once, before waiting for quiescence.
        _ = sentry.end(section, plugin: name, what: "load (constructors, entry point, init)")
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
        services.deallocate()
        if let reason = Self.liveThreadsReason(image) {
            logger.error("plugin \(name): init failed; rolled back \(revoked) registration(s); image kept mapped: \(reason)")
            return
        }
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

    /// After a quiescent barrier: exit → drain timers → revoke → close → verify.
    private func finish(_ record: PluginRecord) -> UnloadResult {
        let section = sentry.begin()
        record.descriptor.exitFunction?(UnsafePointer(record.services.host))
        _ = sentry.end(section, plugin: record.name, what: "exit()")
        timers?.cancelAll(owner: record.owner)
        let revoked = pipeline.revoke(owner: record.owner)
        if revoked > 0 {
            logger.debug("plugin \(record.name): revoked \(revoked) registration(s) its exit() left behind")
        }
        record.services.deallocate()
        let path = record.image.path
        if let reason = Self.liveThreadsReason(record.image) {
            // Never dlclose'd: the handle keeps the image mapped for good.
            logger.warning("plugin \(record.name) retired: \(reason)")
            return .retired(reason: reason)
        }
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
                throw .refused(plugin: name, reason: old.state == .quarantined
                    ? "it is quarantined; unload it, then load the new version"
                    : "an unload is pending (busy); finish or cancel it before swapping")
            }
            let new = try instantiate(path: path, parameters: parameters, replacing: old)
            pipeline.commitStaging(owner: new.owner)
            old.state = .unpublished
            plugins[name] = new
            if let reason = new.quarantineReason { quarantine(new, reason: reason) }
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
            let section = sentry.begin()
            defer {
                let verdict = sentry.end(section, plugin: plugin, what: "command \(command)")
                if let reason = verdict.quarantine { quarantine(record, reason: reason) }
            }
            return try record.commands.call(command, arguments)
        }
    }

    /// Every loaded plugin, by name.
    public func list() -> [LoadedPlugin] {
        operations.withLock { _ in
            auditHandlersLocked()
            return plugins.keys.sorted().map { snapshot(plugins[$0]!) }
        }
    }

    /// Reports handlers that left host signals blocked on their CPU since the
    /// last report (the signal entry caught and undid it). `list()` calls it;
    /// a host may also call it periodically.
    public func auditHandlers() {
        operations.withLock { _ in auditHandlersLocked() }
    }

    private func auditHandlersLocked() {
        let actions = pipeline.actions()
        sentry.auditEntries(cpus: pipeline.cpuCount) { irq in
            let owners = Set(actions.filter { $0.irq == irq }.map(\.owner))
            let names = plugins.values.filter { owners.contains($0.owner) }.map(\.name).sorted()
            return names.isEmpty ? "no plugin handler on it now" : "handled by \(names.joined(separator: ", "))"
        }
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
                            commands: r.commands.names, retireReasons: r.elf.retireReasons)
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
