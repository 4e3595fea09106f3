import CTenon
import Glibc

/// A plain pthread for tests (a raiser that is no CPU of any machine).
final class TestThread: @unchecked Sendable {
    private var thread: pthread_t = 0
    private let body: @Sendable () -> Void

    init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
        let arg = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                let me = Unmanaged<TestThread>.fromOpaque(arg!).takeRetainedValue()
                me.body()
                return nil
            }, arg)
        precondition(rc == 0)
    }

    func join() { pthread_join(thread, nil) }
}

/// Polls `condition` every 200 µs until it holds or `seconds` pass.
@discardableResult
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = ctenon_monotonic_ns() + UInt64(seconds * 1e9)
    while !condition() {
        if ctenon_monotonic_ns() > deadline { return false }
        usleep(200)
    }
    return true
}

/// Spins for `nanos` (no sleeping: keeps the thread on its CPU).
func spin(nanos: UInt64) {
    let end = ctenon_monotonic_ns() + nanos
    while ctenon_monotonic_ns() < end { ctenon_cpu_relax() }
}

/// Thread ids listed in /proc/self/task.
func threadIDs() -> Set<Int32> {
    guard let dir = opendir("/proc/self/task") else { return [] }
    defer { closedir(dir) }
    var ids: Set<Int32> = []
    while let e = readdir(dir) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if let id = Int32(name) { ids.insert(id) }
    }
    return ids
}

/// POSIX timers of the process whose signal goes to one of `threads`
/// (`notify: signal/tid.N` lines of /proc/self/timers): other suites' timers,
/// running beside the caller, do not count.
func posixTimerCount(notifying threads: Set<Int32>) -> Int {
    guard let f = fopen("/proc/self/timers", "r") else { return -1 }
    defer { fclose(f) }
    var n = 0
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), f) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("notify:"), let target = text.split(separator: "/").last, target.hasPrefix("tid.") else {
            continue
        }
        if let tid = Int32(target.dropFirst(4).prefix(while: \.isNumber)), threads.contains(tid) { n += 1 }
    }
    return n
}
