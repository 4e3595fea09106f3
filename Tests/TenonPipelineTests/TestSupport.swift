import Synchronization
@testable import TenonPipeline

/// Records what handlers saw, in order. Deterministic tests run handlers on
/// the test's own thread, so plain storage would do; the lock keeps it honest
/// for the few tests that use other threads.
final class Recorder: @unchecked Sendable {
    private let events = Mutex<[String]>([])
    func add(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
    func count(_ event: String) -> Int { all.filter { $0 == event }.count }
}

/// The interrupt context a handler observed.
struct Context: Equatable, CustomStringConvertible {
    var hardOff: Bool
    var oobStalled: Bool
    var inbandStalled: Bool
    var oob: Bool
    var onEntry: Bool

    init(_ p: IRQPipeline) {
        hardOff = p.hard_irqs_disabled()
        oobStalled = p.oob_irqs_disabled()
        inbandStalled = p.irqs_disabled()
        oob = p.running_oob()
        onEntry = p.on_pipeline_entry()
    }

    init(hardOff: Bool, oobStalled: Bool, inbandStalled: Bool, oob: Bool, onEntry: Bool) {
        self.hardOff = hardOff
        self.oobStalled = oobStalled
        self.inbandStalled = inbandStalled
        self.oob = oob
        self.onEntry = onEntry
    }

    var description: String {
        "hard-\(hardOff ? "off" : "on") oob-\(oobStalled ? "stalled" : "unstalled") inband-\(inbandStalled ? "stalled" : "unstalled") \(oob ? "oob" : "in-band")\(onEntry ? " on-entry" : "")"
    }
}

/// A Swift closure as irq_work: the item is allocated, the closure boxed.
final class WorkItem {
    let work: UnsafeMutablePointer<IRQWork>
    let body: (UnsafeMutablePointer<IRQWork>) -> Void

    init(_ body: @escaping (UnsafeMutablePointer<IRQWork>) -> Void) {
        self.body = body
        work = .allocate(capacity: 1)
        work.initialize(
            to: IRQWork(function: { raw in
                let w = raw!.assumingMemoryBound(to: IRQWork.self)
                Unmanaged<WorkItem>.fromOpaque(w.pointee.argument!).takeUnretainedValue().body(w)
            }))
        work.pointee.argument = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit { work.deallocate() }
}

/// Device IRQ numbers used by the scenarios.
let X: UInt32 = 10
let Y: UInt32 = 11
let B: UInt32 = 12
let TICK: UInt32 = 0

/// A pipeline with the oob stage installed, as §4 assumes unless told otherwise.
func pipelineWithStage(cpus: Int = 2, name: String = "EVL") -> IRQPipeline {
    let p = IRQPipeline(cpus: cpus)
    precondition(p.enable_oob_stage(name) == 0)
    return p
}
