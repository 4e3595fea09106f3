import CTenon
import Glibc
import Testing
import TenonMachine
import TenonPipeline

/// Real threads, real signals. Serialized: the tests count the process's
/// threads and share the machine signals.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MachineTests {
    static let stormRaises = 1_000_000

    /// CPU `k` loops `local_irq_save` sections (marker set inside) while CPU 0
    /// storms `irq` at it. Returns the number of sections.
    /// The storm lasts at least `raises` raises and one second.
    static func storm(_ m: Machine, irq: UInt32, k: Int, probe p: Probe, raises: Int = stormRaises) -> Int {
        let pipe = m.pipeline
        m.submit(cpu: 0) {
            let end = ctenon_monotonic_ns() + 1_000_000_000
            var n = 0
            while n < raises || ctenon_monotonic_ns() < end {
                for _ in 0..<1000 { m.raise(irq, on: k) }
                n += 1000
            }
            p.value.store(n, ordering: .relaxed)
            p.done.store(true, ordering: .releasing)
        }
        return m.run(on: k) {
            var sections = 0
            while !p.done.load(ordering: .acquiring) {
                let f = pipe.local_irq_save()
                p.marker.store(1, ordering: .relaxed)
                for _ in 0..<200 { ctenon_cpu_relax() }
                p.marker.store(0, ordering: .relaxed)
                pipe.local_irq_restore(f)
                sections += 1
                for _ in 0..<50 { ctenon_cpu_relax() }
            }
            return sections
        }
    }

    @Test func rejectsBadCPUCounts() {
        #expect(throws: MachineError.invalidCPUCount(0)) { try Machine(cpus: 0) }
        #expect(throws: MachineError.invalidCPUCount(65)) { try Machine(cpus: 65) }
    }

    @Test func runsWorkOnItsCPU() throws {
        let m = try Machine(cpus: 3)
        defer { m.stop() }
        for k in 0..<3 {
            #expect(m.run(on: k) { m.pipeline.currentCPU } == k)
            #expect(m.run(on: k) { ctenon_gettid() } == m.threadID(of: k))
            #expect(m.run(on: k) { m.pipeline.irqs_disabled() || m.pipeline.hard_irqs_disabled() } == false)
        }
        #expect(m.pipeline.currentCPU == nil)
    }

    /// (a) An in-band handler never runs inside a `local_irq_save` section.
    @Test func inbandHandlerNeverRunsInsideStalledSection() throws {
        let m = try Machine(cpus: 2)
        defer { m.stop() }
        let p = Probe()
        let irq: UInt32 = 10
        #expect(
            m.pipeline.request_irq(irq, flags: 0, name: "storm") { _ in
                if p.marker.load(ordering: .relaxed) != 0 {
                    p.violations.wrappingAdd(1, ordering: .relaxed)
                } else {
                    p.handledOutside.wrappingAdd(1, ordering: .relaxed)
                }
                return IRQ_HANDLED
            } == 0)
        let t0 = ctenon_monotonic_ns()
        let sections = Self.storm(m, irq: irq, k: 1, probe: p)
        let secs = Double(ctenon_monotonic_ns() - t0) / 1e9
        let runs = p.handledOutside.load(ordering: .relaxed)
        let raised = p.value.load(ordering: .relaxed)
        #expect(raised >= Self.stormRaises)
        print(
            "(a) \(raised) raises in \(secs) s (\(Int(Double(raised) / secs)) raises/s), \(runs) in-band handler runs (\(Int(Double(runs) / secs))/s), \(sections) sections"
        )
        #expect(p.violations.load(ordering: .relaxed) == 0)
        #expect(runs > 0)
        #expect(sections > 0)
    }

    /// (b) An oob handler does run inside such a section.
    @Test func oobHandlerRunsInsideStalledSection() throws {
        let m = try Machine(cpus: 2)
        defer { m.stop() }
        #expect(m.pipeline.enable_oob_stage("test") == 0)
        let p = Probe()
        let irq: UInt32 = 11
        #expect(
            m.pipeline.request_irq(irq, flags: IRQF_OOB, name: "storm-oob") { _ in
                if p.marker.load(ordering: .relaxed) != 0 {
                    p.handledInside.wrappingAdd(1, ordering: .relaxed)
                } else {
                    p.handledOutside.wrappingAdd(1, ordering: .relaxed)
                }
                return IRQ_HANDLED
            } == 0)
        let t0 = ctenon_monotonic_ns()
        _ = Self.storm(m, irq: irq, k: 1, probe: p)
        let secs = Double(ctenon_monotonic_ns() - t0) / 1e9
        let inside = p.handledInside.load(ordering: .relaxed)
        let total = inside + p.handledOutside.load(ordering: .relaxed)
        print("(b) \(p.value.load(ordering: .relaxed)) raises, \(total) oob handler runs (\(Int(Double(total) / secs))/s), \(inside) inside stalled sections")
        #expect(inside > 0)
    }

    /// (c) Under `hard_local_irq_save` neither stage's handler runs; both run
    /// at the restore.
    @Test func hardOffHoldsBothStages() throws {
        let m = try Machine(cpus: 2)
        defer { m.stop() }
        let pipe = m.pipeline
        #expect(pipe.enable_oob_stage("test") == 0)
        let inband = Probe()
        let oob = Probe()
        let sync = Probe()
        let (irqI, irqO): (UInt32, UInt32) = (20, 21)
        _ = pipe.request_irq(irqI, flags: 0, name: "in-band") { _ in
            inband.marker.store(1, ordering: .relaxed)
            return IRQ_HANDLED
        }
        _ = pipe.request_irq(irqO, flags: IRQF_OOB, name: "oob") { _ in
            oob.marker.store(1, ordering: .relaxed)
            return IRQ_HANDLED
        }
        m.submit(cpu: 0) {
            while !sync.go.load(ordering: .acquiring) { ctenon_cpu_relax() }
            m.raise(irqI, on: 1)
            m.raise(irqO, on: 1)
            sync.done.store(true, ordering: .releasing)
        }
        let (during, after) = m.run(on: 1) { () -> ((Int, Int), (Int, Int)) in
            let f = pipe.hard_local_irq_save()
            sync.go.store(true, ordering: .releasing)
            while !sync.done.load(ordering: .acquiring) { ctenon_cpu_relax() }
            spin(nanos: 20_000_000)  // the doorbell lands meanwhile and is deferred
            let during = (inband.marker.load(ordering: .relaxed), oob.marker.load(ordering: .relaxed))
            pipe.hard_local_irq_restore(f)
            let after = (inband.marker.load(ordering: .relaxed), oob.marker.load(ordering: .relaxed))
            return (during, after)
        }
        #expect(during == (0, 0))
        #expect(after == (1, 1))
    }
}
