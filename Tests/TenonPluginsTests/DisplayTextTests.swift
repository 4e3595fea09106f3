import Testing
@testable import TenonPlugins

/// Plugin-supplied text is bounded and printed on one line.
@Suite("plugin text: bounded, control characters escaped")
struct DisplayTextTests {
    @Test func controlCharactersAreEscapedAndLongTextCut() {
        #expect(DisplayText.escaped("1.0\n\u{1B}[31mred\t", limit: 64) == "1.0\\x0a\\x1b[31mred\\x09")
        #expect(DisplayText.escaped(String(repeating: "a", count: 100), limit: 10) == String(repeating: "a", count: 10) + "…")
        #expect(DisplayText.escaped("déjà vu", limit: 64) == "déjà vu")
    }

    @Test func cStringsAreReadWithABound() {
        // Not NUL-terminated within the bound: read stops there, and says so.
        let bytes = [CChar](repeating: 0x41, count: 300) + [0]
        let text = bytes.withUnsafeBufferPointer { DisplayText.from($0.baseAddress, limit: 16) }
        #expect(text == String(repeating: "A", count: 16) + "…")
        #expect(DisplayText.from(nil, limit: 8) == "")
    }
}
