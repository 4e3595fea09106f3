#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import TenonABI

/// The type of a load-time parameter (`TENON_PARAM_*`).
public enum ParameterType: Int32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
    case bool = 1  // TENON_PARAM_BOOL
    /// Signed 64-bit, decimal or 0x-hex.
    case int = 2  // TENON_PARAM_INT
    /// Unsigned 64-bit, decimal or 0x-hex.
    case uint = 3  // TENON_PARAM_UINT
    /// A finite number such as 1.5 or 2e-3.
    case double = 4  // TENON_PARAM_DOUBLE
    /// The text as given.
    case string = 5  // TENON_PARAM_STRING

    public var description: String {
        switch self {
        case .bool: return "bool"
        case .int: return "int (signed 64-bit)"
        case .uint: return "uint (unsigned 64-bit)"
        case .double: return "double"
        case .string: return "string"
        }
    }

    /// Parses user text (or a descriptor's default) as this type; the failure
    /// carries a short reason for ``PluginError/badParameterValue(plugin:name:value:type:reason:)``.
    public func parse(_ text: String) -> Result<ParameterValue, ParameterParseFailure> {
        switch self {
        case .bool: return ValueParsing.bool(text).map(ParameterValue.bool).mapError { .init($0.text) }
        case .int: return ValueParsing.signed(text).map(ParameterValue.int).mapError { .init($0.text) }
        case .uint: return ValueParsing.unsigned(text).map(ParameterValue.uint).mapError { .init($0.text) }
        case .double: return ValueParsing.double(text).map(ParameterValue.double).mapError { .init($0.text) }
        case .string: return .success(.string(text))
        }
    }
}

/// Why a parameter value did not parse.
public struct ParameterParseFailure: Error, Sendable, Equatable {
    /// A short phrase, e.g. "expected a decimal or 0x-hex integer".
    public let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A typed parameter value.
public enum ParameterValue: Sendable, Equatable, CustomStringConvertible {
    /// The value of a ``ParameterType/bool`` parameter.
    case bool(Bool)
    /// The value of a ``ParameterType/int`` parameter.
    case int(Int64)
    /// The value of a ``ParameterType/uint`` parameter.
    case uint(UInt64)
    /// The value of a ``ParameterType/double`` parameter.
    case double(Double)
    /// The value of a ``ParameterType/string`` parameter.
    case string(String)

    /// The parameter type this value has.
    public var type: ParameterType {
        switch self {
        case .bool: return .bool
        case .int: return .int
        case .uint: return .uint
        case .double: return .double
        case .string: return .string
        }
    }

    public var description: String {
        switch self {
        case .bool(let v): return String(v)
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return "\"\(v)\""
        }
    }
}

/// One entry of a plugin's `params` array, copied out of the plugin.
public struct ParameterDescriptor: Sendable, Hashable {
    /// The key users write as `name=value`.
    public let name: String
    /// How the value text is parsed.
    public let type: ParameterType
    /// The default as written by the plugin (already checked to parse), or nil
    /// when the parameter is required.
    public let defaultValue: String?
    /// The plugin's help text for it (may be empty).
    public let description: String

    /// True when there is no default: the user must give a value.
    public var isRequired: Bool { defaultValue == nil }

    /// A descriptor from its parts; a nil `defaultValue` makes the parameter required.
    public init(name: String, type: ParameterType, defaultValue: String?, description: String = "") {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.description = description
    }
}

/// Parsed load-time parameters, plus the C storage handed to the plugin's
/// `init()`.
///
/// Owns every C string it points to (names and string values) and one
/// contiguous `tenon_param_value_t` array, all freed in `deinit`. The array
/// is in the order of the plugin's `params` descriptor array, one entry per
/// declared parameter (defaults filled in), so a plugin may index it by
/// position as well as look names up.
///
/// Not `Sendable`: it owns raw memory and is meant to live on the control
/// thread for the duration of one `init()` call.
public final class PluginParameters {
    /// The plugin these were parsed for (used in error messages).
    public let plugin: String
    /// Name and value of every declared parameter, in descriptor order.
    public let values: [(name: String, value: ParameterValue)]
    /// Names the user set explicitly (the others took their defaults).
    public let explicitlySet: Set<String>

