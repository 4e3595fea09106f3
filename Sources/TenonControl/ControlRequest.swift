/// A request to a running Tenon host, as carried by the control socket.
///
/// On the wire a request is an object with an `op` member naming the case and one member per
/// associated value, for example `{"op":"raise","irq":5,"cpu":1,"count":10}` (`cpu` may be
/// omitted or `null`: any CPU). Decoding checks types and ranges (see ``validationError``),
/// so a ``ControlHandler`` only ever sees well-formed requests.
public enum ControlRequest: Codable, Sendable, Equatable {
    /// Load the plugin at `path` with `key=value` parameters. `allowInsecure`
    /// (`--allow-insecure`) loads a file other users could have changed.
    /// With `timeoutMilliseconds`, the reply comes by then at the latest: if
    /// the plugin's code still runs, it says so and the load goes on.
    case load(path: String, parameters: [String], allowInsecure: Bool = false, timeoutMilliseconds: Int? = nil)
    /// Unload the plugin `name`, waiting at most `timeoutMilliseconds` for quiescence.
    case unload(name: String, timeoutMilliseconds: Int)
    /// Replace the plugin `name` by the one at `path` (hot swap). Empty
    /// `parameters` keep the old ones; `rename` accepts a new image declaring
    /// another plugin name. `timeoutMilliseconds` bounds the new version's
    /// load (as for `load`) and the wait for the old one to drain.
    case swap(
        name: String, path: String, parameters: [String], rename: Bool = false, allowInsecure: Bool = false,
        timeoutMilliseconds: Int? = nil)
    /// Re-publish `name`, left unpublished by a busy unload.
    case cancel(name: String)
    /// List loaded plugins; payload `[PluginRow]`.
    case list
    /// Per-IRQ, per-CPU counts; payload `[IRQRow]`.
    case irqs
    /// Raise `irq` `count` times on `cpu` (or any CPU if `nil`).
    case raise(irq: Int, cpu: Int?, count: Int)
    /// Call `command` of `plugin` with string arguments; with
    /// `timeoutMilliseconds`, reply by then even if the command still runs.
    case call(plugin: String, command: String, arguments: [String], timeoutMilliseconds: Int? = nil)
    /// Host statistics; payload ``StatsPayload``.
    case stats
    /// The host's oops log (`tenon log`): payload `[OopsRow]`, oldest first.
    case log
    /// Ask the host to unload everything and exit, giving up after
    /// `timeoutMilliseconds` (nil: the host's `--timeout`) if a CPU stays stuck.
    case shutdown(timeoutMilliseconds: Int?)
    /// Liveness and version check, answered by the server itself; payload ``PingPayload``.
    case ping
    /// Record the pipeline's trace for `durationMilliseconds`, then write it as
    /// Chrome trace-event JSON to `path` (written by the host: an absolute path
    /// it can write). Payload: `path`, `records`, `overwritten`.
    case trace(path: String, durationMilliseconds: Int)

    /// The default unload timeout when a frame omits `timeoutMilliseconds`.
    public static let defaultUnloadTimeoutMilliseconds = 5_000

    /// The wire name of this request kind (the `op` member).
    public var op: String {
        switch self {
        case .load: "load"
        case .unload: "unload"
        case .swap: "swap"
        case .cancel: "cancel"
        case .list: "list"
        case .irqs: "irqs"
        case .raise: "raise"
        case .call: "call"
        case .stats: "stats"
        case .log: "log"
        case .shutdown: "shutdown"
        case .ping: "ping"
        case .trace: "trace"
        }
    }

    /// All `op` names, in declaration order.
    public static let allOps = [
        "load", "unload", "swap", "cancel", "list", "irqs", "raise", "call", "stats", "log", "shutdown", "ping", "trace",
    ]

    /// A human-readable reason why this request is out of range, or `nil` if it is valid.
    public var validationError: String? {
        switch self {
        case .load(let path, _, _, let timeout):
            if path.isEmpty { return "load: path is empty" }
            if let timeout, timeout < 0 { return "load: timeoutMilliseconds must be >= 0 (got \(timeout))" }
        case .unload(let name, let timeout):
            if name.isEmpty { return "unload: name is empty" }
            if timeout < 0 { return "unload: timeoutMilliseconds must be >= 0 (got \(timeout))" }
        case .swap(let name, let path, _, _, _, let timeout):
            if name.isEmpty { return "swap: name is empty" }
            if path.isEmpty { return "swap: path is empty" }
            if let timeout, timeout < 0 { return "swap: timeoutMilliseconds must be >= 0 (got \(timeout))" }
        case .cancel(let name):
            if name.isEmpty { return "cancel: name is empty" }
        case .shutdown(let timeout):
            if let timeout, timeout < 0 { return "shutdown: timeoutMilliseconds must be >= 0 (got \(timeout))" }
        case .raise(let irq, let cpu, let count):
            if irq < 0 { return "raise: irq must be >= 0 (got \(irq))" }
            if let cpu, cpu < 0 { return "raise: cpu must be >= 0 (got \(cpu))" }
            if count < 1 { return "raise: count must be >= 1 (got \(count))" }
        case .call(let plugin, let command, _, let timeout):
            if plugin.isEmpty { return "call: plugin is empty" }
            if command.isEmpty { return "call: command is empty" }
            if let timeout, timeout < 0 { return "call: timeoutMilliseconds must be >= 0 (got \(timeout))" }
        case .trace(let path, let duration):
            if !path.hasPrefix("/") { return "trace: path must be absolute (got \"\(path)\")" }
            if !(1...60_000).contains(duration) { return "trace: durationMilliseconds must be 1 to 60000 (got \(duration))" }
        case .list, .irqs, .stats, .log, .ping:
            break
        }
        return nil
    }

