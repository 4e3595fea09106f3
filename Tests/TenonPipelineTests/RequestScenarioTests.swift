import Testing
@testable import TenonPipeline

/// §4 scenarios on requesting handlers and on stage removal.
@Suite("Request and stage-removal scenarios (T27-T35)")
struct RequestScenarioTests {
    @Test("T27 IRQF_OOB with a thread function is rejected")
    func t27() {
        let p = pipelineWithStage()
        #expect(
            p.request_threaded_irq(
                X, flags: IRQF_OOB, name: "x", handler: { _ in IRQ_HANDLED },
                thread: { _ in IRQ_HANDLED }) == Errno.EINVAL)
        #expect(p.actions().filter { $0.irq == X }.isEmpty)
    }

    @Test("T29 IRQF_OOB is forced non-threaded")
    func t29() throws {
        let p = pipelineWithStage()
        #expect(p.request_irq(X, flags: IRQF_OOB | IRQF_ONESHOT, name: "x") { _ in IRQ_HANDLED } == 0)
        let action = try #require(p.actions().first { $0.irq == X })
        #expect(action.flags & IRQF_NO_THREAD != 0)
        #expect(action.flags & IRQF_ONESHOT == 0)
    }

    @Test("T30 IRQF_OOB without an oob stage runs in-band under in-band rules")
    func t30() {
        let p = IRQPipeline(cpus: 1)
        var inside: Context?
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in
                inside = Context(p); return IRQ_HANDLED
            } == 0)
        p.local_irq_disable()
        #expect(p.raise(Y, on: 0) == 0)
        #expect(inside == nil)
        p.local_irq_enable()
        #expect(inside == Context(hardOff: false, oobStalled: false, inbandStalled: true, oob: false, onEntry: false))
    }

    @Test("T31 removal reroutes delivery to the in-band stage")
    func t31() {
        let p = pipelineWithStage()
        var inside: [Context] = []
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in
                inside.append(Context(p)); return IRQ_HANDLED
            } == 0)
        p.disable_oob_stage()
        p.local_irq_disable()
        _ = p.handle_irq_pipelined(Y)
        #expect(inside.isEmpty)
        #expect(p.inbandLog(cpu: 0) == [Y])
        p.local_irq_enable()
        #expect(inside == [Context(hardOff: false, oobStalled: false, inbandStalled: true, oob: false, onEntry: false)])
    }

    @Test("T32 removal does not wait for other CPUs")
    func t32() {
        let p = pipelineWithStage(cpus: 2)
        let seen = Recorder()
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "long") { _ in
                // CPU1 is inside a long oob handler while CPU0 removes the stage.
                p.withCPU(0) { p.disable_oob_stage() }
                seen.add("disable returned while CPU1 inside=\(p.barrierInside(cpu: 1))")
                return IRQ_HANDLED
            } == 0)
        p.withCPU(1) { _ = p.handle_irq_pipelined(Y) }
        #expect(seen.all == ["disable returned while CPU1 inside=true"])
        #expect(!p.oob_stage_present())
    }

    @Test("T33 re-enable clears stale oob logs")
    func t33() {
        let p = pipelineWithStage()
        let s = p.irq_create_direct_mapping()
        p.oob_irq_disable()
        p.irq_post_oob(s)
        #expect(p.oobLog(cpu: 0) == [s])
        p.disable_oob_stage()
        p.oob_irq_enable()
        #expect(p.oobLog(cpu: 0) == [s])
        #expect(p.enable_oob_stage("again") == 0)
        #expect(p.oobLog(cpu: 0).isEmpty)
    }

    @Test("T35 bogus oob return value is diagnosed, not counted")
    func t35() {
        let p = pipelineWithStage()
        #expect(p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in IRQ_WAKE_THREAD } == 0)
        for _ in 0..<1500 { _ = p.handle_irq_pipelined(Y) }
        let diagnostics = p.diagnostics()
        #expect(diagnostics.count == 1024)  // the ring keeps the newest 1024
        #expect(diagnostics.allSatisfy { $0.kind == .bogusReturn && $0.irq == Y && $0.value == IRQ_WAKE_THREAD })
        #expect(p.irq_is_oob(Y))
        #expect(!p.irq_is_spurious_disabled(Y))
    }

    @Test("T34 spurious rule: oob handlers that keep returning IRQ_NONE lose the line at the 1,002nd event")
    func spurious() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in
                runs += 1; return IRQ_NONE
            } == 0)
        // handle_unexpected_irq(): the first event of a fresh line sets the
        // counter to 0, so it exceeds 1000 at the 1,002nd event, not the 1,001st.
        for _ in 0..<1001 { _ = p.handle_irq_pipelined(Y) }
        #expect(p.irq_is_oob(Y))
        _ = p.handle_irq_pipelined(Y)
        #expect(!p.irq_is_oob(Y))
        #expect(p.irq_is_spurious_disabled(Y))
        #expect(p.diagnostics().map(\.kind) == [.spuriousDisabled])
        _ = p.handle_irq_pipelined(Y)
        #expect(runs == 1002)
        #expect(p.unhandledCount(cpu: 0) == 1)  // counted, not silently dropped
    }

    @Test("Request errors follow __setup_irq")
    func requestErrors() {
        let p = pipelineWithStage()
        #expect(p.request_irq(IRQNumberSpace.total, flags: 0, name: "x") { _ in IRQ_HANDLED } == Errno.EINVAL)
        #expect(p.request_irq(IRQNumberSpace.total - 1, flags: 0, name: "unmapped") { _ in IRQ_HANDLED } == Errno.EINVAL)
        #expect(p.request_irq(X, nil, 0, "null", nil) == Errno.EINVAL)
        #expect(p.request_irq(X, flags: 0, name: "a") { _ in IRQ_HANDLED } == 0)
        #expect(p.request_irq(X, flags: IRQF_SHARED, name: "b") { _ in IRQ_HANDLED } == Errno.EBUSY)
        #expect(p.request_irq(Y, flags: IRQF_SHARED, name: "c") { _ in IRQ_HANDLED } == 0)
        #expect(p.request_irq(Y, flags: IRQF_SHARED | IRQF_OOB, name: "d") { _ in IRQ_HANDLED } == Errno.EBUSY)
        var both = 0
        #expect(
            p.request_irq(Y, flags: IRQF_SHARED, name: "e") { _ in
                both += 1; return IRQ_HANDLED
            } == 0)
        _ = p.handle_irq_pipelined(Y)
        #expect(both == 1)
        #expect(p.free_irq(X, nil) == 0)
        #expect(p.free_irq(X, nil) == Errno.ENOENT)
    }
}
