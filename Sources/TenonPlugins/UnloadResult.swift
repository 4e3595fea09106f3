/// What ``PluginHost/unload(name:timeout:)`` did. Unloading never hangs and
/// never guesses: each case says exactly where the plugin stands.
public enum UnloadResult: Sendable, Equatable, CustomStringConvertible {
    /// Unpublished, quiescent, `exit()` ran, everything it registered was
    /// revoked and the image was `dlclose`d. `mapsGone` is what
    /// `/proc/self/maps` said afterwards (false means something else, e.g.
    /// another `dlopen` of the same file, still holds it).
    case unloaded(mapsGone: Bool)
    /// Like ``unloaded(mapsGone:)`` but the image is kept mapped on purpose
    /// (Swift runtime metadata, `-z nodelete`, `STB_GNU_UNIQUE`): unmapping it
    /// could crash the host later. The plugin is gone from the host.
    case retired(reason: String)
    /// CPU `cpu` stayed inside a handler (of `irq`, if known) from `since`
    /// (CLOCK_MONOTONIC nanoseconds) until the timeout. The plugin stays
    /// unpublished (no new dispatch reaches it) and mapped; call
    /// ``PluginHost/unload(name:timeout:)`` again to keep waiting, or
    /// ``PluginHost/cancelUnload(name:)`` to re-publish it.
    case busy(cpu: Int, irq: UInt32?, since: UInt64)
    /// Nothing was done: e.g. no such plugin, or the caller runs inside an IRQ
    /// handler (waiting for quiescence there would never end).
    case refused(reason: String)

    public var description: String {
        switch self {
        case .unloaded(let gone): return gone ? "unloaded" : "unloaded (but its file is still mapped by someone else)"
        case .retired(let reason): return "retired (kept mapped: \(reason))"
        case let .busy(cpu, irq, _):
            return "busy: CPU \(cpu) is still inside \(irq.map { "IRQ \($0)" } ?? "a handler"); "
                + "the plugin stays unpublished; retry unload or cancel"
        case .refused(let reason): return "refused: \(reason)"
        }
    }
}
