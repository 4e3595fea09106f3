import Synchronization

/// The trace buffers: one fixed ring per CPU, written only by that CPU's
/// thread (a nested interrupt on the same thread reserves its own slot with
/// an atomic add, so nothing is torn), plus one ring for the control plane
/// (grace periods, unload steps), written by task threads. Lock-free, no
/// allocation after creation; the oldest records are overwritten on wrap.
struct TraceRings: ~Copyable {
    static var capacity: Int { @_noLocks get { 1 << 14 } }
    /// 64 bytes per head: each ring's writer owns a cache line.
    static var headStride: Int { @_noLocks get { 8 } }
    let count: Int
    let heads: UnsafeMutablePointer<Atomic<UInt64>>
    let records: UnsafeMutablePointer<Record>

    /// The in-memory layout of one record (32 bytes).
    struct Record {
        var time: UInt64
        var kind: UInt16
        var pad: UInt16
        var irq: UInt32
        var owner: UInt32
        var arg: UInt32
        var value: UInt64
    }

    init(rings: Int) {
        count = rings
        heads = .allocate(capacity: rings * Self.headStride)
        for i in 0..<(rings * Self.headStride) { (heads + i).initialize(to: Atomic(0)) }
        records = .allocate(capacity: rings * Self.capacity)
        records.initialize(
            repeating: Record(time: 0, kind: 0, pad: 0, irq: 0, owner: 0, arg: 0, value: 0),
            count: rings * Self.capacity)
    }

    func deallocate() {
        heads.deinitialize(count: count * Self.headStride)
        heads.deallocate()
        records.deallocate()
    }

    @inline(__always) @_noLocks
    func write(ring: Int, time: UInt64, kind: TraceEvent.Kind, irq: UInt32, owner: UInt32, arg: UInt32, value: UInt64) {
        let i = heads[ring * Self.headStride].wrappingAdd(1, ordering: .relaxed).oldValue
        let r = records + ring * Self.capacity + Int(i & UInt64(Self.capacity - 1))
        r.pointee = Record(time: time, kind: kind.rawValue, pad: 0, irq: irq, owner: owner, arg: arg, value: value)
    }

    /// Every record still in the rings, oldest first per ring. Read after
    /// tracing stopped (a record being written meanwhile may read torn).
    func read(cpuCount: Int) -> [TraceEvent] {
        var out: [TraceEvent] = []
        for ring in 0..<count {
            let head = heads[ring * Self.headStride].load(ordering: .acquiring)
            let first = head > UInt64(Self.capacity) ? head - UInt64(Self.capacity) : 0
            for i in first..<head {
                let r = records[ring * Self.capacity + Int(i & UInt64(Self.capacity - 1))]
                guard TraceEvent.Kind.known.contains(r.kind) else { continue }
                out.append(
                    TraceEvent(
                        kind: TraceEvent.Kind(rawValue: r.kind), timeNanos: r.time, cpu: ring < cpuCount ? ring : nil,
                        irq: r.irq, owner: r.owner, arg: r.arg, value: r.value))
            }
        }
        return out
    }

    /// Records overwritten before they were read, over all rings.
    func overwritten() -> UInt64 {
        (0..<count).reduce(0) { sum, ring in
            let head = heads[ring * Self.headStride].load(ordering: .relaxed)
            return sum + (head > UInt64(Self.capacity) ? head - UInt64(Self.capacity) : 0)
        }
    }

    func reset() {
        for ring in 0..<count { heads[ring * Self.headStride].store(0, ordering: .relaxed) }
    }
}
