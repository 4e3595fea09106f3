import Foundation
import Testing

@testable import TenonControl

/// The client's own JSON codec (``JSONText``) must read and write exactly
/// what the Codable side of the protocol does: the server still decodes
/// with JSONDecoder, and old clients send JSONEncoder's frames.
@Suite("JSONText: the client's codec agrees with JSONEncoder/JSONDecoder")
struct JSONTextTests {
    static let values: [JSONValue] = [
        .null, true, false, 0, -1, .int(Int.max), .int(Int.min), .uint(UInt64.max), 1.5, -2.25e-7,
        "", "plain", "quote \" backslash \\ slash / newline \n tab \t cr \r bell \u{07} nul \u{00}",
        "é ü 中文 😀 \u{2028}",
        [], [1, "two", [3.5, .null]],
        [:], ["b": 2, "a": ["nested": [true, false]], "empty": [:], "list": []],
    ]

    @Test("serialize → parse gives the value back")
    func roundTrip() throws {
        for value in Self.values {
            #expect(try JSONText.parse(Array(JSONText.serialize(value).utf8)) == value, "\(value)")
        }
    }

    @Test("JSONText reads JSONEncoder's text, and JSONDecoder reads JSONText's")
    func agreesWithFoundation() throws {
        for value in Self.values {
            let foundation = try ControlCoding.encoder().encode(value)
            #expect(try JSONText.parse(Array(foundation)) == value, "\(value)")
            let ours = Data(JSONText.serialize(value).utf8)
            #expect(try ControlCoding.decoder().decode(JSONValue.self, from: ours) == value, "\(value)")
        }
    }

    @Test("every request frame the client writes decodes to the same request on the server side")
    func requestFrames() throws {
        for request in ControlProtocolTests.allRequests {
            let text = JSONText.serialize(["version": .int(ControlProtocol.version), "request": request.jsonValue])
            #expect(!text.contains("\n"))
            let frame = try ControlCoding.decoder().decode(ControlRequestFrame.self, from: Data(text.utf8))
            #expect(frame == ControlRequestFrame(request: request))
            // And Codable's encoding is the same object.
            let codable = try ControlCoding.encoder().encode(request)
            #expect(try JSONText.parse(Array(codable)) == request.jsonValue)
        }
    }

    @Test("responses: ok with a payload, error with code and message; anything else is refused")
    func responses() throws {
        let responses: [ControlResponse] = [
            .ok, .ok(payload: ["result": .uint(UInt64.max)]), .error(code: "unknown-plugin", message: "no plugin named \"x\""),
        ]
        for response in responses {
            let json = try JSONText.parse(Array(try ControlCoding.encoder().encode(response)))
            #expect(try ControlResponse(json: json) == response)
        }
        #expect(throws: JSONText.ParseError.self) { try ControlResponse(json: ["status": "maybe"]) }
        #expect(throws: JSONText.ParseError.self) { try ControlResponse(json: ["status": "error", "code": "x"]) }
    }

    @Test("malformed text is an error naming the byte, never a crash")
    func malformed() {
        let bad = [
            "", " ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "\"abc", "tru", "nul", "1 2",
            "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\x\"", "\"\u{01}\"", "-", "1.2.3e", "[" + String(repeating: "[", count: 600),
        ]
        for text in bad {
            do {
                let value = try JSONText.parse(Array(text.utf8))
                Issue.record("\(text.debugDescription) parsed as \(value)")
            } catch {
                #expect(error.description.hasPrefix("invalid JSON at byte "))
            }
        }
    }
}
