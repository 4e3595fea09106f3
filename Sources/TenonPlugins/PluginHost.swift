#if canImport(Glibc)
import Glibc
#endif
import CTenon
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
/// dead-flagged by `suspend`) → `dlclose` or retire → unmap check (``UnmapCheck``).
///
/// Thread safety: control operations may come from any task thread at once.
/// No lock is held while plugin code runs (constructors, `init()`, `exit()`,
/// commands) or while a grace period waits, so `list()` and the other
/// read-only calls answer at once while a slow `init()` runs, and operations
/// on different plugins do not wait for each other. A short registry lock
/// guards the table of plugins; a load reserves its name (state `loading`);
/// an operation on one plugin marks it (``PluginRecord/operation``) so two
/// never overlap; commands count themselves in (``PluginRecord/inUse``).
/// Commands still run while an unload waits for the CPUs (one may be what
/// releases a stuck handler) and for running commands; `exit()` comes at the
/// first moment none runs, and later ones are refused. Operations that
/// wait for quiescence are refused from inside an IRQ handler, because a
/// handler that waited for quiescence would wait for itself.
public final class PluginHost: @unchecked Sendable {
    /// The pipeline plugins attach to; kept alive as long as the host, hence
    /// longer than any plugin's host services (which point into it unretained).
    public let pipeline: IRQPipeline
    let logger: Logger
    let timers: (any TimerService)?
    /// Guards `plugins`, `pending`, `draining`, `faultedImages` and the
    /// records' `var`s. Held briefly: never across plugin code or a wait.
    private let registry = Mutex<Void>(())
    /// Loaded plugins by name. Only touched under `registry`.
    private nonisolated(unsafe) var plugins: [String: PluginRecord] = [:]
    /// Loads still running plugin code, by the name they reserved.
    private nonisolated(unsafe) var pending: [String: PendingLoad] = [:]
    /// Every owner token this host gave out, with its plugin's name and version
    /// (for traces that outlive the plugin). Under `registry`.
    private nonisolated(unsafe) var ownerNames: [UInt32: String] = [:]
    /// Owners whose load is between `registerOwner` and registration (or
    /// rollback): a fault of theirs has no record to land on yet. Under `registry`.
    private nonisolated(unsafe) var loadingOwners: Set<UInt32> = []
    /// The first oops of each of `loadingOwners` whose handler faulted before
    /// the load registered it; the load quarantines the plugin as it
    /// registers it. At most one per load in flight. Under `registry`.
    private nonisolated(unsafe) var unclaimedFaults: [UInt32: PluginOops] = [:]

    /// Faults waiting for their load to register the plugin (0 once every
    /// load has registered or rolled back).
    package var unclaimedFaultCount: Int { registry.withLock { _ in unclaimedFaults.count } }

    /// The plugin that held owner token `owner`, loaded or long gone ("name version").
    public func formerName(owner: UInt32) -> String? {
        registry.withLock { _ in ownerNames[owner] }
    }
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
        sentry = PluginGuard(logger: logger)
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
    /// plugin was loaded (entry point, init): never closed. Under `registry`.
    private nonisolated(unsafe) var faultedImages: [DynamicImage] = []

