import ArgumentParser

/// The `tenon` command line: one subcommand per tool.
@main
struct Tenon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenon",
        abstract: "Tenon: a user-space co-kernel framework modelled on Dovetail.",
        subcommands: [IRQBenchCommand.self]
    )
}
