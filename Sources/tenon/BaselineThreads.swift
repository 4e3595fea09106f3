import CTenon
import Glibc

/// The bare signal-delivery baseline: one thread per CPU, pinned to the same
/// core, sleeping on a futex like an idle machine CPU, with a plain C handler
/// (`ctenon_baseline_install`) that stamps CLOCK_MONOTONIC.
final class BaselineThreads: @unchecked Sendable {
    static var signal: Int32 { ctenon_sigrtmin() + 5 }
    let word: UnsafeMutablePointer<UInt32>
    private(set) var tids: [Int32]
    private var threads: [pthread_t]

    init(cores: [Int]) throws {
        word = .allocate(capacity: 16)
        word.initialize(repeating: 0, count: 16)
        tids = []
        threads = []
        guard ctenon_baseline_install(Self.signal) == 0 else { throw BenchSetupError.baseline }
        for core in cores {
            let slot = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
            slot.initialize(repeating: 0, count: 2)
            slot[1] = Int32(core)
            let context = BaselineContext(word: word, slot: slot)
            var t: pthread_t = 0
            let rc = pthread_create(
                &t, nil,
                { arg in
                    let ctx = Unmanaged<BaselineContext>.fromOpaque(arg!).takeRetainedValue()
                    _ = ctenon_pin_self(ctx.slot[1])
                    _ = ctenon_unblock_signal(BaselineThreads.signal)
                    ctenon_word_store32(ctx.slot, UInt32(bitPattern: ctenon_gettid()))
                    while ctenon_word_load(ctx.word) == 0 { _ = ctenon_futex_wait(ctx.word, 0) }
                    return nil
                }, Unmanaged.passRetained(context).toOpaque())
            guard rc == 0 else { throw BenchSetupError.baseline }
            while ctenon_word_load32(slot) == 0 { sched_yield() }
            tids.append(Int32(bitPattern: ctenon_word_load32(slot)))
            threads.append(t)
        }
    }

    func stop() {
        ctenon_word_bump(word)
        _ = ctenon_futex_wake(word, Int32.max)
        for t in threads { pthread_join(t, nil) }
        threads = []
        _ = ctenon_restore_signal(Self.signal)
    }
}
