import TenonABI

/// A command's function as the descriptor stores it (`void (*)(void)`); the
/// host calls it through libffi with the real type its signature names.
typealias RawCommand = @convention(c) () -> Void

/// What ``Plugin/declare(_:)`` fills: the plugin's parameters and commands,
/// written into the image's static descriptor tables. Every write is
/// bounds-checked: past TENON_KIT_MAX_PARAMS parameters,
/// TENON_KIT_MAX_COMMANDS commands or TENON_KIT_STRING_BYTES of signatures
/// and defaults, nothing more is written and init refuses the load with
/// ``Errno/tooBig``, logging which declaration did not fit.
public struct Declaration {
    private(set) var parameterCount: UInt32 = 0
    private(set) var commandCount: UInt32 = 0
    private(set) var problem: DeclarationProblem?

    init() {}

    /// Declares `parameter`: the host parses `name=value` for it, applies
    /// its default, and init reads it with `parameters[parameter]`. [task]
    public mutating func parameter<Value>(_ parameter: Parameter<Value>) {
        guard parameterCount < UInt32(TENON_KIT_MAX_PARAMS), let table = tenon_kit_params() else {
            return refuse(DeclarationProblem(what: "parameter", name: parameter.name, limit: .parameters))
        }
        var defaultText: UnsafePointer<CChar>?
        if let value = parameter.defaultValue {
            defaultText = KitStorage.strings.write { value.parameterDefault.write(to: &$0) }
            guard defaultText != nil else {
                return refuse(DeclarationProblem(what: "parameter", name: parameter.name, limit: .strings))
            }
        }
        table[Int(parameterCount)] = tenon_param_desc_t(
            name: parameter.name.cString, type: Value.parameterKind.rawValue,
            default_value: defaultText, description: parameter.help.cString)
        parameterCount += 1
    }

    /// The one writer of the command table; the public `command` overloads
    /// (Declaration+Commands.swift) pass the tokens of their Swift types.
    mutating func add(
        _ name: StaticString, _ help: StaticString, _ function: RawCommand,
        _ result: StaticString, _ first: StaticString? = nil, _ second: StaticString? = nil
    ) {
        guard commandCount < UInt32(TENON_KIT_MAX_COMMANDS), let table = tenon_kit_commands() else {
            return refuse(DeclarationProblem(what: "command", name: name, limit: .commands))
        }
        let signature = KitStorage.strings.write {
            $0.append(result)
            $0.append("(")
            if let first { $0.append(first) }
            if let second { $0.append(","); $0.append(second) }
            $0.append(")")
        }
        guard let signature else {
            return refuse(DeclarationProblem(what: "command", name: name, limit: .strings))
        }
        table[Int(commandCount)] = tenon_command_desc_t(
            name: name.cString, signature: signature, fn: function,
            help: help.cString)
        commandCount += 1
    }

    private mutating func refuse(_ problem: DeclarationProblem) {
        if self.problem == nil { self.problem = problem }
    }
}
