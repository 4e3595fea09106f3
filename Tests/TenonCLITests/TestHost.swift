import Foundation
import Glibc
import Testing

/// A real `tenon run` in a private temporary directory, for tests that need a live host.
final class TestHost {
    let dir: String
    let socket: String
    let log: String
    private let process: Process

    /// Starts `tenon run ARGS --socket <private>` and waits until it answers.
    init(_ args: [String]) throws {
        var template = Array("/tmp/tenon-host-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try #require(made))
        socket = dir + "/ctl/control.sock"
        log = dir + "/host.log"
        process = try CLIProcess.startHost(args + ["--socket", socket], log: log)
        for _ in 0..<400 {
            if try tenon(["stats"]).status == 0 { return }
            usleep(25_000)
        }
        Issue.record("the host did not come up at \(socket): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// Runs `tenon ARGS --socket <this host's>`.
    func tenon(_ args: [String]) throws -> CLIProcess.Result {
        try CLIProcess.run(args + ["--socket", socket])
    }

    deinit {
        _ = try? tenon(["shutdown"])
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
