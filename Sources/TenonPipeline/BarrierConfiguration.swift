/// How the quiescence barrier is built; chosen once when a pipeline is created.
public struct BarrierConfiguration: Sendable, Equatable {
    /// How the unloader orders the readers' marks against its scans.
    public enum Fence: Sendable, Equatable {
        /// Readers use compiler barriers only; the unloader pays
        /// `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (the asymmetric fence).
        case membarrier
        /// Readers pay a full fence after marking and before unmarking; used
        /// when membarrier is unavailable (seccomp, gVisor, old kernels).
        case fenced
    }

    /// Fence requested; `.membarrier` falls back to `.fenced` if registration fails.
    public var fence: Fence = .membarrier

    #if TENON_TORTURE
    /// Deliberate breakage, for proving that the stress tool detects it
    /// (torture build only: the shipped read side has no such branch).
    public enum Sabotage: Sendable, Equatable {
        /// The shipped read side: nothing broken.
        case none
        /// Load the handler pointer before marking the slot (the classic race).
        case markAfterLoad
        /// Unpublish and return without waiting for readers.
        case skipWait
    }

    /// The breakage built in; `.none` by default.
    public var sabotage: Sabotage = .none
    /// When non-zero, random spins of up to this many iterations at every
    /// read-side step (after the parity load, after the mark, after the chain
    /// load, before the unmark) and between unpublishing and scanning, to widen
    /// race windows (`tenon stress --jitter`; torture build only).
    public var jitterSpins: UInt32 = 0

    /// A barrier with `fence`, breakage and jitter (torture build).
    public init(fence: Fence = .membarrier, sabotage: Sabotage = .none, jitterSpins: UInt32 = 0) {
        self.fence = fence
        self.sabotage = sabotage
        self.jitterSpins = jitterSpins
    }
    #else
    /// A barrier with `fence`.
    public init(fence: Fence = .membarrier) {
        self.fence = fence
    }
    #endif
}
