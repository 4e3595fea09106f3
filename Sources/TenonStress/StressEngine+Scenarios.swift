import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// The scenarios run once per main phase: a stuck handler and a self-unload.
extension StressEngine {
    /// A handler that spins: unload must say busy within its timeout, never hang;
    /// after `release`, unload must succeed.
    func stuckScenario(machine: Machine, host: PluginHost) {
        guard let image = stuckImage else { report.scenarios["stuck"] = "skipped (libtenon-stuck.so not found)"; return }
        let stuck = PluginGroup(label: "stuck", images: [image], parameters: ["irq=7"], isTorture: false)
        do {
            let p = try host.load(path: image, parameters: ["irq=7"])
            stuck.loadedName = p.name
            stuck.loadedPath = image
        } catch {
            report.violations.append("stuck scenario: load failed: \(error)"); return
        }
        let cpu = options.cpus - 1
        machine.raise(7, on: cpu)
        let limit = tstress_now_ns() + 2_000_000_000
        while (try? host.call(plugin: "stuck", command: "entered")) == .uint(0) && tstress_now_ns() < limit { usleep(100) }
        let t = tstress_now_ns()
        let first = host.unload(name: "stuck", timeout: .milliseconds(100))
        let ms = Double(tstress_now_ns() - t) / 1e6
        var verdict: String
        if case let .busy(c, irq, _) = first, c == cpu, irq == 7, ms < 1000 {
            verdict = String(format: "busy on CPU %d IRQ 7 after %.0f ms (timeout 100 ms)", c, ms)
        } else {
            verdict = "expected busy on CPU \(cpu) IRQ 7 within 1 s, got \(first) after \(ms) ms"
            report.violations.append("stuck scenario: \(verdict)")
        }
        if case .busy = first { report.busyResults += 1 }
        _ = try? host.call(plugin: "stuck", command: "release")
        if case .busy = first {
            let second = unload(stuck, host: host, timeout: .seconds(5))
            if case .unloaded = second {
                verdict += "; after release: unloaded"
            } else {
                verdict += "; after release: \(second)"
                report.violations.append("stuck scenario: unload after release returned \(second)")
            }
        } else {
            _ = host.unload(name: "stuck", timeout: .seconds(5))
        }
        report.scenarios["stuck"] = verdict
    }

    /// A handler asking the host to unload a plugin must be refused (waiting
    /// for quiescence from inside a read section would never end).
    func selfUnloadScenario(machine: Machine, host: PluginHost) {
        let outcome = Counter()  // 0 pending, 1 refused, 2 other
        let irq: UInt32 = 30
        let name = groups.first(where: { $0.isTorture })?.loadedName ?? "torture"
        let rc = machine.pipeline.request_irq(irq, flags: TenonPipeline.IRQF_OOB, name: "stress-self-unload") { (_: UInt32) -> Int32 in
            let result = host.unload(name: name, timeout: .seconds(1))
            if case .refused = result {
                outcome.set(1)
            } else {
                outcome.set(2)
            }
            return TenonPipeline.IRQ_HANDLED
        }
        guard rc == 0 else { report.scenarios["self-unload"] = "skipped (request_irq \(rc))"; return }
        machine.raise(irq, on: 0)
        let limit = tstress_now_ns() + 2_000_000_000
        while outcome.get == 0 && tstress_now_ns() < limit { usleep(100) }
        _ = machine.pipeline.free_irq(irq, nil)
        switch outcome.get {
        case 1: report.scenarios["self-unload"] = "refused from inside the handler (CPU 0, IRQ \(irq))"
        case 2:
            report.violations.append("self-unload scenario: unload from inside a handler was not refused")
            report.scenarios["self-unload"] = "NOT refused"
        default:
            report.violations.append("self-unload scenario: the handler never ran within 2 s")
            report.scenarios["self-unload"] = "handler never ran"
        }
    }
}
