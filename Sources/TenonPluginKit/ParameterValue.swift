/// A Swift type a ``Parameter`` can have: Bool, Int, Int32, Int64, UInt,
/// UInt32, UInt64, Double. (String parameters are not offered: a Swift
/// String in a plugin allocates and needs Unicode tables libc lacks.)
public protocol ParameterValue: Sendable {
    /// How the host parses the text.
    static var parameterKind: ParameterKind { get }
    /// The value as a default in the descriptor.
    var parameterDefault: ParameterDefault { get }
    /// The value the host parsed, nil if it does not fit this type.
    init?(parameter: ParameterReading)
}

extension Bool: ParameterValue {
    public static var parameterKind: ParameterKind { .bool }
    public var parameterDefault: ParameterDefault { .bool(self) }
    public init?(parameter: ParameterReading) { self = parameter.bool }
}

extension Int64: ParameterValue {
    public static var parameterKind: ParameterKind { .int }
    public var parameterDefault: ParameterDefault { .int(self) }
    public init?(parameter: ParameterReading) { self = parameter.int }
}

extension Int: ParameterValue {
    public static var parameterKind: ParameterKind { .int }
    public var parameterDefault: ParameterDefault { .int(Int64(self)) }
    public init?(parameter: ParameterReading) { self.init(exactly: parameter.int) }
}

extension Int32: ParameterValue {
    public static var parameterKind: ParameterKind { .int }
    public var parameterDefault: ParameterDefault { .int(Int64(self)) }
    public init?(parameter: ParameterReading) { self.init(exactly: parameter.int) }
}

extension UInt64: ParameterValue {
    public static var parameterKind: ParameterKind { .uint }
    public var parameterDefault: ParameterDefault { .uint(self) }
    public init?(parameter: ParameterReading) { self = parameter.uint }
}

extension UInt: ParameterValue {
    public static var parameterKind: ParameterKind { .uint }
    public var parameterDefault: ParameterDefault { .uint(UInt64(self)) }
    public init?(parameter: ParameterReading) { self.init(exactly: parameter.uint) }
}

extension UInt32: ParameterValue {
    public static var parameterKind: ParameterKind { .uint }
    public var parameterDefault: ParameterDefault { .uint(UInt64(self)) }
    public init?(parameter: ParameterReading) { self.init(exactly: parameter.uint) }
}

extension Double: ParameterValue {
    public static var parameterKind: ParameterKind { .double }
    /// Written with "%.17g": the host parses back the same value.
    public var parameterDefault: ParameterDefault { .double(self) }
    public init?(parameter: ParameterReading) { self = parameter.double }
}
