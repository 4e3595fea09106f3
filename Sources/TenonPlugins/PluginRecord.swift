import TenonPipeline

/// The host's live record of one plugin instance: everything needed to unload
/// it. Owned by ``PluginHost``; its `var`s are touched only under the host's
/// registry lock.
final class PluginRecord {
    let name: String
    let descriptor: PluginDescriptor
    let elf: ELFImage
    let image: DynamicImage
    let owner: UInt32
    let services: HostServices
    let commands: FFICommandTable
    let loadTime: Double
    /// The `key=value` arguments it was loaded with (carried by a swap).
    let parameters: [String]
    /// Every declared parameter's value as `name=value`, defaults included.
    let values: [String]
    /// ``TenonPipeline/IRQPipeline/handlerRuns(owner:)`` when the owner was
    /// registered: its slot may have counted an earlier owner's runs.
    let runsBase: UInt64
    var state: LoadedPlugin.State = .live
    /// The latest oops of this instance's code.
    var lastOops: PluginOops?
    /// Who guarded calls into it run as.
    var site: PluginCallSite { commands.site! }
    /// Set when a call broke a rule that quarantines (``PluginGuard``).
    var quarantineReason: String?
    /// Commands of this instance running now. An unload waits (within its
    /// timeout) until none is, and closes it to new ones (`closed`) at that
    /// moment: commands are protected against a concurrent unload without a
    /// host-wide lock.
    var inUse = 0
    /// Set once `exit()` may be next: new commands are refused.
    var closed = false
    /// The control operation on this instance in progress ("unload",
    /// "swap"), so that two never overlap on one plugin.
    var operation: String?
    /// What its code is doing for the control plane now (`exit()`, a
    /// command) and since when (CLOCK_MONOTONIC ns), for `list` and for a
    /// request that outlives its deadline.
    var activity: (what: String, sinceNanos: UInt64)?

    init(
        name: String, descriptor: PluginDescriptor, elf: ELFImage, image: DynamicImage, owner: UInt32,
        services: HostServices, commands: FFICommandTable, loadTime: Double,
        parameters: [String], values: [String], runsBase: UInt64
    ) {
        self.runsBase = runsBase
        self.parameters = parameters
        self.values = values
        self.name = name
        self.descriptor = descriptor
        self.elf = elf
        self.image = image
        self.owner = owner
        self.services = services
        self.commands = commands
        self.loadTime = loadTime
    }
}
