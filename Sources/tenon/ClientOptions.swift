import ArgumentParser
import Foundation
import TenonControl

/// Options every control command shares, and the one way they talk to the host.
struct ClientOptions: ParsableArguments {
    @Option(
        name: .long, help: "Control socket of the host (default: $TENON_SOCKET, else $XDG_RUNTIME_DIR/tenon/control.sock, else /tmp/tenon-<uid>/control.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the host's JSON response instead of text.")
    var json = false

    /// Sends `request`; on an error prints one line to stderr and exits non-zero.
    /// With `--json`, prints the response as JSON and returns nil.
    func send(_ request: ControlRequest) throws -> JSONValue? {
        try Self.send(request, socket: socket, json: json)
    }

    /// ``send(_:)`` without the parsed options (`tenon call`'s fast path).
    static func send(_ request: ControlRequest, socket: String?, json: Bool) throws -> JSONValue? {
        let client = ControlClient(path: socket ?? ControlSocketPath.defaultPath(), timeout: Self.deadline(for: request))
        let response: ControlResponse
        do {
            response = try client.send(request)
        } catch {
            fail("\(error)")
        }
        if json {
            print(encode(response))
            if !response.isOK { throw ExitCode(1) }
            return nil
        }
        switch response {
        case .ok(let payload): return payload
        case .error(_, let message): fail(message)
        }
    }

    /// How long to wait for the reply: the deadline the host replies by
    /// (it says "still running" then), plus a margin; not a fixed 10 s (an
    /// `unload --timeout 20s` must not be reported as timed out at 10 s).
    static func deadline(for request: ControlRequest) -> Duration {
        let margin: Duration = .seconds(5)
        switch request {
        case .unload(_, let milliseconds): return .milliseconds(milliseconds) + .seconds(5) + margin
        case .load(_, _, _, let milliseconds?), .call(_, _, _, let milliseconds?):
            return .milliseconds(milliseconds) + margin
        case .swap(_, _, _, _, _, let milliseconds?): return .milliseconds(2 * milliseconds) + .seconds(5) + margin
        case .swap: return .seconds(25)
        case .trace(_, let milliseconds): return .milliseconds(milliseconds) + .seconds(30)
        default: return .seconds(10)
        }
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

/// Prints `error: message` on stderr and exits 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

/// An absolute path: the host resolves paths in its own working directory.
func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
