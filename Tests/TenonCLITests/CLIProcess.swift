import Foundation

/// Runs the built `tenon` executable (it sits next to the test bundle).
enum CLIProcess {
    static var binDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    static var tenon: String { binDirectory + "/tenon" }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `tenon args…` to completion, optionally as another user via setpriv.
    static func run(_ args: [String], asUID uid: Int? = nil) throws -> Result {
        let p = Process()
        if let uid {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", tenon] + args
        } else {
            p.executableURL = URL(fileURLWithPath: tenon)
            p.arguments = args
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    /// A `tenon` command started in the background; ``finish()`` waits for it.
    final class Running {
        let process: Process
        let out = Pipe(), err = Pipe()

        init(_ args: [String]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: CLIProcess.tenon)
            process.arguments = args
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        func finish() -> Result {
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Result(
                status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                stderr: String(decoding: e, as: UTF8.self))
        }
    }

    /// Starts `tenon args…` without waiting for it.
    static func start(_ args: [String]) throws -> Running { try Running(args) }

    /// Starts `tenon run …` in the background; its stderr goes to `log`.
    static func startHost(_ args: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tenon)
        p.arguments = ["run"] + args
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log])
        }
        p.standardError = FileHandle(forWritingAtPath: log)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }
}
