import CTenon
import Glibc
import Synchronization

/// Measures what the quiescence barrier's read side adds to a handler call,
/// in one run, against a bare indirect call and a shared atomic refcount.
public enum BarrierBenchmark {
    /// Nanoseconds per handler call, each the best of several rounds.
    public struct Result: Sendable {
        /// A bare indirect call of the handler, no read side.
        public var bareCall: Double
        /// The call inside a read section of a `.membarrier` barrier (compiler barriers only).
        public var membarrierReadSide: Double
        /// The call inside a read section of a `.fenced` barrier (a full fence each side).
        public var fencedReadSide: Double
        /// A refcount taken and dropped around the call while a second thread
        /// does the same on the same cache line (what a shared refcount costs
        /// when two CPUs dispatch at once).
        public var sharedRefcount: Double
        /// Membarrier read side plus fault containment as one IRQ per entry
        /// pays it: the trampoline's recovery point (state snapshot, `_setjmp`)
        /// and the owner marker around the handler call.
        public var recoveryPoint: Double
        /// Whether membarrier registration succeeded (else the "membarrier" row ran fenced).
        public var membarrierAvailable: Bool
    }

    private static let refcount = Atomic<Int>(0)
    /// Stops the second refcount thread (0 run, 1 stop).
    private static let contenderStop = Atomic<Int>(0)

    /// Times each variant over `iterations` calls per round, interleaved over `rounds`; keeps the best.
    public static func run(iterations: Int = 20_000_000, rounds: Int = 5) -> Result {
        let handler: IRQHandlerFunction = ctenon_bench_handler
        let fast = UnsafeMutablePointer<QuiescenceBarrier>.allocate(capacity: 1)
        fast.initialize(to: QuiescenceBarrier(cpus: 1, configuration: .init(fence: .membarrier)))
        let fenced = UnsafeMutablePointer<QuiescenceBarrier>.allocate(capacity: 1)
        fenced.initialize(to: QuiescenceBarrier(cpus: 1, configuration: .init(fence: .fenced)))
        defer {
            fast.pointee.deallocate(); fast.deinitialize(count: 1); fast.deallocate()
            fenced.pointee.deallocate(); fenced.deinitialize(count: 1); fenced.deallocate()
        }
        // A real CPU for the snapshot hook to read (the recovery row).
        let pipeline = IRQPipeline(cpus: 1)
        let cpu = UnsafeMutableRawPointer(pipeline.core.pointee.cpus)
        let domain = UnsafeRawPointer(pipeline.core)
        var best = [Double](repeating: .infinity, count: 5)
        var sink: Int32 = 0
        // Interleaved rounds so drift in machine state hits every variant alike.
        for _ in 0..<rounds {
            best[0] = min(best[0], time(iterations) { i in sink &+= callOutUnguarded(handler: handler, irq: i, argument: nil) })
            best[1] = min(best[1], time(iterations) { i in sink &+= guarded(fast, handler, i) })
            best[2] = min(best[2], time(iterations) { i in sink &+= guarded(fenced, handler, i) })
            let contender = startContender()
            best[3] = min(
                best[3],
                time(iterations) { i in
                    refcount.wrappingAdd(1, ordering: .acquiring)
                    sink &+= callOutUnguarded(handler: handler, irq: i, argument: nil)
                    refcount.wrappingSubtract(1, ordering: .releasing)
                })
            stopContender(contender)
            best[4] = min(
                best[4],
                time(iterations) { i in
                    let slot = fast.pointee.slot(0)
                    let token = fast.pointee.enter(slot, irq: i)
                    sink &+= ctenon_bench_recovery_entry(cpu, domain, handler, i)
                    fast.pointee.exit(slot, token)
                })
        }
        withExtendedLifetime(pipeline) {}
        precondition(sink != .min)
        return Result(
            bareCall: best[0], membarrierReadSide: best[1], fencedReadSide: best[2],
            sharedRefcount: best[3], recoveryPoint: best[4], membarrierAvailable: !fast.pointee.fenced)
    }

    /// A second thread taking and dropping the same refcount until stopped.
    private static func startContender() -> pthread_t? {
        contenderStop.store(0, ordering: .relaxed)
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { _ in
                while BarrierBenchmark.contenderStop.load(ordering: .relaxed) == 0 {
                    BarrierBenchmark.refcount.wrappingAdd(1, ordering: .acquiring)
                    BarrierBenchmark.refcount.wrappingSubtract(1, ordering: .releasing)
                }
                return nil
            }, nil)
        return rc == 0 ? thread : nil
    }

    private static func stopContender(_ thread: pthread_t?) {
        contenderStop.store(1, ordering: .relaxed)
        if let thread { pthread_join(thread, nil) }
    }

    @inline(__always)
    private static func guarded(
        _ barrier: UnsafeMutablePointer<QuiescenceBarrier>, _ handler: IRQHandlerFunction,
        _ irq: UInt32
    ) -> Int32 {
        let slot = barrier.pointee.slot(0)
        let token = barrier.pointee.enter(slot, irq: irq)
        let r = callOutUnguarded(handler: handler, irq: irq, argument: nil)
        barrier.pointee.exit(slot, token)
        return r
    }

    @inline(__always)
    static func time(_ n: Int, _ body: (UInt32) -> Void) -> Double {
        let start = ctenon_monotonic_ns()
        for i in 0..<n { body(UInt32(truncatingIfNeeded: i)) }
        return Double(ctenon_monotonic_ns() - start) / Double(n)
    }
}
