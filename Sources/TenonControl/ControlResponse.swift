/// The answer to a ``ControlRequest``.
///
/// On the wire: `{"status":"ok","payload":…}` or
/// `{"status":"error","code":"unknown-plugin","message":"no plugin named foo"}`.
/// `message` is a complete one-line sentence fit for a CLI to print as is.
public enum ControlResponse: Codable, Sendable, Equatable {
    /// Success, with a payload (`null` when there is nothing to say).
    case ok(payload: JSONValue)
    /// Failure, with a machine-readable code (see ``ControlErrorCode``) and a one-line message.
    case error(code: String, message: String)

    /// Success without a payload.
    public static let ok: ControlResponse = .ok(payload: .null)

    /// Success with an `Encodable` payload (for example `[PluginRow]`); an encoding failure
    /// becomes an `internal-error` response.
    public static func ok<T: Encodable>(encoding value: T) -> ControlResponse {
        do {
            return .ok(payload: try JSONValue(encoding: value))
        } catch {
            return .error(.internalError, "cannot encode the response payload: \(error)")
        }
    }

    /// An error response with one of the standard codes.
    public static func error(_ code: ControlErrorCode, _ message: String) -> ControlResponse {
        .error(code: code.rawValue, message: message)
    }

    /// Whether this is ``ok(payload:)``.
    public var isOK: Bool {
        if case .ok = self { return true }
        return false
    }

    /// The error code, or `nil` for a success.
    public var errorCode: String? {
        if case .error(let code, _) = self { return code }
        return nil
    }

    /// Decodes through ``init(json:)``: one reader for both the server's
    /// Codable path and the client's ``JSONText`` path.
    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        do {
            try self.init(json: json)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.reason))
        }
    }

    /// Reads a response from its JSON object (``JSONText``, no Codable).
    package init(json: JSONValue) throws(JSONText.ParseError) {
        switch json["status"] {
        case .string("ok"):
            self = .ok(payload: json["payload"] ?? .null)
        case .string("error"):
            guard case .string(let code)? = json["code"], case .string(let message)? = json["message"] else {
                throw JSONText.ParseError(offset: 0, reason: "an error response needs a code and a message")
            }
            self = .error(code: code, message: message)
        case let other:
            throw JSONText.ParseError(offset: 0, reason: "unknown status \(other.map(JSONText.serialize) ?? "(none)")")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }

    /// The response as the JSON object it travels as; ``encode(to:)`` writes
    /// exactly this and ``init(json:)`` reads it back.
    package var jsonValue: JSONValue {
        switch self {
        case .ok(let payload): ["status": "ok", "payload": payload]
        case .error(let code, let message): ["status": "error", "code": .string(code), "message": .string(message)]
        }
    }
}
