import Foundation

/// One row of `tenon list`: the payload of ``ControlRequest/list`` is `[PluginRow]`
/// (and ``ControlRequest/load(path:parameters:)`` / ``ControlRequest/swap(name:path:parameters:)``
/// should answer with the new plugin's row).
public struct PluginRow: Codable, Sendable, Equatable {
    /// The plugin's name (from its descriptor).
    public var name: String
    /// The plugin's version string.
    public var version: String
    /// Lifecycle state, for example `"loaded"`, `"unloading"`, `"swapping"`.
    public var state: String
    /// The IRQs the plugin's handlers are attached to.
    public var irqs: [Int]
    /// When the plugin was loaded (ISO 8601 on the wire).
    public var loadedAt: Date
    /// Number of handler invocations so far.
    public var handlerCalls: UInt64
    /// The one-line summary of the plugin's latest oops (state `faulted`); absent otherwise.
    public var lastOops: String?

    public init(
        name: String, version: String, state: String, irqs: [Int], loadedAt: Date,
        handlerCalls: UInt64, lastOops: String? = nil
    ) {
        self.lastOops = lastOops
        self.name = name
        self.version = version
        self.state = state
        self.irqs = irqs
        self.loadedAt = loadedAt
        self.handlerCalls = handlerCalls
    }
}
