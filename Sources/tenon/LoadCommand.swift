import ArgumentParser
import TenonControl

/// `tenon load PATH [k=v…]`.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load a plugin into the running host (like insmod).")

    @Argument(help: "The plugin's shared object.")
    var path: String

    @Argument(help: "Load-time parameters, key=value.")
    var parameters: [String] = []

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard let payload = try options.send(.load(path: absolutePath(path), parameters: parameters)) else { return }
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
