// Fixture: a plugin built as an ordinary Swift library. It carries Swift
// runtime metadata (a protocol conformance), so the host must never dlclose it:
// unloading retires it (kept mapped) with the reason stated.
import TenonABI

public struct Greeting: CustomStringConvertible {
    public var description: String { "swift-runtime plugin" }
}

private func pluginInit(
    _ host: UnsafePointer<tenon_host_t>?, _ params: UnsafePointer<tenon_param_value_t>?,
    _ count: UInt32
) -> Int32 {
    Greeting().description.isEmpty ? -1 : 0
}

@_cdecl("tenon_plugin_entry")
public func tenonPluginEntry() -> UnsafePointer<tenon_plugin_desc_t>? {
    // Heap storage: ordinary Swift may allocate here ([task] context).
    let d = UnsafeMutablePointer<tenon_plugin_desc_t>.allocate(capacity: 1)
    d.initialize(
        to: tenon_plugin_desc_t(
            abi: tenon_version_t(major: TENON_ABI_MAJOR, minor: TENON_ABI_MINOR, patch: TENON_ABI_PATCH),
            struct_size: UInt32(MemoryLayout<tenon_plugin_desc_t>.size),
            name: UnsafePointer(strdupStatic("swift-runtime")), version: UnsafePointer(strdupStatic("1.0.0")),
            description: UnsafePointer(strdupStatic("a Swift-runtime plugin")),
            params: nil, param_count: 0, commands: nil, command_count: 0,
            init: pluginInit, exit: nil, get_extension: nil))
    return UnsafePointer(d)
}

private func strdupStatic(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8CString)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    p.initialize(from: bytes, count: bytes.count)
    return p
}
