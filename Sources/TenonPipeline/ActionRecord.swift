/// The control plane's record of one requested action (names, owners, and
/// whether it is published). Dispatch never sees these: it walks the
/// immutable chains built from them.
final class ActionRecord: @unchecked Sendable {
    let irq: UInt32
    let handler: IRQHandlerFunction
    /// The dev_id handed to the handler.
    let devId: UnsafeMutableRawPointer?
    /// The dev_id the requester named (nil for Swift-closure handlers without one).
    let key: UnsafeMutableRawPointer?
    let flags: UInt32
    let name: String
    let owner: UInt32
    /// Keeps a Swift-closure handler alive while the action exists.
    let box: ClosureHandler?
    /// Visible to dispatch. False while its owner is suspended (being
    /// unloaded) or staged (a hot swap not yet committed).
    var published: Bool {
        didSet {
            if published { unreachable = false } else if oldValue { unpublishes &+= 1 }
        }
    }
    /// How many times it was unpublished: a grace period that saw it
    /// unpublished at its start proves nothing if it was published again
    /// meanwhile.
    var unpublishes: UInt32 = 0
    /// No CPU can be running it, nor reach it later: it was never published,
    /// or a quiescent grace period covering its line began after it was
    /// unpublished. Its `free_irq` then has nothing to wait for (a plugin's
    /// `exit()` freeing its lines after its unload's grace period).
    var unreachable: Bool

    init(
        irq: UInt32, handler: IRQHandlerFunction, devId: UnsafeMutableRawPointer?, key: UnsafeMutableRawPointer?,
        flags: UInt32, name: String, owner: UInt32, box: ClosureHandler?, published: Bool
    ) {
        self.irq = irq
        self.handler = handler
        self.devId = devId
        self.key = key
        self.flags = flags
        self.name = name
        self.owner = owner
        self.box = box
        self.published = published
        self.unreachable = !published
    }
}

/// A Swift closure used as a handler through a C trampoline.
final class ClosureHandler: @unchecked Sendable {
    let body: (UInt32) -> Int32
    init(_ body: @escaping (UInt32) -> Int32) { self.body = body }
}

/// The C-callable face of every `ClosureHandler`.
let closureTrampoline: IRQHandlerFunction = { irq, devId in
    Unmanaged<ClosureHandler>.fromOpaque(devId!).takeUnretainedValue().body(irq)
}
