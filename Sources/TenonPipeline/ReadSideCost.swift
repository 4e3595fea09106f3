import CTenon
import Synchronization

/// The barrier's read-side cost, measured in one run on one CPU slot
/// (unload-safety.md §13.2: ≤ 1 ns added on the membarrier path).
package struct ReadSideCost: Sendable, CustomStringConvertible {
    /// Nanoseconds per iteration of a bare handler call.
    package var bare: Double
    /// The same call inside the barrier's enter/exit.
    package var barrier: Double
    /// The same call around a shared atomic refcount (increment/decrement, the naive design).
    package var atomicRefcount: Double
    package var fenced: Bool

    package var description: String {
        func ns(_ x: Double) -> String { String(Double(Int((x * 100).rounded())) / 100) + " ns" }
        return "read side (\(fenced ? "fenced" : "membarrier")): bare call \(ns(bare)), "
            + "barrier enter+call+exit \(ns(barrier)) (+\(ns(barrier - bare))), "
            + "shared atomic refcount \(ns(atomicRefcount)) (+\(ns(atomicRefcount - bare))) per iteration"
    }
}

extension IRQPipeline {
    /// Measures the read-side cost on `cpu`'s slot. Test/benchmark only: no
    /// CPU may dispatch on `cpu` meanwhile (the slot is single-owner).
    package func measureReadSideCost(cpu: Int = 0, iterations: Int = 5_000_000) -> ReadSideCost {
        let barrier = core.pointee.barrier
        let slot = core.pointee.cpus[cpu].slot
        let handler: IRQHandlerFunction = { irq, _ in Int32(bitPattern: irq & 1) }
        let shared = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 1)
        shared.initialize(to: Atomic(0))
        defer { shared.deinitialize(count: 1); shared.deallocate() }
        var sink: Int32 = 0
        func time(_ body: () -> Void) -> Double {
            let t0 = ctenon_monotonic_ns()
            body()
            return Double(ctenon_monotonic_ns() &- t0) / Double(iterations)
        }
        // Warm up once, then take the best of 3 rounds of each (less noise
        // from the other engineers' builds sharing the cores).
        var best = (Double.infinity, Double.infinity, Double.infinity)
        for _ in 0..<3 {
            let bare = time {
                for i in 0..<iterations {
                    sink &+= callOut(handler: handler, work: nil, irq: UInt32(truncatingIfNeeded: i), argument: nil)
                }
            }
            let guarded = time {
                for i in 0..<iterations {
                    let token = barrier.pointee.enter(slot, irq: 1)
                    sink &+= callOut(handler: handler, work: nil, irq: UInt32(truncatingIfNeeded: i), argument: nil)
                    barrier.pointee.exit(slot, token)
                }
            }
            let refcount = time {
                for i in 0..<iterations {
                    shared.pointee.wrappingAdd(1, ordering: .acquiringAndReleasing)
                    sink &+= callOut(handler: handler, work: nil, irq: UInt32(truncatingIfNeeded: i), argument: nil)
                    shared.pointee.wrappingSubtract(1, ordering: .releasing)
                }
            }
            best = (min(best.0, bare), min(best.1, guarded), min(best.2, refcount))
        }
        slot.pointee.irq.store(.max, ordering: .relaxed)
        if sink == .min { print(sink) }  // keep the loops
        return ReadSideCost(bare: best.0, barrier: best.1, atomicRefcount: best.2, fenced: barrier.pointee.fenced)
    }
}
