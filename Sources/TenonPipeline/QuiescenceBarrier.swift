import CTenon
import Glibc
import Synchronization

/// What waiting for quiescence found.
public enum BarrierWait: Equatable, Sendable {
    /// Every read section that could have seen the unpublished code has ended.
    case quiescent
    /// CPU `cpu` stayed inside one read section (dispatching `irq` for the
    /// owner in slot `owner`, 0 for the host) from `sinceNanos`
    /// (CLOCK_MONOTONIC) until the deadline.
    case busy(cpu: Int, irq: UInt32?, owner: UInt32, sinceNanos: UInt64)
    /// The caller runs inside a read section itself (a handler asked to wait
    /// for its own code): waiting would never end.
    case wouldDeadlock(cpu: Int)
    /// `membarrier` failed with `errno` after registration had succeeded:
    /// readers mark with plain stores and no fence, so nothing proves their
    /// marks are visible to the scan; no grace period is claimed and nothing
    /// unpublished may be freed. Retry later (or cancel the unload).
    case fenceFailed(SystemError)
}

/// The refcounted per-CPU quiescence barrier (an SRCU-style grace period).
///
/// Read side, around every handler dispatch: read the parity, bump this CPU's
/// counter for it, and only then load the handler pointer; un-bump after the
/// call. The counters are single-owner, so this costs two plain stores and no
/// fence: the unloader pays instead with `membarrier`, which makes every
/// running CPU execute a full fence (the asymmetric-fence trade of liburcu-memb
/// and SRCU-fast). The unloader waits for the parity new readers do not use,
/// flips, then waits for the old one: new dispatches go to the other counter,
/// so an IRQ storm cannot starve it.
///
/// `Models/barrier.pml` models this type; `Models/README.md` ("Code ↔ model")
/// maps each line of `enter`, `exit`, `synchronize` and `drain` to its step
/// there, and `Tests/Mutants` holds a mutant of each step with what kills it.
struct QuiescenceBarrier: ~Copyable {
    let parity = Atomic<UInt32>(0)
    let slots: UnsafeMutableRawPointer
    let count: Int
    /// Read side pays seq_cst fences (no membarrier available or requested).
    let fenced: Bool
    #if TENON_TORTURE
    /// Torture build only (QuiescenceBarrier+Torture.swift): the shipped build
    /// has neither these fields nor a branch on them.
    let sabotage: BarrierConfiguration.Sabotage
    /// `sabotage == .markAfterLoad`, as a plain flag the interrupt path can test.
    let markAfterLoad: Bool
    let jitterSpins: UInt32
    /// `fenced || jitterSpins != 0`: one test on the fast path.
    let slowPath: Bool
    #else
    /// The read side's one test: `fenced` (the torture build adds `--jitter`).
    var slowPath: Bool { @_noLocks get { fenced } }
    #endif
    /// Write side: drains that found a CPU inside a section of the parity
    /// they wait for (straggler drain, main drain): the windows in which an
    /// unload really had to wait for a reader.
    let stragglerWaits = Atomic<UInt64>(0)
    let mainWaits = Atomic<UInt64>(0)
    /// Test-only: when non-zero, `membarrier` calls fail with this errno.
    /// Read by the write side only.
    let membarrierFault = Atomic<Int32>(0)
    #if DEBUG
    /// Test-only ``BarrierHook`` (retained), 0 when none; see ``step(_:_:detail:)``.
    let hook = Atomic<UInt>(0)
    #endif

    static var slotStride: Int { @_noLocks get { 64 } }

    init(cpus: Int, configuration: BarrierConfiguration) {
        count = cpus
        slots = .allocate(byteCount: Self.slotStride * cpus, alignment: Self.slotStride)
        for i in 0..<cpus {
            (slots + i * Self.slotStride).bindMemory(to: BarrierSlot.self, capacity: 1).initialize(to: BarrierSlot())
        }
        // Registration is per process and idempotent; decide the read side once,
        // before any reader runs, and never switch mid-run.
        fenced = configuration.fence == .fenced || ctenon_membarrier_register() != 0
        #if TENON_TORTURE
        sabotage = configuration.sabotage
        markAfterLoad = configuration.sabotage == .markAfterLoad
        jitterSpins = configuration.jitterSpins
        slowPath = fenced || configuration.jitterSpins != 0
        #endif
    }

    func deallocate() {
        #if DEBUG
        let h = hook.exchange(0, ordering: .acquiring)
        if h != 0 { Unmanaged<BarrierHook>.fromOpaque(UnsafeRawPointer(bitPattern: h)!).release() }
        #endif
        for i in 0..<count { slot(i).deinitialize(count: 1) }
        slots.deallocate()
    }

