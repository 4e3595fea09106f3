#if canImport(Glibc)
import Glibc
#endif
@preconcurrency import CFFI
import CTenon
import TenonABI

/// The one door into plugin code in task context: entry point, `init`,
/// `exit` and commands all go through ``invoke(_:context:cif:function:result:arguments:)``.
///
/// The call is made by libffi inside `ctenon_guarded_call`, which sets a
/// recovery point on the calling thread first (and gives the thread an
/// alternate signal stack if it has none). A fault, `abort()` or `exit()` in
/// the plugin jumps back there; the frames skipped are libffi's and the
/// plugin's own, none of which holds a Swift reference or a host lock. The
/// caller's own locks (the plugin host's operation lock) are held by frames
/// *above* the recovery point and are released normally.
///
/// Why the calling control thread and not a dedicated plugin-call thread: the
/// recovery record is per thread, so any thread is as safe as a dedicated
/// one, and the host keeps its existing threading (commands already run on
/// the control thread) without a hop per call.
enum PluginCall {
    /// Calls `function` with `cif`. Returns nil, or the sequence number of
    /// the oops whose fault abandoned the call.
    static func invoke(
        _ site: PluginCallSite, context: ctenon_context, cif: UnsafeMutablePointer<ffi_cif>,
        function: UnsafeRawPointer, result: UnsafeMutableRawPointer,
        arguments: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> UInt64? {
        let seq = ctenon_guarded_call(
            site.domain, site.owner, context.rawValue, tenon_ffi_invoke,
            UnsafeMutableRawPointer(cif), UnsafeMutableRawPointer(mutating: function),
            result, arguments)
        return seq == 0 ? nil : seq
    }

    /// Prepared call interfaces of the fixed-shape plugin functions.
    nonisolated(unsafe) static let entryCIF = prepare(returning: .str, [])
    nonisolated(unsafe) static let initCIF = prepare(returning: .i32, [.str, .str, .u32])
    nonisolated(unsafe) static let exitCIF = prepare(returning: .void, [.str])
    nonisolated(unsafe) static let extensionCIF = prepare(returning: .str, [.str, .str])

    /// (`.str` stands for any pointer: the same libffi type.)
    private static func prepare(
        returning resultType: CommandType,
        _ argumentTypes: [CommandType]
    ) -> UnsafeMutablePointer<ffi_cif> {
        let result = FFICommand.ffiType(resultType)
        let arguments = argumentTypes.map(FFICommand.ffiType)
        // Process-lifetime: libffi keeps both pointers.
        let types = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(arguments.count, 1))
        for (i, t) in arguments.enumerated() { (types + i).initialize(to: t) }
        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        cif.initialize(to: ffi_cif())
        let status = ffi_prep_cif(cif, FFI_DEFAULT_ABI, UInt32(arguments.count), result, types)
        precondition(status == FFI_OK, "ffi_prep_cif for a fixed plugin signature failed: \(status)")
        return cif
    }

    /// `tenon_plugin_entry()`, guarded.
    static func entry(_ function: tenon_plugin_entry_t, site: PluginCallSite)
        -> Result<UnsafePointer<tenon_plugin_desc_t>?, FaultedCall>
    {
        var out: UnsafeRawPointer? = nil
        let seq = withUnsafeMutablePointer(to: &out) { r in
            invoke(
                site, context: CTENON_CTX_ENTRY, cif: entryCIF, function: unsafeBitCast(function, to: UnsafeRawPointer.self),
                result: UnsafeMutableRawPointer(r), arguments: UnsafeMutablePointer(bitPattern: 8)!)
        }
        if let seq { return .failure(FaultedCall(seq: seq)) }
        return .success(out?.assumingMemoryBound(to: tenon_plugin_desc_t.self))
    }

    /// `init(host, params, count)`, guarded.
    static func initialize(
        _ function: PluginDescriptor.InitFunction, site: PluginCallSite,
        host: UnsafePointer<tenon_host_t>, parameters: UnsafePointer<tenon_param_value_t>?,
        count: UInt32
    ) -> Result<Int32, FaultedCall> {
        var h: UnsafeRawPointer? = UnsafeRawPointer(host)
        var p: UnsafeRawPointer? = parameters.map(UnsafeRawPointer.init)
        var n = count
        var rc: ffi_arg = 0
        let seq = withUnsafeMutablePointer(to: &h) { hp in
            withUnsafeMutablePointer(to: &p) { pp in
                withUnsafeMutablePointer(to: &n) { np in
                    withUnsafeMutablePointer(to: &rc) { rp in
                        var args: (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) =
                            (UnsafeMutableRawPointer(hp), UnsafeMutableRawPointer(pp), UnsafeMutableRawPointer(np))
                        return withUnsafeMutableBytes(of: &args) { buffer in
                            invoke(
                                site, context: CTENON_CTX_INIT, cif: initCIF,
                                function: unsafeBitCast(function, to: UnsafeRawPointer.self),
                                result: UnsafeMutableRawPointer(rp),
                                arguments: buffer.baseAddress!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
                        }
                    }
                }
            }
        }
        if let seq { return .failure(FaultedCall(seq: seq)) }
        return .success(Int32(truncatingIfNeeded: rc))
    }

    /// `exit(host)`, guarded. Returns the oops of a fault, or nil.
    static func exit(
        _ function: PluginDescriptor.ExitFunction, site: PluginCallSite,
        host: UnsafePointer<tenon_host_t>
    ) -> FaultedCall? {
        var h: UnsafeRawPointer? = UnsafeRawPointer(host)
        var unused: UInt64 = 0
        let seq = withUnsafeMutablePointer(to: &h) { hp in
            withUnsafeMutablePointer(to: &unused) { rp in
                var arg: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(hp)
                return withUnsafeMutablePointer(to: &arg) { ap in
                    invoke(
                        site, context: CTENON_CTX_EXIT, cif: exitCIF,
                        function: unsafeBitCast(function, to: UnsafeRawPointer.self),
                        result: UnsafeMutableRawPointer(rp), arguments: ap)
                }
            }
        }
        return seq.map { FaultedCall(seq: $0) }
    }

    /// `get_extension(host, id)`, guarded.
    static func getExtension(
        _ function: PluginDescriptor.ExtensionFunction, site: PluginCallSite,
        host: UnsafePointer<tenon_host_t>, id: UnsafePointer<CChar>
    )
        -> Result<UnsafeRawPointer?, FaultedCall>
    {
        var h: UnsafeRawPointer? = UnsafeRawPointer(host)
        var i: UnsafeRawPointer? = UnsafeRawPointer(id)
        var out: UnsafeRawPointer? = nil
        let seq = withUnsafeMutablePointer(to: &h) { hp in
            withUnsafeMutablePointer(to: &i) { ip in
                withUnsafeMutablePointer(to: &out) { rp in
                    var args: (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) =
                        (UnsafeMutableRawPointer(hp), UnsafeMutableRawPointer(ip))
                    return withUnsafeMutableBytes(of: &args) { buffer in
                        invoke(
                            site, context: CTENON_CTX_EXTENSION, cif: extensionCIF,
                            function: unsafeBitCast(function, to: UnsafeRawPointer.self),
                            result: UnsafeMutableRawPointer(rp),
                            arguments: buffer.baseAddress!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
                    }
                }
            }
        }
        if let seq { return .failure(FaultedCall(seq: seq)) }
        return .success(out)
    }
}
