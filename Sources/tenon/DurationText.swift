import Foundation

/// The one duration syntax of the CLI: a number with a unit, `ns`, `us`
/// (or `µs`), `ms`, `s` or `m`; a bare number is seconds. Examples: `100us`,
/// `500ms`, `2s`, `1.5`, `1m`.
enum DurationText {
    static func nanoseconds(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
            return UInt64(v * scale)
        }
        guard let v = Double(t), v >= 0, v.isFinite else { return nil }
        return UInt64(v * 1e9)
    }
}