    /// A named point of the barrier protocol (see ``BarrierStep``): calls the
    /// test hook in debug builds; compiles to nothing in release builds.
    /// In the torture build with `--jitter`, every read-side step also spins a
    /// random while, so each window of the section (before the mark, between
    /// mark and load, inside, before the unmark) gets stretched, not only one.
    @inline(__always) @_noLocks
    func step(_ step: BarrierStep, _ slot: UnsafeMutablePointer<BarrierSlot>?, detail: UInt = 0) {
        #if TENON_TORTURE
        if jitterSpins != 0, let slot { jitter(slot) }
        #endif
        #if DEBUG
        let h = hook.load(ordering: .acquiring)
        if h != 0 { runHook(h, step, slot, detail) }
        #endif
    }

    #if DEBUG
    @inline(never) @_noLocks
    func runHook(_ h: UInt, _ step: BarrierStep, _ slot: UnsafeMutablePointer<BarrierSlot>?, _ detail: UInt) {
        var cpu = -1
        if let slot { cpu = slots.distance(to: UnsafeMutableRawPointer(slot)) / Self.slotStride }
        HostGlue.callTestHook(h, step, cpu, detail)
    }
    #endif

    @inline(__always) @_noLocks
    func slot(_ cpu: Int) -> UnsafeMutablePointer<BarrierSlot> {
        (slots + cpu &* Self.slotStride).assumingMemoryBound(to: BarrierSlot.self)
    }

    // MARK: - Read side (interrupt path)

    /// Opens a read section on `slot` for a dispatch of `irq`. The mark is
    /// stored before the caller loads any handler pointer.
    @inline(__always) @_noLocks
    func enter(_ slot: UnsafeMutablePointer<BarrierSlot>, irq: UInt32) -> BarrierToken {
        let p = parity.load(ordering: .relaxed)
        step(.afterParity, slot)
        let outer = slot.pointee.word(p)
        slot.pointee.setWord(p, BarrierSlot.nested(in: outer, irq: irq, ownerSlot: 0), releasing: false)
        if slowPath {
            enterSlowPath(slot, parity: p, outer: outer)
        } else {
            compilerBarrier()
        }
        step(.afterMark, slot)
        return BarrierToken(parity: p, outer: outer)
    }

    /// Records which owner's code the open section is about to run.
    @inline(__always) @_noLocks
    func running(_ slot: UnsafeMutablePointer<BarrierSlot>, _ token: BarrierToken, irq: UInt32, owner: UInt32) {
        slot.pointee.setWord(token.parity, BarrierSlot.nested(in: token.outer, irq: irq, ownerSlot: owner), releasing: false)
    }

    /// Closes the read section opened by `enter`: nested sections are balanced
    /// by now, so the word goes back to what the interrupted section had.
    @inline(__always) @_noLocks
    func exit(_ slot: UnsafeMutablePointer<BarrierSlot>, _ token: BarrierToken) {
        step(.beforeExit, slot)
        if fenced {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
        } else {
            compilerBarrier()
        }
        slot.pointee.setWord(token.parity, token.outer, releasing: true)
    }

    @inline(never) @_noLocks
    func enterSlowPath(_ slot: UnsafeMutablePointer<BarrierSlot>, parity p: UInt32, outer: UInt64) {
        if fenced { atomicMemoryFence(ordering: .sequentiallyConsistent) }
        #if TENON_TORTURE
        if jitterSpins != 0 { countWindows(slot, parity: p, outer: outer) }
        #endif
    }

    // MARK: - Write side (task context)

    /// The write side's full fence on every running CPU; 0 or the errno of a
    /// failed `membarrier`.
    ///
    /// A failure is never papered over with a local fence: that would order
    /// only this thread, while the readers' marks (plain stores, compiler
    /// barriers only) could still sit unseen in their store buffers, so a scan
    /// could miss a reader that already loaded the old handler. Switching the
    /// readers to fences now would not help either: a reader that entered
    /// before it saw the switch is just as unordered. So the grace period fails
    /// and its caller keeps everything it unpublished.
    private func heavyFence() -> Int32 {
        if fenced {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            return 0
        }
        let injected = membarrierFault.load(ordering: .relaxed)
        let rc = injected != 0 ? -injected : ctenon_membarrier()
        return rc == 0 ? 0 : -rc
    }

    /// Waits until no CPU can still be running code that was unpublished
    /// before the call. Callers serialise themselves (one writer at a time).
    func synchronize(deadlineNanos: UInt64, callerCPU: Int?) -> BarrierWait {
        var skipped = 0
        return synchronize(deadlineNanos: deadlineNanos, callerCPU: callerCPU, cannotReach: nil, skipped: &skipped)
    }

