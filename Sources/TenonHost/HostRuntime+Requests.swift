import Foundation
import TenonControl
import TenonPipeline
import TenonPlugins

/// Control requests, served on the control socket's thread (task context).
extension HostRuntime {
    /// Serves one control request. Load, unload, swap and call answer "still running" at
    /// their deadline and go on; loads and swaps are refused once shutdown began.
    public func handle(_ request: ControlRequest) -> ControlResponse {
        switch request {
        case let .load(path, parameters, allowInsecure, timeout):
            if let refusal = refusedWhileShuttingDown("load") { return refusal }
            return LateReply.run(
                timeout: timeout.map { .milliseconds($0) }, name: "tenon-load",
                work: { [self] in
                    do {
                        let plugin = try plugins.load(path: path, parameters: parameters, allowInsecure: allowInsecure)
                        return .ok(payload: [
                            "name": .string(plugin.name), "version": .string(plugin.version),
                            "irqs": .array(plugin.irqs.map { .int(Int($0)) }),
                            "hash": plugin.contentHash.map { .string($0) } ?? .null,
                        ])
                    } catch {
                        return .error(.failed, "\(error)")
                    }
                },
                late: {
                    let what =
                        plugins.loadingName(path: path).map { name in
                            "init() of \(name) still running (\(plugins.activity(of: name) ?? "init()"))"
                        } ?? "the plugin's constructors or entry point still running"
                    return .error(
                        .timeout,
                        "load \(path): \(what) after \(Self.text(milliseconds: timeout!)); "
                            + "the load finishes in the background — see `tenon list`")
                },
                finishedLate: { [self] in logLate("load \(path)", $0) })
        case let .unload(name, timeout):
            // The reply waits for the grace period (`timeout`) and then for
            // exit() and dlclose, a bounded time more.
            return LateReply.run(
                timeout: .milliseconds(timeout) + Self.exitBudget, name: "tenon-unload",
                work: { [self] in unloadResponse(plugins.unload(name: name, timeout: .milliseconds(timeout)), name: name) },
                late: {
                    .error(
                        .timeout,
                        "unload \(name): \(plugins.activity(of: name) ?? "exit()") still running after "
                            + "\(Self.text(milliseconds: timeout + Int(Self.exitBudget.components.seconds) * 1000)); "
                            + "the unload finishes in the background — see `tenon list`")
                },
                finishedLate: { [self] in logLate("unload \(name)", $0) })
        case let .swap(name, path, parameters, rename, allowInsecure, timeout):
            if let refusal = refusedWhileShuttingDown("swap") { return refusal }
            let drain: Duration = timeout.map { .milliseconds($0) } ?? .seconds(10)
            return LateReply.run(
                // The new version's init() and the old one's drain each get `timeout`.
                timeout: timeout.map { .milliseconds(2 * $0) + Self.exitBudget }, name: "tenon-swap",
                work: { [self] in
                    do {
                        let old = plugins.plugin(named: name)?.version ?? "?"
                        let (result, new) = try plugins.swapReporting(
                            name: name, path: path, parameters: parameters,
                            timeout: drain, rename: rename,
                            allowInsecure: allowInsecure)
                        return .ok(payload: [
                            "name": .string(new.name), "from": .string(old), "to": .string(new.version),
                            "old": .string("\(result)"), "hash": new.contentHash.map { .string($0) } ?? .null,
                            "parameters": .array(new.parameterValues.map { .string($0) }),
                        ])
                    } catch {
                        return .error(errorCode(error), "\(error)")
                    }
                },
                late: {
                    .error(
                        .timeout,
                        "swap \(name): still running after \(Self.text(milliseconds: 2 * timeout!)) "
                            + "(\(plugins.activity(of: name) ?? "the new version's init() or the old one's exit()")); "
                            + "the swap finishes in the background — see `tenon list`")
                },
                finishedLate: { [self] in logLate("swap \(name)", $0) })
        case .list:
            return (try? .ok(payload: JSONValue(encoding: pluginRows()))) ?? .error(.internalError, "encoding failed")
        case .irqs:
            return (try? .ok(payload: JSONValue(encoding: irqRows()))) ?? .error(.internalError, "encoding failed")
        case let .raise(irq, cpu, count):
            return raise(irq: irq, cpu: cpu, count: count)
        case let .call(plugin, command, arguments, timeout):
            return LateReply.run(
                timeout: timeout.map { .milliseconds($0) }, name: "tenon-call",
                work: { [self] in
                    do {
                        let result = try plugins.call(plugin: plugin, command: command, arguments: arguments)
                        return .ok(payload: ["plugin": .string(plugin), "command": .string(command), "result": json(result)])
                    } catch {
                        return .error(errorCode(error), "\(error)")
                    }
                },
                late: {
                    .error(
                        .timeout,
                        "command \(command) of \(plugin) still running after \(Self.text(milliseconds: timeout!)); "
                            + "it finishes in the background (its result goes to the host log); "
                            + "an unload of \(plugin) waits for it")
                },
                finishedLate: { [self] in logLate("command \(command) of \(plugin)", $0) })
        case .stats:
            return (try? .ok(payload: JSONValue(encoding: stats()))) ?? .error(.internalError, "encoding failed")
        case .log:
            return (try? .ok(payload: JSONValue(encoding: oopsRows()))) ?? .error(.internalError, "encoding failed")
        case let .cancel(name):
            guard let plugin = plugins.plugin(named: name) else {
                return .error(.unknownPlugin, "\(PluginError.unknownPlugin(name: name, loaded: plugins.list().map(\.name)))")
            }
            guard plugin.state == .unpublished else {
                return .error(
                    .failed,
                    "cancel \(name): nothing to cancel: the plugin is \(plugin.state.rawValue) (cancel re-publishes a plugin a busy unload left unpublished)")
            }
            do {
                try plugins.cancelUnload(name: name)
                return .ok(payload: ["name": .string(name), "state": .string(LoadedPlugin.State.live.rawValue)])
            } catch {
                return .error(errorCode(error), "\(error)")
            }
        case let .shutdown(timeout):
            requestedShutdownTimeout.store(timeout ?? -1, ordering: .relaxed)
            shutdownRequested.store(true, ordering: .releasing)
            return .ok(payload: ["shutdown": true])
        case .ping:
            return .ok
        case let .trace(path, milliseconds):
            return traceFor(milliseconds: milliseconds, path: path)
        }
    }

