import Foundation
import Testing

/// `tenon stress` torture options against the build they belong to.
@Suite("tenon stress options", .serialized, .timeLimit(.minutes(1)))
struct StressCLITests {
    #if !TENON_TORTURE
    /// The default build has no sabotage or jitter code: asking for them must
    /// fail at once with one line naming the torture build, not run a storm
    /// that would pass without the breakage it was asked for.
    @Test(arguments: [["--sabotage", "skip-wait"], ["--sabotage", "mark-after-load"], ["--jitter"]])
    func tortureOptionsNeedTheTortureBuild(_ args: [String]) throws {
        let r = try CLIProcess.run(["stress", "--duration", "0.1"] + args)
        #expect(r.status == 2, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("\(args.joined(separator: " ")) needs the torture build"), "\(r.stderr)")
        #expect(r.stderr.contains("scripts/torture-build"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
    #endif
}
