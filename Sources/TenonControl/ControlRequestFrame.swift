/// One request frame on the wire: `{"version":1,"request":{…}}` followed by a newline.
public struct ControlRequestFrame: Codable, Sendable, Equatable {
    /// The protocol version of the sender (``ControlProtocol/version``).
    public var version: Int
    /// The request.
    public var request: ControlRequest

    public init(version: Int = ControlProtocol.version, request: ControlRequest) {
        self.version = version
        self.request = request
    }
}
