import ArgumentParser
import TenonControl

/// `tenon shutdown`: the same as SIGTERM to the host.
struct ShutdownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown", abstract: "Ask the running host to unload everything and exit.",
        discussion: """
            The control socket stays open until the machine has stopped, so a stuck plugin can still \
            be released (`tenon call stuck release`). If a CPU is still stuck after the timeout, the \
            host names it on its stderr and exits with status 3.

            Example: tenon shutdown --timeout 10s
            """)

    @Option(name: .long, help: "How long the host waits for stuck CPUs: 500ms, 2s, 1m (default: the host's `run --timeout`).")
    var timeout: String?

    @OptionGroup var options: ClientOptions

    func validate() throws {
        if let timeout, DurationText.milliseconds(timeout) == nil {
            throw ValidationError(DurationText.invalid("--timeout", timeout))
        }
    }

    func run() throws {
        guard try options.send(.shutdown(timeoutMilliseconds: timeout.flatMap(DurationText.milliseconds))) != nil else { return }
        print("host shutting down")
    }
}