    private let storage: UnsafeMutableBufferPointer<tenon_param_value_t>
    private var cStrings: [UnsafeMutablePointer<CChar>] = []

    /// Parses `arguments` (each `key=value`; the CLI's `PATH:k=v,k=v` is split
    /// by the caller) against `descriptors`.
    ///
    /// - Throws: ``PluginError/malformedParameter(plugin:argument:)``,
    ///   ``PluginError/unknownParameter(plugin:name:known:)``,
    ///   ``PluginError/duplicateParameter(plugin:name:)``,
    ///   ``PluginError/badParameterValue(plugin:name:value:type:reason:)``,
    ///   ``PluginError/missingParameter(plugin:name:)``, in the order the
    ///   arguments are read (missing ones last).
    public init(
        parsing arguments: [String], against descriptors: [ParameterDescriptor],
        plugin: String
    ) throws(PluginError) {
        var given: [String: String] = [:]
        for argument in arguments {
            guard let eq = argument.firstIndex(of: "="), eq != argument.startIndex else {
                throw .malformedParameter(plugin: plugin, argument: argument)
            }
            let key = String(argument[..<eq])
            let value = String(argument[argument.index(after: eq)...])
            guard descriptors.contains(where: { $0.name == key }) else {
                throw .unknownParameter(plugin: plugin, name: key, known: descriptors.map(\.name))
            }
            guard given[key] == nil else { throw .duplicateParameter(plugin: plugin, name: key) }
            given[key] = value
        }
        var values: [(name: String, value: ParameterValue)] = []
        for d in descriptors {
            let text: String
            if let user = given[d.name] {
                text = user
            } else if let fallback = d.defaultValue {
                text = fallback
            } else {
                throw .missingParameter(plugin: plugin, name: d.name)
            }
            switch d.type.parse(text) {
            case .success(let v): values.append((d.name, v))
            case .failure(let f):
                throw .badParameterValue(plugin: plugin, name: d.name, value: text, type: d.type, reason: f.reason)
            }
        }
        self.plugin = plugin
        self.values = values
        self.explicitlySet = Set(given.keys)
        self.storage = .allocate(capacity: values.count)
        for (i, (name, value)) in values.enumerated() {
            var c = tenon_param_value_t()
            c.name = UnsafePointer(ownedCString(name))
            c.type = value.type.rawValue
            switch value {
            case .bool(let b): c.value.b = b ? 1 : 0
            case .int(let v): c.value.i = v
            case .uint(let v): c.value.u = v
            case .double(let v): c.value.d = v
            case .string(let s): c.value.s = UnsafePointer(ownedCString(s))
            }
            (storage.baseAddress! + i).initialize(to: c)
        }
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
        for p in cStrings { free(p) }
    }

    /// The value of a declared parameter, or nil if `name` is not declared.
    public subscript(name: String) -> ParameterValue? {
        values.first { $0.name == name }?.value
    }

    /// Calls `body` with the C array for `init(host, params, param_count)`.
    /// The pointers are valid only inside `body` (and while `self` lives);
    /// the plugin must copy strings it keeps, as the header says.
    public func withUnsafeBufferPointer<R, E: Error>(
        _ body: (UnsafeBufferPointer<tenon_param_value_t>) throws(E) -> R
    ) throws(E) -> R {
        try withExtendedLifetime(self) { () throws(E) -> R in try body(UnsafeBufferPointer(storage)) }
    }

    private func ownedCString(_ s: String) -> UnsafeMutablePointer<CChar> {
        guard let p = strdup(s) else { fatalError("PluginParameters: out of memory") }
        cStrings.append(p)
        return p
    }
}
