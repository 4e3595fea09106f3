import Testing

/// `tenon demo`: the command is a thin printer over TenonDemo's `DemoRun`;
/// this runs the whole scenario, short, through the real binary.
@Suite("tenon demo", .timeLimit(.minutes(1)))
struct DemoCLITests {
    @Test("a short demo hot-swaps under load, loses nothing, unloads everything, exit 0")
    func shortDemo() throws {
        let r = try CLIProcess.run(["demo", "--cpus", "2", "--duration", "1"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("IRQs lost = 0, handled twice = 0"))
        #expect(r.stdout.contains("unload swap: unloaded") && r.stdout.contains("demo OK"))
        #expect(r.stdout.contains("latency probe"), "the probe line in the IRQ table")
    }

    @Test("options out of range are one-line errors before anything runs")
    func badOptions() throws {
        let r = try CLIProcess.run(["demo", "--cpus", "99"])
        #expect(r.status != 0 && r.stderr.contains("--cpus must be 1 to 16, not 99"))
        let d = try CLIProcess.run(["demo", "--duration", "0"])
        #expect(d.status != 0 && d.stderr.contains("--duration must be 1 to 25 s, not 0"))
    }
}
