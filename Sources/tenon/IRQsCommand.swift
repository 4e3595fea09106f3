import ArgumentParser
import TenonControl

/// `tenon irqs` (like /proc/interrupts).
struct IRQsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irqs", abstract: "Per-IRQ, per-CPU handler counts, stage and handlers (like /proc/interrupts).",
        discussion: "Example: tenon irqs --json")

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard let payload = try options.send(.irqs) else { return }
        printIRQTable(try payload.decode([IRQRow].self))
    }
}

/// The /proc/interrupts layout: IRQ, one count column per CPU, stage, handlers.
func printIRQTable(_ rows: [IRQRow]) {
    let cpus = rows.map(\.perCPU.count).max() ?? 0
    var table = [["IRQ"] + (0..<cpus).map { "CPU\($0)" } + ["STAGE", "HANDLERS"]]
    for r in rows {
        table.append(["\(r.irq):"] + r.perCPU.map(String.init) + [r.stage, r.handlers.joined(separator: ", ")])
    }
    printTable(table)
}
