/// One request frame on the wire: `{"version":1,"request":{…}}` followed by a newline.
package struct ControlRequestFrame: Codable, Sendable, Equatable {
    /// The protocol version of the sender (``ControlProtocol/version``).
    package var version: Int
    /// The request.
    package var request: ControlRequest

    package init(version: Int = ControlProtocol.version, request: ControlRequest) {
        self.version = version
        self.request = request
    }
}
