import Foundation
import Synchronization
import Testing
@testable import TenonPipeline
@testable import TenonPlugins

/// Per-CPU rings of sequence numbers in host memory (layout of `struct ring`
/// in Fixtures/hostswap.c): the CPU thread pushes, the handler (either
/// version) drains its CPU's ring and counts each number in `seen`.
final class SwapLedger: @unchecked Sendable {
    static let ring = 256
    static let perCPU = 1 << 22
    let cpus: Int
    let rings: UnsafeMutablePointer<UInt64>  // per CPU: head, tail, buf[ring]
    let seen: UnsafeMutablePointer<UInt32>
    let runs: UnsafeMutablePointer<UInt64>
    let byVersion: UnsafeMutablePointer<UInt64>
    let pushed: UnsafeMutablePointer<Atomic<UInt64>>
    let overflow = Atomic<Bool>(false)

    init(cpus: Int) {
        self.cpus = cpus
        rings = .allocate(capacity: cpus * (2 + Self.ring))
        rings.initialize(repeating: 0, count: cpus * (2 + Self.ring))
        seen = .allocate(capacity: cpus * Self.perCPU)
        seen.initialize(repeating: 0, count: cpus * Self.perCPU)
        runs = .allocate(capacity: cpus)
        runs.initialize(repeating: 0, count: cpus)
        byVersion = .allocate(capacity: 2)
        byVersion.initialize(repeating: 0, count: 2)
        pushed = .allocate(capacity: cpus)
        for i in 0..<cpus { (pushed + i).initialize(to: Atomic(0)) }
    }

    deinit {
        rings.deallocate(); seen.deallocate(); runs.deallocate(); byVersion.deallocate(); pushed.deallocate()
    }

    var parameters: [String] {
        [
            "rings=\(address(rings))", "seen=\(address(seen))", "runs=\(address(runs))",
            "byversion=\(address(byVersion))", "irq=11",
        ]
    }

    func head(_ cpu: Int) -> UnsafeMutablePointer<UInt64> { rings + cpu * (2 + Self.ring) }

    /// On CPU `cpu`'s own thread, before its `i`-th raise.
    func push(cpu: Int, i: UInt64) {
        guard i < UInt64(Self.perCPU) else { return }
        let base = head(cpu)
        let headValue = UnsafeMutableRawPointer(base).assumingMemoryBound(to: Atomic<UInt64>.self).pointee
            .load(ordering: .acquiring)
        let tail = base[1]
        if tail - headValue >= UInt64(Self.ring) { overflow.store(true, ordering: .relaxed); return }
        base[2 + Int(tail % UInt64(Self.ring))] = UInt64(cpu * Self.perCPU) + i
        UnsafeMutableRawPointer(base + 1).assumingMemoryBound(to: Atomic<UInt64>.self).pointee
            .store(tail + 1, ordering: .releasing)
        pushed[cpu].store(i + 1, ordering: .releasing)
    }
}

@Suite("plugin host: hot swap", .serialized, .timeLimit(.minutes(10)))
struct PluginHostSwapTests {
    @Test func swapsUnderStormLoseAndDoubleNothing() throws {
        let swaps = SoakScale.cycles(quick: 150, full: 1000)
        let pipeline = IRQPipeline(cpus: 3)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.error))
        let ledger = SwapLedger(cpus: 3)
        let v1 = try HostFixtures.freshCopy("hostswap1"), v2 = try HostFixtures.freshCopy("hostswap2")
        try host.load(path: v1, parameters: ledger.parameters)
        let storm = Storm(pipeline: pipeline, cpus: [1, 2], irq: 11) { cpu, i in ledger.push(cpu: cpu, i: i) }
        storm.start()
        var swapNanos: [UInt64] = []
        let start = monotonicNanos()
        var done = 0
        for n in 0..<swaps {
            if SoakScale.outOfBudget(since: start, now: monotonicNanos(), done: n, minimum: 150) { break }
            done = n + 1
            let t0 = monotonicNanos()
            let old = try host.swap(name: "swapper", path: n % 2 == 0 ? v2 : v1, parameters: ledger.parameters)
            swapNanos.append(monotonicNanos() - t0)
            #expect(old == .unloaded(mapsGone: true))
            #expect(host.list()[0].version == (n % 2 == 0 ? "2" : "1"))
        }
        storm.finish()
        let overflowed = ledger.overflow.load(ordering: .relaxed)
        #expect(!overflowed)
        var total = 0, lost = 0, doubled = 0, dispatches: UInt64 = 0, runs: UInt64 = 0
        for cpu in [1, 2] {
            let base = ledger.head(cpu)
            #expect(base[0] == base[1], "CPU \(cpu): ring not drained (an IRQ found no handler)")
            let count = Int(ledger.pushed[cpu].load(ordering: .acquiring))
            total += count
            for i in 0..<count {
                let s = ledger.seen[cpu * SwapLedger.perCPU + i]
                if s == 0 { lost += 1 } else if s > 1 { doubled += 1 }
            }
            dispatches += pipeline.count(irq: 11, cpu: cpu)
            runs += ledger.runs[cpu]
            #expect(pipeline.unhandledCount(cpu: cpu) == 0)
        }
        print(
            "hot swap: \(done) swaps, \(total) sequence numbers, lost \(lost), doubled \(doubled); "
                + "\(dispatches) dispatches, \(runs) handler runs (v1 \(ledger.byVersion[0]), v2 \(ledger.byVersion[1])); "
                + "swap latency p50 \(percentile(swapNanos, 0.5)) µs p99 \(percentile(swapNanos, 0.99)) µs")
        #expect(total > done)
        #expect(lost == 0 && doubled == 0)
        #expect(runs == dispatches, "a dispatch ran both versions, or none")
        #expect(ledger.byVersion[0] > 0 && ledger.byVersion[1] > 0)
        #expect(host.unload(name: "swapper") == .unloaded(mapsGone: true))
    }

    @Test func failedSwapLeavesTheOldVersionLive() throws {
        let pipeline = IRQPipeline(cpus: 2)
        let host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        let ledger = SwapLedger(cpus: 2)
        let v1 = try HostFixtures.freshCopy("hostswap1"), v2 = try HostFixtures.freshCopy("hostswap2")
        try host.load(path: v1, parameters: ledger.parameters)
        let before = pipeline.actions()
        // v2 on an IRQ out of range: its init fails, v1 must stay untouched and published.
        let e = pluginError { try host.swap(name: "swapper", path: v2, parameters: ledger.parameters.filter { !$0.hasPrefix("irq=") } + ["irq=9999"]) }
        guard case .initRefused(_, let errno, _) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(errno.code == EINVAL)
        #expect(pipeline.actions() == before)
        #expect(host.list()[0].version == "1" && host.list()[0].state == .live)
        #expect(try privateCopyMappings(of: v2).isEmpty)
        pipeline.withCPU(1) {
            ledger.push(cpu: 1, i: 0); pipeline.raise(11, on: 1)
        }
        #expect(ledger.seen[SwapLedger.perCPU] == 1 && ledger.byVersion[0] == 1)
        #expect(host.unload(name: "swapper") == .unloaded(mapsGone: true))
    }
}
