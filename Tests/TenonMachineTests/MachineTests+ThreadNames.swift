import Glibc
import Testing
import TenonMachine
import TenonSystem

extension MachineTests {
    /// Each CPU thread carries its CPU's number in its name (`top -H`,
    /// `ps -L`, perf and gdb show it), read back from /proc by thread id.
    @Test func cpuThreadsAreNamedAfterTheirCPU() throws {
        let m = try Machine(cpus: 3)
        defer { m.stop() }
        for cpu in 0..<3 {
            let path = "/proc/self/task/\(m.threadID(of: cpu))/comm"
            guard let file = fopen(path, "r") else { Issue.record("cannot open \(path)"); continue }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 32)
            _ = fgets(&buffer, Int32(buffer.count), file)
            let name = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(name == "tenon-cpu\(cpu)")
        }
    }

    /// Names longer than Linux keeps are cut, not refused.
    @Test func longThreadNamesAreCut() {
        let before = ThreadName.current
        defer { ThreadName.setCurrent(before) }
        ThreadName.setCurrent("a-name-much-longer-than-fifteen")
        #expect(ThreadName.current == "a-name-much-lon")
    }
}
