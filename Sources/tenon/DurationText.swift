import Foundation

/// The one duration syntax of the CLI: a number with a unit, `ns`, `us`
/// (or `µs`), `ms`, `s` or `m`; a bare number is seconds. Examples: `100us`,
/// `500ms`, `2s`, `1.5`, `1m`.
enum DurationText {
    /// Nanoseconds, or nil when `text` is not a duration (or is negative).
    static func nanoseconds(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v >= 0, v.isFinite, v * scale < 1e18 else { return nil }
            return UInt64(v * scale)
        }
        guard let v = Double(t), v >= 0, v.isFinite, v < 1e9 else { return nil }
        return UInt64(v * 1e9)
    }

    /// Milliseconds (for `--timeout`s), or nil when `text` is not a duration
    /// (or is negative, or does not fit).
    static func milliseconds(_ text: String) -> Int? {
        guard let ns = nanoseconds(text), ns / 1_000_000 < UInt64(Int32.max) else { return nil }
        return Int(ns / 1_000_000)
    }

    /// The validation message for a bad `--timeout` value.
    static func invalid(_ option: String, _ text: String) -> String {
        "\(option) '\(text)' is not a duration like 500ms, 2s or 1m"
    }
}
