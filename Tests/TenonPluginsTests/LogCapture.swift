import Logging
import Synchronization

/// A logger whose messages a test can read back (to check that an error
/// names the plugin).
final class LogCapture: @unchecked Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "tenon.test.capture") { _ in Handler(capture: self) }
    }

    func contains(_ parts: String...) -> Bool {
        lines.withLock { $0.contains { line in parts.allSatisfy { line.contains($0) } } }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// Every line so far ("level: message").
    var messages: [String] { lines.withLock { $0 } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }
}
