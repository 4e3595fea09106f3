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
    public let configuration: HostConfiguration
    public let machine: Machine
    public let plugins: PluginHost
    public let timers: MachineTimerService
    let logger: Logger
    let startedAt = ctenon_monotonic_ns()
    let server = Mutex<ControlServer?>(nil)
    let tickTimers: [MachineTimer]
    /// Set by a `shutdown` request; `tenon run` polls it.
    public let shutdownRequested = Atomic<Bool>(false)
    let nextCPU = Atomic<Int>(0)

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
            _ = pipeline.request_irq(HostConfiguration.tickIRQ, flags: IRQF_OOB | IRQF_PERCPU | IRQF_SHARED,
                                     name: "host tick") { _ in IRQ_HANDLED }
            let period = Duration.nanoseconds(1_000_000_000 / Int64(configuration.timerHz))
            for cpu in 0..<configuration.cpus {
                ticks.append(try machine.startTimer(on: cpu, irq: HostConfiguration.tickIRQ, period: period))
            }
        }
        tickTimers = ticks
        logger.info("machine up", metadata: ["cpus": "\(configuration.cpus)", "stage": "\(configuration.stageName)",
                                             "barrier": "\(pipeline.barrierFence)"])
    }

    /// Serves the control socket.
    public func startServer() throws {
        let s = ControlServer(configuration: ControlServerConfiguration(path: configuration.socketPath),
                              handler: self, logger: logger)
        do {
            try s.start()
        } catch {
            throw HostError.socket("\(error)")
        }
        server.withLock { $0 = s }
        logger.info("control socket", metadata: ["path": "\(configuration.socketPath)"])
    }

    /// Unloads every plugin, removes the oob stage, stops the machine and the socket.
    @discardableResult
    public func shutdown(timeout: Duration = .seconds(5)) -> [String: UnloadResult] {
        let s = server.withLock { s -> ControlServer? in defer { s = nil }; return s }
        s?.stop()
        var results = plugins.unloadAll(timeout: timeout)
        for (name, result) in results { logger.info("unloaded", metadata: ["plugin": "\(name)", "result": "\(result)"]) }
        _ = plugins.drainSwappedOut(timeout: timeout)
        for timer in tickTimers { timer.cancel() }
        // Every CPU is quiet in the barrier before the stage goes (Dovetail
        // leaves this to the caller; see disable_oob_stage()).
        if case .busy = machine.pipeline.synchronize(timeout: timeout) { results["(stage)"] = .refused(reason: "a CPU stayed busy") }
        machine.pipeline.disable_oob_stage()
        machine.stop()
        return results
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
    case stage(String, Int32)
    case socket(String)

    public var description: String {
        switch self {
        case let .stage(name, code): "cannot install the oob stage '\(name)': error \(code)"
        case let .socket(reason): "cannot serve the control socket: \(reason)"
        }
    }
}
