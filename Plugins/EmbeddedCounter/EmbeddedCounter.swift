// embedded-counter: the `counter` plugin in Embedded Swift, on TenonPluginKit.
//
// Params:   irq (uint, 10), oob (bool, true)
// Commands: count "u64(u32)", total "u64()", reset "void()" (signatures derived by the kit)
//
// Embedded Swift has no runtime metadata and allocates only if asked to: the
// handler compiles to a CPU lookup through the host and an atomic add, which
// the compiler checks (`@_noLocks`).

import TenonPluginKit

@_cdecl("tenon_plugin_entry")
public func entry() -> UnsafeRawPointer? { export(EmbeddedCounter.self) }

struct EmbeddedCounter: Plugin, ~Copyable {
    static let name: StaticString = "embedded-counter"
    static let version: StaticString = "1.0.0"
    static let summary: StaticString = "Counts IRQs per CPU (Embedded Swift)"

    static let irq = Parameter<UInt32>("irq", default: 10, help: "IRQ line to count")
    static let oob = Parameter<Bool>("oob", default: true, help: "handle on the out-of-band stage (IRQF_OOB)")

    static func declare(_ plugin: inout Declaration) {
        plugin.parameter(irq)
        plugin.parameter(oob)
        plugin.command("count", help: "handler runs on CPU n") { (cpu: UInt32) -> UInt64 in Self.shared.counts[cpu] }
        plugin.command("total", help: "handler runs on all CPUs") { () -> UInt64 in Self.shared.counts.total }
        plugin.command("reset", help: "zero all counters") { () -> Void in Self.shared.counts.reset() }
    }

    let host: Host
    let line: UInt32
    let flags: IRQFlags
    let counts: PerCPUCounter

    init(host: Host, parameters: Parameters) throws(Errno) {
        (line, flags) = (try parameters[Self.irq], try parameters[Self.oob] ? .oob : [])
        self.host = host  // after everything that throws: the instance is noncopyable
        counts = PerCPUCounter()
    }

    func start(host: Host) throws(Errno) {
        try host.requestIRQ(line, flags: flags, name: "embedded-counter") { _, _ in Self.shared.handle() }
    }

    /// [oob] or [inband].
    @_noLocks
    func handle() -> IRQReturn {
        counts.increment(on: host.cpu) ? .handled : .none
    }
}
