#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Text a plugin hands the host (version, description, help, action names),
/// made safe to print: read with a bound (an unterminated string must not
/// make the host read on), decoded leniently, control characters escaped as
/// `\xNN` so every message stays one line, and cut at `limit` characters
/// with "…".
package enum DisplayText {
    /// Bounds for each kind of plugin text.
    package static let versionLimit = 64, descriptionLimit = 256, actionNameLimit = 64

    /// The C string at `pointer` (nil: ""), at most `limit` characters, escaped.
    package static func from(_ pointer: UnsafePointer<CChar>?, limit: Int) -> String {
        guard let pointer else { return "" }
        let length = strnlen(pointer, limit * 4 + 1)
        let text = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        return escaped(text, limit: limit, cut: length > limit * 4)
    }

    /// `text` with control characters escaped, at most `limit` characters.
    package static func escaped(_ text: String, limit: Int, cut: Bool = false) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { return out + "…" }
            if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return cut ? out + "…" : out
    }
}
