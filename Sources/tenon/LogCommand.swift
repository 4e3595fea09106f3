import ArgumentParser
import Foundation
import TenonControl

/// `tenon log` (like dmesg, for oopses).
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show the host's oops log: contained faults of plugin code, oldest first.",
        discussion: """
            Each oops names the plugin and version, where it faulted (CPU, IRQ, \
            context), the signal and si_code, the faulting address and the \
            faulting instruction as FILE+0xOFFSET (feed it to `addr2line -e FILE`), \
            then the plugin frames found by a frame-pointer walk. The host keeps \
            the last 256.

            Example: tenon log; tenon log --json | jq '.[-1].pc'
            """)

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard let payload = try options.send(.log) else { return }
        let rows = try payload.decode([OopsRow].self)
        if rows.isEmpty { print("(no oops: no plugin code has faulted)") }
        for r in rows {
            print("[\(String(format: "%9.1f", r.uptimeSeconds))] \(r.summary)")
            print("    address \(r.address), thread \(r.thread)")
            for (i, f) in r.frames.enumerated() { print("    #\(i) \(f)") }
        }
    }
}
