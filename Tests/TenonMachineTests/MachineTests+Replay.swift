import CTenon
import Glibc
import Synchronization
import Testing
import TenonMachine
@testable import TenonPipeline

extension MachineTests {
    /// Real signals: CPU 1 stalls in-band and rings its own doorbell for a
    /// line with no handler (the signal handler logs the IRQ in-band); an
    /// `IRQF_OOB` handler is then installed and CPU 1 unstalls. The handler
    /// must run on the oob stage, never from the in-band replay.
    @Test func oobHandlerNeverRunsFromInbandReplay() throws {
        let m = try Machine(cpus: 2)
        defer { m.stop() }
        #expect(m.pipeline.enable_oob_stage("test") == 0)
        let pipe = m.pipeline
        let irq: UInt32 = 12
        let logged = Atomic<Bool>(false)
        let installed = Atomic<Bool>(false)
        let ranOOB = Atomic<Int>(0)
        let ranInband = Atomic<Int>(0)
        m.submit(cpu: 1) {
            let f = pipe.local_irq_save()
            _ = m.raise(irq, on: 1)
            // The doorbell signal is delivered to this thread; wait for its log entry.
            while !pipe.inbandLog(cpu: 1).contains(irq) { ctenon_cpu_relax() }
            logged.store(true, ordering: .releasing)
            while !installed.load(ordering: .acquiring) { ctenon_cpu_relax() }
            pipe.local_irq_restore(f)
        }
        #expect(waitUntil(seconds: 10) { logged.load(ordering: .acquiring) })
        #expect(
            pipe.request_irq(irq, flags: IRQF_OOB, name: "late-oob") { _ in
                if pipe.running_oob() { ranOOB.wrappingAdd(1, ordering: .relaxed) } else { ranInband.wrappingAdd(1, ordering: .relaxed) }
                return IRQ_HANDLED
            } == 0)
        installed.store(true, ordering: .releasing)
        #expect(waitUntil(seconds: 10) { ranOOB.load(ordering: .relaxed) + ranInband.load(ordering: .relaxed) > 0 })
        #expect(m.run(on: 1) { pipe.inbandLog(cpu: 1).isEmpty })
        #expect(ranInband.load(ordering: .relaxed) == 0)
        #expect(ranOOB.load(ordering: .relaxed) == 1)
    }
}
