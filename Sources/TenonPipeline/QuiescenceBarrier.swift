import CTenon
import Glibc
import Synchronization

/// What waiting for quiescence found.
public enum BarrierWait: Equatable, Sendable {
    /// Every read section that could have seen the unpublished code has ended.
    case quiescent
    /// CPU `cpu` stayed inside one read section (dispatching `irq` for
    /// `owner`) from `sinceNanos` (CLOCK_MONOTONIC) until the deadline.
    case busy(cpu: Int, irq: UInt32?, owner: UInt32, sinceNanos: UInt64)
    /// The caller runs inside a read section itself (a handler asked to wait
    /// for its own code): waiting would never end.
    case wouldDeadlock(cpu: Int)
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
struct QuiescenceBarrier: ~Copyable {
    let parity = Atomic<UInt32>(0)
    let slots: UnsafeMutableRawPointer
    let count: Int
    /// Read side pays seq_cst fences (no membarrier available or requested).
    let fenced: Bool
    let sabotage: BarrierConfiguration.Sabotage
    /// `sabotage == .markAfterLoad`, as a plain flag the interrupt path can test.
    let markAfterLoad: Bool
    let jitterSpins: UInt32

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
        sabotage = configuration.sabotage
        markAfterLoad = configuration.sabotage == .markAfterLoad
        jitterSpins = configuration.jitterSpins
    }

    func deallocate() {
        for i in 0..<count { slot(i).deinitialize(count: 1) }
        slots.deallocate()
    }

    @inline(__always) @_noLocks
    func slot(_ cpu: Int) -> UnsafeMutablePointer<BarrierSlot> {
        (slots + cpu &* Self.slotStride).assumingMemoryBound(to: BarrierSlot.self)
    }

    // MARK: - Read side (interrupt path)

    /// Opens a read section on `slot` for a dispatch of `irq`.
    @inline(__always) @_noLocks
    func enter(_ slot: UnsafeMutablePointer<BarrierSlot>, irq: UInt32) -> BarrierToken {
        let p = parity.load(ordering: .relaxed)
        let token = BarrierToken(parity: p, current: slot.pointee.current.load(ordering: .relaxed))
        slot.pointee.setWord(p, slot.pointee.word(p) &+ BarrierSlot.opened, releasing: false)
        slot.pointee.current.store(UInt64(irq) << 32, ordering: .relaxed)
        if fenced {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
        } else {
            compilerBarrier()
        }
        if jitterSpins != 0 { jitter(slot) }
        return token
    }

    /// Closes the read section opened by `enter`.
    @inline(__always) @_noLocks
    func exit(_ slot: UnsafeMutablePointer<BarrierSlot>, _ token: BarrierToken) {
        if fenced {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
        } else {
            compilerBarrier()
        }
        slot.pointee.current.store(token.current, ordering: .relaxed)
        let p = token.parity
        slot.pointee.setWord(p, slot.pointee.word(p) &- 1, releasing: true)
    }

    @_noLocks
    func jitter(_ slot: UnsafeMutablePointer<BarrierSlot>) {
        var x = slot.pointee.random.load(ordering: .relaxed)
        x ^= x &<< 13; x ^= x &>> 7; x ^= x &<< 17
        slot.pointee.random.store(x, ordering: .relaxed)
        var spins = x % UInt64(jitterSpins)
        while spins != 0 {
            _unsafePerformance { ctenon_cpu_relax() }
            spins &-= 1
        }
    }

    // MARK: - Write side (task context)

    private func heavyFence() {
        if fenced || ctenon_membarrier() != 0 {
            atomicMemoryFence(ordering: .sequentiallyConsistent)
        }
    }

    /// Waits until no CPU can still be running code that was unpublished
    /// before the call. Callers serialise themselves (one writer at a time).
    func synchronize(deadlineNanos: UInt64, callerCPU: Int?) -> BarrierWait {
        if let cpu = callerCPU, slot(cpu).pointee.isInside { return .wouldDeadlock(cpu: cpu) }
        if sabotage == .skipWait { return .quiescent }
        if jitterSpins != 0 {
            var spins = ctenon_monotonic_ns() % UInt64(jitterSpins)
            while spins != 0 { ctenon_cpu_relax(); spins -= 1 }
        }
        heavyFence()
        let p = parity.load(ordering: .relaxed)
        // Stragglers that read the other parity long ago.
        let first = drain(1 - p, deadlineNanos: deadlineNanos)
        if first != .quiescent { return first }
        parity.store(1 - p, ordering: .relaxed)
        heavyFence()
        let second = drain(p, deadlineNanos: deadlineNanos)
        if second != .quiescent { return second }
        heavyFence()
        return .quiescent
    }

    private func drain(_ p: UInt32, deadlineNanos: UInt64) -> BarrierWait {
        for cpu in 0..<count {
            let s = slot(cpu)
            var firstWord: UInt64 = 0
            var since: UInt64 = 0
            var spins = 0
            while true {
                let word = p == 0 ? s.pointee.nest0.load(ordering: .acquiring) : s.pointee.nest1.load(ordering: .acquiring)
                if UInt32(truncatingIfNeeded: word) == 0 { break }
                let now = ctenon_monotonic_ns()
                // Same word = same sections open, none opened since: stuck, not busy.
                if since == 0 || word != firstWord { firstWord = word; since = now }
                if now >= deadlineNanos {
                    let current = s.pointee.current.load(ordering: .relaxed)
                    let irq = UInt32(truncatingIfNeeded: current >> 32)
                    return .busy(cpu: cpu, irq: irq == .max ? nil : irq,
                                 owner: UInt32(truncatingIfNeeded: current), sinceNanos: since)
                }
                spins += 1
                if spins < 64 {
                    ctenon_cpu_relax()
                } else if spins < 256 {
                    sched_yield()
                } else {
                    var ts = timespec(tv_sec: 0, tv_nsec: 20_000)
                    nanosleep(&ts, nil)
                }
            }
        }
        return .quiescent
    }
}

/// What `enter` saved for `exit`.
struct BarrierToken {
    var parity: UInt32
    /// The interrupted section's IRQ and owner, put back on exit.
    var current: UInt64
}

/// Forbids the compiler to move memory accesses across this point; emits no
/// instruction on x86. Same-thread ordering against a signal handler needs no more.
@inline(__always) @_noLocks
func compilerBarrier() {
    atomicMemoryFence(ordering: .acquiringAndReleasing)
}
