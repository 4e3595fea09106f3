import Foundation

/// The JSON conventions of the control protocol, shared by server, client and payloads.
///
/// - Frames are single-line JSON (never pretty-printed: a raw newline ends a frame; JSON
///   escapes newlines inside strings).
/// - Keys are sorted so that output is stable and diffable.
/// - Dates are ISO 8601 strings.
package enum ControlCoding {
    /// An encoder for frames and payloads.
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A decoder for frames and payloads.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
