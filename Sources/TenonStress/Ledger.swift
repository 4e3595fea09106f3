import TenonTestDevice

/// A ledger block in host memory (never freed while a plugin may use it).
final class Ledger: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    let pointer: UnsafeMutablePointer<tenon_torture_ledger>
    let cpus: Int
    init(cpus: Int) {
        let size = tenon_torture_ledger_size(UInt32(cpus))
        raw = .allocate(byteCount: size, alignment: 64)
        pointer = tenon_torture_ledger_init(raw, UInt32(cpus))!
        self.cpus = cpus
    }
    var address: String { "0x" + String(UInt(bitPattern: raw), radix: 16) }
    var current: UInt64 {
        get { tenon_torture_load(&pointer.pointee.current_generation) }
        set { tenon_torture_store(&pointer.pointee.current_generation, newValue) }
    }
    var exited: UInt64 {
        get { tenon_torture_load(&pointer.pointee.exited_generation) }
        set { tenon_torture_store(&pointer.pointee.exited_generation, newValue) }
    }
    /// The generation whose unload or swap-out is running (0: none).
    var unloading: UInt64 {
        get { tenon_torture_load(&pointer.pointee.unloading_generation) }
        set { tenon_torture_store(&pointer.pointee.unloading_generation, newValue) }
    }
    func push(cpu: Int) -> Bool { tenon_torture_push(pointer, UInt32(cpu)) == 0 }
    func pending(cpu: Int) -> UInt64 { tenon_torture_pending(pointer, UInt32(cpu)) }
    func cpuRecord(_ cpu: Int) -> UnsafeMutablePointer<tenon_torture_cpu> {
        let base = UnsafeMutableRawPointer(pointer) + MemoryLayout<tenon_torture_ledger>.size
        return (base + cpu * MemoryLayout<tenon_torture_cpu>.stride).assumingMemoryBound(to: tenon_torture_cpu.self)
    }
    func read(_ p: UnsafeMutablePointer<UInt64>) -> UInt64 { tenon_torture_load(p) }
}
