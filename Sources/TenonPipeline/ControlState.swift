/// Control-plane state of a pipeline, guarded by its lock.
struct ControlState: Sendable {
    /// Requested actions per IRQ, in request order.
    var records: [UInt32: [ActionRecord]] = [:]
    var oobStageName: String?
    /// Mapped synthetic IRQs and who mapped them.
    var synthetic: [UInt32: UInt32] = [:]
    /// Unpublished chains (and the closures they call) awaiting a grace period.
    var pendingFree: [RetiredChain] = []
    /// Owner slots in use, and the generation each slot is at.
    var ownerGenerations = [UInt32](repeating: 0, count: PipelineCore.maxOwners)
    var ownerInUse = Set<UInt32>([0])
    /// Owners whose actions are staged for a hot swap: staged owner -> replaced owner.
    var staging: [UInt32: UInt32] = [:]
    var proxy: ProxyTick?
    /// Every line each owner slot requested an action on since it was
    /// registered (freed ones included): the chains that may hold its code.
    var ownerLines: [UInt32: Set<UInt32>] = [:]
}

/// A chain taken out of a descriptor, freed after the next grace period.
struct RetiredChain: Sendable {
    var chain: UInt
    var boxes: [ClosureHandler]
}

/// An installed proxy tick device (`tick_install_proxy`).
struct ProxyTick: Sendable {
    var tickIRQ: UInt32
    var proxyIRQ: UInt32
    var moved: [ActionRecord]
}
