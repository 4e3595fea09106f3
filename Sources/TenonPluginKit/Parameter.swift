/// A load-time parameter (`tenon load PLUGIN key=value`), declared once in
/// ``Plugin/declare(_:)`` and read by the same value in init:
///
///     static let irq = Parameter<UInt32>("irq", default: 10, help: "IRQ line to count")
///     ...
///     line = try parameters[Self.irq]
///
/// The host parses the text by the type's ``ParameterKind`` and checks it
/// before init; the kit checks that the parsed value fits the Swift type.
public struct Parameter<Value: ParameterValue>: Sendable {
    /// [a-z0-9_-], unique in the plugin.
    public let name: StaticString
    /// Applied when the user gives none; nil makes the parameter required.
    public let defaultValue: Value?
    /// One line for `tenon info`.
    public let help: StaticString

    /// A parameter `name`; a nil `defaultValue` makes it required. Declare it with
    /// ``Declaration/parameter(_:)``.
    public init(_ name: StaticString, default defaultValue: Value?, help: StaticString) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
    }
}
