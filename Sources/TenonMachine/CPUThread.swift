import CTenon
import Glibc
import Synchronization
import TenonPipeline

/// One simulated CPU: a pinned pthread running an in-band task context (an
/// idle loop that sleeps on a futex word, plus submitted work).
///
/// Lost wake-ups are avoided with the futex word as a sequence counter: the
/// loop reads it before checking for work, and sleeps only if it is
/// unchanged. Submitters bump it and wake. An IRQ entry bumps it only when it
/// stopped on its drain budget while the CPU idled, so the loop (whose wait
/// `SA_RESTART` restarts) takes the rest; bumping it after every entry cost
/// each IRQ of an idle CPU a futex round trip and a lock.
///
/// An idle CPU is not signalled at all. From the moment the loop has no job
/// until it wakes, its state in the doorbell is IDLE
/// (`ctenon_bell_set_sleeping`), and a ring bumps and wakes its word instead
/// of sending the doorbell signal: the loop takes the IRQs in task context
/// (POLLING, during an idle-poll window, skips even the wake).
/// That is Linux's `TIF_POLLING_NRFLAG` (a raiser skips the IPI to an idle
/// CPU that watches its flags), with the futex word as the line `mwait`
/// monitors. The flag and the raiser's summary are a Dekker pair (both
/// sequentially consistent): the loop sets the flag and then looks at the
/// summary; the raiser sets the summary and then reads the flag; so either
/// the loop sees the IRQ or the raiser wakes the word. The flag drops while
/// the loop runs handlers or a job: then the CPU is busy, and an oob IRQ must
/// interrupt it by signal.
final class CPUThread: @unchecked Sendable {
    let index: Int
    let core: Int
    let pipeline: IRQPipeline
    let bell: OpaquePointer
    /// The futex word (sequence counter), on its own cache line.
    let word: UnsafeMutablePointer<UInt32>
    /// Control plane: only touched from task context (never from a handler).
    let queue = Mutex<[@Sendable () -> Void]>([])
    let stopping = Atomic<Bool>(false)
    /// Set once the thread runs bound and its doorbell can be rung.
    let ready = Atomic<Bool>(false)
    /// The kernel thread id, once started.
    let tid = Atomic<Int32>(0)
    /// How long the idle loop polls its controller before it sleeps (0: it
    /// sleeps at once); see ``Machine/setIdlePoll(nanoseconds:)``.
    let idlePollNanos = Atomic<UInt64>(0)
    var thread: pthread_t = 0
    static let altStackSize = 256 * 1024

    init(index: Int, core: Int, pipeline: IRQPipeline, bell: OpaquePointer) {
        self.index = index
        self.core = core
        self.pipeline = pipeline
        self.bell = bell
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        word = raw.bindMemory(to: UInt32.self, capacity: 16)
        word.initialize(repeating: 0, count: 16)
    }

    deinit {
        UnsafeMutableRawPointer(word).deallocate()
    }

