import ArgumentParser
import CTenon
import Foundation
import Glibc
import Logging
import Synchronization
import TenonControl
import TenonHost
import TenonMachine
import TenonPipeline

/// `tenon run`: the host. Starts the machine, installs the oob stage, loads
/// plugins, serves the control socket until SIGINT or SIGTERM.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Tenon host: a machine of CPUs with the oob stage installed, serving the control socket.",
        discussion: """
            Plugins given with --plugin are loaded at start; more can be loaded, \
            swapped and unloaded at runtime with `tenon load/swap/unload`. On an \
            interactive terminal, in the foreground, a one-line status shows the IRQ \
            rate, plugins and handlers (--quiet: none). SIGINT, SIGTERM or `tenon \
            shutdown` unload everything, remove the oob stage and exit 0; the control \
            socket is served until then. If a CPU is still stuck in a handler after \
            --timeout, the host names the CPU and plugin on stderr and exits 3, \
            leaving that thread; a second SIGINT/SIGTERM exits at once (status 2).

            --priority N runs the CPU threads under SCHED_FIFO N and --mlock locks the \
            host's memory, as for `tenon latency`; either is refused with the reason when \
            not permitted. --cpu-nice N sets the CPU threads' nice value: 10 keeps loads, \
            unloads and swaps prompt while IRQ storms keep every core busy (README, \
            Performance), at the cost of the CPUs yielding sooner to other processes. \
            --idle-poll D has each idle CPU poll for IRQs for D (e.g. 50us) before it \
            sleeps: an IRQ arriving within D then costs no system call at all (an idle CPU \
            is otherwise woken on its futex, not signalled), at the cost of idle CPUs \
            spinning for D after each IRQ (use at most one CPU per core).

            Example: tenon run --cpus 4 --timer 100 --plugin .build/release/libtenon-counter.so:irq=5
            """)

    @Option(name: .long, help: "Simulated CPUs (1-64).")
    var cpus: Int = 4

    @Option(name: .long, help: "Per-CPU host tick in Hz on IRQ 0 (0 for none).")
    var timer: Int = 100

    @Option(name: .customLong("stage-name"), help: "Name of the oob stage.")
    var stageName: String = "tenon"

    @Option(name: .customLong("plugin"), help: "Load a plugin at start: PATH[:key=value,…] (repeatable).")
    var plugins: [String] = []

    @Option(name: .long, help: "Control socket path (default: $TENON_SOCKET, else $XDG_RUNTIME_DIR/tenon/control.sock, else /tmp/tenon-<uid>/control.sock).")
    var socket: String?

    @Flag(name: .customLong("no-membarrier"), help: "Use the fenced read side of the barrier instead of membarrier.")
    var noMembarrier = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "How long shutdown waits for CPUs stuck in a handler: 500ms, 2s, 1m.")
    var timeout: String = "5s"

    @Flag(name: .long, help: "No live status line.")
    var quiet = false

    @Flag(name: .customLong("allow-insecure"), help: "Load --plugin files even if another user could have changed them.")
    var allowInsecure = false

    @Option(help: "SCHED_FIFO priority 1-99 for the CPU threads (default: normal scheduling; needs CAP_SYS_NICE or an rtprio limit).")
    var priority: Int = 0

    @Flag(help: "Lock all memory (mlockall) for the host's lifetime, so no page fault stalls an IRQ.")
    var mlock = false

    @Option(parsing: .unconditional, help: "Nice value -20...19 of the CPU threads (default: inherited; below 0 needs CAP_SYS_NICE).")
    var cpuNice: Int32?

    @Option(help: "How long an idle CPU polls for IRQs before it sleeps, e.g. 50us (default: 0, it sleeps at once).")
    var idlePoll: String?

    @Option(
        help:
            "Record the pipeline's trace from start to shutdown and write it to FILE (Chrome trace-event JSON; the rings keep the last 16384 records per CPU).")
    var trace: String?

    func validate() throws {
        guard (1...64).contains(cpus) else { throw ValidationError("--cpus must be 1 to 64, not \(cpus)") }
        guard (0...100_000).contains(timer) else { throw ValidationError("--timer must be 0 to 100000 Hz, not \(timer)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        guard !stageName.isEmpty else { throw ValidationError("--stage-name must not be empty") }
        guard DurationText.milliseconds(timeout) != nil else { throw ValidationError(DurationText.invalid("--timeout", timeout)) }
        guard (0...99).contains(priority) else { throw ValidationError("--priority must be 0 (normal) or 1-99 (SCHED_FIFO), not \(priority)") }
        if let cpuNice, !(-20...19).contains(cpuNice) { throw ValidationError("--cpu-nice must be in -20...19, not \(cpuNice)") }
        if let idlePoll, DurationText.nanoseconds(idlePoll) == nil {
            throw ValidationError(DurationText.invalid("--idle-poll", idlePoll))
        }
    }

    /// `--mlock` and `--priority`, before any plugin is loaded; a refusal ends the host with a clear message.
    func applyRealtime(_ host: HostRuntime) {
        if mlock && mlockall(MCL_CURRENT | MCL_FUTURE) != 0 {
            let e = errno
            host.shutdown()
            fail(
                "--mlock refused: mlockall: \(String(cString: strerror(e)))"
                    + (e == ENOMEM || e == EPERM ? " (raise `ulimit -l` or run with CAP_IPC_LOCK)" : ""))
        }
        if let cpuNice, let refused = host.machine.setCPUNice(cpuNice) {
            host.shutdown()
            fail(
                "--cpu-nice \(cpuNice) refused on CPU \(refused.cpu): setpriority: \(refused.error)"
                    + (refused.error.code == EACCES || refused.error.code == EPERM
                        ? " (a value below 0 needs CAP_SYS_NICE, root, or an `ulimit -e`)" : ""))
        }
        if let idlePoll, let nanos = DurationText.nanoseconds(idlePoll), nanos > 0 {
            host.machine.setIdlePoll(nanoseconds: nanos)
            let cores = HostCores.allowed.count
            if cpus > cores {
                FileHandle.standardError.write(
                    Data(
                        "tenon host: warning: --idle-poll with \(cpus) CPUs on \(cores) usable cores: polling idle CPUs take time from busy ones and from the control plane\n"
                            .utf8))
            }
        }
        guard priority > 0 else { return }
        let p = Int32(priority)
        for cpu in 0..<cpus {
            let rc = host.machine.run(on: cpu) { ctenon_set_fifo(p) }
            if rc != 0 {
                host.shutdown()
                fail(
                    "--priority \(priority) refused on CPU \(cpu): sched_setscheduler(SCHED_FIFO): \(String(cString: strerror(-rc)))"
                        + (rc == -EPERM ? " (needs CAP_SYS_NICE, root, or an `ulimit -r` of at least \(priority))" : ""))
            }
        }
    }

    /// Splits `PATH[:k=v,…]`: the colon is looked for in the last path component only.
    static func pluginSpec(_ spec: String) -> (path: String, parameters: [String]) {
        let slash = spec.lastIndex(of: "/") ?? spec.startIndex
        guard let colon = spec[slash...].firstIndex(of: ":") else { return (spec, []) }
        let params = spec[spec.index(after: colon)...].split(separator: ",").map(String.init)
        return (String(spec[..<colon]), params)
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tenon")
        // Block SIGINT/SIGTERM before any thread starts so every thread inherits
        // the mask and this thread alone takes them with sigtimedwait.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let config = HostConfiguration(
            cpus: cpus, timerHz: timer, stageName: stageName,
            socketPath: socket ?? ControlSocketPath.defaultPath(),
            barrier: BarrierConfiguration(fence: noMembarrier ? .fenced : .membarrier))
        let host: HostRuntime
        do {
            host = try HostRuntime(configuration: config, logger: logger)
        } catch {
            fail("cannot start the host: \(error)")
        }
        applyRealtime(host)
        if trace != nil { host.machine.pipeline.startTracing() }
        for spec in plugins {
            let (path, parameters) = Self.pluginSpec(spec)
            do {
                let p = try host.plugins.load(path: absolutePath(path), parameters: parameters, allowInsecure: allowInsecure)
                logger.info("loaded", metadata: ["plugin": "\(p.name)", "version": "\(p.version)", "irqs": "\(p.irqs)"])
            } catch {
                host.shutdown()
                fail("cannot load \(path): \(error)")
            }
        }
        do {
            try host.startServer()
        } catch {
            host.shutdown()
            fail("\(error)")
        }
        FileHandle.standardError.write(
            Data(
                ("tenon host: \(cpus) CPUs, oob stage '\(stageName)', socket \(config.socketPath)"
                    + " (SIGINT/SIGTERM or `tenon shutdown` to stop)\n").utf8))

        // Only for a person watching: an interactive terminal, and this
        // process in its foreground (not `tenon run &`).
        let tty = !quiet && isatty(STDOUT_FILENO) != 0 && tcgetpgrp(STDOUT_FILENO) == getpgrp()
        var lastTotal = host.handledTotal
        var lastTime = ctenon_monotonic_ns()
        var signal: Int32 = 0
        while !host.shutdownRequested.load(ordering: .acquiring) {
            var wait = timespec(tv_sec: 0, tv_nsec: 500_000_000)
            let got = sigtimedwait(&stopSignals, nil, &wait)
            if got > 0 { signal = got; break }
            host.reportDiagnostics()
            if tty {
                let now = ctenon_monotonic_ns(), total = host.handledTotal
                let rate = Double(total &- lastTotal) / (Double(now - lastTime) / 1e9)
                lastTotal = total
                lastTime = now
                let loaded = host.plugins.list()
                let handlers = host.machine.pipeline.actions().filter(\.published).count
                print(
                    "\r\u{1B}[Ktenon: \(cpus) CPUs | \(Int(rate)) IRQ/s | \(loaded.count) plugins "
                        + "(\(loaded.map(\.name).joined(separator: ","))) | \(handlers) handlers | up \(Int(host.uptime)) s",
                    terminator: "")
                fflush(nil)
            }
        }
        if tty { print("") }
        logger.info("stopping", metadata: ["reason": "\(signal != 0 ? String(cString: strsignal(signal)) : "shutdown request")"])
        let requested = host.requestedShutdownTimeout.load(ordering: .relaxed)
        let milliseconds = requested >= 0 ? requested : DurationText.milliseconds(timeout)!
        // Shut down on another thread: this one keeps taking signals, so a
        // second SIGINT/SIGTERM can end a shutdown that waits on a stuck CPU.
        let finished = Atomic<Bool>(false)
        let outcome = Mutex<ShutdownReport?>(nil)
        let worker = Thread {
            let report = host.shutdown(timeout: .milliseconds(milliseconds))
            outcome.withLock { $0 = report }
            finished.store(true, ordering: .releasing)
        }
        worker.start()
        while !finished.load(ordering: .acquiring) {
            var wait = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            let again = sigtimedwait(&stopSignals, nil, &wait)
            if again > 0 {
                FileHandle.standardError.write(
                    Data("tenon host: second \(String(cString: strsignal(again))): exiting now, without waiting for the shutdown\n".utf8))
                _exit(2)
            }
        }
        let report = outcome.withLock { $0 }!
        if let trace {
            do {
                let (records, lost) = try host.writeTrace(to: absolutePath(trace))
                FileHandle.standardError.write(
                    Data("tenon host: trace written to \(trace): \(records) records\(lost > 0 ? " (\(lost) older ones overwritten)" : "")\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("tenon host: cannot write the trace to \(trace): \(error.localizedDescription)\n".utf8))
            }
        }
        for (name, result) in report.results.sorted(by: { $0.key < $1.key }) {
            FileHandle.standardError.write(Data("  \(name): \(result)\n".utf8))
        }
        if let stuck = report.stuck {
            FileHandle.standardError.write(
                Data(
                    ("tenon host: shutdown gave up after \(milliseconds) ms: \(stuck); "
                        + "exiting with status 3 and leaving that thread (no stage removal, no unmap)\n").utf8))
            _exit(3)
        }
        FileHandle.standardError.write(Data("tenon host stopped\n".utf8))
    }
}
