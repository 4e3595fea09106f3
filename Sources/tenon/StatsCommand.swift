import ArgumentParser
import TenonControl

/// `tenon stats`.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Host counters: IRQs handled, plugins, timers, barrier.",
        discussion: """
            doorbell.cpuN.signals / doorbell.cpuN.wakes: raises that reached CPU N by the \
            doorbell signal (it was running something) or by waking its idle loop's futex \
            word (it was idle). taint.oops / taint.faultedPlugins and `tainted = D`: plugin \
            code has faulted here.

            Example: tenon stats --json
            """)

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard let payload = try options.send(.stats) else { return }
        let stats = try payload.decode(StatsPayload.self)
        for (key, value) in stats.values.sorted(by: { $0.key < $1.key }) { print("\(key) = \(value.text)") }
        for (key, value) in stats.counters.sorted(by: { $0.key < $1.key }) { print("\(key) = \(value)") }
    }
}
