import TenonABI

/// The first parameter or command that did not fit the kit's tables;
/// init logs it and refuses the load with ``Errno/tooBig``.
struct DeclarationProblem {
    enum Limit {
        case parameters, commands, strings
    }

    var what: StaticString  // "parameter" or "command"
    var name: StaticString
    var limit: Limit

    func write(to writer: inout TextWriter) {
        writer.append(what); writer.append(" '"); writer.append(name); writer.append("' does not fit: ")
        switch limit {
        case .parameters:
            writer.append("more than "); writer.append(UInt64(TENON_KIT_MAX_PARAMS))
            writer.append(" parameters (TENON_KIT_MAX_PARAMS)")
        case .commands:
            writer.append("more than "); writer.append(UInt64(TENON_KIT_MAX_COMMANDS))
            writer.append(" commands (TENON_KIT_MAX_COMMANDS)")
        case .strings:
            writer.append("signatures and default values exceed "); writer.append(UInt64(TENON_KIT_STRING_BYTES))
            writer.append(" bytes (TENON_KIT_STRING_BYTES)")
        }
    }
}
