import TenonABI

/// The plugin's descriptor, for the entry point: the one line a plugin writes.
///
///     @_cdecl("tenon_plugin_entry")
///     public func entry() -> UnsafeRawPointer? { export(MyPlugin.self) }
///
/// Fills the image's static descriptor and tables (laid out by C, see
/// tenon_plugin_kit.h) and returns their address. [task]
public func export<P: Plugin & ~Copyable>(_ plugin: P.Type) -> UnsafeRawPointer? {
    KitStorage.reset()
    var declaration = Declaration()
    P.declare(&declaration)
    let problem = declaration.problem
    Lifecycle.current = Lifecycle(
        start: { host, parameters in Lifecycle.start(P.self, host, parameters, problem) },
        stop: { host in Lifecycle.stop(P.self, host) })

    guard let descriptor = tenon_kit_descriptor() else { return nil }
    descriptor.pointee = tenon_plugin_desc_t(
        abi: tenon_version_t(major: TENON_ABI_MAJOR, minor: TENON_ABI_MINOR, patch: TENON_ABI_PATCH),
        struct_size: UInt32(MemoryLayout<tenon_plugin_desc_t>.size),
        name: P.name.cString, version: P.version.cString, description: P.summary.cString,
        params: declaration.parameterCount > 0 ? UnsafePointer(tenon_kit_params()) : nil,
        param_count: declaration.parameterCount,
        commands: declaration.commandCount > 0 ? UnsafePointer(tenon_kit_commands()) : nil,
        command_count: declaration.commandCount,
        init: { host, values, count in
            guard let host else { return -EINVAL }
            return Lifecycle.current?.start(Host(host), Parameters(values: values, count: count, host: Host(host)))
                ?? -EINVAL
        },
        exit: { host in
            guard let host else { return }
            Lifecycle.current?.stop(Host(host))
        },
        // The kit offers no plugin extension: no plugin extension id exists yet.
        get_extension: nil)
    return UnsafeRawPointer(descriptor)
}