    /// Starts the thread and waits until it is bound and ready.
    func start() throws(MachineError) {
        let arg = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { arg in
                let me = Unmanaged<CPUThread>.fromOpaque(arg!).takeRetainedValue()
                me.main()
                return nil
            }, arg)
        if rc != 0 {
            Unmanaged<CPUThread>.fromOpaque(arg).release()
            throw .threadCreate(SystemError(rc))
        }
        while !ready.load(ordering: .acquiring) { sched_yield() }
    }

    /// Queues in-band work and wakes the CPU.
    func submit(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.append(work) }
        kick()
    }

    func kick() {
        ctenon_word_bump(word)
        _ = ctenon_futex_wake(word, 1)
    }

    /// Asks the loop to finish its queue and exit, then joins the thread.
    func stopAndJoin() {
        stopping.store(true, ordering: .releasing)
        kick()
        if pthread_equal(thread, pthread_self()) != 0 {
            // The machine was released by its own CPU's work: that thread
            // exits after the current job; it cannot join itself.
            pthread_detach(thread)
            return
        }
        pthread_join(thread, nil)
    }

    private func main() {
        tid.store(ctenon_gettid(), ordering: .relaxed)
        ThreadName.setCurrent("tenon-cpu\(index)")
        _ = ctenon_pin_self(Int32(core))
        let altStack = ctenon_altstack_create(Self.altStackSize)
        pipeline.bindCurrentThread(to: index)
        ctenon_guard_bind(pipeline.signalGuardRecord(cpu: index))
        let path = pipeline.interruptPath
        for sig in [MachineSignals.doorbell, MachineSignals.timer, MachineSignals.fileDescriptor] {
            _ = ctenon_unblock_signal(sig)
        }
        ctenon_bell_set_word(bell, Int32(index), word)
        ctenon_bell_set_tid(bell, Int32(index), tid.load(ordering: .relaxed))
        // The drain backstop; without it, ring-later is a plain ring.
        _ = ctenon_bell_later_create(
            bell, Int32(index), tid.load(ordering: .relaxed), MachineSignals.timer,
            Machine.drainBackstopNanos)
        ready.store(true, ordering: .releasing)
        // Whatever was raised before the doorbell could reach this thread.
        pipeline.takePendingIRQs()
        // Handlers ran in task context since the last sleep (see below).
        var drainedInTask = true
        while true {
            let seen = ctenon_word_load(word)
            let job = queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let job {
                // Busy from here: a raise must interrupt the job with a signal.
                ctenon_bell_set_sleeping(bell, Int32(index), Int32(CTENON_CPU_BUSY))
                // What an entry left on its drain budget while this CPU
                // idled: one bounded pass; the rest comes back with the next
                // raise or the backstop, while the job runs.
                if path.hasPending { pipeline.takePendingIRQs() }
                job()
                normalize()
                continue
            }
            if stopping.load(ordering: .acquiring) { break }
            path.setIdle(true)
            // From here to the wake-up, raisers wake the word instead of
            // signalling: every path below looks at the summary before it
            // sleeps, and a job clears the flag first (above).
            ctenon_bell_set_sleeping(bell, Int32(index), Int32(CTENON_CPU_IDLE))
            let poll = idlePollNanos.load(ordering: .relaxed)
            if poll > 0 {
                // Halt-polling: raisers do not ring while this runs, and an
                // IRQ arriving within the window is taken below in task
                // context, without a signal or a wake-up. Back to IDLE before
                // the last look below: a raiser that still saw POLLING set
                // its summary before that store.
                ctenon_bell_set_sleeping(bell, Int32(index), Int32(CTENON_CPU_POLLING))
                let word = word
                path.poll(nanos: poll) { ctenon_word_load(word) != seen }
                ctenon_bell_set_sleeping(bell, Int32(index), Int32(CTENON_CPU_IDLE))
            }
            if path.hasPending {
                // Not idle while handlers run: an oob IRQ raised meanwhile
                // must preempt an in-band handler being replayed, by signal.
                ctenon_bell_set_sleeping(bell, Int32(index), Int32(CTENON_CPU_BUSY))
                // Idle under a flood: over its budget this pass bumps the
                // word instead of arming the backstop, and the loop comes back.
                pipeline.takePendingIRQs()
                drainedInTask = true
                path.setIdle(false)
                continue
            }
            if drainedInTask {
                // Those handlers ran on this thread's own mask (no sigreturn
                // puts it back, as after a signal entry): one that blocked
                // the timer or doorbell signal would leave the CPU deaf to
                // its timers while it sleeps, and to raises in its next job.
                // Checked once per sleep, and only after such a drain.
                ctenon_guard_repair_cpu_mask()
                drainedInTask = false
            }
            _ = ctenon_futex_wait(word, seen)
            path.setIdle(false)
        }
        ctenon_bell_set_sleeping(bell, Int32(index), Int32(CTENON_CPU_BUSY))
        ctenon_bell_set_tid(bell, Int32(index), 0)
        ctenon_bell_set_word(bell, Int32(index), nil)
        ctenon_bell_later_delete(bell, Int32(index))
        // From here on a late signal finds no CPU and returns at once.
        pipeline.hard_local_irq_disable()
        ctenon_set_current_cpu(nil)
        ctenon_guard_bind(nil)
        ctenon_altstack_destroy(altStack, Self.altStackSize)
    }

    /// Work must leave the CPU as it found it: in-band, unstalled, hard-on.
    private func normalize() {
        if pipeline.hard_irqs_disabled() { pipeline.hard_local_irq_enable() }
        if pipeline.irqs_disabled() { pipeline.local_irq_enable() }
        // In-band handlers replayed by the work ran on this thread's own mask.
        ctenon_guard_repair_cpu_mask()
    }
}
