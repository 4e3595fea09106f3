import ArgumentParser
import TenonControl

/// `tenon call PLUGIN COMMAND ARGS…`.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a plugin command through libffi; arguments are checked against its declared signature first.",
        discussion: """
            A command still running after --timeout is reported as such (exit status 1); it finishes \
            in the host, which logs its result, and an unload of the plugin waits for it.

            Example: tenon call counter count 1   (see `tenon info FILE.so` for the commands and signatures)
            """)

    @Argument(help: "Plugin name.")
    var plugin: String

    @Argument(help: "Command name.")
    var command: String

    @Argument(parsing: .allUnrecognized, help: "Arguments, converted to the command's parameter types.")
    var arguments: [String] = []

    @OptionGroup var timeout: RequestTimeout

    @OptionGroup var options: ClientOptions

    func run() throws {
        try CallRequest(
            plugin: plugin, command: command, arguments: arguments, milliseconds: timeout.milliseconds,
            socket: options.socket, json: options.json
        ).run()
    }
}
