import ArgumentParser
import Foundation

@main
struct Tenon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenon",
        abstract: "A user-space co-kernel framework modelled on Dovetail's interrupt pipeline.",
        discussion: """
            Tenon emulates a machine of simulated CPUs whose interrupts are real \
            signals, installs Dovetail's out-of-band stage, and runs interrupt \
            handlers from plugins that can be hot-loaded and unloaded safely.
            """,
        version: "0.1.0",
        subcommands: [
            DemoCommand.self, RunCommand.self, LoadCommand.self, UnloadCommand.self, SwapCommand.self, ListCommand.self,
            IRQsCommand.self, RaiseCommand.self, CallCommand.self, StatsCommand.self, LogCommand.self, ShutdownCommand.self,
            CancelCommand.self, InfoCommand.self,
            NewPluginCommand.self, PipelineDemoCommand.self, IRQBenchCommand.self, DoorbellBenchCommand.self, BenchCommand.self, StressCommand.self,
            LatencyCommand.self, TopCommand.self, TraceCommand.self,
        ],
        defaultSubcommand: nil
    )

    /// Errors are one line on stderr ("error: …"), whatever produced them;
    /// help and version requests print in full.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                exit(withError: error)
            }
            let full = fullMessage(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            var line = full.split(separator: "\n").first.map(String.init) ?? "failed"
            if line.hasPrefix("Error: ") { line = String(line.dropFirst(7)) }
            if !full.isEmpty {
                FileHandle.standardError.write(Data("error: \(line) (see `tenon help`)\n".utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}