    /// How long an unload's reply waits for `exit()` and `dlclose` after the grace period.
    static let exitBudget: Duration = .seconds(5)

    /// "2 s", "500 ms".
    static func text(milliseconds: Int) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// The outcome of a request whose client was already told "still running".
    func logLate(_ what: String, _ response: ControlResponse) {
        switch response {
        case .ok: logger.notice("\(what): finished after its reply's deadline: ok")
        case .error(_, let message): logger.error("\(what): finished after its reply's deadline: \(message)")
        }
    }

    func unloadResponse(_ result: UnloadResult, name: String) -> ControlResponse {
        switch result {
        case .unloaded(let gone):
            return .ok(payload: ["name": .string(name), "result": "unloaded", "mappingGone": .bool(gone)])
        case .retired(let reason):
            return .ok(payload: ["name": .string(name), "result": "retired", "reason": .string(reason)])
        case let .busy(cpu, irq, _):
            let inside = plugins.stuckOwnerName(cpu: cpu).map { " (plugin \($0))" } ?? ""
            return .error(
                .busy,
                "unload \(name): busy: CPU \(cpu) is still inside \(irq.map { "IRQ \($0)" } ?? "a handler")\(inside); "
                    + "\(name) stays unpublished; run `tenon unload \(name)` again to keep waiting or `tenon cancel \(name)` to re-publish it")
        case .refused(let reason):
            let unknown = plugins.plugin(named: name) == nil
            return .error(unknown ? .unknownPlugin : .failed, "unload \(name): \(reason)")
        }
    }

    /// A refusal for `what` once shutdown began, else nil.
    func refusedWhileShuttingDown(_ what: String) -> ControlResponse? {
        guard shuttingDown.load(ordering: .acquiring) else { return nil }
        return .error(.failed, "\(what) refused: the host is shutting down")
    }

    func errorCode(_ error: any Error) -> ControlErrorCode {
        if case .unknownPlugin = error as? PluginError { return .unknownPlugin }
        return .failed
    }

    func raise(irq: Int, cpu: Int?, count: Int) -> ControlResponse {
        guard irq >= 0, irq < Int(IRQNumberSpace.total) else {
            return .error(.badRequest, "IRQ \(irq) is out of range 0..<\(IRQNumberSpace.total)")
        }
        if let cpu, cpu >= machine.cpuCount {
            return .error(.badRequest, "CPU \(cpu) is out of range 0..<\(machine.cpuCount)")
        }
        guard count <= 1_000_000 else { return .error(.badRequest, "count \(count) is above 1000000") }
        let p = machine.pipeline
        let line = UInt32(irq)
        func dispatched() -> UInt64 { (0..<machine.cpuCount).reduce(0) { $0 &+ p.count(irq: line, cpu: $1) } }
        let before = dispatched()
        var targets: [Int] = []
        for _ in 0..<count {
            let target = cpu ?? (nextCPU.wrappingAdd(1, ordering: .relaxed).oldValue % machine.cpuCount)
            _ = machine.raise(line, on: target)
            targets.append(target)
        }
        // Delivery is asynchronous: wait (bounded) until the count settles,
        // so the reply can say how many raises coalesced with a pending one
        // (a line's count moves when a dispatch ends: a handler still running
        // also shows as not dispatched, and the client says so).
        var seen = dispatched() &- before, stableSince = ContinuousClock.now
        let giveUp = ContinuousClock.now + .milliseconds(200)
        while seen < UInt64(count) && ContinuousClock.now < giveUp && ContinuousClock.now - stableSince < .milliseconds(20) {
            usleep(1000)
            let now = dispatched() &- before
            if now != seen { seen = now; stableSince = ContinuousClock.now }
        }
        return .ok(payload: [
            "irq": .int(irq), "raised": .int(count), "cpus": .array(Set(targets).sorted().map { .int($0) }),
            "dispatched": .int(Int(min(seen, UInt64(count)))),
            "coalesced": .int(count - Int(min(seen, UInt64(count)))),
        ])
    }

