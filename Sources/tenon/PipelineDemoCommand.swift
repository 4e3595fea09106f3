import ArgumentParser
import TenonPipeline

/// `tenon pipeline-demo`: walks through the two-stage pipeline model, step by
/// step, on a deterministic pipeline (no threads, no signals).
struct PipelineDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-demo",
        abstract: "Walk through Dovetail's two-stage interrupt pipeline on the deterministic model.",
        discussion: "Example: tenon pipeline-demo"
    )

    @Option(name: .long, help: "Simulated CPUs (1-8).")
    var cpus: Int = 2

    func validate() throws {
        guard (1...8).contains(cpus) else { throw ValidationError("--cpus must be 1 to 8, not \(cpus)") }
    }

    func run() throws {
        let p = IRQPipeline(cpus: cpus)
        let device: UInt32 = 10, timer: UInt32 = 11
        var trace: [String] = []
        func step(_ text: String) { print("  " + text) }
        func state() -> String {
            "[\(p.running_oob() ? "oob" : "in-band"), hard \(p.hard_irqs_disabled() ? "off" : "on"), "
                + "in-band \(p.irqs_disabled() ? "stalled" : "unstalled"), oob \(p.oob_irqs_disabled() ? "stalled" : "unstalled")]"
        }

        print("1. Install the out-of-band stage")
        step("enable_oob_stage(\"demo\") = \(p.enable_oob_stage("demo"))")
        step("enable_oob_stage(\"again\") = \(p.enable_oob_stage("again")) (-EBUSY: one oob stage at a time)")

        print("2. Request handlers: IRQ \(device) in-band, IRQ \(timer) with IRQF_OOB")
        step(
            "request_irq(\(device)) = \(p.request_irq(device, flags: 0, name: "device") { irq in trace.append("in-band handler of IRQ \(irq) \(state())"); return IRQ_HANDLED })"
        )
        step(
            "request_irq(\(timer), IRQF_OOB) = \(p.request_irq(timer, flags: IRQF_OOB, name: "timer") { irq in trace.append("IRQF_OOB handler of IRQ \(irq) \(state())"); return IRQ_HANDLED })"
        )

        print("3. Stall the in-band stage (local_irq_save) and raise both IRQs on CPU 0")
        let flags = p.local_irq_save()
        p.raise(device, on: 0)
        p.raise(timer, on: 0)
        trace.forEach { step("ran: \($0)") }
        step("in-band log of CPU 0: \(p.inbandLog(cpu: 0)) (deferred, the oob handler ran at once)")
        trace.removeAll()

        print("4. local_irq_restore: the log is replayed")
        p.local_irq_restore(flags)
        trace.forEach { step("ran: \($0)") }
        trace.removeAll()

        print("5. Hard-disable (hard_local_irq_save): nothing runs, the IRQ waits in the controller")
        let hard = p.hard_local_irq_save()
        p.raise(timer, on: 0)
        step("handlers run while hard-off: \(trace.count)")
        p.hard_local_irq_restore(hard)
        trace.forEach { step("after hard_local_irq_restore, ran: \($0)") }
        trace.removeAll()

        print("6. Remove the stage: IRQF_OOB handlers now run in-band")
        p.disable_oob_stage()
        p.raise(timer, on: 0)
        trace.forEach { step("ran: \($0)") }

        print("7. /proc/interrupts")
        print("        " + (0..<cpus).map { "CPU\($0)".padding(8) }.joined())
        for action in p.actions() {
            let counts = (0..<cpus).map { String(p.count(irq: action.irq, cpu: $0)).padding(8) }.joined()
            print("\(String(action.irq).leftPadding(6)):  \(counts)\(p.irq_is_oob(action.irq) ? "oob    " : "in-band") \(action.name)")
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
