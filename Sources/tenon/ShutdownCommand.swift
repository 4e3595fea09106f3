import ArgumentParser
import TenonControl

/// `tenon shutdown`: the same as SIGTERM to the host.
struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown", abstract: "Ask the running host to unload everything and exit.")

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard try options.send(.shutdown) != nil else { return }
        print("host shutting down")
    }
}
