import Foundation
import Glibc
import Testing

/// `tenon new-plugin --swift` writes a SwiftPM package on TenonPluginKit; a
/// user adds a parameter and a command, builds it with the printed command
/// (`swift build -c release`) and loads it as printed.
///
/// Opt-in (TENON_SWIFT_TEMPLATE=1, a step of .ci/run): the package builds
/// TenonPluginKit from scratch in release, 9 s of CPU but minutes of wall
/// time on a loaded machine, beyond the budget of `swift test`.
@Suite(
    "tenon new-plugin --swift", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: ProcessInfo.processInfo.environment["TENON_SWIFT_TEMPLATE"] == "1"))
struct SwiftTemplateTests {
    let dir: String
    let socket: String

    init() throws {
        var template = Array("/tmp/tenon-swift-template-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try #require(made))
        socket = dir + "/ctl/control.sock"
    }

    func tenon(_ args: String...) throws -> CLIProcess.Result {
        try CLIProcess.run(args + ["--socket", socket])
    }

    /// The standard output of a binutils tool.
    func tool(_ args: String...) throws -> String {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("writes a package that builds, takes a new parameter and command, loads, calls, unloads")
    func templateBuildsExtendsAndLoads() throws {
        let made = try CLIProcess.run(["new-plugin", "kit-plug", "--swift", "--directory", dir])
        #expect(made.status == 0, "\(made.stderr)")
        let lines = made.stdout.split(separator: "\n").map(String.init)
        let build = try #require(lines.firstIndex(of: "build it with:").map { lines[$0 + 1].trimmingCharacters(in: .whitespaces) })
        let load = try #require(lines.last { $0.hasPrefix("then: tenon load ") }).dropFirst("then: tenon load ".count)
        let library = try #require(load.split(separator: " ").first.map(String.init))

        // What a user adds: a parameter, read in init, and a two-argument command.
        let source = dir + "/kit-plug/Sources/kit_plug/kit_plug.swift"
        var text = try String(contentsOfFile: source, encoding: .utf8)
        for (anchor, addition) in [
            ("    static func declare(", "    static let scale = Parameter<UInt64>(\"scale\", default: 3, help: \"multiplier\")\n\n"),
            ("        (line, flags) = (", "        let scale = try parameters[Self.scale]\n"),
        ] {
            let range = try #require(text.range(of: anchor), "template lacks \(anchor)")
            text.insert(contentsOf: addition, at: range.lowerBound)
        }
        for (anchor, addition) in [
            (
                "        plugin.parameter(oob)\n",
                """
                        plugin.parameter(scale)
                        plugin.command("scaled", help: "total x scale + n") { (n: Int64) -> Int64 in
                            Int64(Self.shared.counts.total &* Self.shared.scale) &+ n
                        }

                """
            ),
            ("    let counts: PerCPUCounter\n", "    let scale: UInt64\n"),
            ("        counts = PerCPUCounter()\n", "        self.scale = scale\n"),
        ] {
            let range = try #require(text.range(of: anchor), "template lacks \(anchor)")
            text.insert(contentsOf: addition, at: range.upperBound)
        }
        try text.write(toFile: source, atomically: true, encoding: .utf8)

        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", build + " > \(dir)/build.log 2>&1"]
        try sh.run()
        sh.waitUntilExit()
        let buildLog = (try? String(contentsOfFile: dir + "/build.log", encoding: .utf8)) ?? ""
        try #require(sh.terminationStatus == 0, "\(build):\n\(buildLog)")
        // The one export, and libc as the only dependency (no Swift runtime).
        #expect(
            try tool("nm", "-D", "--defined-only", library).split(separator: "\n").map { $0.split(separator: " ").last }
                == ["tenon_plugin_entry"])
        #expect(
            try tool("readelf", "-d", library).split(separator: "\n").filter { $0.contains("(NEEDED)") }
                .map { $0.split(separator: "[").last } == ["libc.so.6]"])

        let log = dir + "/host.log"
        let host = try CLIProcess.startHost(["--cpus", "2", "--timer", "0", "--socket", socket], log: log)
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        var up = false
        for _ in 0..<200 where !up {
            up = try tenon("stats").status == 0
            if !up { usleep(25_000) }
        }
        try #require(up, "the host did not come up at \(socket)")

        var r = try tenon("load", library, "irq=31", "scale=4")
        #expect(r.status == 0 && r.stdout.contains("loaded kit-plug 0.1.0 (IRQs 31)"), "\(r.stdout)\(r.stderr)")
        // One raise at a time: raises of a line still pending on a CPU coalesce.
        for expected in 1...3 {
            r = try tenon("raise", "31", "--cpu", "1")
            #expect(r.status == 0)
            var count = ""
            for _ in 0..<300 where count != "\(expected)" {  // raise is asynchronous
                count = try tenon("call", "kit-plug", "count", "1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if count != "\(expected)" { usleep(10_000) }
            }
            #expect(count == "\(expected)")
        }
        r = try tenon("call", "kit-plug", "scaled", "5")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "17", "3 x 4 + 5: \(r.stdout)\(r.stderr)")
        r = try tenon("call", "kit-plug", "scaled")
        #expect(r.status != 0 && r.stderr.contains("i64(i64)"), "signature derived from the Swift type: \(r.stderr)")
        r = try tenon("unload", "kit-plug")
        #expect(r.status == 0 && r.stdout.contains("unloaded kit-plug (mapping gone)"), "\(r.stdout)\(r.stderr)")
        r = try tenon("shutdown")
        host.waitUntilExit()
    }
}
