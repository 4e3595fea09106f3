import Foundation
import Synchronization
import Testing

@testable import TenonControl

#if canImport(Glibc)
import Glibc
#endif

/// A handler that records what it gets and answers with typed payloads or an echo.
final class FakeHandler: ControlHandler {
    let received = Mutex<[ControlRequest]>([])
    let delay: Duration

    init(delay: Duration = .zero) { self.delay = delay }

    static let plugins = [
        PluginRow(
            name: "ticker", version: "1.2.0", state: "loaded", irqs: [3, 4],
            loadedAt: Date(timeIntervalSince1970: 1_700_000_000), handlerCalls: 12_345)
    ]
    static let irqs = [IRQRow(irq: 3, perCPU: [10, 0, 7, UInt64.max], stage: "oob", handlers: ["ticker.tick"])]
    static let stats = StatsPayload(
        counters: ["irqsRaised": 42, "irqsLost": 0],
        values: ["latencyP99Microseconds": 12.5, "stage": "oob", "cpus": 4])

    func handle(_ request: ControlRequest) -> ControlResponse {
        received.withLock { $0.append(request) }
        if delay > .zero {
            Thread.sleep(
                forTimeInterval: Double(delay.components.seconds)
                    + Double(delay.components.attoseconds) / 1e18)
        }
        switch request {
        case .list: return .ok(encoding: Self.plugins)
        case .irqs: return .ok(encoding: Self.irqs)
        case .stats: return .ok(encoding: Self.stats)
        case .unload(let name, _) where name == "missing":
            return .error(.unknownPlugin, "no plugin named missing is loaded")
        default:
            return .ok(payload: ["op": .string(request.op), "echo": (try? JSONValue(encoding: request)) ?? .null])
        }
    }
}

/// A private temporary directory (0700) removed at the end of the test.
final class TemporaryDirectory {
    let path: String

    init(mode: mode_t = 0o700) {
        var template = Array("/tmp/tenon-ctl-XXXXXX".utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(result != nil, "mkdtemp failed")
        path = String(cString: result!)
        chmod(path, mode)
    }

    /// A path inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        _ = try? FileManager.default.removeItem(atPath: path)
    }
}

/// Starts a server on a fresh socket in a fresh private directory.
func makeServer(
    handler: any ControlHandler = FakeHandler(),
    directory: TemporaryDirectory = TemporaryDirectory(),
    configure: (inout ControlServerConfiguration) -> Void = { _ in }
) throws -> (ControlServer, TemporaryDirectory) {
    var configuration = ControlServerConfiguration(path: directory.file("control.sock"))
    configure(&configuration)
    let server = ControlServer(configuration: configuration, handler: handler)
    try server.start()
    return (server, directory)
}

/// A raw client connection for sending arbitrary bytes.
final class RawConnection {
    let fd: Int32

    init(path: String) throws {
        fd = try ControlClient(path: path, timeout: .seconds(5)).connect()
    }

    deinit { close(fd) }

    /// Writes bytes, ignoring errors (the server may close early on purpose).
    func write(_ bytes: [UInt8]) {
        _ = SocketIO.sendAll(fd, bytes)
    }

    func write(_ text: String) { write(Array(text.utf8)) }

    /// Reads the next response frame, or reports how the connection ended.
    func read(timeout: Duration = .seconds(5)) -> FrameReader.Outcome {
        reader.next(until: .now + timeout)
    }

    private lazy var reader = FrameReader(fd: fd, limit: ControlProtocol.maxResponseSize)

    /// Reads and decodes the next response frame; `nil` if none.
    func response(timeout: Duration = .seconds(5)) -> ControlResponse? {
        guard case .frame(let bytes) = read(timeout: timeout) else { return nil }
        return try? ControlCoding.decoder().decode(ControlResponseFrame.self, from: Data(bytes)).response
    }
}

/// `st_mode & 0o7777` of a path (not following symlinks).
func permissions(of path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}