    /// ``synchronize(deadlineNanos:callerCPU:)`` for one piece of code only.
    ///
    /// With `cannotReach`, a CPU whose only open section of the parity being
    /// drained provably cannot reach the code being waited for (the predicate
    /// says so from the section's word: its line and owner) is not waited for,
    /// and `skipped` counts such CPUs. Only a depth-1 word is offered: an outer,
    /// interrupted section's line is not recorded, so it could reach anything.
    /// `phase` is told each step for the trace (kind, CPU or parity, wait ns).
    func synchronize(
        deadlineNanos: UInt64, callerCPU: Int?,
        cannotReach: ((UInt64) -> Bool)? = nil, skipped: inout Int,
        phase: ((TraceEvent.Kind, UInt32, UInt64) -> Void)? = nil
    ) -> BarrierWait {
        if let cpu = callerCPU, slot(cpu).pointee.isInside { return .wouldDeadlock(cpu: cpu) }
        #if TENON_TORTURE
        if sabotage == .skipWait { return .quiescent }
        #endif
        step(.writerStart, nil)
        #if TENON_TORTURE
        writerJitter()
        #endif
        var e = heavyFence()
        if e != 0 { return .fenceFailed(SystemError(e)) }
        phase?(.graceFence, 0, 0)
        let p = parity.load(ordering: .relaxed)
        // Stragglers that read the other parity long ago.
        let first = drain(
            1 - p, deadlineNanos: deadlineNanos, waits: stragglerWaits,
            cannotReach: cannotReach, skipped: &skipped, phase: phase)
        if first != .quiescent { return first }
        phase?(.graceDrained, 1 - p, 0)
        step(.afterFirstDrain, nil)
        parity.store(1 - p, ordering: .relaxed)
        e = heavyFence()
        if e != 0 { return .fenceFailed(SystemError(e)) }
        step(.afterFlip, nil)
        phase?(.graceFlip, 1 - p, 0)
        let second = drain(
            p, deadlineNanos: deadlineNanos, waits: mainWaits,
            cannotReach: cannotReach, skipped: &skipped, phase: phase)
        if second != .quiescent { return second }
        phase?(.graceDrained, p, 0)
        e = heavyFence()
        if e != 0 { return .fenceFailed(SystemError(e)) }
        step(.writerEnd, nil)
        return .quiescent
    }

    private func drain(
        _ p: UInt32, deadlineNanos: UInt64, waits: borrowing Atomic<UInt64>,
        cannotReach: ((UInt64) -> Bool)?, skipped: inout Int,
        phase: ((TraceEvent.Kind, UInt32, UInt64) -> Void)?
    ) -> BarrierWait {
        for cpu in 0..<count {
            let s = slot(cpu)
            var firstWord: UInt64 = 0
            var since: UInt64 = 0
            var waitStart: UInt64 = 0
            var spins = 0
            while true {
                let word = p == 0 ? s.pointee.nest0.load(ordering: .acquiring) : s.pointee.nest1.load(ordering: .acquiring)
                if BarrierSlot.depth(word) == 0 { break }
                // A section that could have loaded a chain still holding our
                // code marked before that load, so before the first fence: it
                // shows here or in the other parity's word. Depth 1 is one open
                // section, on the line the word names; if no chain of that line
                // ever held our code, nothing of this parity on this CPU can
                // reach it (sections opened later load chains without it).
                if BarrierSlot.depth(word) == 1, let cannotReach, cannotReach(word) {
                    skipped += 1
                    break
                }
                if since == 0 { waits.wrappingAdd(1, ordering: .relaxed) }
                let now = ctenon_monotonic_ns()
                // After the flip no new section enters this parity, so a word
                // that stays put is one section that has not finished.
                if since == 0 || word != firstWord { firstWord = word; since = now }
                if waitStart == 0 { waitStart = now }
                if now >= deadlineNanos {
                    return .busy(
                        cpu: cpu, irq: UInt32(truncatingIfNeeded: word >> 32),
                        owner: UInt32(truncatingIfNeeded: word >> 16) & 0xFFF, sinceNanos: since)
                }
                spins += 1
                if spins < 64 {
                    ctenon_cpu_relax()
                } else if spins < 256 {
                    sched_yield()
                } else {
                    // Doubling from 20 µs to 1 ms: the section is preempted or
                    // long, so give its thread the core. A fixed 20 µs kept a
                    // SCHED_FIFO unloader on the reader's core nearly all the
                    // time (grace period p99 0.8 s in a 16-CPU storm).
                    let doublings = min((spins - 256) / 4, 6)
                    var ts = timespec(tv_sec: 0, tv_nsec: min(20_000 << doublings, 1_000_000))
                    nanosleep(&ts, nil)
                }
            }
            if waitStart != 0 { phase?(.graceWaitedCPU, UInt32(cpu), ctenon_monotonic_ns() &- waitStart) }
        }
        return .quiescent
    }
}

/// What `enter` saved for `exit`.
struct BarrierToken {
    var parity: UInt32
    /// The parity word of the interrupted section, put back on exit.
    var outer: UInt64
}
