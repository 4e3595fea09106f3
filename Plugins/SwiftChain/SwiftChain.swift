// swift-chain: the `chain` plugin in Embedded Swift, on TenonPluginKit. An oob
// handler defers work to the in-band stage the Dovetail way: through a
// synthetic IRQ posted with irq_post_inband(), and optionally through irq_work.
//
// Params:   irq (uint, 6), work (bool, false)
// Commands: oob_count, inband_count, work_count, violations "u64()", sirq "u32()",
//           max_synthetic "u32()" (the host's TENON_EXT_LIMITS extension, read at init)
// A violation is a handler that finds itself on the wrong stage.

import Synchronization
import TenonPluginKit

@_cdecl("tenon_plugin_entry")
public func entry() -> UnsafeRawPointer? { export(SwiftChain.self) }

struct SwiftChain: Plugin, ~Copyable {
    static let name: StaticString = "swift-chain"
    static let version: StaticString = "1.0.0"
    static let summary: StaticString = "oob handler deferring to in-band via a synthetic IRQ and irq_work (Swift)"

    static let irq = Parameter<UInt32>("irq", default: 6, help: "device IRQ whose oob handler defers to the in-band stage")
    static let work = Parameter<Bool>("work", default: false, help: "also queue an irq_work from the oob handler")

    static func declare(_ plugin: inout Declaration) {
        plugin.parameter(irq)
        plugin.parameter(work)
        plugin.command("oob_count", help: "oob handler runs, all CPUs") { () -> UInt64 in Self.shared.oobRuns.total }
        plugin.command("inband_count", help: "in-band (synthetic IRQ) handler runs, all CPUs") { () -> UInt64 in
            Self.shared.inbandRuns.total
        }
        plugin.command("work_count", help: "irq_work runs, all CPUs") { () -> UInt64 in Self.shared.workRuns.total }
        plugin.command("violations", help: "handlers that ran on the wrong stage") { () -> UInt64 in
            Self.shared.violations.load(ordering: .relaxed)
        }
        plugin.command("sirq", help: "the synthetic IRQ allocated at init") { () -> UInt32 in Self.shared.sirq }
        plugin.command("max_synthetic", help: "synthetic IRQs this plugin may hold (host extension; 0: not offered)") {
            () -> UInt32 in Self.shared.maxSynthetic
        }
    }

    let host: Host
    let line: UInt32
    let sirq: UInt32
    let maxSynthetic: UInt32
    let deferredWork: IRQWork?
    let oobRuns: PerCPUCounter, inbandRuns: PerCPUCounter, workRuns: PerCPUCounter
    let violations: Atomic<UInt64>

    init(host: Host, parameters: Parameters) throws(Errno) {
        // A noncopyable instance is initialised all at once: everything that throws comes first.
        let line = try parameters[Self.irq]
        let work = try parameters[Self.work] ? host.makeIRQWork { Self.shared.workRan() } : nil
        let sirq = try host.createDirectMapping()
        (self.host, self.line, self.sirq, deferredWork) = (host, line, sirq, work)
        // Extensions are fetched in init, as the header recommends.
        maxSynthetic = host.limits?.max_synthetic_irqs ?? 0
        oobRuns = PerCPUCounter()
        inbandRuns = PerCPUCounter()
        workRuns = PerCPUCounter()
        violations = Atomic(0)
    }

    /// The in-band side first, so the oob handler never posts to a bare synthetic IRQ.
    func start(host: Host) throws(Errno) {
        try host.requestIRQ(sirq, flags: .perCPU, name: "chain-inband") { _, _ in Self.shared.inband() }
        try host.requestIRQ(line, flags: .oob, name: "chain-oob") { _, _ in Self.shared.oob() }
    }

    /// [oob]
    @_noLocks
    func oob() -> IRQReturn {
        guard oobRuns.increment(on: host.cpu) else { return .none }
        check(oob: true)
        host.postInband(sirq)
        if let deferredWork { host.irqWork(deferredWork) }
        return .handled
    }

    /// [inband]
    @_noLocks
    func inband() -> IRQReturn {
        guard inbandRuns.increment(on: host.cpu) else { return .none }
        check(oob: false)
        return .handled
    }

    /// [inband], on the CPU that queued it.
    @_noLocks
    func workRan() {
        if workRuns.increment(on: host.cpu) { check(oob: false) }
    }

    @_noLocks
    func check(oob: Bool) {
        if host.runningOOB != oob { violations.wrappingAdd(1, ordering: .relaxed) }
    }
}
