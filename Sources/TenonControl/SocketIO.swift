#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the socket system calls used by server and client (internal helper).
enum SocketIO {
    /// Peer credentials of a connected UNIX socket (`struct ucred`).
    struct PeerCredentials: Sendable, Equatable {
        var pid: Int32
        var uid: UInt32
        var gid: UInt32
    }

    /// `strerror` as a Swift string.
    static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// A new `AF_UNIX` stream socket with close-on-exec, or the errno.
    static func makeSocket() -> Result<Int32, SystemCallError> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        return fd >= 0 ? .success(fd) : .failure(SystemCallError(call: "socket", errno: errno))
    }

    /// Connects `fd` to `address` (retrying on `EINTR`); returns 0 or the errno.
    static func connect(_ fd: Int32, to address: UnixSocketAddress) -> Int32 {
        while true {
            let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
            if result == 0 { return 0 }
            if errno == EINTR { continue }
            return errno
        }
    }

    /// Sets `SO_SNDTIMEO` or `SO_RCVTIMEO`.
    static func setTimeout(_ fd: Int32, option: Int32, _ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var value = timeval(
            tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds) / 1_000_000_000_000))
        if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }  // 0 means "forever"
        _ = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes all of `bytes` (no `SIGPIPE`); returns 0 or the errno (`EAGAIN` on send timeout).
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += sent
        }
        return 0
    }

    /// `SO_PEERCRED` of a connected UNIX socket, or `nil` if unavailable.
    static func peerCredentials(_ fd: Int32) -> PeerCredentials? {
        var raw: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &raw, &length) == 0,
            Int(length) == MemoryLayout<(Int32, UInt32, UInt32)>.size
        else { return nil }
        return PeerCredentials(pid: raw.0, uid: raw.1, gid: raw.2)
    }

    /// Milliseconds from now until `deadline`, clamped to `0...Int32.max`, for `poll`.
    static func pollTimeout(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// Waits until `fd` is readable (or hung up) or `deadline` passes; `true` if readable.
    static func waitReadable(_ fd: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let result = poll(&descriptor, 1, pollTimeout(until: deadline))
            if result > 0 { return true }
            if result == 0 { return false }
            if errno != EINTR { return true }  // let the following read report the error
        }
    }
}
