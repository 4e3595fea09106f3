import ArgumentParser
import Foundation
import TenonControl

/// Options every control command shares, and the one way they talk to the host.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "Control socket of the host (default: $TENON_SOCKET, else $XDG_RUNTIME_DIR/tenon/control.sock, else /tmp/tenon-<uid>/control.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the host's JSON response instead of text.")
    var json = false

    /// Sends `request`; on an error prints one line to stderr and exits non-zero.
    /// With `--json`, prints the response as JSON and returns nil.
    func send(_ request: ControlRequest) throws -> JSONValue? {
        let client = ControlClient(path: socket ?? ControlSocketPath.defaultPath())
        let response: ControlResponse
        do {
            response = try client.send(request)
        } catch {
            fail("\(error)")
        }
        if json {
            print(Self.encode(response))
            if !response.isOK { throw ExitCode(1) }
            return nil
        }
        switch response {
        case .ok(let payload): return payload
        case .error(_, let message): fail(message)
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
