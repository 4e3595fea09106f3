/// What `tenon info` reports about a plugin file: read from the ELF file by
/// the parent, and from the descriptor by a short-lived child process.
struct PluginInfo: Codable {
    struct Parameter: Codable {
        var name: String
        var type: String
        var defaultValue: String?
        var description: String
    }

    struct Command: Codable {
        var name: String
        var signature: String
        var help: String
    }

    var name: String
    var version: String
    var description: String
    var abi: String
    var parameters: [Parameter]
    var commands: [Command]
    var hasInit: Bool
    var hasExit: Bool
    /// Fingerprint of the bytes the child loaded (must match the parent's).
    var hash: String
}
