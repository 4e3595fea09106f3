import Foundation
import Glibc
import Testing

/// Drives a real `tenon run` process through the CLI, as a user would.
@Suite("tenon run end to end", .serialized, .timeLimit(.minutes(2)))
struct EndToEndTests {
    let dir: String
    let socket: String
    let bin = CLIProcess.binDirectory

    init() throws {
        var template = Array("/tmp/tenon-e2e-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try #require(made))
        socket = dir + "/ctl/control.sock"
    }

    func tenon(_ args: String...) throws -> CLIProcess.Result {
        try CLIProcess.run(args + ["--socket", socket])
    }

    func waitForHost() throws {
        for _ in 0..<200 {
            if try CLIProcess.run(["stats", "--socket", socket]).status == 0 { return }
            usleep(25_000)
        }
        Issue.record("the host did not come up at \(socket)")
    }

    @Test("load, raise, irqs, call, swap, unload, list, bad input, shutdown")
    func session() throws {
        #expect(FileManager.default.isExecutableFile(atPath: CLIProcess.tenon), "tenon not built at \(CLIProcess.tenon)")
        // No host yet: a one-line error and a non-zero exit.
        let none = try tenon("list")
        #expect(none.status != 0)
        #expect(none.stderr.contains("no tenon host at"))

        let log = dir + "/host.log"
        let host = try CLIProcess.startHost(
            [
                "--cpus", "2", "--timer", "200", "--socket", socket,
                "--plugin", bin + "/libtenon-counter.so:irq=5",
            ], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        try waitForHost()

        var r = try tenon("list")
        #expect(r.status == 0 && r.stdout.contains("counter") && r.stdout.contains("live"))
        r = try tenon("raise", "5", "--cpu", "1", "--count", "3")
        #expect(r.status == 0 && r.stdout.contains("raised IRQ 5 x3 on CPU 1"))
        // Handled once CPU 1 gets to run (a loaded machine may take a while).
        for _ in 0..<200 {
            r = try tenon("call", "counter", "count", "1")
            if (UInt64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 1 { break }
            usleep(25_000)
        }
        #expect(r.status == 0)
        #expect((UInt64(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 1)
        r = try tenon("irqs")
        #expect(r.status == 0 && r.stdout.contains("counter") && r.stdout.contains("host tick") && r.stdout.contains("oob"))

        r = try tenon("load", bin + "/libtenon-swapv1.so", "irq=8")
        #expect(r.status == 0 && r.stdout.contains("loaded swap 1.0.0"))
        r = try tenon("swap", "swap", bin + "/libtenon-swapv2.so", "irq=8")
        #expect(r.status == 0 && r.stdout.contains("1.0.0 -> 2.0.0"))
        r = try tenon("call", "swap", "version", "--json")
        #expect(r.status == 0 && r.stdout.contains("\"result\":2"))
        // `call` is parsed by hand when plain (CallFastPath); these forms must
        // read as ArgumentParser's do, or fall back to it.
        r = try CLIProcess.run(["call", "--json", "swap", "version", "--socket=" + socket, "--timeout=3s"])
        #expect(r.status == 0 && r.stdout.contains("\"result\":2"), "\(r.stderr)")
        r = try CLIProcess.run(["call", "swap", "version", "--timeout", "soon", "--socket", socket])
        #expect(r.status != 0 && r.stderr.contains("--timeout 'soon' is not a duration"), "\(r.stderr)")
        r = try CLIProcess.run(["call", "counter", "count", "-1", "--socket", socket])
        #expect(r.status != 0 && r.stderr.contains("negative value"), "\(r.stderr)")
        r = try CLIProcess.run(["call", "counter", "total", "--socket", socket, "--help"])
        #expect(r.status == 0 && r.stdout.contains("USAGE: tenon call"), "\(r.stdout)")
        r = try tenon("unload", "swap", "--timeout", "2s")
        #expect(r.status == 0 && r.stdout.contains("unloaded swap (mapping gone)"))
        r = try tenon("list", "--json")
        #expect(r.status == 0 && !r.stdout.contains("\"swap\"") && r.stdout.contains("\"counter\""))

        // Bad input: each a one-line error, a non-zero exit, and the host lives on.
        let bad: [([String], String)] = [
            (["unload", "nosuch"], "nosuch"),
            (["call", "nosuch", "total"], "nosuch"),
            (["call", "counter", "count", "notanumber"], "not a valid u32"),
            (["call", "counter", "count"], "argument"),
            (["call", "counter", "nosuchcommand"], "nosuchcommand"),
            (["load", dir + "/missing.so"], "missing.so"),
            (["load", log], "not an ELF"),
            (["load", bin + "/libtenon-counter.so", "irq=5"], "counter"),
            (["load", bin + "/libtenon-swapv1.so", "irq=banana"], "irq"),
            // A stray device address fails init instead of crashing the host.
            (["load", bin + "/libtenon-swapv1.so", "irq=9", "device=12345"], "init"),
            (["load", bin + "/libtenon-swapv1.so", "irq=9", "device=0x7fff00000000"], "init"),
            (["swap", "nosuch", bin + "/libtenon-swapv2.so"], "nosuch"),
            (["raise", "99999"], "out of range"),
            (["raise", "5", "--cpu", "7"], "out of range"),
            (["raise", "-3"], "irq"),
            (["raise", "five"], "five"),
            (["frobnicate"], "unknown"),
            (["unload", "counter", "--timeout", "soon"], "timeout"),
        ]
        for (args, mention) in bad {
            let result = try CLIProcess.run(args + ["--socket", socket])
            #expect(result.status != 0, "\(args) should fail")
            let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count >= 1 && lines.count <= 3, "\(args): \(result.stderr)")
            #expect(result.stderr.lowercased().contains(mention.lowercased()), "\(args): \(result.stderr)")
        }
        // Garbage on the socket.
        try sendGarbage()
        r = try tenon("stats")
        #expect(r.status == 0 && r.stdout.contains("plugins.loaded = 1"))
        // The raises above reached CPU 1 as signals or wakes of its idle word.
        let rings = r.stdout.split(separator: "\n").filter { $0.contains("doorbell.cpu1.") }
            .compactMap { $0.split(separator: "=").last.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } }
        #expect(rings.count == 2 && rings.reduce(0, +) >= 1, "\(r.stdout)")

        // A user other than the host's (or root) is refused.
        if getuid() == 0 {
            chmod(dir, 0o755)
            let other = try CLIProcess.run(["list", "--socket", socket], asUID: 65534)
            #expect(other.status != 0)
            #expect(other.stderr.contains("error:"), "\(other.stderr)")
        } else {
            print("skipped the other-uid check: the tests do not run as root, so they cannot switch uid")
        }

        // A plugin written by `tenon new-plugin` builds with the printed command and loads.
        let made = try CLIProcess.run(["new-plugin", "fresh", "--directory", dir])
        #expect(made.status == 0, "\(made.stderr)")
        let lines = made.stdout.split(separator: "\n").map(String.init)
        let build = try #require(lines.firstIndex(of: "build it with:").map { lines[$0 + 1].trimmingCharacters(in: .whitespaces) })
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", build]
        try sh.run()
        sh.waitUntilExit()
        #expect(sh.terminationStatus == 0, "\(build)")
        r = try tenon("load", dir + "/fresh/libfresh.so", "irq=30")
        #expect(r.status == 0 && r.stdout.contains("loaded fresh 0.1.0"), "\(r.stderr)")

        r = try tenon("shutdown")
        #expect(r.status == 0)
        host.waitUntilExit()
        #expect(host.terminationStatus == 0)
        let hostLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(hostLog.contains("counter: unloaded"), "\(hostLog)")
        #expect(hostLog.contains("fresh: unloaded"), "\(hostLog)")
        #expect(hostLog.contains("tenon host stopped"))
    }

    @Test("a faulting plugin: oops on stderr, faulted in list, tenon log, taint in stats, unload retires, host lives")
    func faultingPlugin() throws {
        let log = dir + "/host.log"
        let host = try CLIProcess.startHost(
            [
                "--cpus", "2", "--timer", "0", "--socket", socket,
                "--plugin", bin + "/libtenon-counter.so:irq=5",
            ], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        try waitForHost()
        var r = try tenon("load", bin + "/libtenon-fixturefaulty.so", "irq=30", "where=oob", "kind=fpe")
        #expect(r.status == 0, "\(r.stderr)")
        r = try tenon("raise", "30", "--cpu", "1")
        #expect(r.status == 0)
        var faulted = false
        for _ in 0..<400 where !faulted {
            faulted = try tenon("list").stdout.contains("faulted")
            if !faulted { usleep(25_000) }
        }
        #expect(faulted)
        r = try tenon("list", "--json")
        #expect(r.stdout.contains("\"state\":\"faulted\"") && r.stdout.contains("\"lastOops\""))
        r = try tenon("log")
        #expect(
            r.status == 0 && r.stdout.contains("plugin fixture-faulty 0.0.1: SIGFPE") && r.stdout.contains("CPU 1, IRQ 30"),
            "\(r.stdout)")
        r = try tenon("log", "--json")
        #expect(r.status == 0 && r.stdout.contains("\"signal\":\"SIGFPE\"") && r.stdout.contains("\"irq\":30"))
        r = try tenon("stats")
        #expect(r.stdout.contains("tainted = D") && r.stdout.contains("taint.oops = 1"))
        // The other plugin still gets its IRQs, on both CPUs.
        for cpu in ["0", "1"] {
            r = try tenon("raise", "5", "--cpu", cpu, "--count", "3")
            #expect(r.status == 0)
            var count: UInt64 = 0
            for _ in 0..<400 where count == 0 {
                count =
                    UInt64(
                        try tenon("call", "counter", "count", cpu).stdout
                            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                if count == 0 { usleep(25_000) }
            }
            #expect(count >= 1, "counter saw no IRQ on CPU \(cpu) after the fault")
        }
        r = try tenon("unload", "fixture-faulty")
        #expect(r.status == 0 && r.stdout.contains("retired") && r.stdout.contains("faulted"), "\(r.stdout)")
        r = try tenon("shutdown")
        #expect(r.status == 0)
        host.waitUntilExit()
        #expect(host.terminationStatus == 0)
        let hostLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(hostLog.contains("tenon: oops #"), "\(hostLog)")
    }

    @Test("SIGTERM unloads everything and exits 0")
    func sigterm() throws {
        let log = dir + "/host.log"
        let host = try CLIProcess.startHost(
            [
                "--cpus", "1", "--socket", socket,
                "--plugin", bin + "/libtenon-embeddedcounter.so",
            ], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        try waitForHost()
        kill(host.processIdentifier, SIGTERM)
        host.waitUntilExit()
        #expect(host.terminationStatus == 0)
        let hostLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(hostLog.contains("embedded-counter: unloaded"), "\(hostLog)")
    }

    func sendGarbage() throws {
        let fd = socket_fd()
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            socket.utf8CString.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(raw.count))) }
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(ok == 0)
        let junk: [UInt8] = [0xFF, 0x00, 0x7B, 0x22] + Array("not json at all\n".utf8)
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &reply, reply.count)
        #expect(n > 0 && String(decoding: reply.prefix(max(n, 0)), as: UTF8.self).contains("error"))
    }

    func socket_fd() -> Int32 { Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0) }
}
