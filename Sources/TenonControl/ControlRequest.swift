/// A request to a running Tenon host, as carried by the control socket.
///
/// On the wire a request is an object with an `op` member naming the case and one member per
/// associated value, for example `{"op":"raise","irq":5,"cpu":1,"count":10}` (`cpu` may be
/// omitted or `null`: any CPU). Decoding checks types and ranges (see ``validationError``),
/// so a ``ControlHandler`` only ever sees well-formed requests.
public enum ControlRequest: Codable, Sendable, Equatable {
    /// Load the plugin at `path` with `key=value` parameters.
    case load(path: String, parameters: [String])
    /// Unload the plugin `name`, waiting at most `timeoutMilliseconds` for quiescence.
    case unload(name: String, timeoutMilliseconds: Int)
    /// Replace the plugin `name` by the one at `path` (hot swap).
    case swap(name: String, path: String, parameters: [String])
    /// List loaded plugins; payload `[PluginRow]`.
    case list
    /// Per-IRQ, per-CPU counts; payload `[IRQRow]`.
    case irqs
    /// Raise `irq` `count` times on `cpu` (or any CPU if `nil`).
    case raise(irq: Int, cpu: Int?, count: Int)
    /// Call `command` of `plugin` with string arguments.
    case call(plugin: String, command: String, arguments: [String])
    /// Host statistics; payload ``StatsPayload``.
    case stats
    /// The host's oops log (`tenon log`): payload `[OopsRow]`, oldest first.
    case log
    /// Ask the host to unload everything and exit.
    case shutdown
    /// Liveness and version check, answered by the server itself; payload ``PingPayload``.
    case ping

    /// The default unload timeout when a frame omits `timeoutMilliseconds`.
    public static let defaultUnloadTimeoutMilliseconds = 5_000

    /// The wire name of this request kind (the `op` member).
    public var op: String {
        switch self {
        case .load: "load"
        case .unload: "unload"
        case .swap: "swap"
        case .list: "list"
        case .irqs: "irqs"
        case .raise: "raise"
        case .call: "call"
        case .stats: "stats"
        case .log: "log"
        case .shutdown: "shutdown"
        case .ping: "ping"
        }
    }

    /// All `op` names, in declaration order.
    public static let allOps = [
        "load", "unload", "swap", "list", "irqs", "raise", "call", "stats", "log", "shutdown", "ping",
    ]

    /// A human-readable reason why this request is out of range, or `nil` if it is valid.
    public var validationError: String? {
        switch self {
        case .load(let path, _):
            if path.isEmpty { return "load: path is empty" }
        case .unload(let name, let timeout):
            if name.isEmpty { return "unload: name is empty" }
            if timeout < 0 { return "unload: timeoutMilliseconds must be >= 0 (got \(timeout))" }
        case .swap(let name, let path, _):
            if name.isEmpty { return "swap: name is empty" }
            if path.isEmpty { return "swap: path is empty" }
        case .raise(let irq, let cpu, let count):
            if irq < 0 { return "raise: irq must be >= 0 (got \(irq))" }
            if let cpu, cpu < 0 { return "raise: cpu must be >= 0 (got \(cpu))" }
            if count < 1 { return "raise: count must be >= 1 (got \(count))" }
        case .call(let plugin, let command, _):
            if plugin.isEmpty { return "call: plugin is empty" }
            if command.isEmpty { return "call: command is empty" }
        case .list, .irqs, .stats, .log, .shutdown, .ping:
            break
        }
        return nil
    }

    private enum CodingKeys: String, CodingKey {
        case op, path, parameters, name, timeoutMilliseconds, irq, cpu, count, plugin, command,
            arguments
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let op = try c.decode(String.self, forKey: .op)
        switch op {
        case "load":
            self = .load(
                path: try c.decode(String.self, forKey: .path),
                parameters: try c.decodeIfPresent([String].self, forKey: .parameters) ?? [])
        case "unload":
            self = .unload(
                name: try c.decode(String.self, forKey: .name),
                timeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds)
                    ?? Self.defaultUnloadTimeoutMilliseconds)
        case "swap":
            self = .swap(
                name: try c.decode(String.self, forKey: .name),
                path: try c.decode(String.self, forKey: .path),
                parameters: try c.decodeIfPresent([String].self, forKey: .parameters) ?? [])
        case "list": self = .list
        case "irqs": self = .irqs
        case "raise":
            self = .raise(
                irq: try c.decode(Int.self, forKey: .irq),
                cpu: try c.decodeIfPresent(Int.self, forKey: .cpu),
                count: try c.decodeIfPresent(Int.self, forKey: .count) ?? 1)
        case "call":
            self = .call(
                plugin: try c.decode(String.self, forKey: .plugin),
                command: try c.decode(String.self, forKey: .command),
                arguments: try c.decodeIfPresent([String].self, forKey: .arguments) ?? [])
        case "stats": self = .stats
        case "log": self = .log
        case "shutdown": self = .shutdown
        case "ping": self = .ping
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .op, in: c,
                debugDescription: "unknown op \"\(op)\" (expected one of: "
                    + Self.allOps.joined(separator: ", ") + ")")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(op, forKey: .op)
        switch self {
        case .load(let path, let parameters):
            try c.encode(path, forKey: .path)
            try c.encode(parameters, forKey: .parameters)
        case .unload(let name, let timeout):
            try c.encode(name, forKey: .name)
            try c.encode(timeout, forKey: .timeoutMilliseconds)
        case .swap(let name, let path, let parameters):
            try c.encode(name, forKey: .name)
            try c.encode(path, forKey: .path)
            try c.encode(parameters, forKey: .parameters)
        case .raise(let irq, let cpu, let count):
            try c.encode(irq, forKey: .irq)
            try c.encodeIfPresent(cpu, forKey: .cpu)
            try c.encode(count, forKey: .count)
        case .call(let plugin, let command, let arguments):
            try c.encode(plugin, forKey: .plugin)
            try c.encode(command, forKey: .command)
            try c.encode(arguments, forKey: .arguments)
        case .list, .irqs, .stats, .log, .shutdown, .ping:
            break
        }
    }
}
