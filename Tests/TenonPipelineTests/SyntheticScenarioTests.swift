import Testing
@testable import TenonPipeline

/// §4 scenarios on synthetic IRQs, irq_work, the proxy tick and idling.
@Suite("Synthetic IRQ, irq_work, tick and idle scenarios (T47-T52)")
struct SyntheticScenarioTests {
    @Test("T47 synthetic IRQ allocation until exhaustion")
    func t47() {
        let p = pipelineWithStage()
        var got: [UInt32] = []
        while case let irq = p.irq_create_direct_mapping(), irq != 0 { got.append(irq) }
        // One synthetic IRQ is the pipeline's own "in-band work".
        #expect(got.count == Int(IRQNumberSpace.syntheticIRQs) - 1)
        #expect(Set(got).count == got.count)
        #expect(!got.contains(0) && !got.contains(p.inbandWorkIRQ))
        #expect(p.irq_create_direct_mapping() == 0)
        p.irq_dispose_mapping(got[5])
        #expect(p.irq_create_direct_mapping() == got[5])
    }

    @Test("T48 irq_work from hard-off or stalled in-band is deferred", arguments: ["stalled", "hard-off"])
    func t48(mode: String) {
        let p = pipelineWithStage()
        var runs = 0
        let item = WorkItem { _ in runs += 1 }
        if mode == "stalled" { p.local_irq_disable() } else { p.hard_local_irq_disable() }
        #expect(p.irq_work_queue(item.work))
        #expect(runs == 0)
        #expect(!p.irq_work_queue(item.work))
        if mode == "stalled" {
            p.local_irq_enable()
        } else {
            p.hard_local_irq_enable()
            #expect(runs == 0)  // nothing syncs the in-band log on a hard enable
            p.local_irq_disable()
            p.local_irq_enable()
        }
        #expect(runs == 1)
        #expect(p.irq_work_queue(item.work))  // claim released when it ran
    }

    @Test("T49 proxy tick posts in-band")
    func t49() {
        let p = pipelineWithStage(cpus: 2)
        let seen = Recorder()
        #expect(
            p.request_irq(TICK, flags: IRQF_PERCPU, name: "timer") { _ in
                seen.add("inband tick cpu\(p.currentCPU!)")
                return IRQ_HANDLED
            } == 0)
        #expect(
            p.tick_install_proxy(tickIRQ: TICK) { _ in
                p.tick_notify_proxy(); return IRQ_HANDLED
            } == 0)
        p.withCPU(1) {
            p.local_irq_disable()
            _ = p.handle_irq_pipelined(TICK)
            #expect(seen.all.isEmpty)
            p.local_irq_enable()
        }
        #expect(seen.all == ["inband tick cpu1"])
    }

    @Test("T50 idle gate")
    func t50() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        p.local_irq_disable()
        _ = p.raise(X, on: 0)
        #expect(!p.irq_pipeline_can_idle())
        #expect(runs == 1)
        #expect(p.irqs_disabled() && p.hard_irqs_disabled())
        p.hard_local_irq_enable()
        #expect(p.irq_cpuidle_enter())
        #expect(p.hard_irqs_disabled())
        p.hard_local_irq_enable()
        #expect(!p.irq_cpuidle_enter { false })
        p.hard_local_irq_enable()
        p.local_irq_enable()
    }

    @Test("T51 debug diagnostics for in-band-only calls")
    func t51() {
        let p = pipelineWithStage()
        p.switch_oob()
        p.local_irq_enable()
        #expect(p.diagnostics().map(\.kind) == [.inbandEnableFromOOB])
        p.local_irq_enable()
        #expect(p.diagnostics().isEmpty)  // oopsing: checks are off now
        #expect(!p.debugChecks)
        p.switch_inband()

        let q = pipelineWithStage()
        q.hard_local_irq_disable()
        q.local_irq_enable()
        #expect(q.diagnostics().map(\.kind) == [.inbandEnableHardIRQsOff])
        q.hard_local_irq_enable()
    }

    @Test("T52 stage switch inside an oob replay handler")
    func t52() {
        let p = pipelineWithStage()
        let a = p.irq_create_direct_mapping()
        let b = p.irq_create_direct_mapping()
        let c = p.irq_create_direct_mapping()
        let seen = Recorder()
        #expect(
            p.request_irq(a, flags: IRQF_OOB | IRQF_PERCPU, name: "a") { _ in
                seen.add("A")
                p.switch_inband()  // a companion context switch
                return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(b, flags: IRQF_OOB | IRQF_PERCPU, name: "b") { _ in
                seen.add("B"); return IRQ_HANDLED
            } == 0)
        #expect(
            p.request_irq(c, flags: IRQF_PERCPU, name: "c") { _ in
                seen.add("C inband-stalled=\(p.irqs_disabled())")
                return IRQ_HANDLED
            } == 0)
        p.oob_irq_disable()
        p.irq_post_oob(a)
        p.irq_post_oob(b)
        p.irq_post_inband(c)
        p.oob_irq_enable()
        #expect(seen.all == ["A", "C inband-stalled=true"])
        #expect(p.oobLog(cpu: 0) == [b])
        #expect(!p.irqs_disabled())
        // Era C keeps the oob stall bit with the task that was switched out;
        // this model keeps it per CPU, so it is still set here.
        #expect(p.oob_irqs_disabled())
    }
}
