import ArgumentParser
import TenonControl

/// `tenon swap NAME PATH [k=v…]`.
struct SwapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Hot-swap a loaded plugin for another build of it: every IRQ is handled by exactly one of the two.")

    @Argument(help: "Name of the loaded plugin.")
    var name: String

    @Argument(help: "The new version's shared object.")
    var path: String

    @Argument(help: "Load-time parameters of the new version, key=value.")
    var parameters: [String] = []

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard let payload = try options.send(.swap(name: name, path: absolutePath(path), parameters: parameters)) else { return }
        print("swapped \(name) \(payload["from"]?.text ?? "?") -> \(payload["to"]?.text ?? "?") (old: \(payload["old"]?.text ?? "?"))")
    }
}
