/// A guarded call a fault abandoned: the oops's sequence number.
struct FaultedCall: Error {
    let seq: UInt64

    /// The oops, read back from the fault handler's ring.
    var oops: PluginOops? { PluginOops.read(seq: seq) }

    var summary: String { oops?.summary ?? "oops #\(seq) (overwritten in the ring)" }
}
