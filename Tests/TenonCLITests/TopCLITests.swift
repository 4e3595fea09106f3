import Foundation
import Testing

/// `tenon top` against a live host: rates that follow what the host did.
@Suite("tenon top", .serialized, .timeLimit(.minutes(2)))
struct TopCLITests {
    @Test("--json: one object per refresh; the host tick shows a rate, an idle IRQ 0, busiest first")
    func jsonRates() throws {
        let bin = CLIProcess.binDirectory
        let host = try TestHost(["--cpus", "2", "--timer", "100", "--plugin", bin + "/libtenon-counter.so:irq=5"])
        let r = try host.tenon(["top", "--json", "--iterations", "2", "--interval", "300ms"])
        #expect(r.status == 0, "\(r.stderr)")
        let samples = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(samples.count == 2, "\(r.stdout)")
        for s in samples {
            let lines = try #require(s["lines"] as? [[String: Any]])
            let tick = try #require(lines.first { $0["irq"] as? Int == 0 })
            #expect((tick["total_hz"] as? Double ?? 0) > 0, "the 100 Hz host tick shows no rate: \(tick)")
            #expect((tick["perCPU_hz"] as? [Double])?.count == 2)
            let counter = try #require(lines.first { $0["irq"] as? Int == 5 })
            #expect(counter["total_hz"] as? Double == 0, "nothing raised IRQ 5, yet it has a rate")
            #expect(counter["handlers"] as? [String] == ["counter"])
            #expect(lines.first?["irq"] as? Int == 0, "busiest first")
        }
        // Plain lines when not on a terminal: a header per refresh, then the table.
        let plain = try host.tenon(["top", "--iterations", "1", "--interval", "100ms"])
        #expect(plain.stdout.hasPrefix("tenon top — "))
        #expect(plain.stdout.contains("CPU0/s") && plain.stdout.contains("counter"))
        #expect(!plain.stdout.contains("\u{1B}["), "escape codes on a pipe")
    }

    @Test("no host: one-line error, non-zero exit")
    func noHost() throws {
        let r = try CLIProcess.run(["top", "-n", "1", "--socket", "/tmp/tenon-no-such-host/control.sock"])
        #expect(r.status != 0)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
