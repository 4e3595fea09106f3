import ArgumentParser
import TenonControl

/// `tenon raise IRQ [--cpu N] [--count K]`.
struct RaiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raise", abstract: "Raise an IRQ on a CPU of the running host (a device IRQ or IPI).",
        discussion: """
            Raising an IRQ already pending on that CPU coalesces, as on a real interrupt line: \
            --count 100 may give fewer than 100 handler runs (compare `tenon irqs` before and after).

            Example: tenon raise 5 --cpu 1 --count 10
            """)

    @Argument(help: "IRQ number.")
    var irq: Int

    @Option(name: .long, help: "Target CPU (default: round-robin over all CPUs).")
    var cpu: Int?

    @Option(name: .long, help: "How many times (1-1000000).")
    var count: Int = 1

    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard irq >= 0 else { throw ValidationError("IRQ must be >= 0, not \(irq)") }
        if let cpu, cpu < 0 { throw ValidationError("--cpu must be >= 0, not \(cpu)") }
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be 1 to 1000000, not \(count)") }
    }

    func run() throws {
        guard let payload = try options.send(.raise(irq: irq, cpu: cpu, count: count)) else { return }
        let cpus = (try? payload["cpus"]?.decode([Int].self)) ?? nil
        let coalesced = payload["coalesced"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 0
        print(
            "raised IRQ \(irq) x\(count) on CPU \((cpus ?? []).map(String.init).joined(separator: ","))"
                + (coalesced > 0
                    ? "; \(count - coalesced) dispatch\(count - coalesced == 1 ? "" : "es") completed: \(coalesced) "
                        + "coalesced with a pending raise of IRQ \(irq) (or a handler is still running)" : ""))
    }
}
