import CTenon
import Foundation
import Logging
import Synchronization
import TenonControl
import TenonMachine
import TenonPipeline
import TenonPlugins

/// A running Tenon host: a machine with the oob stage installed, the plugin
/// host, the host tick, and (once started) the control socket.
public final class HostRuntime: ControlHandler, @unchecked Sendable {
    /// The configuration it was started with.
    public let configuration: HostConfiguration
    /// The machine: CPU threads and the pipeline, with the oob stage installed.
    public let machine: Machine
    /// The plugin host, on the machine's pipeline.
    public let plugins: PluginHost
    /// The plugins' timers (`timer_start` / `timer_stop`).
    public let timers: MachineTimerService
    let logger: Logger
    let startedAt = ctenon_monotonic_ns()
    let server = Mutex<ControlServer?>(nil)
    let tickTimers: [MachineTimer]
    /// Set by a `shutdown` request; `tenon run` polls it.
    public let shutdownRequested = Atomic<Bool>(false)
    /// The timeout a `shutdown` request asked for, in milliseconds (-1: none given).
    public let requestedShutdownTimeout = Atomic<Int>(-1)
    /// Set once ``shutdown(timeout:)`` began: loads and swaps are refused.
    public let shuttingDown = Atomic<Bool>(false)
    let nextCPU = Atomic<Int>(0)

    /// Starts the machine, installs the oob stage and starts the host tick; ``startServer()``
    /// serves the socket. Throws ``HostError/stage(_:_:)`` or the machine's error.
    public init(configuration: HostConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        machine = try Machine(cpus: configuration.cpus, barrier: configuration.barrier)
        let pipeline = machine.pipeline
        let installed = pipeline.enable_oob_stage(configuration.stageName)
        guard installed == 0 else {
            machine.stop()
            throw HostError.stage(configuration.stageName, installed)
        }
        timers = MachineTimerService(machine: machine)
        plugins = PluginHost(pipeline: pipeline, logger: logger, timers: timers)
        var ticks: [MachineTimer] = []
        if configuration.timerHz > 0 {
            _ = pipeline.request_irq(
                HostConfiguration.tickIRQ, flags: IRQF_OOB | IRQF_PERCPU | IRQF_SHARED,
                name: "host tick"
            ) { _ in IRQ_HANDLED }
            let period = Duration.nanoseconds(1_000_000_000 / Int64(configuration.timerHz))
            for cpu in 0..<configuration.cpus {
                ticks.append(try machine.startTimer(on: cpu, irq: HostConfiguration.tickIRQ, period: period))
            }
        }
        tickTimers = ticks
        logger.info(
            "machine up",
            metadata: [
                "cpus": "\(configuration.cpus)", "stage": "\(configuration.stageName)",
                "barrier": "\(pipeline.barrierFence)",
            ])
    }

    /// Serves the control socket.
    public func startServer() throws {
        let s = ControlServer(
            configuration: ControlServerConfiguration(path: configuration.socketPath),
            handler: self, logger: logger)
        do {
            try s.start()
        } catch {
            throw HostError.socket("\(error)")
        }
        server.withLock { $0 = s }
        logger.info("control socket", metadata: ["path": "\(configuration.socketPath)"])
    }

    /// Unloads every plugin, removes the oob stage, stops the machine, then
    /// closes the control socket, giving up after `timeout` if a CPU stays
    /// inside a handler.
    ///
    /// The socket is served until the end, and unloads are retried in short
    /// rounds, so a request such as `tenon call stuck release` still gets
    /// through and lets the shutdown finish. Loads and swaps are refused
    /// meanwhile. When the deadline passes with a CPU still stuck, the report
    /// names it and the machine is left running (see ``ShutdownReport``).
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(5)) -> ShutdownReport {
        shuttingDown.store(true, ordering: .releasing)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        func slice() -> Duration { min(.milliseconds(200), max(.zero, deadline - clock.now)) }
        var results: [String: UnloadResult] = [:]
        var busy = true
        repeat {
            for (name, result) in plugins.unloadAll(timeout: slice()) { results[name] = result }
            let pending = results.values.contains { if case .busy = $0 { true } else { false } }
            busy = pending || plugins.drainSwappedOut(timeout: slice()) > 0
        } while busy && clock.now < deadline
        for (name, result) in results { logger.info("unloaded", metadata: ["plugin": "\(name)", "result": "\(result)"]) }
        for timer in tickTimers { timer.cancel() }
        // Every CPU is quiet in the barrier before the stage goes (Dovetail
        // leaves this to the caller; see disable_oob_stage()).
        if case let .busy(cpu, irq, owner, _) = machine.pipeline.synchronize(timeout: max(slice(), .milliseconds(50))) {
            let who = owner == 0 ? "the host" : plugins.pluginName(owner: owner).map { "plugin \($0)" } ?? "owner \(owner)"
            let stuck = "CPU \(cpu) is stuck inside \(irq.map { "IRQ \($0)" } ?? "a handler") of \(who)"
            results["(stage)"] = .refused(reason: stuck)
            server.withLock { s -> ControlServer? in
                defer { s = nil }; return s
            }?.stop()
            return ShutdownReport(results: results, stuck: stuck)
        }
        machine.pipeline.disable_oob_stage()
        machine.stop()
        server.withLock { s -> ControlServer? in
            defer { s = nil }; return s
        }?.stop()
        return ShutdownReport(results: results, stuck: nil)
    }

    /// IRQs handled so far on every CPU (all lines).
    public var handledTotal: UInt64 {
        let p = machine.pipeline
        var sum: UInt64 = 0
        for irq in Set(p.actions().map(\.irq)) {
            for cpu in 0..<machine.cpuCount { sum &+= p.count(irq: irq, cpu: cpu) }
        }
        return sum
    }

    /// Seconds since start.
    public var uptime: Double { Double(ctenon_monotonic_ns() - startedAt) / 1e9 }
}

/// Why the host could not start.
public enum HostError: Error, CustomStringConvertible {
    /// The oob stage (name) could not be installed: `enable_oob_stage`'s negative errno.
    case stage(String, Int32)
    /// The control socket could not be served (the reason).
    case socket(String)

    public var description: String {
        switch self {
        case let .stage(name, code): "cannot install the oob stage '\(name)': error \(code)"
        case let .socket(reason): "cannot serve the control socket: \(reason)"
        }
    }
}
