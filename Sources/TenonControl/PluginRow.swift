import Foundation

/// One row of `tenon list`: the payload of ``ControlRequest/list`` is `[PluginRow]`
/// (and ``ControlRequest/load(path:parameters:)`` / ``ControlRequest/swap(name:path:parameters:)``
/// should answer with the new plugin's row).
public struct PluginRow: Codable, Sendable, Equatable {
    /// The plugin's name (from its descriptor).
    public var name: String
    /// The plugin's version string.
    public var version: String
    /// Lifecycle state: `"loading"` (its `init()` still runs), `"live"`,
    /// `"unloading"`, `"unpublished"` (a busy unload left it receiving
    /// nothing; `tenon cancel` re-publishes it), `"faulted"` or `"quarantined"`.
    public var state: String
    /// The IRQs the plugin's handlers are attached to.
    public var irqs: [Int]
    /// When the plugin was loaded (ISO 8601 on the wire).
    public var loadedAt: Date
    /// Runs of this plugin's own handlers (this instance, since it was loaded).
    public var handlerCalls: UInt64
    /// The one-line summary of the plugin's latest oops (state `faulted`); absent otherwise.
    public var lastOops: String?
    /// The file the loaded image was copied from.
    public var path: String?
    /// 64-bit fingerprint of the loaded bytes, 16 hex digits.
    public var contentHash: String?
    /// Every declared parameter as `name=value` (defaults included).
    public var parameters: [String]?
    /// Command names (`tenon call`).
    public var commands: [String]?
    /// Why the image will be kept mapped at unload (empty: it will be unmapped).
    public var retireReasons: [String]?
    /// What the plugin's code is doing for the control plane now, e.g.
    /// `"init() for 12.0 s"`, `"exit() for 1.0 s"`, `"command nap for 3.2 s"`.
    public var activity: String?

    /// A row from its fields; the optional ones default to absent.
    public init(
        name: String, version: String, state: String, irqs: [Int], loadedAt: Date,
        handlerCalls: UInt64, lastOops: String? = nil, path: String? = nil, contentHash: String? = nil,
        parameters: [String]? = nil, commands: [String]? = nil, retireReasons: [String]? = nil,
        activity: String? = nil
    ) {
        self.activity = activity
        self.lastOops = lastOops
        self.path = path
        self.contentHash = contentHash
        self.parameters = parameters
        self.commands = commands
        self.retireReasons = retireReasons
        self.name = name
        self.version = version
        self.state = state
        self.irqs = irqs
        self.loadedAt = loadedAt
        self.handlerCalls = handlerCalls
    }
}