    /// Keeps `image` mapped for good (its code faulted).
    private func keepForever(_ image: DynamicImage) {
        registry.withLock { _ in faultedImages.append(image) }
    }

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
        let record = registry.withLock { _ -> PluginRecord? in
            let found = plugins.values.first(where: { $0.owner == oops.owner }) ?? draining.first(where: { $0.owner == oops.owner })
            if found == nil && loadingOwners.contains(oops.owner) && unclaimedFaults[oops.owner] == nil {
                unclaimedFaults[oops.owner] = oops
            }
            return found
        }
        if let record { quarantine(record, oops: oops) }
    }

    /// Ends `owner`'s load: it no longer collects faults, and the one that
    /// waited for it, if any, is returned. Call under `registry`, in the same
    /// section that registers the record, so that a fault is either claimed
    /// here or finds the record.
    private func endLoading(_ owner: UInt32) -> PluginOops? {
        loadingOwners.remove(owner)
        return unclaimedFaults.removeValue(forKey: owner)
    }

    /// Unpublishes a faulted plugin through the normal path: suspend (its
    /// actions leave the chains, its queued irq_work is dead), a grace
    /// period, its timers cancelled. Never unmaps it.
    private func quarantine(_ record: PluginRecord, oops: PluginOops?) {
        let first = registry.withLock { _ -> Bool in
            if let oops, record.lastOops.map({ $0.sequence < oops.sequence }) ?? true { record.lastOops = oops }
            guard record.state != .faulted else { return false }
            pipeline.markFaulted(owner: record.owner)
            pipeline.suspend(owner: record.owner)
            record.state = .faulted
            return true
        }
        guard first else { return }
        timers?.cancelAll(owner: record.owner)
        faultedCount += 1
        let wait = pipeline.synchronize(timeout: .seconds(1), reaching: record.owner)
        logger.error(
            "plugin \(record.name) \(record.descriptor.version) quarantined after a fault: unpublished, timers cancelled, image kept mapped\(wait == .quiescent ? "" : " (\(wait))"); `tenon unload \(record.name)` retires it"
        )
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
        let record = try instantiate(
            path: path, parameters: parameters, replacing: nil,
            allowInsecure: allowInsecure)
        let early = registry.withLock { _ in
            pending[record.name] = nil
            plugins[record.name] = record
            if let reason = record.quarantineReason { quarantine(record, reason: reason) }
            return endLoading(record.owner)
        }
        if let early { quarantine(record, oops: early) }
        let (state, lastOops, activity) = registry.withLock { _ in (record.state, record.lastOops, record.activity) }
        let loaded = snapshot(record, state: state, lastOops: lastOops, activity: activity, actions: pipeline.actions())
        logger.info("plugin \(record.name) \(record.descriptor.version) loaded from \(record.image.path) as owner \(record.owner)")
        return loaded
    }

    /// copy → checks → dlopen → descriptor → params → owner → services →
    /// init, with rollback. With `replacing`, the new instance is staged as
    /// its replacement: it must declare the same name unless `rename`; with no
    /// `parameters` it gets the replaced instance's (those it declares); its
    /// requests are validated as if `replacing` were gone and stay
    /// unpublished until the caller commits.
    private func instantiate(
        path: String, parameters: [String], replacing: PluginRecord?,
        allowInsecure: Bool, rename: Bool = false
    ) throws(PluginError) -> PluginRecord {
        let copy = try PrivateImage(copying: path, allowInsecure: allowInsecure)
        let elf: ELFImage
        do throws(PluginError) {
            elf = try ELFImage(validating: copy, path: path)
            // Before dlopen: an image without the entry point never gets to
            // run its constructors in the host.
            guard elf.exportsEntry else { throw PluginError.missingEntry(path: path) }
        } catch {
            copy.close()
            throw error
        }
        let section = sentry.begin(elf.path)  // constructors, entry point and init
        let image: DynamicImage
        do {
            image = try DynamicImage.open(elf, copy: copy)
        } catch {
            copy.close()
            _ = sentry.end(section, plugin: elf.path, what: "dlopen")
            throw error
        }
        // Before the entry point: threads it starts are known by their start routine.
        _ = ctenon_thread_hook(image.handle)
        let descriptor: PluginDescriptor
        let params: PluginParameters
        let given: [String]
        let commands: FFICommandTable
        var reserved: String?
        do throws(PluginError) {
            descriptor = try loadDescriptor(from: image)
            if replacing == nil || descriptor.name != replacing!.name {
                if let replacing, !rename {
                    throw PluginError.nameMismatch(plugin: replacing.name, newName: descriptor.name, path: path)
                }
                // Reserve the name: `list` shows it `loading` while init() runs.
                try registry.withLock { _ throws(PluginError) in
                    var taken = plugins.filter { $0.key != replacing?.name }.mapValues { $0.image.path }
                    for (name, load) in pending { taken[name] = load.path }
                    try descriptor.ensureUniqueName(among: taken)
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    pending[descriptor.name] = PendingLoad(
                        name: descriptor.name, version: descriptor.version, path: path,
                        started: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9,
                        startedNanos: ctenon_monotonic_ns(), parameters: parameters)
                }
                reserved = descriptor.name
            }
            given =
                parameters.isEmpty && replacing != nil
                ? carried(replacing!.parameters, to: descriptor) : parameters
            params = try descriptor.parseParameters(given)
            commands = try FFICommandTable(descriptor)
        } catch {
            unreserve(reserved)
            closeAfterFailedLoad(image, section, plugin: elf.path)
            throw error
        }
        guard let owner = pipeline.registerOwner() else {
            unreserve(reserved)
            closeAfterFailedLoad(image, section, plugin: descriptor.name)
            throw .ownerSlotsExhausted(plugin: descriptor.name)
        }
        let name = descriptor.name
        registry.withLock { _ in
            ownerNames[owner] = "\(name) \(descriptor.version)"
            loadingOwners.insert(owner)
        }
        pipeline.traceControl(.loadBegin, owner: owner)
        defer { pipeline.traceControl(.loadEnd, owner: owner) }
        let runsBase = pipeline.handlerRuns(owner: owner)
        let services = HostServices(
            pipeline: pipeline, owner: owner, pluginName: name,
            logger: logger, timers: timers)
        if let replacing { pipeline.beginStaging(owner: owner, replacing: replacing.owner) }
        if ctenon_fault_register(pipeline.faultDomain, owner, name, descriptor.version) != 0 {
            logger.warning("plugin \(name): the fault handler's owner table is full; a fault in this plugin will not be contained")
        }
        let site = PluginCallSite(domain: pipeline.faultDomain, owner: owner)
        commands.site = site
        if let initFunction = descriptor.initFunction {
            let outcome = params.withUnsafeBufferPointer { buffer in
                PluginCall.initialize(
                    initFunction, site: site, host: services.host, parameters: buffer.baseAddress,
                    count: UInt32(buffer.count))
            }
            switch outcome {
            case .success(let rc) where rc < 0:
                ctenon_fault_unregister(pipeline.faultDomain, owner)
                let refusals = services.refusals
                rollback(name: name, owner: owner, image: image, services: services, section: section)
                unreserve(reserved)
                let errno = rc == Int32.min ? Int32.max : -rc
                if !refusals.isEmpty {
                    throw .initRefused(plugin: name, error: SystemError(errno), hostReason: refusals.joined(separator: "; "))
                }
                throw .initFailed(plugin: name, error: SystemError(errno))
            case .success(let rc) where rc > 0:
                // Kernel modules' init returning > 0 is a bug the kernel warns
                // about; here it fails the load: the plugin did not say "0 = ready".
                ctenon_fault_unregister(pipeline.faultDomain, owner)
                rollback(name: name, owner: owner, image: image, services: services, section: section)
                unreserve(reserved)
                throw .initReturnedPositive(plugin: name, value: rc)
            case .success:
                break
            case .failure(let call):
                let summary = oops(of: call)?.summary ?? call.summary
                pipeline.markFaulted(owner: owner)
                rollback(name: name, owner: owner, image: image, services: services, section: section, keepMapped: true)
                unreserve(reserved)
                throw .faulted(plugin: name, during: "init", oops: summary)
            }
        }
        let verdict = sentry.end(section, plugin: name, what: "load (constructors, entry point, init)")
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let record = PluginRecord(
            name: name, descriptor: descriptor, elf: elf, image: image, owner: owner,
            services: services, commands: commands,
            loadTime: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9,
            parameters: given, values: params.values.map { "\($0.name)=\($0.value)" },
            runsBase: runsBase)
        record.quarantineReason = verdict.quarantine
        return record
    }

    /// Frees a name reserved by a load that failed.
    private func unreserve(_ name: String?) {
        guard let name else { return }
        registry.withLock { _ in _ = pending.removeValue(forKey: name) }
    }

    /// A load failed before init: close the image, unless a thread its
    /// entry point started still runs in it.
    private func closeAfterFailedLoad(_ image: DynamicImage, _ section: PluginGuard.Section, plugin: String) {
        _ = sentry.end(section, plugin: plugin, what: "load")
        // Its entry point faulted: it may have left anything behind, never unmap it.
        if registry.withLock({ _ in faultedImages.contains(where: { $0 === image }) }) { return }
        if let reason = Self.liveThreadsReason(image) {
            logger.error("plugin \(plugin): load failed; image kept mapped: \(reason)")
            return
        }
        close(image)
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
            keepForever(image)
            throw .faulted(plugin: image.path, during: "entry point", oops: oops(of: call)?.summary ?? call.summary)
        }
    }

    /// The `key=value` arguments of a replaced instance that `descriptor`
    /// still declares (a swap without parameters keeps the old ones).
    private func carried(_ old: [String], to descriptor: PluginDescriptor) -> [String] {
        let declared = Set(descriptor.parameters.map(\.name))
        let kept = old.filter { declared.contains(String($0.prefix { $0 != "=" })) }
        if kept.count != old.count {
            logger.notice(
                "plugin \(descriptor.name): parameters not carried over (the new version does not declare them): \(old.filter { !kept.contains($0) }.joined(separator: " "))"
            )
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
        let gone = image.isUnmapped()
        if gone { image.copy?.close() } else { image.copy?.pin() }
        return gone
    }

    /// Undoes a failed init: its actions may already have fired, so the full
    /// unload order applies (minus `exit()`, which the ABI says is not called).
    private func rollback(
        name: String, owner: UInt32, image: DynamicImage, services: HostServices,
        section: PluginGuard.Section, keepMapped: Bool = false
    ) {
        // Undo signal changes at once, before waiting for quiescence.
        _ = sentry.end(section, plugin: name, what: "load (constructors, entry point, init)")
        // The oops is in the log already; no record will ever claim it.
        _ = registry.withLock { _ in endLoading(owner) }
        pipeline.suspend(owner: owner)
        let wait = pipeline.synchronize(timeout: rollbackTimeout, reaching: owner)
        timers?.cancelAll(owner: owner)
        guard wait == .quiescent else {
            // A CPU is still inside code init published: keep everything
            // mapped and allocated for good rather than unmap it under it.
            logger.critical("plugin \(name): init failed and a CPU is still inside its code (\(wait)); image left mapped, owner \(owner) left suspended")
            image.copy?.pin()
            return
        }
        let revoked = pipeline.revoke(owner: owner)
        if keepMapped {
            // A fault: its code and what it points at stay valid for good.
            keepForever(image)
            ctenon_fault_unregister(pipeline.faultDomain, owner)
            logger.error("plugin \(name): init faulted; rolled back \(revoked) registration(s); image retired (kept mapped)")
            return
        }
        services.deallocate()
        if let reason = Self.liveThreadsReason(image) {
            logger.error("plugin \(name): init failed; rolled back \(revoked) registration(s); image kept mapped: \(reason)")
            return
        }
        close(image)
        logger.info("plugin \(name): init failed; rolled back \(revoked) registration(s) and closed the image")
    }

    // MARK: - Unload

    /// Unloads `name` (see the type's documentation for the order).
    ///
    /// Never blocks past `timeout` plus the plugin's `exit()` and `dlclose`:
    /// returns ``UnloadResult/busy(cpu:irq:since:)`` when a CPU stays inside
    /// code that can reach this plugin (a handler stuck in *another* plugin,
    /// on a line this one never had an action on, does not count); the
    /// plugin then stays unpublished and mapped. Commands of the plugin that
    /// are running are waited for within the same `timeout` (new ones are
    /// refused meanwhile); if one is still running at the deadline nothing
    /// is done and the reason says which.
    @discardableResult
    public func unload(name: String, timeout: Duration = .seconds(1)) -> UnloadResult {
        if let reason = insideHandlerReason() { return .refused(reason: reason) }
        let deadline = ContinuousClock.now + timeout
        let claimed = registry.withLock { _ -> Result<(PluginRecord, LoadedPlugin.State), UnloadFailure> in
            guard let record = plugins[name] else {
                if let load = pending[name] {
                    return .failure(
                        UnloadFailure(
                            result: .refused(
                                reason: "\(name) is still loading (\(activityText(load))); wait for the load to finish (see `tenon list`), then unload it")))
                }
                return .failure(UnloadFailure(result: .refused(reason: PluginError.unknownPlugin(name: name, loaded: plugins.keys.sorted()).description)))
            }
            if let operation = record.operation {
                return .failure(UnloadFailure(result: .refused(reason: "a \(operation) of \(name) is in progress; wait for it to finish")))
            }
            record.operation = "unload"
            let previous = record.state
            if previous == .live || previous == .unpublished { record.state = .unloading }
            return .success((record, previous))
        }
        guard case let .success((record, previous)) = claimed else {
            if case .failure(let failure) = claimed { return failure.result }
            return .refused(reason: "unreachable")
        }
        if previous == .faulted {
            registry.withLock { _ in plugins[name] = nil }
            return retireFaulted(record)
        }
        if previous == .live {
            pipeline.suspend(owner: record.owner)
            pipeline.traceControl(.unpublish, owner: record.owner)
        }
        let remaining = max(.zero, deadline - ContinuousClock.now)
        let wait = pipeline.synchronize(timeout: remaining, reaching: record.owner)
        guard wait == .quiescent else {
            registry.withLock { _ in
                if record.state == .unloading { record.state = .unpublished }
                record.operation = nil
            }
            switch wait {
            case let .busy(cpu, irq, owner, since):
                logger.warning("plugin \(name): unload busy: CPU \(cpu) inside IRQ \(irq.map(String.init) ?? "?") (owner \(owner)); plugin stays unpublished")
                return .busy(cpu: cpu, irq: irq, since: since)
            case .wouldDeadlock(let cpu):
                return .refused(reason: "the caller runs inside a handler on CPU \(cpu): waiting for quiescence would deadlock")
            case .fenceFailed(let errno):
                logger.critical("plugin \(name): unload: membarrier failed (errno \(errno)); plugin stays unpublished and mapped")
                return .refused(reason: Self.fenceFailure(errno))
            case .quiescent:
                return .refused(reason: "unreachable")
            }
        }
        // Commands may run until now (e.g. the one that releases a stuck
        // handler) and until none runs: exit() and dlclose come at the first
        // moment no command of the plugin runs, and later ones are refused.
        if let busy = waitForCommands(record, until: deadline) {
            registry.withLock { _ in
                record.closed = false
                record.state = .unpublished
                record.operation = nil
            }
            return .refused(reason: busy + "; \(name) stays unpublished: unload it again, or `tenon cancel \(name)`")
        }
        let result = finish(record)
        registry.withLock { _ in
            if plugins[name] === record { plugins[name] = nil }
        }
        return result
    }

    /// Waits until no command of `record` runs, and closes it to new ones at
    /// that moment (`closed`); nil when it got there, else why it gave up (the
    /// record is then left open).
    private func waitForCommands(_ record: PluginRecord, until deadline: ContinuousClock.Instant) -> String? {
        // Commands are usually microseconds long: poll at 20 µs first, and
        // back off to 1 ms for one that runs long.
        var pause: UInt32 = 20
        while true {
            let (count, activity) = registry.withLock { _ -> (Int, (what: String, sinceNanos: UInt64)?) in
                if record.inUse == 0 { record.closed = true }
                return (record.inUse, record.activity)
            }
            if count == 0 { return nil }
            if ContinuousClock.now >= deadline {
                let what = activity.map { "\($0.what) running for \(Self.seconds(since: $0.sinceNanos))" } ?? "a command"
                return "\(count) command(s) of \(record.name) still running (\(what))"
            }
            usleep(pause)
            pause = min(pause * 2, 1_000)
        }
    }

    /// Unload of a quarantined plugin: its `exit()` is not called (its state
    /// is unknown after the fault); registrations are revoked after a grace
    /// period; the image stays mapped.
    private func retireFaulted(_ record: PluginRecord) -> UnloadResult {
        timers?.cancelAll(owner: record.owner)
        let reason = "faulted: " + (record.lastOops?.summary ?? "code of this plugin faulted")
        guard pipeline.synchronize(timeout: .seconds(1), reaching: record.owner) == .quiescent else {
            keepForever(record.image)
            return .retired(reason: reason + "; a CPU stayed busy, registrations left unpublished")
        }
        pipeline.revoke(owner: record.owner)
        ctenon_fault_unregister(pipeline.faultDomain, record.owner)
        keepForever(record.image)
        logger.info("plugin \(record.name) retired: \(reason)")
        return .retired(reason: reason)
    }

    /// After a quiescent barrier: exit → drain timers → revoke → close → verify.
    private func finish(_ record: PluginRecord) -> UnloadResult {
        if registry.withLock({ _ in record.state == .faulted }) { return retireFaulted(record) }
        registry.withLock { _ in record.activity = ("exit()", ctenon_monotonic_ns()) }
        let section = sentry.begin(record.name)
        pipeline.traceControl(.exitBegin, owner: record.owner)
        let exitFault = record.descriptor.exitFunction.flatMap {
            PluginCall.exit($0, site: record.site, host: UnsafePointer(record.services.host))
        }
        pipeline.traceControl(.exitEnd, owner: record.owner)
        _ = sentry.end(section, plugin: record.name, what: "exit()")
        registry.withLock { _ in record.activity = nil }
        if let call = exitFault {
            let oops = oops(of: call)
            record.lastOops = oops
            pipeline.markFaulted(owner: record.owner)
            timers?.cancelAll(owner: record.owner)
            if pipeline.synchronize(timeout: .seconds(1), reaching: record.owner) == .quiescent {
                pipeline.revoke(owner: record.owner)
                ctenon_fault_unregister(pipeline.faultDomain, record.owner)
            }
            keepForever(record.image)
            faultedCount += 1
            let reason = "exit() faulted: " + (oops?.summary ?? call.summary)
            logger.error("plugin \(record.name) retired: \(reason)")
            return .retired(reason: reason)
        }
        timers?.cancelAll(owner: record.owner)
        pipeline.traceControl(.revoke, owner: record.owner)
        let revoked = pipeline.revoke(owner: record.owner)
        ctenon_fault_unregister(pipeline.faultDomain, record.owner)
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
        pipeline.traceControl(.close, owner: record.owner)
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
        try registry.withLock { _ throws(PluginError) in
            guard let record = plugins[name] else {
                throw .unknownPlugin(name: name, loaded: plugins.keys.sorted())
            }
            guard record.state == .unpublished, record.operation == nil else { return }
            pipeline.resume(owner: record.owner)
            record.state = .live
            logger.info("plugin \(name): unload cancelled, re-published")
        }
    }

    /// Unloads every plugin; returns each one's result by name.
    public func unloadAll(timeout: Duration = .seconds(1)) -> [String: UnloadResult] {
        let names = registry.withLock { _ in plugins.keys.sorted() }
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
    public func swap(
        name: String, path: String, parameters: [String] = [],
        timeout: Duration = .seconds(10), rename: Bool = false,
        allowInsecure: Bool = false
    ) throws(PluginError) -> UnloadResult {
        try swapReporting(
            name: name, path: path, parameters: parameters, timeout: timeout,
            rename: rename, allowInsecure: allowInsecure
        ).old
    }

    /// ``swap(name:path:parameters:timeout:rename:allowInsecure:)``, also
    /// returning the new instance's snapshot (its name differs with `rename`).
    public func swapReporting(
        name: String, path: String, parameters: [String] = [],
        timeout: Duration = .seconds(10), rename: Bool = false,
        allowInsecure: Bool = false
    ) throws(PluginError) -> (old: UnloadResult, new: LoadedPlugin) {
        try refuseInsideHandler(plugin: name, what: "swap")
        let deadline = ContinuousClock.now + timeout
        let old = try registry.withLock { _ throws(PluginError) -> PluginRecord in
            guard let old = plugins[name] else {
                if let load = pending[name] {
                    throw .refused(plugin: name, reason: "it is still loading (\(activityText(load))); swap it once the load finished")
                }
                throw .unknownPlugin(name: name, loaded: plugins.keys.sorted())
            }
            guard old.state == .live else {
                if old.state == .faulted {
                    throw .refused(
                        plugin: name,
                        reason: "it is quarantined after a fault (\(old.lastOops?.summary ?? "see `tenon log`")); unload it, then load the new version")
                }
                throw .refused(
                    plugin: name,
                    reason: old.state == .quarantined
                        ? "it is quarantined; unload it, then load the new version"
                        : old.state == .unloading
                            ? "it is being unloaded"
                            : "an unload is pending (busy); finish or cancel it before swapping")
            }
            if let operation = old.operation {
                throw .refused(plugin: name, reason: "a \(operation) of \(name) is in progress; wait for it to finish")
            }
            old.operation = "swap"
            return old
        }
        let new: PluginRecord
        do throws(PluginError) {
            new = try instantiate(
                path: path, parameters: parameters, replacing: old,
                allowInsecure: allowInsecure, rename: rename)
        } catch {
            registry.withLock { _ in old.operation = nil }
            throw error
        }
        let early = registry.withLock { _ in
            pipeline.commitStaging(owner: new.owner)
            pipeline.traceControl(.swapCommit, owner: new.owner)
            // Its commands now reach the new instance; old calls still running are waited for below.
            if old.state == .live { old.state = .unpublished }
            if plugins[name] === old { plugins[name] = nil }
            pending[new.name] = nil
            plugins[new.name] = new
            if let reason = new.quarantineReason { quarantine(new, reason: reason) }
            return endLoading(new.owner)
        }
        if let early { quarantine(new, oops: early) }
        let (newState, newOops, newActivity) = registry.withLock { _ in (new.state, new.lastOops, new.activity) }
        let snapshotNew = snapshot(new, state: newState, lastOops: newOops, activity: newActivity, actions: pipeline.actions())
        logger.info(
            "plugin \(name): swapped \(old.descriptor.version) -> \(new.name) \(new.descriptor.version) from \(new.image.path) (\(new.image.copy?.hashText ?? "-"))"
        )
        if let busy = waitForCommands(old, until: deadline) {
            logger.warning("plugin \(name): old version \(old.descriptor.version) kept mapped: \(busy)")
            registry.withLock { _ in draining.append(old) }
            return (.refused(reason: busy), snapshotNew)
        }
        let remaining = max(.zero, deadline - ContinuousClock.now)
        switch pipeline.synchronize(timeout: remaining, reaching: old.owner) {
        case .quiescent:
            return (finish(old), snapshotNew)
        case let .busy(cpu, irq, _, since):
            registry.withLock { _ in draining.append(old) }
            return (.busy(cpu: cpu, irq: irq, since: since), snapshotNew)
        case .wouldDeadlock(let cpu):
            // Unreachable: refused above; keep the old image mapped anyway.
            registry.withLock { _ in draining.append(old) }
            return (.refused(reason: "caller inside a handler on CPU \(cpu)"), snapshotNew)
        case .fenceFailed(let errno):
            registry.withLock { _ in draining.append(old) }
            return (.refused(reason: Self.fenceFailure(errno)), snapshotNew)
        }
    }

    /// Old versions of swapped plugins a CPU (or a command) was still inside:
    /// unpublished, mapped, finished once quiescent. Only under `registry`.
    private nonisolated(unsafe) var draining: [PluginRecord] = []

    /// Finishes old swapped-out versions once quiescent (called by unloadAll);
    /// returns how many are still waiting.
    public func drainSwappedOut(timeout: Duration = .seconds(1)) -> Int {
        let olds = registry.withLock { _ in draining }
        let deadline = ContinuousClock.now + timeout
        var left = 0
        for old in olds {
            guard waitForCommands(old, until: deadline) == nil,
                pipeline.synchronize(timeout: max(.zero, deadline - ContinuousClock.now), reaching: old.owner) == .quiescent
            else {
                left += 1
                continue
            }
            registry.withLock { _ in draining.removeAll { $0 === old } }
            _ = finish(old)
        }
        return left
    }

    // MARK: - Commands and introspection

    /// The plugin's extension `id` (its `get_extension`, guarded like a
    /// command), or nil when it offers none of that id. The pointer is the
    /// plugin's and stays valid while the plugin stays loaded.
    /// - Throws: ``PluginError/unknownPlugin(name:loaded:)``, ``PluginError/refused(plugin:reason:)``
    ///   unless the plugin is live, ``PluginError/faulted(plugin:during:oops:)``.
    public func `extension`(of plugin: String, id: String) throws(PluginError) -> UnsafeRawPointer? {
        try refuseInsideHandler(plugin: plugin, what: "get_extension")
        // Counted in like a command: an unload waits for it, no lock is held while it runs.
        let record = try registry.withLock { _ throws(PluginError) -> PluginRecord in
            guard let record = plugins[plugin] else { throw .unknownPlugin(name: plugin, loaded: plugins.keys.sorted()) }
            guard record.state == .live, !record.closed else {
                throw .refused(plugin: plugin, reason: "it is \(record.state), extensions are asked of live plugins only")
            }
            record.inUse += 1
            return record
        }
        defer { registry.withLock { _ in record.inUse -= 1 } }
        guard let function = record.descriptor.extensionFunction else { return nil }
        let section = sentry.begin(plugin)
        let outcome = id.withCString {
            PluginCall.getExtension(function, site: record.site, host: UnsafePointer(record.services.host), id: $0)
        }
        let verdict = sentry.end(section, plugin: plugin, what: "get_extension")
        switch outcome {
        case .success(let pointer):
            if let reason = verdict.quarantine { registry.withLock { _ in quarantine(record, reason: reason) } }
            return pointer
        case .failure(let call):
            let oops = oops(of: call)
            quarantine(record, oops: oops)
            throw .faulted(plugin: plugin, during: "get_extension", oops: oops?.summary ?? call.summary)
        }
    }

    /// Calls a plugin command with string arguments checked against its
    /// signature (`tenon call PLUGIN CMD ARGS...`), in task context.
    ///
    /// Takes no host-wide lock while the command runs: other requests are
    /// served meanwhile, and an unload of this plugin waits for it (within
    /// the unload's timeout) instead of unmapping it underneath.
    /// - Throws: unknown plugin/command, argument count or type mismatch.
    public func call(plugin: String, command: String, arguments: [String] = []) throws(PluginError) -> CommandResult {
        let record = try registry.withLock { _ throws(PluginError) -> PluginRecord in
            guard let record = plugins[plugin] else {
                if let load = pending[plugin] {
                    throw .refused(plugin: plugin, reason: "it is still loading (\(activityText(load)))")
                }
                throw .unknownPlugin(name: plugin, loaded: plugins.keys.sorted())
            }
            if record.state == .faulted {
                throw .refused(plugin: plugin, reason: "it is quarantined after a fault (\(record.lastOops?.summary ?? "see `tenon log`")); unload it")
            }
            if record.closed {
                throw .refused(plugin: plugin, reason: "it is being unloaded (its exit() is next)")
            }
            record.inUse += 1
            record.activity = ("command \(command)", ctenon_monotonic_ns())
            return record
        }
        defer {
            registry.withLock { _ in
                record.inUse -= 1
                if record.inUse == 0 { record.activity = nil }
            }
        }
        let section = sentry.begin(plugin)
        let outcome: Result<CommandResult, FaultedCall>
        do throws(PluginError) {
            outcome = try record.commands.guardedCall(command, arguments)
        } catch {
            // A bad command or argument: the window must still close.
            _ = sentry.end(section, plugin: plugin, what: "command \(command)")
            throw error
        }
        let verdict = sentry.end(section, plugin: plugin, what: "command \(command)")
        switch outcome {
        case .success(let result):
            if let reason = verdict.quarantine { registry.withLock { _ in quarantine(record, reason: reason) } }
            return result
        case .failure(let call):
            let oops = oops(of: call)
            quarantine(record, oops: oops)
            throw .faulted(plugin: plugin, during: "command \(command)", oops: oops?.summary ?? call.summary)
        }
    }

    /// Every loaded plugin, and every load still running its code (state
    /// ``LoadedPlugin/State/loading``), by name. Never waits for plugin code.
    public func list() -> [LoadedPlugin] {
        // Read before the registry lock, once: its holders keep it briefly
        // (an unload's first step waits for it; under an IRQ storm a holder
        // preempted mid-way holds everyone up for a time slice).
        // Only references and the records' mutable fields are copied under
        // it; the snapshots (strings, sets, sorting) are built after.
        let actions = pipeline.actions()
        let (records, loads) = registry.withLock { _ in
            auditHandlersLocked(actions)
            return (plugins.values.map { ($0, $0.state, $0.lastOops, $0.activity) }, Array(pending.values))
        }
        let loading = loads.map { load in
            LoadedPlugin(
                name: load.name, version: load.version, path: load.path, state: .loading, owner: 0,
                irqs: [], loadTime: load.started, handlerCalls: 0, commands: [], retireReasons: [],
                parameterValues: load.parameters, activity: activityText(load))
        }
        let loaded = records.map { snapshot($0.0, state: $0.1, lastOops: $0.2, activity: $0.3, actions: actions) }
        return (loaded + loading).sorted { $0.name < $1.name }
    }

    /// "init() for 12.0 s": what a pending load runs.
    private func activityText(_ load: PendingLoad) -> String {
        "constructors, entry point and init() for \(Self.seconds(since: load.startedNanos))"
    }

    /// "12.0 s" since a CLOCK_MONOTONIC time.
    static func seconds(since nanos: UInt64) -> String {
        let tenths = (ctenon_monotonic_ns() &- nanos) / 100_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// Reports handlers that left host signals blocked on their CPU since the
    /// last report (the signal entry caught and undid it). `list()` calls it;
    /// a host may also call it periodically.
    public func auditHandlers() {
        let actions = pipeline.actions()
        registry.withLock { _ in auditHandlersLocked(actions) }
    }

    private func auditHandlersLocked(_ actions: [IRQPipeline.ActionInfo]) {
        sentry.auditEntries(pipeline: pipeline) { irq in
            let owners = Set(actions.filter { $0.irq == irq }.map(\.owner))
            let names = plugins.values.filter { owners.contains($0.owner) }.map(\.name).sorted()
            return names.isEmpty ? "no plugin handler on it now" : "handled by \(names.joined(separator: ", "))"
        }
    }

    /// The current mappings of plugin `name`'s image (its private copy), or
    /// [] when no such plugin is loaded.
    public func mappings(of name: String) -> [MemoryMapping] {
        registry.withLock { _ in (plugins[name].flatMap { try? $0.image.mappings() }) ?? [] }
    }

    /// The name of the plugin instance holding pipeline owner `owner` (live,
    /// unpublished, or an old swapped-out version still draining), or nil.
    /// `owner` may be a full token or only its slot (the low 12 bits, which
    /// is what the barrier reports for a busy CPU).
    public func pluginName(owner: UInt32) -> String? {
        let slot = owner & 0xFFF
        return registry.withLock { _ in
            plugins.values.first { $0.owner & 0xFFF == slot }.map(\.name)
                ?? draining.first { $0.owner & 0xFFF == slot }.map { "\($0.name) (old version \($0.descriptor.version))" }
        }
    }

    /// The plugin whose code CPU `cpu` runs right now (one barrier probe,
    /// no waiting), or nil when it runs none or host code.
    public func stuckOwnerName(cpu: Int) -> String? {
        guard case let .busy(busyCPU, _, owner, _) = pipeline.synchronize(timeout: .zero),
            busyCPU == cpu, owner != 0
        else { return nil }
        return pluginName(owner: owner)
    }

    /// One plugin's snapshot (a load still running shows as `loading`), or nil.
    public func plugin(named name: String) -> LoadedPlugin? {
        let actions = pipeline.actions()
        let found = registry.withLock { _ in plugins[name].map { ($0, $0.state, $0.lastOops, $0.activity) } }
        if let (r, state, lastOops, activity) = found {
            return snapshot(r, state: state, lastOops: lastOops, activity: activity, actions: actions)
        }
        return list().first { $0.name == name }
    }

    /// What the control plane waits for in `name` now ("init() for 3.0 s",
    /// "exit() for 1.2 s", "command nap for 2.0 s"), or nil.
    public func activity(of name: String) -> String? {
        plugin(named: name)?.activity
    }

    /// The name reserved by a load of `path` still running its code, or nil.
    public func loadingName(path: String) -> String? {
        registry.withLock { _ in pending.values.first { $0.path == path }?.name }
    }

    /// `r`'s snapshot, from its registry-guarded fields as read under the lock.
    private func snapshot(
        _ r: PluginRecord, state: LoadedPlugin.State, lastOops: PluginOops?,
        activity: (what: String, sinceNanos: UInt64)?, actions: [IRQPipeline.ActionInfo]
    ) -> LoadedPlugin {
        let irqs = Set(actions.filter { $0.owner == r.owner }.map(\.irq)).sorted()
        let calls = pipeline.handlerRuns(owner: r.owner) &- r.runsBase
        return LoadedPlugin(
            name: r.name, version: r.descriptor.version, path: r.image.path, state: state,
            owner: r.owner, irqs: irqs, loadTime: r.loadTime, handlerCalls: calls,
            commands: r.commands.names, retireReasons: r.elf.retireReasons,
            contentHash: r.image.copy?.hashText, parameterValues: r.values, lastOops: lastOops,
            activity: activity.map { "\($0.what) for \(Self.seconds(since: $0.sinceNanos))" })
    }

    /// Why a grace period failed on `membarrier` (an unload then keeps the
    /// plugin unpublished and mapped: ``cancelUnload(name:)`` or retry).
    static func fenceFailure(_ error: SystemError) -> String {
        "membarrier failed (\(error)): no proof that every CPU left the plugin's code; "
            + "it stays unpublished and mapped; retry the unload or cancel it"
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
