// embedded-counter: the `counter` plugin in Embedded Swift.
//
// Params:   irq (uint, 10), oob (bool, true)
// Commands: count "u64(u32)", total "u64()"
//
// Embedded Swift has no runtime metadata and allocates only if asked to, so
// the handler below compiles to plain loads, atomic adds and calls through the
// host's function pointers: safe in a signal handler.
//
// Static storage rules: everything the descriptor points to lives in globals
// of this image (valid until dlclose). Globals with non-trivial initialisers
// are initialised lazily (swift_once, a spin on first access), so the entry
// point touches them before any handler can run: a handler must never be the
// first to access a global.

import Synchronization
import TenonABI

private let maxCPUs = 64
private let EINVAL: Int32 = 22   // Linux errno; <errno.h> is not imported here

/// Handler runs per CPU. Atomic is ~Copyable, so the table is an InlineArray.
private let counts: InlineArray<64, Atomic<UInt64>> = InlineArray { _ in Atomic<UInt64>(0) }

nonisolated(unsafe) private var irqLine: UInt32 = 0

/// Static storage for the descriptor and its two tables, as plain words.
/// Do NOT declare globals of the imported C struct types instead (e.g.
/// `var d = tenon_plugin_desc_t()`): Swift 6.3.1 emits a statically
/// initialised global of an imported C struct with internal padding as a
/// *packed* LLVM struct (tenon_param_desc_t: 28 bytes instead of 32,
/// tenon_plugin_desc_t: 80 instead of 88), so storing the last field overruns
/// into the next global. Seen with and without Embedded, -Onone and -O.
nonisolated(unsafe) private var storage = InlineArray<32, UInt64>(repeating: 0)
private let paramsOffset = MemoryLayout<tenon_plugin_desc_t>.stride
private let commandsOffset = paramsOffset + 2 * MemoryLayout<tenon_param_desc_t>.stride
private let storageBytes = commandsOffset + 2 * MemoryLayout<tenon_command_desc_t>.stride

private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// strcmp(a, b) == 0 without libc.
private func equals(_ a: UnsafePointer<CChar>?, _ b: StaticString) -> Bool {
    guard let a else { return false }
    let bytes = b.utf8Start
    var i = 0
    while i < b.utf8CodeUnitCount {
        if UInt8(bitPattern: a[i]) != bytes[i] { return false }
        i += 1
    }
    return a[i] == 0
}

private func findParam(_ params: UnsafePointer<tenon_param_value_t>?, _ count: UInt32,
                       _ name: StaticString, _ type: tenon_param_type_t) -> tenon_param_value_t? {
    guard let params else { return nil }
    for i in 0..<Int(count) where equals(params[i].name, name) {
        return params[i].type == type ? params[i] : nil
    }
    return nil
}

// [oob] or [inband]. dev_id is the host pointer (valid until exit returns).
private func handler(_ irq: UInt32, _ devId: UnsafeMutableRawPointer?) -> tenon_irqreturn_t {
    guard let devId else { return tenon_irqreturn_t(IRQ_NONE) }
    let host = UnsafePointer<tenon_host_t>(devId.assumingMemoryBound(to: tenon_host_t.self))
    let cpu = Int(host.pointee.smp_processor_id(host))
    guard cpu < maxCPUs else { return tenon_irqreturn_t(IRQ_NONE) }
    counts[cpu].wrappingAdd(1, ordering: .relaxed)
    return tenon_irqreturn_t(IRQ_HANDLED)
}

// Commands [task].
private let countCommand: @convention(c) (UInt32) -> UInt64 = { cpu in
    Int(cpu) < maxCPUs ? counts[Int(cpu)].load(ordering: .relaxed) : 0
}

private let totalCommand: @convention(c) () -> UInt64 = {
    var sum: UInt64 = 0
    for cpu in 0..<maxCPUs { sum &+= counts[cpu].load(ordering: .relaxed) }
    return sum
}

private func pluginInit(_ host: UnsafePointer<tenon_host_t>?, _ params: UnsafePointer<tenon_param_value_t>?,
                        _ count: UInt32) -> Int32 {
    guard let host, host.pointee.nr_cpus <= UInt32(maxCPUs),
          let irq = findParam(params, count, "irq", TENON_PARAM_UINT), irq.value.u <= UInt64(UInt32.max),
          let oob = findParam(params, count, "oob", TENON_PARAM_BOOL)
    else { return -EINVAL }
    irqLine = UInt32(truncatingIfNeeded: irq.value.u)
    let flags: UInt32 = oob.value.b != 0 ? IRQF_OOB : 0
    return host.pointee.request_irq(host, irqLine, handler, flags, cString("embedded-counter"),
                                    UnsafeMutableRawPointer(mutating: host))
}

private func pluginExit(_ host: UnsafePointer<tenon_host_t>?) {
    guard let host else { return }
    _ = host.pointee.free_irq(host, irqLine, UnsafeMutableRawPointer(mutating: host))
}

@_cdecl("tenon_plugin_entry")
public func tenonPluginEntry() -> UnsafePointer<tenon_plugin_desc_t>? {
    _ = counts[0].load(ordering: .relaxed)   // run the lazy initialiser now, in [task] context

    // The address of a global is stable for the life of the image.
    let base = withUnsafeMutablePointer(to: &storage) { UnsafeMutableRawPointer($0) }
    guard storageBytes <= MemoryLayout<InlineArray<32, UInt64>>.size else { return nil }

    let params = (base + paramsOffset).bindMemory(to: tenon_param_desc_t.self, capacity: 2)
    params[0] = tenon_param_desc_t(name: cString("irq"), type: TENON_PARAM_UINT, default_value: cString("10"),
                                   description: cString("IRQ line to count"))
    params[1] = tenon_param_desc_t(name: cString("oob"), type: TENON_PARAM_BOOL, default_value: cString("true"),
                                   description: cString("handle on the out-of-band stage (IRQF_OOB)"))

    let commands = (base + commandsOffset).bindMemory(to: tenon_command_desc_t.self, capacity: 2)
    commands[0] = tenon_command_desc_t(name: cString("count"), signature: cString("u64(u32)"),
                                       fn: unsafeBitCast(countCommand, to: (@convention(c) () -> Void).self),
                                       help: cString("handler runs on CPU n"))
    commands[1] = tenon_command_desc_t(name: cString("total"), signature: cString("u64()"),
                                       fn: unsafeBitCast(totalCommand, to: (@convention(c) () -> Void).self),
                                       help: cString("handler runs on all CPUs"))

    let descriptor = base.bindMemory(to: tenon_plugin_desc_t.self, capacity: 1)
    descriptor.pointee = tenon_plugin_desc_t(
        abi: tenon_version_t(major: TENON_ABI_MAJOR, minor: TENON_ABI_MINOR, patch: TENON_ABI_PATCH),
        struct_size: UInt32(MemoryLayout<tenon_plugin_desc_t>.size),
        name: cString("embedded-counter"),
        version: cString("1.0.0"),
        description: cString("Counts IRQs per CPU (Embedded Swift)"),
        params: UnsafePointer(params),
        param_count: 2,
        commands: UnsafePointer(commands),
        command_count: 2,
        init: pluginInit,
        exit: pluginExit)
    return UnsafePointer(descriptor)
}
