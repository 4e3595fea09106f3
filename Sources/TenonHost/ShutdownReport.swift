import TenonPlugins

/// What ``HostRuntime/shutdown(timeout:)`` achieved.
public struct ShutdownReport: Sendable {
    /// Each plugin's last unload result, by name (`"(stage)"` for the oob
    /// stage's own final barrier).
    public var results: [String: UnloadResult]
    /// Set when a CPU stayed inside a handler until the timeout: which CPU,
    /// IRQ and plugin, one line. The machine was then left running (its stuck
    /// thread cannot be joined); the caller should exit non-zero.
    public var stuck: String?

    /// Every plugin unloaded, the stage removed and the machine stopped.
    public var completed: Bool { stuck == nil }
}
