import Synchronization

/// One relaxed atomic counter per CPU: what a handler counts, what a
/// command sums. Part of the plugin's state (``Plugin/shared``), so it is
/// ready before any handler runs.
public struct PerCPUCounter: ~Copyable, @unchecked Sendable {
    /// CPUs the table holds; a plugin refuses larger machines (``Plugin/maxCPUs``).
    public static var capacity: UInt32 { 64 }

    @usableFromInline
    let counts: InlineArray<64, Atomic<UInt64>>

    /// Every counter at 0.
    public init() {
        counts = InlineArray { _ in Atomic<UInt64>(0) }
    }

    /// Adds 1 to `cpu`'s counter; false (nothing counted) if `cpu` is beyond
    /// ``capacity``. [any][async-signal-safe]
    @inlinable @_noLocks @discardableResult
    public func increment(on cpu: UInt32) -> Bool {
        guard cpu < 64 else { return false }
        counts[Int(cpu)].wrappingAdd(1, ordering: .relaxed)
        return true
    }

    /// `cpu`'s count; 0 beyond ``capacity``. [any]
    public subscript(cpu: UInt32) -> UInt64 {
        cpu < 64 ? counts[Int(cpu)].load(ordering: .relaxed) : 0
    }

    /// The sum over all CPUs. [any]
    public var total: UInt64 {
        var sum: UInt64 = 0
        for cpu in 0..<64 { sum &+= counts[cpu].load(ordering: .relaxed) }
        return sum
    }

    /// Zeroes every counter. [any]
    public func reset() {
        for cpu in 0..<64 { counts[cpu].store(0, ordering: .relaxed) }
    }
}
