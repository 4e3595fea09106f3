/// A parameter value as the descriptor's default text is written from it.
public enum ParameterDefault: Sendable {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)

    func write(to writer: inout TextWriter) {
        switch self {
        case .bool(let value): writer.append(value ? "true" : "false")
        case .int(let value): writer.append(value)
        case .uint(let value): writer.append(value)
        case .double(let value): writer.append(value)
        }
    }
}
