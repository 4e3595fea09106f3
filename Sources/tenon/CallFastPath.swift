/// `tenon call` parsed by hand when its arguments are plain: most of a client
/// process's start-up after the loader went to ArgumentParser reflecting the
/// command's properties (README, Performance: `tenon call` as a process).
/// Anything else (help, an unknown option, an argument that looks like an
/// option such as `-5`, an invalid duration) returns nil and goes through
/// ArgumentParser, so its messages and help are the usual ones.
enum CallFastPath {
    static func request(_ tokens: ArraySlice<String>) -> CallRequest? {
        var positional: [String] = []
        var socket: String?
        var timeout: String?
        var json = false
        var rest = tokens[...]
        while let token = rest.popFirst() {
            switch token {
            case "--json": json = true
            case "--socket", "--timeout":
                guard let value = rest.popFirst(), !value.isEmpty, !value.hasPrefix("-") else { return nil }
                if token == "--socket" { socket = value } else { timeout = value }
            default:
                if token.hasPrefix("--socket=") {
                    socket = String(token.dropFirst("--socket=".count))
                } else if token.hasPrefix("--timeout=") {
                    timeout = String(token.dropFirst("--timeout=".count))
                } else if token.hasPrefix("-") {
                    return nil
                } else {
                    positional.append(token)
                }
            }
        }
        guard positional.count >= 2, socket.map({ !$0.isEmpty }) ?? true,
            timeout.map({ DurationText.milliseconds($0) != nil }) ?? true
        else { return nil }
        return CallRequest(
            plugin: positional[0], command: positional[1], arguments: Array(positional.dropFirst(2)),
            milliseconds: DurationText.milliseconds(timeout ?? "10s") ?? 10_000, socket: socket, json: json)
    }
}
