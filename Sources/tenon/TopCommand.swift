import ArgumentParser
import Foundation
import TenonControl

/// `tenon top`: live per-IRQ, per-CPU interrupt rates of a running host (like irqtop).
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Live per-IRQ, per-CPU interrupt rates of a running host (like irqtop).",
        discussion: """
            Samples the host's IRQ counts (`tenon irqs`) every interval and shows the rates \
            since the previous sample, busiest IRQ first. On a terminal the view is redrawn in \
            place; otherwise (or with --batch) each sample is printed as plain lines under a \
            timestamp, and with --json as one JSON object per line.

            Examples:
              tenon top
              tenon top --interval 500ms --iterations 10 --batch
              tenon top --json --iterations 5 | jq .
            """)

    @Option(help: "Time between samples: e.g. 1s, 500ms.")
    var interval: String = "1s"
    @Option(name: [.customShort("n"), .long], help: "Stop after this many refreshes (default: until interrupted).")
    var iterations: Int?
    @Flag(help: "Plain lines even on a terminal (for logs and pipes).")
    var batch = false
    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard let ns = DurationText.nanoseconds(interval), ns >= 10_000_000 else {
            throw ValidationError("--interval '\(interval)' must be a duration of at least 10ms, like 500ms or 1s")
        }
        if let n = iterations, n < 1 { throw ValidationError("--iterations must be at least 1") }
    }

    func run() throws {
        let nanos = DurationText.nanoseconds(interval)!
        let inPlace = !batch && !options.json && isatty(STDOUT_FILENO) == 1
        var quiet = options
        quiet.json = false
        var previous = try sample(quiet)
        var done = 0
        while iterations.map({ done < $0 }) ?? true {
            usleep(useconds_t(nanos / 1000))
            let current = try sample(quiet)
            let rates = IRQRates(from: previous, to: current)
            previous = current
            done += 1
            if options.json {
                print(ClientOptions.encode(rates))
            } else {
                let lines = rates.render()
                if inPlace {
                    print("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n"))
                } else {
                    print(lines.joined(separator: "\n") + "\n")
                }
            }
            fflush(nil)
        }
    }

    func sample(_ client: ClientOptions) throws -> IRQRates.Sample {
        guard let payload = try client.send(.irqs) else { throw ExitCode(1) }
        return IRQRates.Sample(time: Date(), rows: try payload.decode([IRQRow].self))
    }
}
