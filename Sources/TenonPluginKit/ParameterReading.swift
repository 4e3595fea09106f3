import TenonABI

/// One parsed value as the host passed it to init, before it becomes the
/// Swift type of its ``Parameter``. [task], during init only.
public struct ParameterReading {
    let raw: tenon_param_value_t

    /// The value of a ``ParameterKind/bool`` parameter.
    public var bool: Bool { raw.value.b != 0 }
    /// The value of an ``ParameterKind/int`` parameter.
    public var int: Int64 { raw.value.i }
    /// The value of a ``ParameterKind/uint`` parameter.
    public var uint: UInt64 { raw.value.u }
    /// The value of a ``ParameterKind/double`` parameter.
    public var double: Double { raw.value.d }

    /// The value as the user would write it, for error messages.
    func write(to writer: inout TextWriter) {
        switch ParameterKind(rawValue: raw.type) {
        case .bool: writer.append(bool ? "true" : "false")
        case .int: writer.append(int)
        case .uint: writer.append(uint)
        case .double: writer.append(double)
        case .string: if let text = raw.value.s { writer.append(cString: text) }
        case nil: writer.append("?")
        }
    }
}