    private enum CodingKeys: String, CodingKey {
        case op, path, parameters, name, timeoutMilliseconds, irq, cpu, count, plugin, command,
            arguments, allowInsecure, rename, durationMilliseconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let op = try c.decode(String.self, forKey: .op)
        switch op {
        case "load":
            self = .load(
                path: try c.decode(String.self, forKey: .path),
                parameters: try c.decodeIfPresent([String].self, forKey: .parameters) ?? [],
                allowInsecure: try c.decodeIfPresent(Bool.self, forKey: .allowInsecure) ?? false,
                timeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds))
        case "unload":
            self = .unload(
                name: try c.decode(String.self, forKey: .name),
                timeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds)
                    ?? Self.defaultUnloadTimeoutMilliseconds)
        case "swap":
            self = .swap(
                name: try c.decode(String.self, forKey: .name),
                path: try c.decode(String.self, forKey: .path),
                parameters: try c.decodeIfPresent([String].self, forKey: .parameters) ?? [],
                rename: try c.decodeIfPresent(Bool.self, forKey: .rename) ?? false,
                allowInsecure: try c.decodeIfPresent(Bool.self, forKey: .allowInsecure) ?? false,
                timeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds))
        case "cancel":
            self = .cancel(name: try c.decode(String.self, forKey: .name))
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
                arguments: try c.decodeIfPresent([String].self, forKey: .arguments) ?? [],
                timeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds))
        case "stats": self = .stats
        case "log": self = .log
        case "shutdown":
            self = .shutdown(timeoutMilliseconds: try c.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds))
        case "ping": self = .ping
        case "trace":
            self = .trace(
                path: try c.decode(String.self, forKey: .path),
                durationMilliseconds: try c.decode(Int.self, forKey: .durationMilliseconds))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .op, in: c,
                debugDescription: "unknown op \"\(op)\" (expected one of: "
                    + Self.allOps.joined(separator: ", ") + ")")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }

    /// The request as the JSON object it travels as (`op` plus its fields);
    /// ``encode(to:)`` writes exactly this.
    package var jsonValue: JSONValue {
        var c: [String: JSONValue] = ["op": .string(op)]
        switch self {
        case .load(let path, let parameters, let allowInsecure, let timeout):
            c["path"] = .string(path)
            c["parameters"] = .array(parameters.map(JSONValue.string))
            if allowInsecure { c["allowInsecure"] = true }
            if let timeout { c["timeoutMilliseconds"] = .int(timeout) }
        case .unload(let name, let timeout):
            c["name"] = .string(name)
            c["timeoutMilliseconds"] = .int(timeout)
        case .swap(let name, let path, let parameters, let rename, let allowInsecure, let timeout):
            c["name"] = .string(name)
            c["path"] = .string(path)
            c["parameters"] = .array(parameters.map(JSONValue.string))
            if rename { c["rename"] = true }
            if allowInsecure { c["allowInsecure"] = true }
            if let timeout { c["timeoutMilliseconds"] = .int(timeout) }
        case .cancel(let name):
            c["name"] = .string(name)
        case .shutdown(let timeout):
            if let timeout { c["timeoutMilliseconds"] = .int(timeout) }
        case .raise(let irq, let cpu, let count):
            c["irq"] = .int(irq)
            if let cpu { c["cpu"] = .int(cpu) }
            c["count"] = .int(count)
        case .call(let plugin, let command, let arguments, let timeout):
            c["plugin"] = .string(plugin)
            c["command"] = .string(command)
            c["arguments"] = .array(arguments.map(JSONValue.string))
            if let timeout { c["timeoutMilliseconds"] = .int(timeout) }
        case .trace(let path, let duration):
            c["path"] = .string(path)
            c["durationMilliseconds"] = .int(duration)
        case .list, .irqs, .stats, .log, .ping:
            break
        }
        return .object(c)
    }
}
