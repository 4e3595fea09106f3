import TenonABI

/// The descriptor's init and exit are C functions and cannot be generic: they
/// call the plugin type through these closures, set by ``export(_:)``. [task]
struct Lifecycle {
    nonisolated(unsafe) static var current: Lifecycle?

    var start: (Host, Parameters) -> Int32
    var stop: (Host) -> Void

    static func start<P: Plugin & ~Copyable>(
        _: P.Type, _ host: Host, _ parameters: Parameters,
        _ problem: DeclarationProblem?
    ) -> Int32 {
        if let problem {
            host.log(level: .error) {
                $0.append(P.name); $0.append(": "); problem.write(to: &$0)
                $0.append("; TenonPluginKit refuses the load")
            }
            return -E2BIG
        }
        let size = MemoryLayout<P>.size, alignment = MemoryLayout<P>.alignment
        guard size <= Int(TENON_KIT_STATE_BYTES), alignment <= Int(TENON_KIT_STATE_ALIGN) else {
            host.log(level: .error) {
                $0.append(P.name); $0.append(": the plugin's state is "); $0.append(UInt64(size))
                $0.append(" bytes aligned to "); $0.append(UInt64(alignment)); $0.append("; TenonPluginKit holds ")
                $0.append(UInt64(TENON_KIT_STATE_BYTES)); $0.append(" aligned to "); $0.append(UInt64(TENON_KIT_STATE_ALIGN))
                $0.append(" (TENON_KIT_STATE_BYTES): keep large tables out of the instance")
            }
            return -E2BIG
        }
        guard host.cpuCount <= P.maxCPUs else {
            host.log(level: .error) {
                $0.append(P.name); $0.append(": the machine has "); $0.append(UInt64(host.cpuCount))
                $0.append(" CPUs; the plugin's per-CPU tables hold "); $0.append(UInt64(P.maxCPUs)); $0.append(" (maxCPUs)")
            }
            return -EINVAL
        }
        do throws(Errno) {
            KitStorage.state(P.self).initialize(to: try P(host: host, parameters: parameters))
            // If start throws, handlers it installed may still be running until
            // the host's barrier: the instance stays as it is (the image goes).
            try P.shared.start(host: host)
            return 0
        } catch {
            return -error.rawValue
        }
    }

    /// The instance is not destroyed: its storage vanishes with the image at
    /// dlclose, and a reload starts from fresh storage. (Destroying an
    /// instance holding an `InlineArray` of atomics crashes the Swift 6.3.1
    /// compiler in Embedded -Onone: "Metadata pointer requested".) A plugin
    /// holding heap memory frees it in `stop(host:)`.
    static func stop<P: Plugin & ~Copyable>(_: P.Type, _ host: Host) {
        P.shared.stop(host: host)
    }
}
