#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
// libffi's ffi_type_* are C globals; Swift 6 flags them as shared mutable
// state. They are never written after libffi's static init.
@preconcurrency import CFFI
import CTenon

/// The value a command returned.
public enum CommandResult: Sendable, Equatable, CustomStringConvertible {
    case void
    case bool(Bool)
    /// i32 and i64 results, sign-extended.
    case int(Int64)
    /// u32 and u64 results, zero-extended.
    case uint(UInt64)
    case double(Double)
    /// A `str` result (plugin-owned static storage, copied); nil for NULL.
    case string(String?)

    public var description: String {
        switch self {
        case .void: return "(void)"
        case .bool(let v): return String(v)
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return v.map { "\"\($0)\"" } ?? "NULL"
        }
    }
}

/// A plugin command prepared for calls through libffi.
///
/// The `ffi_cif` is prepared once, at construction; it and the argument-type
/// array it points to are owned by this object and live exactly as long as it
/// (libffi keeps the pointer, it does not copy the array). A call lays its
/// arguments out on the stack and allocates nothing but the copy of a `str`
/// argument (or a `str` result's `String`); `tenon bench --only command` measures it beside a bare
/// `ffi_call`. Task context only, never a per-IRQ path.
///
/// Not `Sendable`, and calls must respect the header: commands run [task].
public final class FFICommand {
    public let plugin: String
    public let descriptor: CommandDescriptor
    public var name: String { descriptor.name }
    public var signature: CommandSignature { descriptor.signature }

    private let cif: UnsafeMutablePointer<ffi_cif>
    private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    // What a call reads, kept apart from `descriptor` so that a call does not
    // copy (retain and release) the descriptor's strings and arrays.
    private let function: @convention(c) () -> Void
    private let parameterTypes: UnsafeMutableBufferPointer<CommandType>
    private let returnType: CommandType

