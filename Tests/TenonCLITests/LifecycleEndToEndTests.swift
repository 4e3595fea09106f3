import Foundation
import Glibc
import Testing

/// Plugin lifecycle through the CLI against a real `tenon run`: private
/// images, swap checks, pre-dlopen refusals, `info`, `list -v`, `cancel`, and
/// a shutdown that ends even with a stuck handler.
@Suite("tenon lifecycle end to end", .serialized, .timeLimit(.minutes(2)))
struct LifecycleEndToEndTests {
    let dir: String
    let socket: String
    let bin = CLIProcess.binDirectory
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    init() throws {
        var template = Array("/tmp/tenon-e2e-life-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try #require(made))
        socket = dir + "/ctl/control.sock"
    }

    func tenon(_ args: String...) throws -> CLIProcess.Result {
        try CLIProcess.run(args + ["--socket", socket])
    }

    func startHost(_ args: [String], log: String) throws -> Process {
        let host = try CLIProcess.startHost(["--cpus", "2", "--timer", "100", "--socket", socket] + args, log: log)
        for _ in 0..<400 {
            if try CLIProcess.run(["stats", "--socket", socket]).status == 0 { return host }
            usleep(25_000)
        }
        Issue.record("the host did not come up at \(socket)")
        return host
    }

    /// Overwrites `path` in place (same inode), as `cp` does.
    func overwrite(_ path: String, with source: String) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: try Data(contentsOf: URL(fileURLWithPath: source)))
        try handle.close()
    }

    /// A command's first stdout line as an integer.
    func number(_ r: CLIProcess.Result) -> Int? { Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }

    /// Polls `condition` every 10 ms until it holds, at most `tries` times;
    /// whether it held. (A `for … where` loop would not stop when it holds.)
    func eventually(_ tries: Int = 500, _ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<tries {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    /// Polls `call PLUGIN handled` until it reaches `atLeast` (bounded).
    func handled(_ plugin: String, atLeast: Int) throws -> Int? {
        var last: Int?
        for _ in 0..<200 {
            last = number(try tenon("call", plugin, "handled"))
            if let last, last >= atLeast { return last }
            usleep(10_000)
        }
        return last
    }

    /// Waits up to 20 s; a host still running then is recorded and killed, so
    /// that reading `terminationStatus` afterwards cannot trap the test process.
    func waitForExit(_ host: Process, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<1000 where host.isRunning { usleep(20_000) }
        guard host.isRunning else { return }
        Issue.record("the host (pid \(host.processIdentifier)) did not exit within 20 s; killed", sourceLocation: sourceLocation)
        kill(host.processIdentifier, SIGKILL)
        host.waitUntilExit()
    }

    @Test("rebuild and swap from one path, cp over a loaded file, name check, carried parameters, info, list -v")
    func rebuildSwapAndOverwrite() throws {
        let log = dir + "/host.log"
        let host = try startHost([], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        let path = dir + "/libswap.so"
        try FileManager.default.copyItem(atPath: bin + "/libtenon-swapv1.so", toPath: path)

        var r = try tenon("load", path, "irq=8")
        #expect(r.status == 0 && r.stdout.contains("loaded swap 1.0.0"), "\(r.stderr)")
        #expect(try tenon("raise", "8", "--cpu", "0").status == 0)
        let h1 = try #require(try handled("swap", atLeast: 1))
        let hashV1 = try tenon("list", "-v", "swap").stdout

        // `cp` a new build over the loaded file: the running image is untouched.
        try overwrite(path, with: bin + "/libtenon-swapv2.so")
        #expect(number(try tenon("call", "swap", "version")) == 1)
        #expect(number(try tenon("call", "swap", "handled")) == h1, "v1's globals changed under it")
        #expect(try tenon("raise", "8", "--cpu", "1").status == 0)
        #expect(try handled("swap", atLeast: h1 + 1) == h1 + 1, "old code no longer answering")

        // The file now holds v2; info reads it without a host.
        r = try CLIProcess.run(["info", path])
        #expect(r.status == 0 && r.stdout.contains("version:") && r.stdout.contains("2.0.0"), "\(r.stderr)")
        #expect(r.stdout.contains("parm:") && r.stdout.contains("irq: uint") && r.stdout.contains("command:"))

        // Swap from the same path: new code, own globals, parameters carried.
        r = try tenon("swap", "swap", path)
        #expect(r.status == 0 && r.stdout.contains("1.0.0 -> 2.0.0") && r.stdout.contains("irq=8"), "\(r.stdout) \(r.stderr)")
        #expect(number(try tenon("call", "swap", "version")) == 2)
        #expect(number(try tenon("call", "swap", "handled")) == 0)
        #expect(try tenon("raise", "8", "--cpu", "0").status == 0)
        #expect(try handled("swap", atLeast: 1) == 1)
        r = try tenon("list", "-v", "swap")
        #expect(r.status == 0 && r.stdout.contains("version:       2.0.0") && r.stdout.contains("parm:          irq=8"), "\(r.stdout)")
        // HANDLER CALLS counts this instance's own runs, not IRQ 8's lifetime count.
        #expect(r.stdout.contains("handler calls: 1"), "\(r.stdout)")
        let hashLine = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("hash:") }.map(String.init) }
        #expect(hashLine(r.stdout) != nil && hashLine(r.stdout) != hashLine(hashV1))

        // Another plugin's build under this name: refused, the live one untouched.
        r = try tenon("swap", "swap", bin + "/libtenon-counter.so")
        #expect(r.status != 0 && r.stderr.contains("declares the plugin name \"counter\"") && r.stderr.contains("--rename"), "\(r.stderr)")
        #expect(number(try tenon("call", "swap", "version")) == 2)

        #expect(try tenon("shutdown").status == 0)
        waitForExit(host)
        #expect(host.terminationStatus == 0)
    }

    @Test("refused before any plugin code runs: huge sparse file, no entry point, writable by others")
    func loaderRefusals() throws {
        let marker = dir + "/constructor-ran"
        setenv("TENON_TEST_CTOR_MARKER", marker, 1)
        defer { unsetenv("TENON_TEST_CTOR_MARKER") }
        let log = dir + "/host.log"
        let host = try startHost([], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }

        let huge = dir + "/libhuge.so"
        let fd = open(huge, O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0 && ftruncate(fd, 3 << 30) == 0)
        close(fd)
        var r = try tenon("load", huge)
        #expect(r.status != 0 && r.stderr.contains("above the 64 MiB plugin size limit"), "\(r.stderr)")
        unlink(huge)

        // A constructor in an image without tenon_plugin_entry never runs.
        let source = Self.packageRoot + "/Tests/TenonPluginsTests/Fixtures/ctormarker.c"
        for (name, flags) in [("libnoentry.so", [String]()), ("libctor.so", ["-DWITH_ENTRY"])] {
            let cc = Process()
            cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            cc.arguments =
                ["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-I", Self.packageRoot + "/include"]
                + flags + [source, "-o", dir + "/" + name]
            try cc.run()
            cc.waitUntilExit()
            #expect(cc.terminationStatus == 0)
        }
        r = try tenon("load", dir + "/libnoentry.so")
        #expect(r.status != 0 && r.stderr.contains("does not export tenon_plugin_entry"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the constructor ran")
        r = try tenon("load", dir + "/libctor.so")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker), "control: a loaded image's constructor runs")

        // Writable by every user: refused with the reason, unless --allow-insecure.
        let open = dir + "/libopen.so"
        try FileManager.default.copyItem(atPath: bin + "/libtenon-counter.so", toPath: open)
        chmod(open, 0o666)
        r = try tenon("load", open, "irq=5")
        #expect(r.status != 0 && r.stderr.contains("writable by every user") && r.stderr.contains("--allow-insecure"), "\(r.stderr)")
        #expect(try tenon("list").stdout.contains("counter") == false)
        r = try tenon("load", open, "irq=5", "--allow-insecure")
        #expect(r.status == 0 && r.stdout.contains("loaded counter"), "\(r.stderr)")

        // A failed init relays the host's reason.
        r = try tenon("load", bin + "/libtenon-swapv1.so", "irq=0")
        #expect(r.status != 0 && r.stderr.contains("request_irq(0) refused: -EBUSY, line held by host tick"), "\(r.stderr)")

        // The pipeline's checks reach the host log (read in task context, grouped).
        #expect(try tenon("raise", "40", "--cpu", "1", "--count", "3").status == 0)
        var logged = false
        for _ in 0..<300 where !logged {
            logged = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("pipeline: CPU1: IRQ 40: no handler (nobody cared)")
            if !logged { usleep(10_000) }
        }
        #expect(logged, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

        #expect(try tenon("shutdown").status == 0)
        waitForExit(host)
        #expect(host.terminationStatus == 0)
    }

    @Test("B unloads while A's handler is stuck; A's unload is busy naming A; cancel re-publishes; shutdown gives up naming CPU and plugin")
    func shutdownWithAStuckHandler() throws {
        let log = dir + "/host.log"
        let host = try startHost(["--plugin", bin + "/libtenon-stuck.so:irq=7", "--plugin", bin + "/libtenon-counter.so:irq=5"], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        #expect(try tenon("raise", "7", "--cpu", "1").status == 0)
        _ = try eventually(200) { number(try tenon("call", "stuck", "entered")) == 1 }

        // counter never had an action on IRQ 7: the stuck section cannot reach its code.
        var r = try tenon("unload", "counter", "--timeout", "300ms")
        #expect(r.status == 0 && r.stdout.contains("unloaded counter"), "\(r.stdout) \(r.stderr)")
        #expect(try tenon("list").stdout.contains("counter") == false)

        r = try tenon("unload", "stuck", "--timeout", "300ms")
        #expect(
            r.status != 0 && r.stderr.contains("CPU 1") && r.stderr.contains("IRQ 7") && r.stderr.contains("plugin stuck")
                && r.stderr.contains("tenon cancel stuck"), "\(r.stderr)")
        #expect(try tenon("list").stdout.contains("unpublished"))
        r = try tenon("cancel", "stuck")
        #expect(r.status == 0 && r.stdout.contains("re-published"), "\(r.stderr)")
        r = try tenon("list", "-v", "stuck")
        #expect(r.stdout.contains("state:         live"), "\(r.stdout)")
        r = try tenon("cancel", "stuck")
        #expect(r.status != 0 && r.stderr.contains("nothing to cancel"))

        #expect(try tenon("shutdown", "--timeout", "1s").status == 0)
        waitForExit(host)
        #expect(!host.isRunning)
        #expect(host.terminationStatus == 3)
        let hostLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(hostLog.contains("shutdown gave up after 1000 ms: CPU 1 is stuck inside IRQ 7 of plugin stuck"), "\(hostLog)")
    }

    /// Waits (bounded) until `tenon list -v fixture-slow` shows its nap command running.
    func napping() throws -> Bool {
        for _ in 0..<500 {
            let r = try tenon("list", "-v", "fixture-slow")
            if r.stdout.contains("running:") && r.stdout.contains("command nap") { return true }
            usleep(10_000)
        }
        return false
    }

    @Test(
        "while init() sleeps: list answers and shows loading, load --timeout says still running, the load completes; commands run beside a slow one; unload waits for a running command"
    )
    func slowPluginCode() throws {
        let log = dir + "/host.log"
        let host = try startHost(["--plugin", bin + "/libtenon-counter.so:irq=5"], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        let slow = bin + "/libtenon-fixtureslow.so"
        let gate = dir + "/gate"  // init() returns once this file exists (else after 5 min)

        var r = try tenon("load", slow, "init_ms=300000", "gate=" + gate, "--timeout", "500ms")
        #expect(
            r.status != 0 && r.stderr.contains("init() of fixture-slow still running")
                && r.stderr.contains("after 500 ms") && r.stderr.contains("tenon list"), "\(r.stderr)")
        // The control plane answers while init() sleeps, and shows the load.
        r = try tenon("list")
        #expect(
            r.status == 0 && r.stdout.contains("fixture-slow") && r.stdout.contains("loading")
                && r.stdout.contains("running constructors, entry point and init()"), "\(r.stdout) \(r.stderr)")
        #expect(try tenon("stats").status == 0)
        #expect(try tenon("irqs").status == 0)
        #expect(try tenon("raise", "5").status == 0)
        #expect(try tenon("call", "counter", "total").status == 0, "a command of another plugin waited for init()")
        r = try tenon("load", slow)
        #expect(r.status != 0 && r.stderr.contains("fixture-slow"), "a second load took the reserved name: \(r.stderr)")
        r = try tenon("unload", "fixture-slow")
        #expect(r.status != 0 && r.stderr.contains("still loading"), "\(r.stderr)")
        // The load finishes in the background once init() returns.
        #expect(FileManager.default.createFile(atPath: gate, contents: nil), "cannot create the gate file \(gate)")
        var live = false
        for _ in 0..<1000 where !live {
            live = try tenon("list", "-v", "fixture-slow").stdout.contains("state:         live")
            if !live { usleep(20_000) }
        }
        #expect(live)
        #expect(try tenon("raise", "12", "--cpu", "0").status == 0)

        // A command that naps past its --timeout: the reply says so; other requests are served.
        let nap = try CLIProcess.start(["call", "fixture-slow", "nap", "300000", "--timeout", "300ms", "--socket", socket])
        #expect(try napping(), "the nap never showed in `tenon list -v`")
        r = try tenon("call", "counter", "total")
        #expect(r.status == 0, "\(r.stderr)")
        let napped = nap.finish()
        #expect(
            napped.status != 0 && napped.stderr.contains("command nap of fixture-slow still running after 300 ms")
                && napped.stderr.contains("waits for it"), "\(napped.stderr)")
        // Unload while the nap still runs: it waits; commands still get through meanwhile
        // (wake ends the nap), and the unload completes once the nap returned.
        let unload = try CLIProcess.start(["unload", "fixture-slow", "--timeout", "1m", "--socket", socket])
        var unloading = false
        for _ in 0..<1000 where !unloading {
            unloading = try tenon("list").stdout.contains("unloading")
            if !unloading { usleep(10_000) }
        }
        #expect(unloading)
        #expect(try tenon("call", "fixture-slow", "wake").status == 0)
        r = unload.finish()
        #expect(r.status == 0 && r.stdout.contains("unloaded fixture-slow"), "\(r.stdout) \(r.stderr)")
        var finishedLate = false
        for _ in 0..<300 where !finishedLate {
            finishedLate = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                .contains("command nap of fixture-slow: finished after its reply's deadline: ok")
            if !finishedLate { usleep(10_000) }
        }
        #expect(finishedLate)

        // A command still running at the unload's deadline: the plugin stays unpublished, and it says why.
        #expect(try tenon("load", slow).status == 0)
        let nap2 = try CLIProcess.start(["call", "fixture-slow", "nap", "300000", "--timeout", "5m", "--socket", socket])
        #expect(try napping(), "the nap never showed in `tenon list -v`")
        r = try tenon("unload", "fixture-slow", "--timeout", "200ms")
        #expect(
            r.status != 0 && r.stderr.contains("command(s) of fixture-slow still running")
                && r.stderr.contains("stays unpublished"), "\(r.stderr)")
        #expect(try tenon("list", "-v", "fixture-slow").stdout.contains("state:         unpublished"))
        #expect(try tenon("call", "fixture-slow", "wake").status == 0)
        #expect(nap2.finish().status == 0)
        r = try tenon("cancel", "fixture-slow")
        #expect(r.status == 0, "\(r.stderr)")

        #expect(try tenon("shutdown").status == 0)
        waitForExit(host)
        #expect(host.terminationStatus == 0)
    }

    @Test("run --priority / --mlock: applied, or refused with the reason when not permitted")
    func realtimeOptions() throws {
        if getuid() == 0 {
            // Nobody may raise its SCHED_FIFO priority (RLIMIT_RTPRIO 0, no CAP_SYS_NICE).
            let refused = try CLIProcess.run(
                [
                    "run", "--cpus", "1", "--timer", "0", "--priority", "50",
                    "--socket", "/nonexistent/s.sock",
                ], asUID: 65534)
            #expect(
                refused.status != 0 && refused.stderr.contains("--priority 50 refused on CPU 0")
                    && refused.stderr.contains("CAP_SYS_NICE"), "\(refused.stderr)")
            let log = dir + "/host.log"
            let host = try startHost(["--priority", "10", "--mlock"], log: log)
            defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
            #expect(try tenon("stats").status == 0)
            #expect(try tenon("shutdown").status == 0)
            waitForExit(host)
            #expect(host.terminationStatus == 0)
        } else {
            let r = try CLIProcess.run(["run", "--cpus", "1", "--timer", "0", "--priority", "99", "--socket", dir + "/c/s.sock"])
            #expect(r.status != 0 && r.stderr.contains("--priority 99 refused"), "\(r.stderr)")
        }
        let bad = try CLIProcess.run(["run", "--priority", "100"])
        #expect(bad.status != 0 && bad.stderr.contains("--priority must be 0 (normal) or 1-99"), "\(bad.stderr)")
    }

    @Test("run --cpu-nice: the CPU threads, and only they, run at that nice value; a bad value is refused")
    func cpuNice() throws {
        let host = try startHost(["--cpu-nice", "7"], log: dir + "/host.log")
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        // Field 19 of /proc/PID/task/TID/stat, the 17th after the ")" ending the name.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(host.processIdentifier)/task")
        let nices = tasks.compactMap { tid -> Int? in
            guard let stat = try? String(contentsOfFile: "/proc/\(host.processIdentifier)/task/\(tid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
        #expect(nices.filter { $0 == 7 }.count == 2, "2 CPUs at nice 7 among \(nices)")
        #expect(nices.contains(0), "the other threads keep their nice value: \(nices)")
        #expect(try tenon("shutdown").status == 0)
        waitForExit(host)
        let bad = try CLIProcess.run(["run", "--cpu-nice", "20"])
        #expect(bad.status != 0 && bad.stderr.contains("--cpu-nice must be in -20...19"), "\(bad.stderr)")
        if getuid() == 0 {
            let refused = try CLIProcess.run(
                ["run", "--cpus", "1", "--timer", "0", "--cpu-nice", "-5", "--socket", "/nonexistent/s.sock"], asUID: 65534)
            #expect(
                refused.status != 0 && refused.stderr.contains("--cpu-nice -5 refused on CPU 0")
                    && refused.stderr.contains("CAP_SYS_NICE"), "\(refused.stderr)")
        }
    }

    @Test("run --idle-poll: IRQs reach the handler while the CPUs poll; a bad duration is refused")
    func idlePoll() throws {
        let host = try startHost(["--idle-poll", "50us", "--plugin", bin + "/libtenon-counter.so:irq=5"], log: dir + "/host.log")
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        for n in 1...20 {
            #expect(try tenon("raise", "5", "--cpu", "\(n % 2)").status == 0)
            #expect(try eventually { number(try tenon("call", "counter", "total")) == n }, "IRQ \(n) not counted")
        }
        #expect(try tenon("shutdown").status == 0)
        waitForExit(host)
        // More CPUs than cores: polling takes time from busy CPUs; the host says so.
        let many = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) + 1
        let crowded = try CLIProcess.startHost(
            ["--cpus", "\(many)", "--timer", "0", "--socket", socket, "--idle-poll", "50us"], log: dir + "/crowded.log")
        defer { if crowded.isRunning { kill(crowded.processIdentifier, SIGKILL) } }
        #expect(try eventually { try CLIProcess.run(["stats", "--socket", socket]).status == 0 })
        let warned = try String(contentsOfFile: dir + "/crowded.log", encoding: .utf8)
        #expect(warned.contains("warning: --idle-poll with \(many) CPUs on"), "\(warned)")
        #expect(try tenon("shutdown").status == 0)
        waitForExit(crowded)
        let bad = try CLIProcess.run(["run", "--idle-poll", "soon"])
        #expect(bad.status != 0 && bad.stderr.contains("--idle-poll 'soon' is not a duration"), "\(bad.stderr)")
    }

    @Test("the control socket stays open during shutdown: releasing the stuck handler lets it finish")
    func releaseDuringShutdown() throws {
        let log = dir + "/host.log"
        let host = try startHost(["--plugin", bin + "/libtenon-stuck.so:irq=7", "--timeout", "1m"], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        #expect(try tenon("raise", "7", "--cpu", "0").status == 0)
        _ = try eventually(200) { number(try tenon("call", "stuck", "entered")) == 1 }
        kill(host.processIdentifier, SIGTERM)
        // Shutdown has begun (loads are refused) and the socket still answers.
        var refused = false
        for _ in 0..<200 where !refused {
            refused = try tenon("load", bin + "/libtenon-counter.so").stderr.contains("shutting down")
            if !refused { usleep(10_000) }
        }
        #expect(refused)
        let r = try tenon("call", "stuck", "release")
        #expect(r.status == 0, "\(r.stderr)")
        waitForExit(host)
        #expect(host.terminationStatus == 0)
        let hostLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(hostLog.contains("tenon host stopped"), "\(hostLog)")
    }

    @Test("a second SIGTERM ends a shutdown stuck on a handler")
    func secondSignalForcesExit() throws {
        let log = dir + "/host.log"
        let host = try startHost(["--plugin", bin + "/libtenon-stuck.so:irq=7", "--timeout", "1m"], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        #expect(try tenon("raise", "7", "--cpu", "0").status == 0)
        _ = try eventually(200) { number(try tenon("call", "stuck", "entered")) == 1 }
        kill(host.processIdentifier, SIGTERM)
        for _ in 0..<200 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("stopping") { usleep(10_000) }
        kill(host.processIdentifier, SIGTERM)
        waitForExit(host)
        #expect(host.terminationStatus == 2)
        let hostLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(hostLog.contains("second"), "\(hostLog)")
    }
}
