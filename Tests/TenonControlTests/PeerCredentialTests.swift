import Foundation
import Testing

@testable import TenonControl

#if canImport(Glibc)
import Glibc
#endif

/// What a forked child running as another uid saw when it talked to the socket.
struct ForeignClientResult {
    /// The child's exit code (see ``ForeignClient``).
    var exitCode: Int32
    /// The bytes it read from the server.
    var reply: String
}

/// Runs a client as uid/gid 65534 (nobody) in a forked child.
///
/// The test process is multithreaded, so after `fork` the child only makes raw system calls
/// (async-signal-safe): every buffer is allocated before the fork, and the child never
/// allocates, locks or touches the Swift runtime beyond plain loads and stores. Exit codes:
/// 0 reply read to the end, 10 could not switch uid, 11 socket failed, 12 connect failed with
/// EACCES (filesystem permissions), 13 connect failed otherwise, 14 write failed,
/// 15 read failed before any byte, 16 fork failed (parent side).
enum ForeignClient {
    static let nobody: UInt32 = 65534

    static func run(path: String, request: String) throws -> ForeignClientResult {
        let address = try #require(UnixSocketAddress(path: path))
        let sockaddrBuffer = UnsafeMutablePointer<UnixSocketAddress>.allocate(capacity: 1)
        sockaddrBuffer.initialize(to: address)
        let requestBytes = Array(request.utf8)
        let requestBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: requestBytes.count, alignment: 1)
        requestBuffer.copyBytes(from: requestBytes)
        let replyBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer {
            sockaddrBuffer.deallocate()
            requestBuffer.deallocate()
            replyBuffer.deallocate()
        }
        var reportPipe: [Int32] = [-1, -1]
        #expect(pipe(&reportPipe) == 0)
        let socketType = Int32(SOCK_STREAM.rawValue)

        let pid = fork()
        if pid == 0 {
            // Child: async-signal-safe system calls only.
            close(reportPipe[0])
            alarm(10)  // never outlive the test
            if setgroups(0, nil) != 0 || setgid(nobody) != 0 || setuid(nobody) != 0 || getuid() != nobody {
                _exit(10)
            }
            let fd = socket(AF_UNIX, socketType, 0)
            if fd < 0 { _exit(11) }
            let connected = sockaddrBuffer.pointee.withSockaddr { Glibc.connect(fd, $0, $1) }
            if connected != 0 { _exit(errno == EACCES ? 12 : 13) }
            var offset = 0
            while offset < requestBuffer.count {
                let sent = send(
                    fd, requestBuffer.baseAddress! + offset, requestBuffer.count - offset,
                    Int32(MSG_NOSIGNAL))
                if sent <= 0 { break }  // the server may refuse before reading: still read its reply
                offset += sent
            }
            var total = 0
            while total < replyBuffer.count {
                let count = read(fd, replyBuffer.baseAddress! + total, replyBuffer.count - total)
                if count <= 0 { break }
                total += count
            }
            if total == 0 { _exit(15) }
            _ = write(reportPipe[1], replyBuffer.baseAddress!, total)
            _exit(0)
        }
        close(reportPipe[1])
        defer { close(reportPipe[0]) }
        if pid < 0 { return ForeignClientResult(exitCode: 16, reply: "") }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(reportPipe[0], &chunk, chunk.count)
            if count <= 0 { break }
            reply += chunk[..<count]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ForeignClientResult(exitCode: exitCode, reply: String(decoding: reply, as: UTF8.self))
    }
}

@Suite(
    "Peer credentials (SO_PEERCRED)", .timeLimit(.minutes(1)),
    .enabled(
        if: geteuid() == 0,
        "needs root to fork a child that switches to uid 65534 (nobody); run the tests as root"))
struct PeerCredentialTests {
    /// The production layout (socket 0600 in a 0700 directory) already stops other users at
    /// the filesystem: `connect` fails with EACCES before the server sees anything.
    @Test("another uid cannot even reach the default 0600 socket in its 0700 directory")
    func filesystemLayer() throws {
        let (server, directory) = try makeServer()
        defer { server.stop() }
        let result = try ForeignClient.run(path: server.path, request: #"{"version":1,"request":{"op":"list"}}"# + "\n")
        #expect(result.exitCode == 12, "connect as nobody fails with EACCES")
        #expect(try ControlClient(path: server.path).send(.list).isOK)
        _ = directory
    }

    /// To exercise the second layer, the SO_PEERCRED check, this test must let nobody reach
    /// the socket: the directory is 0711 (traversable, not listable) and the socket 0666.
    /// Production never relaxes these modes; the check protects against a socket whose modes
    /// were loosened by hand, or one inherited through a directory with laxer permissions.
    @Test("a connection from another uid gets a clear refusal and is closed; the host keeps serving")
    func credentialLayer() throws {
        let directory = TemporaryDirectory(mode: 0o711)
        let handler = FakeHandler()
        let (server, _) = try makeServer(handler: handler, directory: directory) {
            $0.directoryMode = 0o711
            $0.socketMode = 0o666
        }
        defer { server.stop() }
        #expect(permissions(of: directory.path) == 0o711)
        #expect(permissions(of: server.path) == 0o666)

        for request in [#"{"version":1,"request":{"op":"shutdown"}}"# + "\n", "", "garbage"] {
            let result = try ForeignClient.run(path: server.path, request: request)
            #expect(result.exitCode == 0, "child exit code \(result.exitCode)")
            let frame = try ControlCoding.decoder().decode(
                ControlResponseFrame.self, from: Data(result.reply.dropLast().utf8))
            #expect(result.reply.hasSuffix("\n"))
            #expect(
                frame.response
                    == .error(
                        code: "permission-denied", message: "permission denied: uid 65534 is not the host's user (0)"))
        }
        #expect(handler.received.withLock { $0 }.isEmpty, "nothing reached the handler")
        #expect(server.isRunning)
        #expect(try ControlClient(path: server.path).send(.list).isOK)
    }
}