    /// Prepares the call interface for `descriptor`.
    /// - Throws: ``PluginError/ffiPrepFailed(command:signature:status:)``.
    public init(_ descriptor: CommandDescriptor, plugin: String) throws(PluginError) {
        // decode(_:as:) reads results as one 64-bit ffi_arg.
        precondition(MemoryLayout<ffi_arg>.size == 8, "FFICommand assumes a 64-bit ffi_arg")
        let sig = descriptor.signature
        let count = sig.argumentTypes.count
        let types = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(count, 1))
        for (i, t) in sig.argumentTypes.enumerated() { (types + i).initialize(to: FFICommand.ffiType(t)) }
        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        cif.initialize(to: ffi_cif())
        let status = ffi_prep_cif(cif, FFI_DEFAULT_ABI, UInt32(count), FFICommand.ffiType(sig.returnType), types)
        guard status == FFI_OK else {
            cif.deallocate()
            types.deallocate()
            throw .ffiPrepFailed(command: descriptor.name, signature: sig.description, status: Int(status.rawValue))
        }
        self.plugin = plugin
        self.descriptor = descriptor
        self.cif = cif
        self.argumentTypes = types
        self.function = descriptor.function
        self.parameterTypes = .allocate(capacity: count)
        _ = self.parameterTypes.initialize(from: sig.argumentTypes)
        self.returnType = sig.returnType
    }

    deinit {
        parameterTypes.deallocate()
        cif.deallocate()
        argumentTypes.deallocate()
    }

    /// Converts user strings with the signature, then calls.
    public func call(_ arguments: [String]) throws(PluginError) -> CommandResult {
        call(converted: try signature.convert(arguments, command: name))
    }

    /// Calls with already typed arguments. Their types must match the
    /// signature (a mismatch is a programming error and traps).
    public func call(converted arguments: [CommandArgument]) -> CommandResult {
        switch perform(arguments, site: nil) {
        case .success(let r): return r
        case .failure: preconditionFailure("unguarded command call reported a fault")
        }
    }

    /// Converts and calls through the guarded path as `site`'s owner.
    func call(_ arguments: [String], site: PluginCallSite?) throws(PluginError) -> Result<CommandResult, FaultedCall> {
        perform(try signature.convert(arguments, command: name), site: site)
    }

    private func perform(_ arguments: [CommandArgument], site: PluginCallSite?) -> Result<CommandResult, FaultedCall> {
        let count = parameterTypes.count
        if arguments.count != count { argumentCountMismatch(arguments.count) }
        // What the closure reads, copied out first: capturing `self` would
        // cost a retain and a release per call.
        let parameterTypes = self.parameterTypes
        let cif = self.cif, function = self.function
        // One stack block, no heap: the result buffer (16 bytes: libffi
        // writes a whole ffi_arg even for narrower integers), one 8-byte slot
        // per argument holding the C value itself (for str: the char*), and
        // the array of pointers to the slots that libffi takes. Only a str
        // argument is copied to the heap (a NUL-terminated copy the plugin
        // may read during the call). The closure returns two plain words:
        // building the `CommandResult` inside it made the compiler return it
        // through memory, and reading it back as one 16-byte load from two
        // 8-byte stores stalled store forwarding on every call.
        let (bits, seq) = arguments.withUnsafeBufferPointer { args in
            withUnsafeTemporaryAllocation(byteCount: 16 + 16 * count, alignment: 16) { block -> (UInt64, UInt64) in
                let result = block.baseAddress!
                let slots = result + 16
                let values = (slots + 8 * count).bindMemory(to: UnsafeMutableRawPointer?.self, capacity: count)
                result.storeBytes(of: 0, as: UInt64.self)
                (result + 8).storeBytes(of: 0, as: UInt64.self)
                var strings = false
                for i in 0..<count {
                    let slot = slots + 8 * i
                    let type: CommandType
                    switch args[i] {
                    case .bool(let v): slot.storeBytes(of: v ? 1 : 0, as: UInt8.self); type = .bool  // C bool = one byte
                    case .i32(let v): slot.storeBytes(of: v, as: Int32.self); type = .i32
                    case .i64(let v): slot.storeBytes(of: v, as: Int64.self); type = .i64
                    case .u32(let v): slot.storeBytes(of: v, as: UInt32.self); type = .u32
                    case .u64(let v): slot.storeBytes(of: v, as: UInt64.self); type = .u64
                    case .f64(let v): slot.storeBytes(of: v, as: Double.self); type = .f64
                    case .str(let s):
                        // Host-owned, valid during the call only (header contract).
                        guard let c = strdup(s) else { fatalError("FFICommand: out of memory") }
                        slot.storeBytes(of: UnsafeMutablePointer<CChar>?(c), as: UnsafeMutablePointer<CChar>?.self)
                        type = .str
                        strings = true
                    }
                    values[i] = slot
                    if type != parameterTypes[i] { Self.argumentTypeMismatch(i, type, parameterTypes[i]) }
                }
                defer {
                    if strings {
                        for i in 0..<count where parameterTypes[i] == .str {
                            free((slots + 8 * i).load(as: UnsafeMutableRawPointer?.self))
                        }
                    }
                }
                if let site {
                    let seq = PluginCall.invoke(
                        site, context: CTENON_CTX_COMMAND, cif: cif,
                        function: unsafeBitCast(function, to: UnsafeRawPointer.self),
                        result: result, arguments: values)
                    if let seq { return (0, seq) }
                } else {
                    ffi_call(cif, function, result, values)
                }
                return (result.load(as: UInt64.self), 0)
            }
        }
        if seq != 0 { return .failure(FaultedCall(seq: seq)) }
        return .success(Self.decode(bits, as: returnType))
    }

    @inline(never)
    private func argumentCountMismatch(_ given: Int) -> Never {
        preconditionFailure("FFICommand.call: \(given) argument(s) for \(signature)")
    }

    @inline(never)
    private static func argumentTypeMismatch(_ index: Int, _ given: CommandType, _ wanted: CommandType) -> Never {
        preconditionFailure("FFICommand.call: argument \(index) is \(given), the signature wants \(wanted)")
    }

    /// The result from the first 8 bytes libffi wrote. Integers narrower
    /// than a register come widened to a full ffi_arg (64 bits here), so
    /// they are truncated from it; a `str` is the plugin's static pointer.
    private static func decode(_ bits: UInt64, as type: CommandType) -> CommandResult {
        switch type {
        case .void: return .void
        case .bool: return .bool(UInt8(truncatingIfNeeded: bits) != 0)
        case .i32: return .int(Int64(Int32(truncatingIfNeeded: bits)))
        case .u32: return .uint(UInt64(UInt32(truncatingIfNeeded: bits)))
        case .i64: return .int(Int64(bitPattern: bits))
        case .u64: return .uint(bits)
        case .f64: return .double(Double(bitPattern: bits))
        case .str: return .string(UnsafePointer<CChar>(bitPattern: UInt(bits)).map { String(cString: $0) })
        }
    }

    /// libffi's type object for a signature type (C bool is `uint8`).
    static func ffiType(_ type: CommandType) -> UnsafeMutablePointer<ffi_type> {
        // The ffi_type_* globals have static storage in libffi, so their
        // addresses are stable for the process's lifetime.
        switch type {
        case .void: return withUnsafeMutablePointer(to: &ffi_type_void) { $0 }
        case .bool: return withUnsafeMutablePointer(to: &ffi_type_uint8) { $0 }
        case .i32: return withUnsafeMutablePointer(to: &ffi_type_sint32) { $0 }
        case .i64: return withUnsafeMutablePointer(to: &ffi_type_sint64) { $0 }
        case .u32: return withUnsafeMutablePointer(to: &ffi_type_uint32) { $0 }
        case .u64: return withUnsafeMutablePointer(to: &ffi_type_uint64) { $0 }
        case .f64: return withUnsafeMutablePointer(to: &ffi_type_double) { $0 }
        case .str: return withUnsafeMutablePointer(to: &ffi_type_pointer) { $0 }
        }
    }
}

/// A plugin's commands, prepared, looked up by name.
public final class FFICommandTable {
    public let plugin: String
    /// In the plugin's declaration order.
    public let commands: [FFICommand]
    /// The owner calls run as (set once the plugin has one): calls then go
    /// through the guarded path.
    var site: PluginCallSite?

    public init(_ descriptor: PluginDescriptor) throws(PluginError) {
        var commands: [FFICommand] = []
        for c in descriptor.commands { commands.append(try FFICommand(c, plugin: descriptor.name)) }
        self.plugin = descriptor.name
        self.commands = commands
    }

    public var names: [String] { commands.map(\.name) }

    /// - Throws: ``PluginError/unknownCommand(plugin:command:available:)``.
    public func command(named name: String) throws(PluginError) -> FFICommand {
        guard let c = commands.first(where: { $0.name == name }) else {
            throw .unknownCommand(plugin: plugin, command: name, available: names)
        }
        return c
    }

    /// Looks up, converts and calls: the whole `tenon call PLUGIN CMD ARGS...`.
    public func call(_ name: String, _ arguments: [String]) throws(PluginError) -> CommandResult {
        try command(named: name).call(arguments)
    }

    /// The same through the guarded path: a fault in the command is a failure.
    func guardedCall(_ name: String, _ arguments: [String]) throws(PluginError) -> Result<CommandResult, FaultedCall> {
        try command(named: name).call(arguments, site: site)
    }
}
