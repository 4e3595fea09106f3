import ArgumentParser
import TenonControl

/// `tenon trace [--duration D] FILE`.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Record a running host's interrupt pipeline for a while and write it as a trace Perfetto opens.",
        discussion: """
            The host turns its trace points on for --duration (per-CPU lock-free rings: \
            handler begin/end with IRQ and plugin, irq_work, in-band and oob log replays; \
            on the control plane: grace periods with their fence, drain, flip and per-CPU \
            waits, and unload/swap steps), then writes FILE as Chrome trace-event JSON, \
            one track per CPU and one for the control plane. Open it offline in \
            https://ui.perfetto.dev or chrome://tracing. The host writes the file: give a \
            path it can write. Off, each trace point costs one predictable branch.

            Example: tenon trace --duration 2s /tmp/tenon.json
            """)

    @Option(name: .long, help: "How long to record: 500ms, 2s, up to 1m.")
    var duration: String = "2s"

    @Argument(help: "Where the host writes the trace (JSON).")
    var file: String

    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard let ms = DurationText.milliseconds(duration), (1...60_000).contains(ms) else {
            throw ValidationError("--duration '\(duration)' must be a duration from 1ms to 1m, like 500ms or 2s")
        }
    }

    func run() throws {
        guard
            let payload = try options.send(
                .trace(
                    path: absolutePath(file),
                    durationMilliseconds: DurationText.milliseconds(duration)!))
        else { return }
        let lost = payload["overwritten"]?.text ?? "0"
        print(
            "wrote \(payload["path"]?.text ?? file): \(payload["records"]?.text ?? "?") records"
                + (lost == "0" ? "" : " (\(lost) older ones overwritten: shorten --duration)"))
    }
}
