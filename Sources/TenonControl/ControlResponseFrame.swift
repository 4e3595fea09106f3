/// One response frame on the wire: `{"version":1,"response":{…}}` followed by a newline.
package struct ControlResponseFrame: Codable, Sendable, Equatable {
    /// The protocol version of the server (``ControlProtocol/version``).
    package var version: Int
    /// The response.
    package var response: ControlResponse

    package init(version: Int = ControlProtocol.version, response: ControlResponse) {
        self.version = version
        self.response = response
    }
}
