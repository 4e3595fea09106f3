/// Severity of ``Host/log(_:level:)`` messages (the host's log levels).
public enum LogLevel: Int32, Sendable {
    case debug = 0
    case info = 1
    case warning = 2
    case error = 3
}
