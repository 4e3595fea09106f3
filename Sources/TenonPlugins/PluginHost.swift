#if canImport(Glibc)
import Glibc
#endif
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

    /// - Parameters:
    ///   - timers: the machine's timer service; nil until there is one
    ///     (`timer_start` then returns `-ENOSYS`).
    public init(pipeline: IRQPipeline, logger: Logger, timers: (any TimerService)? = nil) {
        self.pipeline = pipeline
        self.logger = logger
        self.timers = timers
    }

    // MARK: - Load

    /// Loads the plugin at `path` with `key=value` parameters and runs its init.
    ///
    /// Order: private sealed copy (``PrivateImage``: size cap, and unless
    /// `allowInsecure` the ``ImageSecurity`` check) → ELF checks on the copy,
    /// including `tenon_plugin_entry` in `.dynsym` (no plugin code has run
    /// yet) → `dlopen` of the copy (`RTLD_NODELETE` if it must be retired) →
    /// descriptor → unique name → parameters → owner token → host services →
    /// `init()`. If init fails, everything it registered is unpublished,
    /// waited for, revoked, and the image closed before the error is thrown.
    /// - Throws: ``PluginError`` naming the file or plugin and the problem.
    @discardableResult
    public func load(path: String, parameters: [String] = [], allowInsecure: Bool = false) throws(PluginError) -> LoadedPlugin {
        try refuseInsideHandler(plugin: path, what: "load")
        return try operations.withLock { _ throws(PluginError) -> LoadedPlugin in
            let record = try instantiate(path: path, parameters: parameters, replacing: nil,
                                         allowInsecure: allowInsecure)
            plugins[record.name] = record
            logger.info("plugin \(record.name) \(record.descriptor.version) loaded from \(record.image.path) as owner \(record.owner)")
            return snapshot(record)
        }
    }

    /// copy → checks → dlopen → descriptor → params → owner → services →
    /// init, with rollback. With `replacing`, the new instance is staged as
    /// its replacement: it must declare the same name unless `rename`; with no
    /// `parameters` it gets the replaced instance's (those it declares); its
    /// requests are validated as if `replacing` were gone and stay
    /// unpublished until the caller commits.
    private func instantiate(path: String, parameters: [String], replacing: PluginRecord?,
                             allowInsecure: Bool, rename: Bool = false) throws(PluginError) -> PluginRecord {
        let copy = try PrivateImage(copying: path, allowInsecure: allowInsecure)
        let elf: ELFImage
        let image: DynamicImage
        do throws(PluginError) {
            elf = try ELFImage(validating: copy, path: path)
            // Before dlopen: an image without the entry point never gets to
            // run its constructors in the host.
            guard elf.exportsEntry else { throw PluginError.missingEntry(path: path) }
            image = try DynamicImage.open(elf, copy: copy)
        } catch {
            copy.close()
            throw error
        }
        let descriptor: PluginDescriptor
        let params: PluginParameters
        let given: [String]
        let commands: FFICommandTable
        do throws(PluginError) {
            descriptor = try PluginDescriptor.load(from: image)
            if let replacing {
                if descriptor.name != replacing.name {
                    guard rename else {
                        throw PluginError.nameMismatch(plugin: replacing.name, newName: descriptor.name, path: path)
                    }
                    try descriptor.ensureUniqueName(among: plugins.filter { $0.key != replacing.name }
                                                                   .mapValues { $0.image.path })
                }
            } else {
                try descriptor.ensureUniqueName(among: plugins.mapValues { $0.image.path })
            }
            given = parameters.isEmpty && replacing != nil
                ? carried(replacing!.parameters, to: descriptor) : parameters
            params = try descriptor.parseParameters(given)
            commands = try FFICommandTable(descriptor)
        } catch {
            close(image)
            throw error
        }
        guard let owner = pipeline.registerOwner() else {
            close(image)
            throw .ownerSlotsExhausted(plugin: descriptor.name)
        }
        let name = descriptor.name
        let runsBase = pipeline.handlerRuns(owner: owner)
        let services = HostServices(pipeline: pipeline, owner: owner, pluginName: name,
                                    logger: logger, timers: timers)
        if let replacing { pipeline.beginStaging(owner: owner, replacing: replacing.owner) }
        do {
            try descriptor.callInit(host: services.host, parameters: params)
        } catch {
            let refusals = services.refusals
            rollback(name: name, owner: owner, image: image, services: services)
            if case let .initFailed(plugin, errno) = error, !refusals.isEmpty {
                throw .initRefused(plugin: plugin, errno: errno, hostReason: refusals.joined(separator: "; "))
            }
            throw error
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return PluginRecord(name: name, descriptor: descriptor, elf: elf, image: image, owner: owner,
                            services: services, commands: commands,
                            loadTime: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9,
                            parameters: given, values: params.values.map { "\($0.name)=\($0.value)" },
                            runsBase: runsBase)
    }

    /// The `key=value` arguments of a replaced instance that `descriptor`
    /// still declares (a swap without parameters keeps the old ones).
    private func carried(_ old: [String], to descriptor: PluginDescriptor) -> [String] {
        let declared = Set(descriptor.parameters.map(\.name))
        let kept = old.filter { declared.contains(String($0.prefix { $0 != "=" })) }
        if kept.count != old.count {
            logger.notice("plugin \(descriptor.name): parameters not carried over (the new version does not declare them): \(old.filter { !kept.contains($0) }.joined(separator: " "))")
        }
        return kept
    }

    /// `dlclose`s `image`, then closes its private copy once the mapping is
    /// gone (never for a retained image: the loader keeps its name forever).
    @discardableResult
    private func close(_ image: DynamicImage) -> Bool {
        do {
            try image.close()
        } catch {
            logger.error("\(error)")
        }
        guard !image.isRetained else { return false }
        let gone = (try? image.mappings().isEmpty) ?? false
        if gone { image.copy?.close() } else { image.copy?.pin() }
        return gone
    }

    /// Undoes a failed init: its actions may already have fired, so the full
    /// unload order applies (minus `exit()`, which the ABI says is not called).
    private func rollback(name: String, owner: UInt32, image: DynamicImage, services: HostServices) {
        pipeline.suspend(owner: owner)
        let wait = pipeline.synchronize(timeout: rollbackTimeout)
        timers?.cancelAll(owner: owner)
        guard wait == .quiescent else {
            // A CPU is still inside code init published: keep everything
            // mapped and allocated for good rather than unmap it under it.
            logger.critical("plugin \(name): init failed and a CPU is still inside its code (\(wait)); image left mapped, owner \(owner) left suspended")
            image.copy?.pin()
            return
        }
        let revoked = pipeline.revoke(owner: owner)
        services.deallocate()
        close(image)
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
        record.descriptor.exitFunction?(UnsafePointer(record.services.host))
        timers?.cancelAll(owner: record.owner)
        let revoked = pipeline.revoke(owner: record.owner)
        if revoked > 0 {
            logger.debug("plugin \(record.name): revoked \(revoked) registration(s) its exit() left behind")
        }
        record.services.deallocate()
        let path = record.image.path
        let gone = close(record.image)
        if record.image.isRetained {
            let reason = record.elf.retireReasons.joined(separator: "; ")
            logger.info("plugin \(record.name) retired: \(reason)")
            return .retired(reason: reason)
        }
        if !gone { logger.warning("plugin \(record.name): the private copy of \(path) is still mapped after dlclose") }
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
    ///
    /// The new image must declare the plugin name `name` unless `rename`
    /// (then it replaces `name` under its own name). Empty `parameters` carry
    /// the old instance's over (those the new version declares).
    @discardableResult
    public func swap(name: String, path: String, parameters: [String] = [],
                     timeout: Duration = .seconds(10), rename: Bool = false,
                     allowInsecure: Bool = false) throws(PluginError) -> UnloadResult {
        try swapReporting(name: name, path: path, parameters: parameters, timeout: timeout,
                          rename: rename, allowInsecure: allowInsecure).old
    }

    /// ``swap(name:path:parameters:timeout:rename:allowInsecure:)``, also
    /// returning the new instance's snapshot (its name differs with `rename`).
    public func swapReporting(name: String, path: String, parameters: [String] = [],
                              timeout: Duration = .seconds(10), rename: Bool = false,
                              allowInsecure: Bool = false) throws(PluginError) -> (old: UnloadResult, new: LoadedPlugin) {
        try refuseInsideHandler(plugin: name, what: "swap")
        return try operations.withLock { _ throws(PluginError) -> (old: UnloadResult, new: LoadedPlugin) in
            guard let old = plugins[name] else {
                throw .unknownPlugin(name: name, loaded: plugins.keys.sorted())
            }
            guard old.state == .live else {
                throw .refused(plugin: name, reason: "an unload is pending (busy); finish or cancel it before swapping")
            }
            let new = try instantiate(path: path, parameters: parameters, replacing: old,
                                      allowInsecure: allowInsecure, rename: rename)
            pipeline.commitStaging(owner: new.owner)
            old.state = .unpublished
            plugins[name] = nil
            plugins[new.name] = new
            logger.info("plugin \(name): swapped \(old.descriptor.version) -> \(new.name) \(new.descriptor.version) from \(new.image.path) (\(new.image.copy?.hashText ?? "-"))")
            switch pipeline.synchronize(timeout: timeout) {
            case .quiescent:
                return (finish(old), snapshot(new))
            case let .busy(cpu, irq, _, since):
                draining.append(old)
                return (.busy(cpu: cpu, irq: irq, since: since), snapshot(new))
            case .wouldDeadlock(let cpu):
                // Unreachable: refused above; keep the old image mapped anyway.
                draining.append(old)
                return (.refused(reason: "caller inside a handler on CPU \(cpu)"), snapshot(new))
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
            return try record.commands.call(command, arguments)
        }
    }

    /// Every loaded plugin, by name.
    public func list() -> [LoadedPlugin] {
        operations.withLock { _ in plugins.keys.sorted().map { snapshot(plugins[$0]!) } }
    }

    /// The current mappings of plugin `name`'s image (its private copy), or
    /// [] when no such plugin is loaded.
    public func mappings(of name: String) -> [MemoryMapping] {
        operations.withLock { _ in (plugins[name].flatMap { try? $0.image.mappings() }) ?? [] }
    }

    /// The name of the plugin instance holding pipeline owner `owner` (live,
    /// unpublished, or an old swapped-out version still draining), or nil.
    /// `owner` may be a full token or only its slot (the low 12 bits, which
    /// is what the barrier reports for a busy CPU).
    public func pluginName(owner: UInt32) -> String? {
        let slot = owner & 0xFFF
        return operations.withLock { _ in
            plugins.values.first { $0.owner & 0xFFF == slot }.map(\.name)
                ?? draining.first { $0.owner & 0xFFF == slot }.map { "\($0.name) (old version \($0.descriptor.version))" }
        }
    }

    /// The plugin whose code CPU `cpu` runs right now (one barrier probe,
    /// no waiting), or nil when it runs none or host code.
    public func stuckOwnerName(cpu: Int) -> String? {
        guard case let .busy(busyCPU, _, owner, _) = pipeline.synchronize(timeout: .zero),
              busyCPU == cpu, owner != 0 else { return nil }
        return pluginName(owner: owner)
    }

    /// One plugin's snapshot, or nil.
    public func plugin(named name: String) -> LoadedPlugin? {
        operations.withLock { _ in plugins[name].map(snapshot) }
    }

    private func snapshot(_ r: PluginRecord) -> LoadedPlugin {
        let irqs = Set(pipeline.actions().filter { $0.owner == r.owner }.map(\.irq)).sorted()
        let calls = pipeline.handlerRuns(owner: r.owner) &- r.runsBase
        return LoadedPlugin(name: r.name, version: r.descriptor.version, path: r.image.path, state: r.state,
                            owner: r.owner, irqs: irqs, loadTime: r.loadTime, handlerCalls: calls,
                            commands: r.commands.names, retireReasons: r.elf.retireReasons,
                            contentHash: r.image.copy?.hashText, parameterValues: r.values)
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
