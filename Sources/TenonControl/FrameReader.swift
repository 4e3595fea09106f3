#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-terminated frames from a socket with a size limit and a deadline
/// (internal helper). Bytes after a frame's newline are kept for the next frame.
final class FrameReader {
    /// The outcome of ``next(until:)``.
    enum Outcome: Equatable {
        /// A complete frame, without its newline.
        case frame([UInt8])
        /// The peer closed the connection cleanly between frames.
        case endOfStream
        /// The peer closed the connection in the middle of a frame.
        case truncated
        /// The deadline passed before a complete frame arrived.
        case timedOut
        /// More than the limit arrived without a newline.
        case tooLarge
        /// `read` failed with this errno.
        case failed(Int32)
    }

    private let fd: Int32
    private let limit: Int
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    /// `limit` counts the newline.
    init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    /// Returns the next frame, waiting at most until `deadline`.
    func next(until deadline: ContinuousClock.Instant) -> Outcome {
        var scanned = 0
        while true {
            if let index = buffer[scanned...].firstIndex(of: ControlProtocol.frameTerminator) {
                if index + 1 > limit { return .tooLarge }
                let frame = Array(buffer[..<index])
                buffer.removeSubrange(...index)
                return .frame(frame)
            }
            scanned = buffer.count
            if buffer.count >= limit { return .tooLarge }
            guard SocketIO.waitReadable(fd, until: deadline) else { return .timedOut }
            let count = chunk.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress!, min(raw.count, limit + 1 - buffer.count))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failed(errno)
            }
            if count == 0 { return buffer.isEmpty ? .endOfStream : .truncated }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}
