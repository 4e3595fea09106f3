import TenonControl

/// `tenon demo --json`: schema `tenon.demo/1` (documented in docs/latency.md),
/// units in the field names.
package struct DemoJSON: Encodable {
    package struct Latency: Encodable {
        var cpu: Int?
        var samples: Int
        var min_us: Double?
        var p50_us: Double?
        var p99_us: Double?
        var max_us: Double?

        init(cpu: Int?, _ ns: [UInt64]) {
            self.cpu = cpu
            samples = ns.count
            min_us = DemoReport.micros(ns, 0)
            p50_us = DemoReport.micros(ns, 0.5)
            p99_us = DemoReport.micros(ns, 0.99)
            max_us = DemoReport.micros(ns, 1)
        }
    }
    package struct Line: Encodable {
        var irq: Int
        var perCPU: [UInt64]
        var stage: String
        var handlers: [String]
    }
    package struct Unload: Encodable {
        var plugin: String
        var result: String
    }

    var schema = "tenon.demo/1"
    var cpus: Int
    var duration_s: Int
    var passed: Bool
    /// Raise to oob handler entry, all CPUs together.
    var latency: Latency
    var latencyPerCPU: [Latency]
    var irqs: [Line]
    var swaps: Int
    var busySwaps: Int
    var sequenceSent: UInt64
    var handledByV1: Int
    var handledByV2: Int
    var lost: Int
    var doubled: Int
    var unloads: [Unload]

    package init(_ r: DemoReport) {
        cpus = r.latenciesPerCPU.count
        duration_s = r.durationSeconds
        passed = r.passed
        latency = Latency(cpu: nil, r.latencies)
        latencyPerCPU = r.latenciesPerCPU.enumerated().map { Latency(cpu: $0.offset, $0.element) }
        irqs = r.irqRows.map { Line(irq: $0.irq, perCPU: $0.perCPU, stage: $0.stage, handlers: $0.handlers) }
        swaps = r.swaps
        busySwaps = r.busySwaps
        sequenceSent = r.sent
        handledByV1 = r.handledByV1
        handledByV2 = r.handledByV2
        lost = r.lost
        doubled = r.doubled
        unloads = r.unloads.map { Unload(plugin: $0.name, result: "\($0.result)") }
    }
}
