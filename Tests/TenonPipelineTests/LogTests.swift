import Testing
@testable import TenonPipeline

/// Invariants I1 and I10: the log is a set, replayed in ascending order, oob first,
/// and events posted during a replay are played in the same pass.
@Suite("Interrupt log semantics")
struct LogTests {
    @Test("IRQLog: set semantics, ascending pull")
    func setSemantics() {
        var log = IRQLog()
        for irq: UInt32 in [700, 3, 3, 64, 2047, 0, 700] { log.post(irq) }
        var pulled: [UInt32] = []
        while let irq = log.pull() { pulled.append(irq) }
        #expect(pulled == [0, 3, 64, 700, 2047])
        #expect(log.isEmpty)
    }

    @Test("Replay is ascending, coalesced, oob before in-band, posts seen in the same pass")
    func replayOrder() {
        let p = pipelineWithStage()
        let seen = Recorder()
        let s = p.irq_create_direct_mapping()
        for irq: UInt32 in [20, 30] {
            #expect(
                p.request_irq(irq, flags: 0, name: "\(irq)") { irq in
                    seen.add("inband \(irq)")
                    if irq == 30 { p.hard_local_irq_disable(); p.irq_post_inband(25); p.hard_local_irq_enable() }
                    return IRQ_HANDLED
                } == 0)
        }
        #expect(
            p.request_irq(25, flags: 0, name: "25") { _ in
                seen.add("inband 25"); return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(s, flags: IRQF_OOB | IRQF_PERCPU, name: "s") { _ in
                seen.add("oob"); return IRQ_HANDLED
            } == 0)
        p.local_irq_disable()
        p.hard_local_irq_disable()
        p.irq_post_inband(30)
        p.irq_post_inband(20)
        p.irq_post_inband(30)
        p.oob_irq_disable()
        p.irq_post_oob(s)
        p.oob_irq_enable()  // oob synced; in-band stays stalled
        #expect(seen.all == ["oob"])
        p.local_irq_enable()
        #expect(seen.all == ["oob", "inband 20", "inband 30", "inband 25"])
    }

    @Test("IRQWork layout matches tenon_irq_work_t")
    func workLayout() {
        #expect(MemoryLayout<IRQWork>.size == 48)
        #expect(MemoryLayout<IRQWork>.offset(of: \IRQWork.pending) == IRQWork.pendingOffset)
    }
}
