import ArgumentParser
import TenonControl

/// `tenon unload NAME [--timeout D]`.
struct UnloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unload",
        abstract: "Unload a plugin (like rmmod): unpublish, wait for quiescence, exit, unmap.",
        discussion: "If a CPU stays inside the plugin past the timeout, the plugin stays unpublished and mapped and the command fails with 'busy'; run it again to keep waiting.")

    @Argument(help: "Plugin name (see `tenon list`).")
    var name: String

    @Option(name: .long, help: "How long to wait for CPUs to leave the plugin: e.g. 500ms, 2s (default 5s).")
    var timeout: String = "5s"

    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard Self.milliseconds(timeout) != nil else {
            throw ValidationError("--timeout '\(timeout)' is not a duration like 500ms, 2s or 1.5")
        }
    }

    static func milliseconds(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("ms"), let v = Double(t.dropLast(2)), v >= 0 { return Int(v) }
        if t.hasSuffix("s"), let v = Double(t.dropLast()), v >= 0 { return Int(v * 1000) }
        if let v = Double(t), v >= 0 { return Int(v * 1000) }
        return nil
    }

    func run() throws {
        guard let payload = try options.send(.unload(name: name, timeoutMilliseconds: Self.milliseconds(timeout)!)) else { return }
        switch payload["result"]?.stringValue {
        case "retired": print("retired \(name) (kept mapped: \(payload["reason"]?.text ?? ""))")
        default: print("unloaded \(name)\(payload["mappingGone"] == .bool(true) ? " (mapping gone)" : "")")
        }
    }
}
