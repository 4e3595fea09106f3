import TenonABI

/// How the host parses a parameter's `key=value` text (TENON_PARAM_*).
public enum ParameterKind: Int32, Sendable {
    /// true/false, 1/0, yes/no, on/off
    case bool = 1
    /// signed 64-bit, decimal or 0x-hex
    case int = 2
    /// unsigned 64-bit, decimal or 0x-hex
    case uint = 3
    case double = 4
    case string = 5

    var name: StaticString {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        }
    }
}
