/// A snapshot of one loaded plugin, as ``PluginHost/load(path:parameters:)``
/// and ``PluginHost/list()`` report it. A value: it does not keep the plugin
/// loaded and goes stale when the plugin is unloaded or swapped.
public struct LoadedPlugin: Sendable, Equatable, CustomStringConvertible {
    /// Where a plugin stands in its lifecycle.
    public enum State: String, Sendable, Equatable {
        /// Published: its handlers receive IRQs.
        case live
        /// Unpublished by an unload that found a CPU still inside it
        /// (``UnloadResult/busy(cpu:irq:since:)``): mapped, receives nothing.
        case unpublished
        /// Its code faulted: quarantined (unpublished, timers cancelled,
        /// mapped for good). ``PluginHost/unload(name:timeout:)`` retires it.
        case faulted
        /// Unpublished because it broke a host rule (e.g. took the doorbell
        /// signal); mapped, receives nothing until unloaded.
        case quarantined
    }

    /// The plugin's unique name (from its descriptor; kept across hot swaps).
    public var name: String
    /// The descriptor's version text.
    public var version: String
    /// Canonical path of the loaded image.
    public var path: String
    public var state: State
    /// The pipeline owner token of this instance.
    public var owner: UInt32
    /// IRQ lines it has actions on, ascending.
    public var irqs: [UInt32]
    /// When it was loaded (wall clock, seconds since 1970).
    public var loadTime: Double
    /// Dispatches of its IRQ lines, summed over CPUs (per line: a shared
    /// line's count includes the other actions' dispatches).
    public var handlerCalls: UInt64
    /// Command names (``PluginHost/call(plugin:command:arguments:)``).
    public var commands: [String]
    /// Non-empty when the image will be retired instead of unmapped.
    public var retireReasons: [String]
    /// The latest oops of this instance, if its code faulted.
    public var lastOops: PluginOops?

    public var description: String {
        "\(name) \(version) [\(state.rawValue)] \(path) irqs=\(irqs) calls=\(handlerCalls)"
    }
}
