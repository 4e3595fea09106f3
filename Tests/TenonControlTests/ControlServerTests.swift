import Foundation
import Testing

@testable import TenonControl

#if canImport(Glibc)
import Glibc
#endif

@Suite("Control server and client over real sockets", .timeLimit(.minutes(1)))
struct ControlServerTests {
    @Test("every request kind round-trips through the server to the handler")
    func roundTrip() throws {
        let handler = FakeHandler()
        let (server, directory) = try makeServer(handler: handler)
        defer { server.stop() }
        let client = ControlClient(path: server.path, timeout: .seconds(5))

        for request in ControlProtocolTests.allRequests {
            let response = try client.send(request)
            switch request {
            case .list:
                #expect(try response.payload().decode([PluginRow].self) == FakeHandler.plugins)
            case .irqs:
                #expect(try response.payload().decode([IRQRow].self) == FakeHandler.irqs)
            case .stats:
                #expect(try response.payload().decode(StatsPayload.self) == FakeHandler.stats)
            case .ping:
                let ping = try response.payload().decode(PingPayload.self)
                #expect(ping == PingPayload(version: ControlProtocol.version, pid: getpid(), uid: geteuid()))
            default:
                let payload = try response.payload()
                #expect(payload["op"] == .string(request.op))
                #expect(try payload["echo"]?.decode(ControlRequest.self) == request)
            }
        }
        // The handler saw everything but ping (answered by the server), in order.
        #expect(handler.received.withLock { $0 } == ControlProtocolTests.allRequests.filter { $0 != .ping })
        #expect(try client.ping().uid == geteuid())
        // Handler errors come back as they are.
        #expect(
            try client.send(.unload(name: "missing", timeoutMilliseconds: 10))
                == .error(code: "unknown-plugin", message: "no plugin named missing is loaded"))
        _ = directory
    }

    @Test("several requests on one connection")
    func persistentConnection() throws {
        let (server, directory) = try makeServer()
        defer { server.stop() }
        let raw = try RawConnection(path: server.path)
        for _ in 0..<3 {
            raw.write(#"{"version":1,"request":{"op":"ping"}}"# + "\n")
            #expect(raw.response()?.isOK == true)
        }
        // Two frames in one write.
        raw.write(#"{"version":1,"request":{"op":"list"}}"# + "\n" + #"{"version":1,"request":{"op":"stats"}}"# + "\n")
        #expect(raw.response()?.isOK == true)
        #expect(raw.response()?.isOK == true)
        _ = directory
    }

    @Test("socket file is 0600 in a 0700 directory the server creates")
    func permissionsOfSocket() throws {
        let parent = TemporaryDirectory()
        let directory = parent.file("tenon")
        let path = directory + "/control.sock"
        #expect(permissions(of: directory) == nil)
        let server = ControlServer(configuration: ControlServerConfiguration(path: path), handler: FakeHandler())
        let oldMask = umask(0o022)  // the modes must not depend on the umask
        defer { umask(oldMask) }
        try server.start()
        #expect(permissions(of: directory) == 0o700)
        #expect(permissions(of: path) == 0o600)
        var info = stat()
        #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK && info.st_uid == geteuid())
        server.stop()
        #expect(permissions(of: path) == nil, "stop() unlinks the socket")
        #expect(permissions(of: directory) == 0o700)
    }

    @Test("an insecure or foreign directory is refused with a clear error")
    func insecureDirectory() throws {
        let directory = TemporaryDirectory(mode: 0o755)
        let server = ControlServer(
            configuration: ControlServerConfiguration(path: directory.file("control.sock")), handler: FakeHandler())
        #expect {
            try server.start()
        } throws: { error in
            "\(error)" == "refusing to use control socket directory \(directory.path): it has mode 0755, "
                + "expected 0700 (fix with `chmod 0700 \(directory.path)` or remove it)"
        }
        if geteuid() == 0 {
            let foreign = TemporaryDirectory()
            chown(foreign.path, 65534, 65534)
            let server = ControlServer(
                configuration: ControlServerConfiguration(path: foreign.file("control.sock")), handler: FakeHandler())
            #expect {
                try server.start()
            } throws: { error in
                "\(error)".hasSuffix("it is owned by uid 65534, not by the host's user (0)")
            }
        }
        // A symlink to a good directory is refused too.
        let target = TemporaryDirectory()
        let parent = TemporaryDirectory()
        symlink(target.path, parent.file("link"))
        let linked = ControlServer(
            configuration: ControlServerConfiguration(path: parent.file("link") + "/control.sock"),
            handler: FakeHandler())
        #expect(
            throws: ControlServerError.insecureDirectory(
                path: parent.file("link"), reason: "it is not a directory (or is a symbolic link)")
        ) {
            try linked.start()
        }
    }

    @Test("a second server on a live path refuses; the first keeps serving")
    func secondServerRefused() throws {
        let (first, directory) = try makeServer()
        defer { first.stop() }
        let second = ControlServer(configuration: first.configuration, handler: FakeHandler())
        #expect(throws: ControlServerError.alreadyRunning(path: first.path)) { try second.start() }
        #expect(
            "\(ControlServerError.alreadyRunning(path: first.path))"
                == "a host is already running at \(first.path)")
        second.stop()  // harmless: it never started, and must not unlink the live socket
        #expect(try ControlClient(path: first.path).ping().pid == getpid())
        _ = directory
    }

    @Test("a stale socket file is replaced; a non-socket file is not")
    func staleSocket() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("control.sock")
        // Leave a bound-but-closed socket behind, as a crashed host would.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let address = try #require(UnixSocketAddress(path: path))
        #expect(address.withSockaddr { bind(fd, $0, $1) } == 0)
        close(fd)
        #expect(permissions(of: path) != nil)
        #expect(throws: ControlClientError.noHost(path: path)) { try ControlClient(path: path).ping() }

        let server = ControlServer(configuration: ControlServerConfiguration(path: path), handler: FakeHandler())
        try server.start()
        #expect(try ControlClient(path: path).ping().version == ControlProtocol.version)
        server.stop()

        let plain = directory.file("plain")
        _ = FileManager.default.createFile(atPath: plain, contents: Data("x".utf8))
        let other = ControlServer(configuration: ControlServerConfiguration(path: plain), handler: FakeHandler())
        #expect(throws: ControlServerError.notASocket(path: plain)) { try other.start() }
        #expect(FileManager.default.fileExists(atPath: plain))
    }

    @Test("no host: a clear client error")
    func noHost() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("control.sock")
        #expect {
            try ControlClient(path: path).send(.list)
        } throws: { error in
            "\(error)" == "no tenon host at \(path) (is `tenon run` running?)"
        }
        let (server, _) = try makeServer(directory: directory)
        server.stop()
        #expect(throws: ControlClientError.noHost(path: path)) { try ControlClient(path: path).send(.list) }
        let long = "/tmp/" + String(repeating: "x", count: 200)
        #expect(throws: ControlClientError.invalidPath(path: long)) { try ControlClient(path: long).send(.list) }
    }

    @Test("garbage, invalid JSON and bad requests get error replies; the connection and the host survive")
    func malformedFrames() throws {
        let (server, directory) = try makeServer()
        defer { server.stop() }
        let raw = try RawConnection(path: server.path)
        let cases: [([UInt8], String)] = [
            ([0x00, 0xFF, 0xFE, 0x13, 0x37] + Array("garbage".utf8) + [0x0A], "malformed-json"),
            (Array(#"{"version":1,"request":"#.utf8) + [0x0A], "malformed-json"),
            ([0x0A], "malformed-json"),
            (Array("[1,2,3]\n".utf8), "bad-request"),
            (Array(#"{"request":{"op":"list"}}"#.utf8) + [0x0A], "bad-request"),
            (Array(#"{"version":2,"request":{"op":"list"}}"#.utf8) + [0x0A], "unsupported-version"),
            (Array(#"{"version":1,"request":{"op":"frobnicate"}}"#.utf8) + [0x0A], "bad-request"),
            (Array(#"{"version":1,"request":{"op":"raise","irq":"five"}}"#.utf8) + [0x0A], "bad-request"),
            (Array(#"{"version":1,"request":{"op":"raise","irq":3,"count":0}}"#.utf8) + [0x0A], "bad-request"),
            (Array(#"{"version":1,"request":{"op":"load"}}"#.utf8) + [0x0A], "bad-request"),
        ]
        var messages: [String] = []
        for (bytes, code) in cases {
            raw.write(bytes)
            let response = try #require(raw.response())
            #expect(response.errorCode == code, "\(String(decoding: bytes, as: UTF8.self))")
            if case .error(_, let message) = response {
                #expect(!message.contains("\n"))
                messages.append(message)
            }
        }
        #expect(messages.contains("bad request: member \"irq\" has the wrong type (expected Int)"))
        #expect(messages.contains("bad request: missing member \"path\""))
        #expect(messages.contains("bad request: raise: count must be >= 1 (got 0)"))
        #expect(messages.contains(where: { $0.contains("unknown op \"frobnicate\"") }))
        #expect(messages.contains("unsupported protocol version 2: this host speaks version 1"))
        // The same connection is still in sync, and new clients are served.
        raw.write(#"{"version":1,"request":{"op":"ping"}}"# + "\n")
        #expect(raw.response()?.isOK == true)
        #expect(try ControlClient(path: server.path).send(.list).isOK)
        _ = directory
    }

    @Test("an oversized frame gets frame-too-large and the connection is closed")
    func oversizedFrame() throws {
        let (server, directory) = try makeServer()
        defer { server.stop() }
        for withNewline in [false, true] {
            let raw = try RawConnection(path: server.path)
            var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: ControlProtocol.maxRequestSize + 5000)
            if withNewline { bytes.append(0x0A) }
            raw.write(bytes)
            let outcome = raw.read()
            guard case .frame(let frame) = outcome else {
                Issue.record("expected a frame-too-large reply, got \(outcome) (newline: \(withNewline))")
                continue
            }
            let response = try ControlCoding.decoder().decode(ControlResponseFrame.self, from: Data(frame))
            #expect(response.response.errorCode == "frame-too-large")
            let end = raw.read(timeout: .seconds(3))
            #expect(end == .endOfStream || end == .failed(ECONNRESET), "closed, got \(end)")
        }
        // Exactly at the limit is fine (the newline counts).
        let raw = try RawConnection(path: server.path)
        let prefix = Array(#"{"version":1,"request":{"op":"call","plugin":"p","command":"c","arguments":[""#.utf8)
        let suffix = Array(#""]}}"#.utf8)
        let filler = ControlProtocol.maxRequestSize - prefix.count - suffix.count - 1
        raw.write(prefix + [UInt8](repeating: UInt8(ascii: "z"), count: filler) + suffix + [0x0A])
        #expect(raw.response()?.isOK == true)
        #expect(try ControlClient(path: server.path).send(.stats).isOK)
        _ = directory
    }

    @Test("half-sent frames are closed after the read timeout without blocking other clients")
    func halfSentFrames() throws {
        // Part 1: with a read timeout far longer than the test, other clients
        // are served while the stalled ones are provably still open — so they
        // did not wait for the stalled ones to time out.
        do {
            // One process plays every client here: lift the per-client limit.
            let (server, directory) = try makeServer {
                $0.readTimeout = .seconds(60)
                $0.maxConnectionsPerClient = 32
            }
            defer { server.stop() }
            let stalled = try (0..<8).map { _ in try RawConnection(path: server.path) }
            for connection in stalled { connection.write(#"{"version":1,"request":{"op":"li"#) }
            let silent = try RawConnection(path: server.path)  // connects, never sends
            for _ in 0..<5 { #expect(try ControlClient(path: server.path).send(.list).isOK) }
            for connection in stalled + [silent] {
                #expect(connection.read(timeout: .milliseconds(50)) == .timedOut, "still open, no reply")
            }
            _ = directory
        }
        // Part 2: with a short read timeout, every stalled client is closed
        // without a reply, and the server goes on serving.
        let (server, directory) = try makeServer {
            $0.readTimeout = .seconds(1)
            $0.maxConnectionsPerClient = 32
        }
        defer { server.stop() }
        let stalled = try (0..<8).map { _ in try RawConnection(path: server.path) }
        for connection in stalled { connection.write(#"{"version":1,"request":{"op":"li"#) }
        let silent = try RawConnection(path: server.path)
        for connection in stalled + [silent] {
            #expect(connection.read(timeout: .seconds(10)) == .endOfStream, "closed without a reply")
        }
        #expect(try ControlClient(path: server.path).send(.irqs).isOK)
        _ = directory
    }

    @Test("a client trickling a frame byte by byte is cut off at the frame deadline")
    func tricklingClient() throws {
        let (server, directory) = try makeServer { $0.readTimeout = .milliseconds(600) }
        defer { server.stop() }
        let raw = try RawConnection(path: server.path)
        var closed = false
        for byte in Array(#"{"version":1,"request":{"op":"list"}}"#.utf8) {
            raw.write([byte])
            if case .endOfStream = raw.read(timeout: .milliseconds(100)) {
                closed = true
                break
            }
        }
        #expect(closed, "the connection was closed before the frame completed")
        #expect(try ControlClient(path: server.path).send(.list).isOK)
        _ = directory
    }

    @Test("a client that stops mid-frame and hangs up does not disturb the server")
    func truncatedFrame() throws {
        let (server, directory) = try makeServer()
        defer { server.stop() }
        do {
            let raw = try RawConnection(path: server.path)
            raw.write(#"{"version":1,"req"#)
        }
        #expect(try ControlClient(path: server.path).ping().pid == getpid())
        _ = directory
    }

    @Test("the client times out on a slow handler; the server keeps going")
    func clientTimeout() throws {
        let (server, directory) = try makeServer(handler: FakeHandler(delay: .milliseconds(1500)))
        defer { server.stop() }
        let path = server.path
        #expect(throws: ControlClientError.timedOut(path: path, timeout: .milliseconds(300))) {
            try ControlClient(path: path, timeout: .milliseconds(300)).send(.list)
        }
        // ping bypasses the (busy) handler.
        #expect(try ControlClient(path: path, timeout: .milliseconds(500)).ping().pid == getpid())
        #expect(try ControlClient(path: path, timeout: .seconds(10)).send(.stats).isOK)
        _ = directory
    }

    @Test("one client cannot hold every connection: beyond its own limit it gets busy, others still get in")
    func perClientLimit() throws {
        let (server, directory) = try makeServer {
            $0.maxConnections = 10
            $0.maxConnectionsPerClient = 2
            $0.readTimeout = .seconds(60)
        }
        defer { server.stop() }
        let held = try (0..<2).map { _ in try RawConnection(path: server.path) }
        for c in held {
            c.write(#"{"version":1,"request":{"op":"ping"}}"# + "\n")
            #expect(c.response()?.isOK == true)
        }
        let extra = try RawConnection(path: server.path)
        let refused = extra.response()
        #expect(refused?.errorCode == "busy")
        if case .error(_, let message)? = refused { #expect(message.contains("limit per client"), "\(message)") }
        // A connection slot of this client comes back when one closes.
        _ = Glibc.shutdown(held[0].fd, Int32(SHUT_RDWR))
        var admitted = false
        for _ in 0..<100 where !admitted {
            let again = try RawConnection(path: server.path)
            again.write(#"{"version":1,"request":{"op":"ping"}}"# + "\n")
            admitted = again.response()?.isOK == true
            if !admitted { usleep(10_000) }
        }
        #expect(admitted)
        _ = directory
    }

    @Test("connections beyond the limit get busy; stop() closes everything and unlinks")
    func busyAndStop() throws {
        // Idle clients would only time out after a minute: stop() returning
        // within the suite's time limit shows it does not wait for them.
        let (server, directory) = try makeServer {
            $0.maxConnections = 2
            $0.readTimeout = .seconds(60)
        }
        let held = try (0..<2).map { _ in try RawConnection(path: server.path) }
        held[0].write(#"{"version":1,"request":{"op":"ping"}}"# + "\n")
        #expect(held[0].response()?.isOK == true)  // both are admitted by now
        held[1].write(#"{"version":1,"request":{"op":"ping"}}"# + "\n")
        #expect(held[1].response()?.isOK == true)
        let extra = try RawConnection(path: server.path)
        #expect(extra.response()?.errorCode == "busy")

        server.stop()
        #expect(held[0].read(timeout: .seconds(2)) == .endOfStream)
        #expect(permissions(of: server.path) == nil)
        #expect(!server.isRunning)
        server.stop()  // idempotent
        _ = directory
    }
}

extension ControlResponse {
    /// The payload of an ok response, or a recorded failure.
    func payload(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        guard case .ok(let payload) = self else {
            Issue.record("expected ok, got \(self)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return payload
    }
}