    func json(_ result: CommandResult) -> JSONValue {
        switch result {
        case .void: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(Int(i))
        case .uint(let u): u <= UInt64(Int.max) ? .int(Int(u)) : .uint(u)
        case .double(let d): .double(d)
        case .string(let s): s.map { .string($0) } ?? .null
        }
    }

    /// `tenon list` rows.
    public func pluginRows() -> [PluginRow] {
        plugins.list().map {
            PluginRow(
                name: $0.name, version: $0.version, state: $0.state.rawValue, irqs: $0.irqs.map { Int($0) },
                loadedAt: Date(timeIntervalSince1970: $0.loadTime), handlerCalls: $0.handlerCalls,
                lastOops: $0.lastOops?.summary, path: $0.path, contentHash: $0.contentHash, parameters: $0.parameterValues,
                commands: $0.commands, retireReasons: $0.retireReasons, activity: $0.activity)
        }
    }

    /// `tenon log` rows: this host's oopses, oldest first.
    public func oopsRows() -> [OopsRow] {
        plugins.oopses().map {
            OopsRow(
                sequence: $0.sequence, plugin: $0.plugin, version: $0.version, cpu: $0.cpu, irq: $0.irq.map { Int($0) },
                context: $0.context, signal: $0.signal, code: Int($0.code),
                address: "0x" + String($0.address, radix: 16), pc: $0.symbol, frames: $0.frames,
                thread: Int($0.thread),
                uptimeSeconds: (Double($0.timeNanos &- startedAt) / 1e8).rounded() / 10,
                summary: $0.summary)
        }
    }

    /// `tenon irqs` rows: every line with an action or a count, like /proc/interrupts.
    public func irqRows() -> [IRQRow] {
        let p = machine.pipeline
        let actions = Dictionary(grouping: p.actions(), by: \.irq)
        var lines = Set(actions.keys)
        for irq in 0..<IRQNumberSpace.total where !lines.contains(irq) {
            if (0..<machine.cpuCount).contains(where: { p.count(irq: irq, cpu: $0) != 0 }) { lines.insert(irq) }
        }
        return lines.sorted().map { irq in
            IRQRow(
                irq: Int(irq), perCPU: (0..<machine.cpuCount).map { p.count(irq: irq, cpu: $0) },
                stage: p.irq_is_oob(irq) ? "oob" : "in-band",
                handlers: (actions[irq] ?? []).map { $0.published ? $0.name : "\($0.name) (unpublished)" })
        }
    }

    /// `tenon stats`.
    public func stats() -> StatsPayload {
        let p = machine.pipeline
        var counters: [String: UInt64] = [
            "irqs.handled": handledTotal,
            "irqs.unhandled": (0..<machine.cpuCount).reduce(0) { $0 &+ p.unhandledCount(cpu: $1) },
            "plugins.loaded": UInt64(plugins.list().count),
            "timers.plugin": UInt64(timers.count),
            // Taint (the kernel's TAINT_DIE): contained plugin faults.
            "taint.oops": UInt64(plugins.oopsTotal),
            "taint.faultedPlugins": UInt64(plugins.faultedCount),
        ]
        for (i, t) in tickTimers.enumerated() {
            counters["tick.cpu\(i).deliveries"] = t.deliveries
            counters["tick.cpu\(i).overruns"] = t.overruns
        }
        // How raises reached each CPU: the doorbell signal (it was busy) or
        // a wake of its idle loop's futex word (it was idle).
        for cpu in 0..<machine.cpuCount {
            let rings = machine.doorbellRings(cpu: cpu)
            counters["doorbell.cpu\(cpu).signals"] = rings.signals
            counters["doorbell.cpu\(cpu).wakes"] = rings.wakes
        }
        let values: [String: JSONValue] = [
            "cpus": .int(machine.cpuCount),
            "stage": p.oobStageName.map { .string($0) } ?? .null,
            "barrier": .string(p.barrierFence == .membarrier ? "membarrier" : "fenced"),
            "uptimeSeconds": .double((uptime * 10).rounded() / 10),
            "tickHz": .int(configuration.timerHz),
            // Kernel-style taint flags: "D" once plugin code has faulted here
            // (the host kept running, but that code may have corrupted memory).
            "tainted": .string(plugins.oopses().isEmpty ? "-" : "D"),
            // Trace points record (`tenon trace`, `run --trace`).
            "tracing": .bool(p.isTracing),
        ]
        return StatsPayload(counters: counters, values: values)
    }
}
