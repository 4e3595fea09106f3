/// One response frame on the wire: `{"version":1,"response":{…}}` followed by a newline.
public struct ControlResponseFrame: Codable, Sendable, Equatable {
    /// The protocol version of the server (``ControlProtocol/version``).
    public var version: Int
    /// The response.
    public var response: ControlResponse

    public init(version: Int = ControlProtocol.version, response: ControlResponse) {
        self.version = version
        self.response = response
    }
}
