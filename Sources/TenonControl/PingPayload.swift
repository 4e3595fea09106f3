/// The payload of ``ControlRequest/ping``, produced by ``ControlServer`` itself.
public struct PingPayload: Codable, Sendable, Equatable {
    /// The protocol version the server speaks.
    public var version: Int
    /// The host's process id.
    public var pid: Int32
    /// The host's effective uid.
    public var uid: UInt32

    /// A payload from its fields.
    public init(version: Int, pid: Int32, uid: UInt32) {
        self.version = version
        self.pid = pid
        self.uid = uid
    }
}
