import TenonControl

/// One `tenon call`, however it was parsed (``CallCommand`` or
/// ``CallFastPath``): no property wrappers, so the fast path touches none.
struct CallRequest {
    var plugin: String
    var command: String
    var arguments: [String]
    var milliseconds: Int
    var socket: String?
    var json: Bool

    func run() throws {
        guard
            let payload = try ClientOptions.send(
                .call(plugin: plugin, command: command, arguments: arguments, timeoutMilliseconds: milliseconds),
                socket: socket, json: json)
        else { return }
        print(payload["result"]?.text ?? "(none)")
    }
}
