/// One record of the pipeline's trace (``IRQPipeline/startTracing()``): what
/// happened, where and when. 32 bytes, written in place on the interrupt path.
public struct TraceEvent: Sendable, Equatable {
    /// What a record says. A struct of constants rather than an enum, so
    /// the interrupt path stores the raw value without a call.
    public struct Kind: RawRepresentable, Sendable, Equatable, Hashable {
        public let rawValue: UInt16
        @inline(__always) @_noLocks
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// A handler of `irq` (owner `owner`) starts / returns; `arg` 1 = oob stage, 0 = in-band.
        public static var handlerBegin: Kind { @_noLocks get { Kind(rawValue: 1) } }
        /// A handler of `irq` returns; fields as in ``handlerBegin``.
        public static var handlerEnd: Kind { @_noLocks get { Kind(rawValue: 2) } }
        /// An irq_work item of `owner` starts / returns.
        public static var workBegin: Kind { @_noLocks get { Kind(rawValue: 3) } }
        /// An irq_work item of `owner` returns.
        public static var workEnd: Kind { @_noLocks get { Kind(rawValue: 4) } }
        /// A stage's log is played (`arg` 1 = oob log, 0 = in-band log) / done.
        public static var replayBegin: Kind { @_noLocks get { Kind(rawValue: 5) } }
        /// A stage's log has been played (`arg` as in ``replayBegin``).
        public static var replayEnd: Kind { @_noLocks get { Kind(rawValue: 6) } }
        /// A grace period starts (`owner`: the owner it is for, 0 = all) / ends
        /// (`arg`: 0 quiescent, 1 busy, 2 other; `irq`: CPUs skipped).
        public static var graceBegin: Kind { @_noLocks get { Kind(rawValue: 7) } }
        /// A grace period ends: `arg` 0 quiescent, 1 busy, 2 other; `irq`: CPUs skipped.
        public static var graceEnd: Kind { @_noLocks get { Kind(rawValue: 8) } }
        /// Grace period phases: heavy fence done; drain of parity `arg` done;
        /// parity flipped to `arg`; a drain waited `value` ns for CPU `irq`.
        public static var graceFence: Kind { @_noLocks get { Kind(rawValue: 9) } }
        /// The drain of parity `arg` is done.
        public static var graceDrained: Kind { @_noLocks get { Kind(rawValue: 10) } }
        /// The parity flipped to `arg`.
        public static var graceFlip: Kind { @_noLocks get { Kind(rawValue: 11) } }
        /// A drain waited `value` ns for CPU `irq`.
        public static var graceWaitedCPU: Kind { @_noLocks get { Kind(rawValue: 12) } }
        /// A step of an unload or swap of `owner` (`arg`: ``ControlStep``).
        public static var control: Kind { @_noLocks get { Kind(rawValue: 13) } }

        /// Kinds this build writes.
        public static var known: ClosedRange<UInt16> { 1...13 }
    }

    /// Steps of the plugin host's operations, in ``Kind/control`` records.
    public enum ControlStep: UInt32, Sendable {
        /// The plugin's actions were taken out of dispatch (the owner suspended).
        case unpublish = 1
        /// `exit()` starts / returns; what it left is revoked; the image is closed; a swap's new
        /// instance is committed; a load starts / ends.
        case exitBegin, exitEnd, revoke, close, swapCommit, loadBegin, loadEnd
    }

    /// What happened; says how to read the fields below.
    public var kind: Kind
    /// CLOCK_MONOTONIC nanoseconds.
    public var timeNanos: UInt64
    /// The CPU whose ring holds it; nil for the control plane's ring.
    public var cpu: Int?
    /// The IRQ concerned; a CPU or a count for some grace-period kinds (see ``Kind``).
    public var irq: UInt32
    /// The owner token concerned (a plugin instance's); 0 for the host or none.
    public var owner: UInt32
    /// Kind-specific: a stage, a parity, an outcome or a ``ControlStep`` (see ``Kind``).
    public var arg: UInt32
    /// Kind-specific: nanoseconds waited for ``Kind/graceWaitedCPU``, else 0.
    public var value: UInt64
}
