import Testing
@testable import TenonPipeline

/// §4 scenarios on escalation and on the interrupt-state helpers.
@Suite("Escalation and state scenarios (T37-T44)")
struct StateScenarioTests {
    @Test("T37 run_oob_call from a stalled oob context")
    func t37() {
        let p = pipelineWithStage()
        let s = p.irq_create_direct_mapping()
        var runs = 0
        #expect(
            p.request_irq(s, flags: IRQF_OOB | IRQF_PERCPU, name: "s") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        p.switch_oob()
        p.oob_irq_disable()
        var ran = false
        #expect(
            p.run_oob_call {
                ran = true; p.irq_post_oob(s); return 0
            } == 0)
        #expect(ran)
        #expect(runs == 0)
        #expect(p.oobLog(cpu: 0) == [s])
        #expect(p.oob_irqs_disabled())
        #expect(p.hard_irqs_disabled())
    }

    @Test("T38 run_oob_call handler context, caller's hard state restored", arguments: [false, true])
    func t38(hardOff: Bool) {
        let p = pipelineWithStage()
        if hardOff { p.hard_local_irq_disable() }
        var inside: Context?
        _ = p.run_oob_call {
            inside = Context(p); return 0
        }
        #expect(inside?.hardOff == true && inside?.oobStalled == true && inside?.oob == true)
        #expect(p.hard_irqs_disabled() == hardOff)
        #expect(p.running_inband())
    }

    @Test("T39 oob_irq_save/oob_irq_restore quirks")
    func t39() {
        let p = pipelineWithStage()
        p.oob_irq_restore(1)
        #expect(!p.oob_irqs_disabled())
        #expect(!p.hard_irqs_disabled())
        _ = p.hard_local_irq_save()
        let x = p.oob_irq_save()
        #expect(x == 0)
        p.oob_irq_restore(x)
        #expect(!p.oob_irqs_disabled())
        #expect(!p.hard_irqs_disabled())
    }

    @Test("T40 inband_irq_restore variants")
    func t40() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        p.inband_irq_restore(1)
        #expect(p.irqs_disabled() && p.local_save_flags() == 1)
        _ = p.raise(X, on: 0)
        p.inband_irq_restore(1)
        #expect(runs == 0)
        p.inband_irq_restore(0)
        #expect(runs == 1)
        #expect(!p.irqs_disabled() && p.local_save_flags() == 0)
        p.hard_local_irq_disable()
        #expect(!p.irqs_disabled())  // tracks the stall bit only
        p.hard_local_irq_enable()
    }

    @Test("T41 stage_disabled truth table")
    func t41() {
        let p = pipelineWithStage()
        p.hard_local_irq_disable()
        #expect(p.stage_disabled())
        p.switch_oob()
        #expect(p.stage_disabled())
        p.switch_inband()
        p.hard_local_irq_enable()
        p.local_irq_disable()
        #expect(p.stage_disabled())
        p.local_irq_enable()
        #expect(!p.stage_disabled())
        p.switch_oob()
        p.local_irq_disable()
        #expect(!p.stage_disabled())
        p.switch_inband()
        p.local_irq_enable()
    }

    @Test("test_and_lock_stage / unlock_stage restore without replay")
    func lockStage() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        var off: Int32 = -1
        let word = p.test_and_lock_stage(&off)
        #expect(off == 0 && p.irqs_disabled() && p.hard_irqs_disabled())
        p.irq_post_inband(X)
        p.unlock_stage(word)
        #expect(!p.irqs_disabled() && !p.hard_irqs_disabled())
        #expect(runs == 0)  // unlock_stage never replays
        #expect(p.inbandLog(cpu: 0) == [X])
    }

    @Test("T43 *_full macros change both states")
    func t43() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(X, flags: 0, name: "x") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        p.local_irq_disable_full()
        #expect(p.irqs_disabled() && p.hard_irqs_disabled())
        p.irq_post_inband(X)
        p.local_irq_enable_full()
        #expect(!p.irqs_disabled() && !p.hard_irqs_disabled())
        #expect(runs == 1)
        let f = p.local_irq_save_full()
        #expect(p.irqs_disabled() && p.hard_irqs_disabled())
        p.local_irq_restore_full(f)
        #expect(!p.irqs_disabled() && !p.hard_irqs_disabled())
    }

    @Test("T44 nested hard save/restore")
    func t44() {
        let p = pipelineWithStage()
        let outer = p.hard_local_irq_save()
        let inner = p.hard_local_irq_save()
        p.hard_local_irq_restore(inner)
        #expect(p.hard_irqs_disabled())
        p.hard_local_irq_restore(outer)
        #expect(!p.hard_irqs_disabled())
        #expect(!p.irqs_disabled() && !p.oob_irqs_disabled())
    }

    @Test("A raise while hard-off waits in the controller until hard-on")
    func controllerHoldsIRQs() {
        let p = pipelineWithStage()
        var runs = 0
        #expect(
            p.request_irq(Y, flags: IRQF_OOB, name: "y") { _ in
                runs += 1; return IRQ_HANDLED
            } == 0)
        let f = p.hard_local_irq_save()
        _ = p.raise(Y, on: 0)
        _ = p.raise(Y, on: 0)
        #expect(runs == 0)
        p.hard_local_irq_restore(f)
        #expect(runs == 1)  // raised twice while masked: pending once, like a CPU line
    }
}
