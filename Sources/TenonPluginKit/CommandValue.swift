/// A Swift type a command may take or return, with its token in the
/// signature grammar of include/tenon/tenon_plugin.h. The kit derives a
/// command's signature from its function type through these tokens.
public protocol CommandValue {
    static var signatureToken: StaticString { get }
}

extension Bool: CommandValue { public static var signatureToken: StaticString { "bool" } }
extension Int32: CommandValue { public static var signatureToken: StaticString { "i32" } }
extension Int64: CommandValue { public static var signatureToken: StaticString { "i64" } }
extension UInt32: CommandValue { public static var signatureToken: StaticString { "u32" } }
extension UInt64: CommandValue { public static var signatureToken: StaticString { "u64" } }
extension Double: CommandValue { public static var signatureToken: StaticString { "f64" } }

/// `str`: an argument is host-owned and valid during the call only; a result
/// must be static (a literal's ``Swift/StaticString/cString``) or nil.
extension Optional: CommandValue where Wrapped == UnsafePointer<CChar> {
    public static var signatureToken: StaticString { "str" }
}
