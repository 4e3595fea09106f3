/// Text-to-value rules shared by load-time parameters and command arguments,
/// so `tenon load x.so:n=0x10` and `tenon call x cmd 0x10` accept the same
/// spellings. Each function returns the value or a short reason for the error
/// message.
enum ValueParsing {
    /// true/false, 1/0, yes/no, on/off (ASCII case-insensitive).
    static func bool(_ text: String) -> Result<Bool, Reason> {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return .success(true)
        case "false", "0", "no", "off": return .success(false)
        default: return .failure(Reason("expected true/false, 1/0, yes/no or on/off"))
        }
    }

    /// Optional sign, then decimal digits or `0x`/`0X` and hex digits.
    /// Returns the sign and the magnitude; range checks are the caller's.
    private static func magnitude(_ text: String) -> Result<(negative: Bool, value: UInt64), Reason> {
        var s = Substring(text)
        var negative = false
        if let first = s.first, first == "-" || first == "+" {
            negative = first == "-"
            s = s.dropFirst()
        }
        var radix = 10
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            radix = 16
            s = s.dropFirst(2)
        }
        // UInt64(_:radix:) accepts a leading sign itself; we handled it already.
        guard !s.isEmpty, s.first != "+", s.first != "-" else {
            return .failure(Reason("expected a decimal or 0x-hex integer"))
        }
        guard let value = UInt64(s, radix: radix) else {
            let digitsOK = s.allSatisfy { $0.isHexDigit && (radix == 16 || $0.isNumber) }
            return .failure(Reason(digitsOK ? "out of range" : "expected a decimal or 0x-hex integer"))
        }
        return .success((negative, value))
    }

    static func signed(_ text: String, min: Int64 = .min, max: Int64 = .max) -> Result<Int64, Reason> {
        let rangeText = "out of range \(min)...\(max)"
        switch magnitude(text) {
        case .failure(let reason):
            return .failure(reason.text == "out of range" ? Reason(rangeText) : reason)
        case .success(let (negative, value)):
            let result: Int64
            if negative {
                guard value <= UInt64(Int64.max) + 1 else { return .failure(Reason(rangeText)) }
                result = value == UInt64(Int64.max) + 1 ? .min : -Int64(value)
            } else {
                guard value <= UInt64(Int64.max) else { return .failure(Reason(rangeText)) }
                result = Int64(value)
            }
            guard result >= min && result <= max else { return .failure(Reason(rangeText)) }
            return .success(result)
        }
    }

    static func unsigned(_ text: String, max: UInt64 = .max) -> Result<UInt64, Reason> {
        let rangeText = "out of range 0...\(max)"
        switch magnitude(text) {
        case .failure(let reason):
            return .failure(reason.text == "out of range" ? Reason(rangeText) : reason)
        case .success(let (negative, value)):
            if negative && value != 0 { return .failure(Reason("negative value for an unsigned type")) }
            guard value <= max else { return .failure(Reason(rangeText)) }
            return .success(value)
        }
    }

    /// A finite double in Swift's (= strtod's) syntax; nan and inf are refused
    /// because no load-time setting or command argument means them on purpose.
    static func double(_ text: String) -> Result<Double, Reason> {
        guard let value = Double(text), !text.contains(where: \.isWhitespace) else {
            return .failure(Reason("expected a number such as 1.5 or 2e-3"))
        }
        guard value.isFinite else { return .failure(Reason("not a finite number")) }
        return .success(value)
    }

    /// Why a text did not parse; an `Error` only so it fits `Result`.
    struct Reason: Error, Equatable {
        let text: String
        init(_ text: String) { self.text = text }
    }
}
