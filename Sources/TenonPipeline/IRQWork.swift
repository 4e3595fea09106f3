/// The C type of an irq_work function: receives the work item itself.
public typealias IRQWorkFunction = @convention(c) (UnsafeMutableRawPointer?) -> Void

/// Deferred in-band work (Dovetail's `struct irq_work`), layout-compatible
/// with the C ABI's `tenon_irq_work_t`: the caller owns the item; the pipeline
/// uses the private words for its claim flag.
public struct IRQWork {
    /// Run in-band, unstalled, with the item itself as its argument.
    public var function: IRQWorkFunction?
    /// The caller's: the function reads it from the item it receives.
    public var argument: UnsafeMutableRawPointer?
    /// host_private[0]: 1 while queued (claimed), accessed atomically.
    var pending: UInt64 = 0
    var reserved: (UInt64, UInt64, UInt64) = (0, 0, 0)

    /// Byte offset of the claim word (checked against MemoryLayout by a test).
    static var pendingOffset: Int { @_noLocks get { 16 } }

    /// An item not yet queued, running `function`.
    public init(function: IRQWorkFunction?, argument: UnsafeMutableRawPointer? = nil) {
        self.function = function
        self.argument = argument
    }
}

/// One CPU's queue of claimed work, in host memory: a ring of (item, owner).
/// Only its CPU touches it, with hard interrupts off. The owner is kept here,
/// not read from the item, so work of an unloaded plugin is skipped without
/// dereferencing the plugin's (possibly unmapped) memory.
struct IRQWorkQueue {
    static var capacity: Int { @_noLocks get { 256 } }
    var head = 0
    var tail = 0
    var items: UnsafeMutablePointer<UnsafeMutablePointer<IRQWork>?>
    var owners: UnsafeMutablePointer<UInt32>

    init() {
        items = .allocate(capacity: Self.capacity)
        items.initialize(repeating: nil, count: Self.capacity)
        owners = .allocate(capacity: Self.capacity)
        owners.initialize(repeating: 0, count: Self.capacity)
    }

    func deallocate() {
        items.deallocate()
        owners.deallocate()
    }

    var isEmpty: Bool { @_noLocks get { head == tail } }
    var count: Int { @_noLocks get { tail &- head } }

    @_noLocks
    mutating func push(_ work: UnsafeMutablePointer<IRQWork>, owner: UInt32) -> Bool {
        if tail &- head == Self.capacity { return false }
        items[tail % Self.capacity] = work
        owners[tail % Self.capacity] = owner
        tail &+= 1
        return true
    }

    @_noLocks
    mutating func pop() -> (UnsafeMutablePointer<IRQWork>, UInt32)? {
        if head == tail { return nil }
        let i = head % Self.capacity
        head &+= 1
        guard let work = items[i] else { return nil }
        return (work, owners[i])
    }
}
