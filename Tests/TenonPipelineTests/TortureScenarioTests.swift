import Testing
@testable import TenonPipeline

/// §4 scenarios taken from Dovetail's kernel/irq/irqptorture.c.
@Suite("Torture scenarios (T01-T08)")
struct TortureScenarioTests {
    @Test("T01 stage installation succeeds once")
    func t01() {
        let p = IRQPipeline(cpus: 2)
        #expect(!p.oob_stage_present())
        #expect(p.enable_oob_stage("torture") == 0)
        #expect(p.oob_stage_present())
        #expect(p.oobStageName == "torture")
    }

    @Test("T02 second installation is refused")
    func t02() {
        let p = pipelineWithStage(name: "EVL")
        #expect(p.enable_oob_stage("torture") == Errno.EBUSY)
        #expect(p.oob_stage_present())
        #expect(p.oobStageName == "EVL")
    }

    @Test("T03 stop_machine callbacks run hard-off on every CPU")
    func t03() {
        let p = pipelineWithStage(cpus: 4)
        let seen = Recorder()
        let r = p.stop_machine { cpu in
            seen.add("cpu\(cpu) current=\(p.currentCPU ?? -1) hard-off=\(p.hard_irqs_disabled())")
            return 0
        }
        #expect(r == 0)
        #expect(seen.all == (0..<4).map { "cpu\($0) current=\($0) hard-off=true" })
        #expect(!p.hard_irqs_disabled())
    }

    @Test("T04 proxy tick installs on all CPUs and in-band ticks keep coming")
    func t04() {
        let p = pipelineWithStage(cpus: 2)
        var jiffies = [0, 0]
        var oobEvents = [0, 0]
        #expect(
            p.request_irq(TICK, flags: IRQF_PERCPU, name: "timer") { _ in
                jiffies[p.currentCPU!] += 1
                return IRQ_HANDLED
            } == 0)
        var notOOB = 0
        let oobTick: (UInt32) -> Int32 = { _ in
            oobEvents[p.currentCPU!] += 1
            if !p.running_oob() { notOOB += 1 }
            p.tick_notify_proxy()
            return IRQ_HANDLED
        }
        #expect(p.tick_install_proxy(tickIRQ: TICK, handleOOBEvent: oobTick) == 0)
        #expect(p.irq_is_oob(TICK))
        for cpu in 0..<2 {
            p.withCPU(cpu) {
                for _ in 0..<100 { _ = p.handle_irq_pipelined(TICK) }
            }
        }
        #expect(oobEvents == [100, 100])
        #expect(notOOB == 0)
        #expect(jiffies == [100, 100])
    }

    @Test("T05 in-band irq_work from in-band runs before irq_work_queue returns")
    func t05() {
        let p = pipelineWithStage()
        let seen = Recorder()
        var item: WorkItem!
        item = WorkItem { w in
            seen.add("inband=\(p.running_inband()) self=\(w == item.work)")
        }
        #expect(p.irq_work_queue(item.work))
        #expect(seen.all == ["inband=true self=true"])
    }

    @Test("T06 escalated call runs oob and passes its argument")
    func t06() {
        let p = pipelineWithStage()
        let argument = 0xC0FFEE
        var inside: (Bool, Int)?
        let r = p.run_oob_call {
            inside = (p.running_oob(), argument)
            return 42
        }
        #expect(r == 42)
        #expect(inside?.0 == true && inside?.1 == 0xC0FFEE)
        #expect(p.running_inband())
    }

    @Test("T07 irq_work queued from oob runs later, in-band, before run_oob_call returns")
    func t07() {
        let p = pipelineWithStage(cpus: 2)
        let seen = Recorder()
        let item = WorkItem { _ in seen.add("work inband=\(p.running_inband()) cpu=\(p.currentCPU!)") }
        p.withCPU(1) {
            _ = p.run_oob_call {
                #expect(p.irq_work_queue(item.work))
                seen.add("escalation done")
                return 0
            }
            seen.add("run_oob_call returned")
        }
        #expect(seen.all == ["escalation done", "work inband=true cpu=1", "run_oob_call returned"])
    }

    @Test("T08 proxy uninstall and stage removal")
    func t08() {
        let p = pipelineWithStage()
        #expect(p.request_irq(TICK, flags: IRQF_PERCPU, name: "timer") { _ in IRQ_HANDLED } == 0)
        #expect(p.tick_install_proxy(tickIRQ: TICK) { _ in IRQ_HANDLED } == 0)
        #expect(p.tick_install_proxy(tickIRQ: TICK) { _ in IRQ_HANDLED } == Errno.EAGAIN)
        p.tick_uninstall_proxy()
        p.disable_oob_stage()
        #expect(!p.irq_is_oob(TICK))
        #expect(!p.oob_stage_present())
        #expect(p.enable_oob_stage("again") == 0)
    }
}
