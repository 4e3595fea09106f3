import Testing
@testable import TenonPipeline

/// §4 scenarios on deferral, immediate delivery, posting and injection.
@Suite("Delivery scenarios (T10-T26)")
struct DeliveryScenarioTests {
    @Test("T10 deferral under the virtual flag")
    func t10() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        let f = p.local_irq_save()
        #expect(p.raise(X, on: 0) == 0)
        #expect(runs == 0)
        #expect(p.inbandLog(cpu: 0) == [X])
        p.local_irq_restore(f)
        #expect(runs == 1)
        #expect(p.inbandLog(cpu: 0) == [])
    }

    @Test("T11 immediate in-band delivery when unstalled")
    func t11() {
        let p = pipelineWithStage()
        var inside: Context?
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                inside = Context(p); return IRQ_HANDLED
            } == 0)
        let epilogue = p.handle_irq_pipelined(X)
        #expect(inside == Context(hardOff: false, oobStalled: false, inbandStalled: true, oob: false, onEntry: false))
        #expect(epilogue)
    }

    @Test("T12 oob delivery ignores the virtual flag")
    func t12() {
        let p = pipelineWithStage()
        var inside: Context?
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in
                inside = Context(p); return IRQ_HANDLED
            } == 0)
        p.local_irq_disable()
        let epilogue = p.handle_irq_pipelined(Y)
        #expect(inside == Context(hardOff: true, oobStalled: true, inbandStalled: true, oob: true, onEntry: true))
        #expect(Context(p) == Context(hardOff: false, oobStalled: false, inbandStalled: true, oob: false, onEntry: false))
        #expect(!epilogue)
    }

    @Test("T18 oob unstall without oob events does not replay in-band")
    func t18() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(B, flags: 0, name: "b") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        let s = p.oob_irq_save()
        #expect(s == 0 && p.hard_irqs_disabled())
        p.irq_post_inband(B)
        p.oob_irq_restore(s)
        #expect(runs == 0)
        #expect(p.inbandLog(cpu: 0) == [B])
        p.oob_irq_disable()
        p.oob_irq_enable()
        #expect(runs == 0)
        p.local_irq_disable()
        p.local_irq_enable()
        #expect(runs == 1)
    }

    @Test("T19 no in-band replay while oob is current")
    func t19() {
        let p = pipelineWithStage()
        var bRuns = 0
        #expect(
            p.request_irq(B, flags: 0, name: "b") { _ in
                bRuns += 1; return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in
                p.irq_post_inband(B); return IRQ_HANDLED
            } == 0)
        p.switch_oob()  // an oob task: hard-on, oob unstalled
        _ = p.handle_irq_pipelined(Y)
        #expect(bRuns == 0)
        #expect(p.inbandLog(cpu: 0) == [B])
        p.switch_inband()
        p.local_irq_disable()
        p.local_irq_enable()
        #expect(bRuns == 1)
    }

    @Test("T20 injection of an oob sIRQ from in-band")
    func t20() {
        let p = pipelineWithStage()
        let s = p.irq_create_direct_mapping()
        var inside: Context?
        #expect(
            p.request_irq(s, flags: IRQF_OOB | IRQF_PERCPU, name: "s") { _ in
                inside = Context(p); return IRQ_HANDLED
            } == 0)
        for stalled in [false, true] {
            inside = nil
            if stalled { p.local_irq_disable() }
            #expect(p.irq_inject_pipeline(s) == 0)
            #expect(inside?.oob == true && inside?.hardOff == true && inside?.oobStalled == true)
            #expect(Context(p) == Context(hardOff: false, oobStalled: false, inbandStalled: stalled, oob: false, onEntry: false))
        }
    }

    @Test("T22 injection with an invalid IRQ")
    func t22() {
        let p = pipelineWithStage()
        let before = Context(p)
        #expect(p.irq_inject_pipeline(IRQNumberSpace.total - 1) == Errno.EINVAL)  // unmapped synthetic
        #expect(p.irq_inject_pipeline(IRQNumberSpace.total + 5) == Errno.EINVAL)
        #expect(Context(p) == before)
        #expect(p.inbandLog(cpu: 0).isEmpty && p.oobLog(cpu: 0).isEmpty)
    }

    @Test("T23 injection of an in-band sIRQ from oob")
    func t23() {
        let p = pipelineWithStage()
        let s2 = p.irq_create_direct_mapping()
        let seen = Recorder()
        #expect(
            p.request_irq(s2, flags: IRQF_PERCPU, name: "s2") { _ in
                seen.add("s2 inband=\(p.running_inband())"); return IRQ_HANDLED
            } == 0)
        _ = p.run_oob_call {
            #expect(p.irq_inject_pipeline(s2) == 0)
            seen.add("injected")
            return 0
        }
        #expect(seen.all == ["injected", "s2 inband=true"])
    }

    @Test("T24 injection of an in-band sIRQ from stalled in-band")
    func t24() {
        let p = pipelineWithStage()
        let s2 = p.irq_create_direct_mapping()
        var runs = 0
        #expect(
            p.request_irq(s2, flags: IRQF_PERCPU, name: "s2") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        p.local_irq_disable()
        #expect(p.irq_inject_pipeline(s2) == 0)
        #expect(runs == 0)
        p.local_irq_enable()
        #expect(runs == 1)
    }

    @Test("T25 irq_post_oob from in-band does not run the handler")
    func t25() {
        let p = pipelineWithStage()
        let s = p.irq_create_direct_mapping()
        var runs = 0
        #expect(
            p.request_irq(s, flags: IRQF_OOB | IRQF_PERCPU, name: "s") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        let f = p.hard_local_irq_save()
        p.irq_post_oob(s)
        p.hard_local_irq_restore(f)
        #expect(runs == 0)
        #expect(p.oobLog(cpu: 0) == [s])
        p.oob_irq_disable()
        p.oob_irq_enable()
        #expect(runs == 1)
    }

    @Test("T26 posting requires hard-off (debug)")
    func t26() {
        let p = pipelineWithStage()
        #expect(p.debugChecks)
        p.irq_post_inband(X)
        #expect(p.inbandLog(cpu: 0).isEmpty)
        #expect(p.diagnostics().map(\.kind) == [.postWithHardIRQsOn])
    }
}
