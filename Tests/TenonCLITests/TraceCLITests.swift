import Foundation
import Glibc
import Testing

/// `tenon trace` against a live `tenon run`: the host records for a while
/// and writes a trace Perfetto opens; bad options are one-line errors.
@Suite("tenon trace", .timeLimit(.minutes(2)))
struct TraceCLITests {
    @Test("a live host's trace: per-CPU handler slices, grace periods of an unload, valid nesting")
    func liveTrace() throws {
        let host = try TestHost(["--cpus", "2", "--timer", "100", "--plugin", CLIProcess.binDirectory + "/libtenon-counter.so:irq=5"])
        let path = host.dir + "/trace.json"
        let tracer = try CLIProcess.start(["trace", "--duration", "3s", path, "--socket", host.socket])
        // Act only once the host says it records (no guess at how long the client takes to start).
        var tracing = false
        for _ in 0..<500 where !tracing {
            tracing = try host.tenon(["stats"]).stdout.contains("tracing = true")
            if !tracing { usleep(5_000) }
        }
        #expect(tracing, "the host never reported tracing = true")
        #expect(try host.tenon(["raise", "5", "--count", "50"]).status == 0)
        #expect(try host.tenon(["unload", "counter"]).status == 0)
        let r = tracer.finish()
        #expect(r.status == 0 && r.stdout.contains("wrote \(path)"), "\(r.stdout) \(r.stderr)")
        let trace = try TraceFile(path: path)
        #expect(trace.trackNames[0] == "CPU 0" && trace.trackNames[1] == "CPU 1")
        #expect(trace.events.contains { $0.name.hasPrefix("IRQ 5 counter") && $0.ph == "B" }, "no counter handler slice")
        #expect(trace.events.contains { $0.name.hasPrefix("IRQ 0 host") }, "no host tick slice")
        #expect(trace.events.contains { $0.tid == 1000 && $0.name == "grace period" })
        #expect(trace.events.contains { $0.tid == 1000 && $0.name.hasPrefix("dlclose counter") })
        #expect(trace.balanced)
    }

    @Test("bad trace options are one-line errors")
    func badOptions() throws {
        let r = try CLIProcess.run(["trace", "--duration", "2h", "/tmp/x.json"])
        #expect(r.status != 0 && r.stderr.contains("--duration '2h' must be a duration from 1ms to 1m"), "\(r.stderr)")
    }
}
