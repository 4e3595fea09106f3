import ArgumentParser

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
            IRQsCommand.self, RaiseCommand.self, CallCommand.self, StatsCommand.self, ShutdownCommand.self,
            NewPluginCommand.self, PipelineDemoCommand.self, IRQBenchCommand.self, BenchCommand.self,
        ],
        defaultSubcommand: nil
    )
}
