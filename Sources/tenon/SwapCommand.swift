import ArgumentParser
import TenonControl

/// `tenon swap NAME PATH [k=v…]`.
struct SwapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Hot-swap a loaded plugin for another build of it: every IRQ is handled by exactly one of the two.",
        discussion: """
            The new build must declare the same plugin name (--rename to replace it by another \
            plugin). Without parameters the old ones are carried over. The path may be the one the \
            running version came from: the host loads a private copy of the file as it is now. \
            --timeout bounds both the new version's init() and the wait for CPUs and commands to \
            leave the old version.

            Example: tenon swap swap .build/release/libtenon-swapv2.so
            """)

    @Argument(help: "Name of the loaded plugin.")
    var name: String

    @Argument(help: "The new version's shared object.")
    var path: String

    @Argument(help: "Load-time parameters of the new version, key=value (default: the old version's).")
    var parameters: [String] = []

    @Flag(name: .long, help: "Accept a new build that declares another plugin name; it replaces NAME under its own.")
    var rename = false

    @Flag(name: .customLong("allow-insecure"), help: "Load even if another user could have changed the file.")
    var allowInsecure = false

    @OptionGroup var timeout: RequestTimeout

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard
            let payload = try options.send(
                .swap(
                    name: name, path: absolutePath(path), parameters: parameters,
                    rename: rename, allowInsecure: allowInsecure,
                    timeoutMilliseconds: timeout.milliseconds))
        else { return }
        let newName = payload["name"]?.stringValue ?? name
        let params = (try? payload["parameters"]?.decode([String].self)) ?? nil
        print(
            "swapped \(name) \(payload["from"]?.text ?? "?") -> \(newName == name ? "" : newName + " ")\(payload["to"]?.text ?? "?") "
                + "(old: \(payload["old"]?.text ?? "?"))"
                + (parameters.isEmpty && !(params ?? []).isEmpty ? "; parameters kept: \(params!.joined(separator: " "))" : ""))
    }
}
