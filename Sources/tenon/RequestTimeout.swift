import ArgumentParser

/// `--timeout D` of `load`, `swap` and `call`: how long the host lets plugin
/// code (`init()`, a command) run before it replies "still running"; the
/// operation itself goes on in the background. The client waits for that
/// reply a little longer than D (see ``ClientOptions/deadline(for:)``).
struct RequestTimeout: ParsableArguments {
    @Option(name: .long, help: "Reply by then even if the plugin's code still runs (it goes on in the background): 500ms, 2s, 1m.")
    var timeout: String = "10s"

    func validate() throws {
        guard DurationText.milliseconds(timeout) != nil else {
            throw ValidationError(DurationText.invalid("--timeout", timeout))
        }
    }

    var milliseconds: Int { DurationText.milliseconds(timeout) ?? 10_000 }
}
