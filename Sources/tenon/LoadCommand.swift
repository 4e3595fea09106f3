import ArgumentParser
import TenonControl

/// `tenon load PATH [k=v…]`.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load a plugin into the running host (like insmod).",
        discussion: """
            The host loads a private, sealed copy of the file: rebuilding or overwriting the file \
            later does not touch the loaded plugin. Files or directories that another user could \
            change are refused unless --allow-insecure.

            If the plugin's init() is still running after --timeout, the command says so and exits \
            with status 1 while the load goes on in the host: `tenon list` shows it as `loading`.

            Example: tenon load .build/release/libtenon-counter.so irq=5
            """)

    @Argument(help: "The plugin's shared object.")
    var path: String

    @Argument(help: "Load-time parameters, key=value.")
    var parameters: [String] = []

    @Flag(name: .customLong("allow-insecure"), help: "Load even if another user could have changed the file (group/other-writable, or owned by someone else).")
    var allowInsecure = false

    @OptionGroup var timeout: RequestTimeout

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard
            let payload = try options.send(
                .load(
                    path: absolutePath(path), parameters: parameters,
                    allowInsecure: allowInsecure,
                    timeoutMilliseconds: timeout.milliseconds))
        else { return }
        let irqs = payload["irqs"].flatMap { try? $0.decode([Int].self) } ?? []
        print("loaded \(payload["name"]?.stringValue ?? "?") \(payload["version"]?.stringValue ?? "") (IRQs \(irqs.map(String.init).joined(separator: ", ")))")
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A short human rendering of a scalar.
    var text: String {
        switch self {
        case .null: "(none)"
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .double(let d): String(d)
        case .string(let s): s
        default: ClientOptions.encode(self)
        }
    }
}
