/// A Tenon handler plugin written in Swift: one type, exported by one line.
///
///     @_cdecl("tenon_plugin_entry")
///     public func entry() -> UnsafeRawPointer? { export(MyPlugin.self) }
///
/// Lifecycle (each step [task]): the entry point calls ``declare(_:)``; the
/// host parses parameters; the kit builds the instance with
/// ``init(host:parameters:)`` *in the image's static storage* and then calls
/// ``start(host:)`` on it, where IRQs are requested; at unload, after the
/// quiescence barrier, ``stop(host:)`` runs; the instance is not destroyed
/// (its storage goes with the image), so free heap memory in `stop`.
/// The host revokes whatever the plugin still holds (actions, synthetic IRQs,
/// timers, pending irq_work) after `stop`.
///
/// Handlers reach the instance through ``shared``: everything a handler
/// touches belongs in the instance (atomics, ``PerCPUCounter``,
/// ``IRQWork``, the ``Host``). Do not let a handler touch a Swift global
/// with a non-trivial initialiser: those are initialised lazily, on first
/// use, which must not happen in a signal frame.
public protocol Plugin: ~Copyable {
    /// Unique among loaded plugins: [a-z0-9_-]{1,31}.
    static var name: StaticString { get }
    /// Free text, e.g. "1.0.0".
    static var version: StaticString { get }
    /// One line for `tenon list`.
    static var summary: StaticString { get }
    /// The largest machine the plugin's per-CPU tables hold; init refuses a
    /// larger one with ``Errno/invalidArgument``. Default:
    /// ``PerCPUCounter/capacity``.
    static var maxCPUs: UInt32 { get }

    /// Declares parameters and commands. [task], from the entry point.
    static func declare(_ plugin: inout Declaration)

    /// Builds the state from the parameters. [task] Request no IRQ here:
    /// the instance is not in place yet (see ``start(host:)``). Throw to
    /// refuse the load.
    init(host: Host, parameters: Parameters) throws(Errno)

    /// The instance is in place (``shared``): request IRQs, start timers.
    /// [task] Throw to refuse the load; the host revokes what was registered.
    func start(host: Host) throws(Errno)

    /// Unload, after the quiescence barrier: no handler of the plugin runs or
    /// will run. [task]
    func stop(host: Host)
}

extension Plugin where Self: ~Copyable {
    /// Default: ``PerCPUCounter/capacity``.
    public static var maxCPUs: UInt32 { PerCPUCounter.capacity }
    /// Default: declares no parameter and no command.
    public static func declare(_ plugin: inout Declaration) {}
    /// Default: requests nothing.
    public func start(host: Host) throws(Errno) {}
    /// Default: does nothing.
    public func stop(host: Host) {}

    /// The loaded instance, in the image's static storage. [any][async-signal-safe]
    /// Valid from the end of ``init(host:parameters:)`` until ``stop(host:)``
    /// returns, which covers every handler, irq_work and command.
    @inlinable
    public static var shared: Self {
        unsafeAddress { UnsafePointer(KitStorage.state(Self.self)) }
    }
}
