/// One type of the command signature grammar (tenon_plugin.h, "Commands").
public enum CommandType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The grammar's type names; `void` is a return type only.
    case void, bool, i32, i64, u32, u64, f64, str

    /// The C type a plugin author writes for it.
    public var cType: String {
        switch self {
        case .void: return "void"
        case .bool: return "bool"
        case .i32: return "int32_t"
        case .i64: return "int64_t"
        case .u32: return "uint32_t"
        case .u64: return "uint64_t"
        case .f64: return "double"
        case .str: return "const char *"
        }
    }

    public var description: String { rawValue }
}

/// A typed command argument, converted from user text.
public enum CommandArgument: Sendable, Equatable {
    /// A `bool` argument.
    case bool(Bool)
    /// An `i32` argument (`int32_t`).
    case i32(Int32)
    /// An `i64` argument (`int64_t`).
    case i64(Int64)
    /// A `u32` argument (`uint32_t`).
    case u32(UInt32)
    /// A `u64` argument (`uint64_t`).
    case u64(UInt64)
    /// An `f64` argument (`double`).
    case f64(Double)
    /// A `str` argument (`const char *`, valid during the call only).
    case str(String)

    /// The signature type this argument has.
    public var type: CommandType {
        switch self {
        case .bool: return .bool
        case .i32: return .i32
        case .i64: return .i64
        case .u32: return .u32
        case .u64: return .u64
        case .f64: return .f64
        case .str: return .str
        }
    }
}

/// A parsed `RET(ARG,...)` signature, e.g. `"u64(u32,str)"`.
///
/// Spaces around type names are tolerated; `void` is allowed only as the
/// return type, and `RET(void)` is refused with a hint (write `RET()`), since
/// C's spelling would otherwise read as "one argument of type void".
public struct CommandSignature: Sendable, Hashable, CustomStringConvertible {
    /// What the command returns (`void`: nothing).
    public let returnType: CommandType
    /// The argument types, in order; never `void`.
    public let argumentTypes: [CommandType]

    /// Canonical spelling (no spaces).
    public var description: String {
        "\(returnType)(\(argumentTypes.map(\.rawValue).joined(separator: ",")))"
    }

    /// A signature from its types; `argumentTypes` must not contain `void` (a precondition).
    public init(returnType: CommandType, argumentTypes: [CommandType]) {
        precondition(!argumentTypes.contains(.void), "CommandSignature: void is a return type only")
        self.returnType = returnType
        self.argumentTypes = argumentTypes
    }

    /// Parses `text`; `command` only names the command in errors.
    ///
    /// - Throws: ``PluginError/badSignature(command:signature:reason:)``.
    public init(parsing text: String, command: String) throws(PluginError) {
        func fail(_ reason: String) -> PluginError {
            .badSignature(command: command, signature: text, reason: reason)
        }
        guard let open = text.firstIndex(of: "("), text.last == ")" else {
            throw fail("expected RET(ARG,...)")
        }
        let retText = text[..<open].trimmingSpaces
        guard let ret = CommandType(rawValue: String(retText)) else {
            throw fail(retText.isEmpty ? "missing return type" : "unknown return type \"\(retText)\"")
        }
        let inner = text[text.index(after: open)..<text.index(before: text.endIndex)]
        guard !inner.contains("("), !inner.contains(")") else { throw fail("nested or extra parentheses") }
        var args: [CommandType] = []
        if !inner.trimmingSpaces.isEmpty {
            let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() {
                let name = part.trimmingSpaces
                guard !name.isEmpty else { throw fail("argument \(i + 1) is empty") }
                guard let type = CommandType(rawValue: String(name)) else {
                    throw fail("unknown argument type \"\(name)\"")
                }
                if type == .void {
                    throw fail(
                        parts.count == 1
                            ? "write \(ret)() for no arguments, not \(ret)(void)"
                            : "void is allowed only as the return type")
                }
                args.append(type)
            }
        }
        self.returnType = ret
        self.argumentTypes = args
    }

    /// Converts user strings to typed arguments, checking count and range.
    ///
    /// - Throws: ``PluginError/commandArgumentCount(command:expected:got:signature:)``
    ///   or ``PluginError/commandArgumentType(command:index:value:expectedType:signature:reason:)``
    ///   naming the first bad argument (0-based `index`).
    public func convert(_ arguments: [String], command: String) throws(PluginError) -> [CommandArgument] {
        guard arguments.count == argumentTypes.count else {
            throw .commandArgumentCount(
                command: command, expected: argumentTypes.count,
                got: arguments.count, signature: description)
        }
        var result: [CommandArgument] = []
        for (index, (type, text)) in zip(argumentTypes, arguments).enumerated() {
            let converted: Result<CommandArgument, ValueParsing.Reason>
            switch type {
            case .void: preconditionFailure("void argument in a parsed signature")
            case .bool: converted = ValueParsing.bool(text).map(CommandArgument.bool)
            case .i32:
                converted = ValueParsing.signed(text, min: Int64(Int32.min), max: Int64(Int32.max))
                    .map { .i32(Int32($0)) }
            case .i64: converted = ValueParsing.signed(text).map(CommandArgument.i64)
            case .u32: converted = ValueParsing.unsigned(text, max: UInt64(UInt32.max)).map { .u32(UInt32($0)) }
            case .u64: converted = ValueParsing.unsigned(text).map(CommandArgument.u64)
            case .f64: converted = ValueParsing.double(text).map(CommandArgument.f64)
            case .str: converted = .success(.str(text))
            }
            switch converted {
            case .success(let value): result.append(value)
            case .failure(let reason):
                throw .commandArgumentType(
                    command: command, index: index, value: text,
                    expectedType: "\(type) (\(type.cType))",
                    signature: description, reason: reason.text)
            }
        }
        return result
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
