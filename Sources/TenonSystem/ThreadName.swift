#if canImport(Glibc)
import Glibc
#endif
import CTenonSystem

/// Names the threads Tenon starts, so that `top -H`, `ps -L`, `perf` and gdb
/// tell a CPU thread from the fault monitor or a control connection.
public enum ThreadName {
    /// Linux keeps 15 bytes of a thread's name (16 with the NUL).
    public static let maximumLength = 15

    /// Names the calling thread; longer names are cut to ``maximumLength`` bytes.
    public static func setCurrent(_ name: String) {
        var bytes = Array(name.utf8.prefix(maximumLength))
        bytes.append(0)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = ctenon_thread_set_name($0.baseAddress!) }
        }
    }

    /// The calling thread's name.
    public static var current: String {
        var buffer = [CChar](repeating: 0, count: maximumLength + 1)
        _ = ctenon_thread_get_name(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
