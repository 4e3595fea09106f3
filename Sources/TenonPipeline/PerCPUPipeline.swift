import Synchronization

/// One simulated CPU's pipeline state (Dovetail's `irq_pipeline_data` plus the
/// task's stall bits and the CPU's interrupt flag).
///
/// Plain fields: only the thread running this CPU touches them, either on its
/// normal path or from its own signal handler. The handler never runs while
/// `hardOff` is set (it only notes the doorbell), so every multi-step update
/// below is made with hard interrupts off, as in the kernel; the compiler
/// barriers at each hard-state change keep the compiler from caching fields
/// across a point where the handler may run.
struct PerCPUPipeline {
    let index: Int
    let core: UnsafeMutablePointer<PipelineCore>
    let slot: UnsafeMutablePointer<BarrierSlot>
    /// `/proc/interrupts` counters of this CPU, one per IRQ, written by this CPU only.
    let counts: UnsafeMutablePointer<Atomic<UInt64>>
    /// Handler runs that found no action, and events dropped on disabled
    /// lines or with no descriptor: counted, never silently lost.
    var unhandled: UnsafeMutablePointer<Atomic<UInt64>> { @_noLocks get { counts + Int(IRQNumberSpace.total) } }
    /// Entries that stopped on their drain budget with IRQs still pending
    /// (Linux's `time_squeeze` of `/proc/net/softnet_stat`).
    var squeezes: UnsafeMutablePointer<Atomic<UInt64>> { @_noLocks get { counts + Int(IRQNumberSpace.total) + 1 } }
    /// Handler runs on this CPU per owner slot (0: the host), written by this
    /// CPU only: what `tenon list` reports as one plugin's own handler calls.
    let ownerRuns: UnsafeMutablePointer<Atomic<UInt64>>

    /// The CPU's interrupt flag: "hard interrupts off" (lazy mask).
    var hardOff = false
    /// In-band stage stalled: the virtual interrupt flag.
    var inbandStalled = false
    var oobStalled = false
    /// The oob stage is current (Dovetail's STAGE_MASK).
    var oobCurrent = false
    /// Nesting of pipeline entry sections (PIPELINE_MASK, `on_pipeline_entry()`).
    var pipelineDepth: UInt32 = 0
    /// The controller word being taken and its bits not yet handled: kept in
    /// memory, not in a local, so a fault that abandons the take can put the
    /// rest back in the controller (see ``CPUContext/takeRaised()``).
    var takeWord = 0
    var takeRest: UInt64 = 0
    /// The CPU's task context sleeps in its idle loop: a drain that stops on
    /// its budget comes back at once, as nothing in-band waits for its turn.
    var inbandIdle = false
    /// Backstop expiries in a row that saw no stop on the budget, and
    /// whether an entry of this busy CPU stopped since the last expiry
    /// (``InterruptPath/backstopEntry(_:)``).
    var backstopQuiet: UInt32 = 0
    var stoppedSinceBackstop = false
    /// A drain stopped on its budget and cleared the summary with IRQs left
    /// in the leaves: the next entry looks at them even with the summary
    /// clear. Cleared by any pass (it takes every raised line).
    var leftBehind = false
    var inbandLog = IRQLog()
    var oobLog = IRQLog()
    var work = IRQWorkQueue()

    init(index: Int, core: UnsafeMutablePointer<PipelineCore>, slot: UnsafeMutablePointer<BarrierSlot>) {
        self.index = index
        self.core = core
        self.slot = slot
        counts = .allocate(capacity: Int(IRQNumberSpace.total) + 2)
        for i in 0...Int(IRQNumberSpace.total) + 1 { (counts + i).initialize(to: Atomic(0)) }
        ownerRuns = .allocate(capacity: PipelineCore.maxOwners)
        for i in 0..<PipelineCore.maxOwners { (ownerRuns + i).initialize(to: Atomic(0)) }
    }

    func deallocate() {
        counts.deinitialize(count: Int(IRQNumberSpace.total) + 2)
        counts.deallocate()
        ownerRuns.deinitialize(count: PipelineCore.maxOwners)
        ownerRuns.deallocate()
        work.deallocate()
    }
}
