/// A snapshot of one loaded plugin, as ``PluginHost/load(path:parameters:)``
/// and ``PluginHost/list()`` report it. A value: it does not keep the plugin
/// loaded and goes stale when the plugin is unloaded or swapped.
public struct LoadedPlugin: Sendable, Equatable, CustomStringConvertible {
    /// Where a plugin stands in its lifecycle.
    public enum State: String, Sendable, Equatable {
        /// Its constructors, entry point or `init()` are still running; the
        /// name is reserved.
        case loading
        /// Published: its handlers receive IRQs.
        case live
        /// An unload is in progress: unpublished, the CPUs are waited for,
        /// then until no command runs (commands are refused from then on),
        /// then `exit()` and `dlclose`.
        case unloading
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
    /// Canonical path of the file the image was copied from.
    public var path: String
    /// Where it stands in its lifecycle.
    public var state: State
    /// The pipeline owner token of this instance.
    public var owner: UInt32
    /// IRQ lines it has actions on, ascending.
    public var irqs: [UInt32]
    /// When it was loaded (wall clock, seconds since 1970).
    public var loadTime: Double
    /// Runs of this instance's own handlers, summed over CPUs (not its lines'
    /// counts: a shared line's other actions and earlier plugins don't count).
    public var handlerCalls: UInt64
    /// Command names (``PluginHost/call(plugin:command:arguments:)``).
    public var commands: [String]
    /// Non-empty when the image will be retired instead of unmapped.
    public var retireReasons: [String]
    /// The latest oops of this instance, if its code faulted.
    public var lastOops: PluginOops?
    /// 64-bit fingerprint of the loaded bytes (``PrivateImage/contentHash``), 16 hex digits (nil when not
    /// loaded from a private copy): tells two builds at one path apart.
    public var contentHash: String?
    /// Every declared parameter as `name=value`, defaults included, as given
    /// to `init()`.
    public var parameterValues: [String]
    /// What its code is doing for the control plane now, e.g. "init() for
    /// 12.0 s" or "command nap for 3.1 s"; nil when nothing.
    public var activity: String?

    /// A snapshot from its fields; the optional ones default to absent or empty.
    public init(
        name: String, version: String, path: String, state: State, owner: UInt32, irqs: [UInt32],
        loadTime: Double, handlerCalls: UInt64, commands: [String], retireReasons: [String],
        contentHash: String? = nil, parameterValues: [String] = [], lastOops: PluginOops? = nil,
        activity: String? = nil
    ) {
        self.activity = activity
        self.name = name
        self.version = version
        self.path = path
        self.state = state
        self.owner = owner
        self.irqs = irqs
        self.loadTime = loadTime
        self.handlerCalls = handlerCalls
        self.commands = commands
        self.retireReasons = retireReasons
        self.contentHash = contentHash
        self.parameterValues = parameterValues
        self.lastOops = lastOops
    }

    public var description: String {
        "\(name) \(version) [\(state.rawValue)] \(path) irqs=\(irqs) calls=\(handlerCalls)"
    }
}
