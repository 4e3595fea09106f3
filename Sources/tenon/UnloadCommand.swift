import ArgumentParser
import TenonControl

/// `tenon unload NAME [--timeout D]`.
struct UnloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unload",
        abstract: "Unload a plugin (like rmmod): unpublish, wait for quiescence, exit, unmap.",
        discussion: """
            If a CPU stays inside the plugin past the timeout, the plugin stays unpublished and mapped \
            and the command fails with 'busy'; run it again to keep waiting, or `tenon cancel NAME` to \
            re-publish it.

            Example: tenon unload counter --timeout 2s
            """)

    @Argument(help: "Plugin name (see `tenon list`).")
    var name: String

    @Option(name: .long, help: "How long to wait for CPUs to leave the plugin: 500ms, 2s, 1m (default 5s).")
    var timeout: String = "5s"

    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard Self.milliseconds(timeout) != nil else {
            throw ValidationError(DurationText.invalid("--timeout", timeout))
        }
    }

    static func milliseconds(_ text: String) -> Int? { DurationText.milliseconds(text) }

    func run() throws {
        guard let payload = try options.send(.unload(name: name, timeoutMilliseconds: Self.milliseconds(timeout)!)) else { return }
        switch payload["result"]?.stringValue {
        case "retired": print("retired \(name) (kept mapped: \(payload["reason"]?.text ?? ""))")
        default: print("unloaded \(name)\(payload["mappingGone"] == .bool(true) ? " (mapping gone)" : "")")
        }
    }
}
