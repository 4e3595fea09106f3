import Foundation

/// The one duration syntax of every `--timeout`: `500ms`, `2s`, `1.5s`,
/// `1m`, or a bare number of seconds.
enum DurationText {
    /// Milliseconds, or nil when `text` is not a duration (or is negative).
    static func milliseconds(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let (number, scale): (Substring, Double) =
            t.hasSuffix("ms") ? (t.dropLast(2), 1)
            : t.hasSuffix("s") ? (t.dropLast(), 1000)
            : t.hasSuffix("m") ? (t.dropLast(), 60_000)
            : (Substring(t), 1000)
        guard let v = Double(number), v.isFinite, v >= 0, v * scale < Double(Int32.max) else { return nil }
        return Int(v * scale)
    }

    /// The validation message for a bad `--timeout` value.
    static func invalid(_ option: String, _ text: String) -> String {
        "\(option) '\(text)' is not a duration like 500ms, 2s or 1m"
    }
}
