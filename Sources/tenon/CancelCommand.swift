import ArgumentParser
import TenonControl

/// `tenon cancel NAME`: undo a busy unload.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Re-publish a plugin that a busy unload left unpublished (its handlers receive IRQs again).",
        discussion: "Example: tenon cancel stuck")

    @Argument(help: "Plugin name (state 'unpublished' in `tenon list`).")
    var name: String

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard try options.send(.cancel(name: name)) != nil else { return }
        print("\(name) re-published (live)")
    }
}
