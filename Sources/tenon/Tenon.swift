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

    /// The commands that only talk to a running host, parsed without building
    /// the whole command tree (most of a client's start-up after the loader;
    /// README, Performance: `tenon call` as a process).
    static let clientCommands: [String: ParsableCommand.Type] = [
        "call": CallCommand.self, "list": ListCommand.self, "stats": StatsCommand.self,
        "irqs": IRQsCommand.self, "raise": RaiseCommand.self,
    ]

    /// `tenon call …` and the other client commands: the subcommand alone is
    /// parsed. Anything it does not accept (help, a typo) goes the usual way,
    /// through the root, so messages and help read exactly as they do there.
    static func fastClientCommand() -> ParsableCommand? {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let type = clientCommands[name] else { return nil }
        return try? type.parse(Array(arguments.dropFirst()))
    }

    /// Errors are one line on stderr ("error: …"), whatever produced them;
    /// help and version requests print in full.
    static func main() {
        do {
            if CommandLine.arguments.dropFirst().first == "call",
                let call = CallFastPath.request(CommandLine.arguments.dropFirst(2))
            {
                return try call.run()
            }
            var command = try fastClientCommand() ?? parseAsRoot()
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
