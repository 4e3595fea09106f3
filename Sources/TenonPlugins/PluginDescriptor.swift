import TenonSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import TenonABI

/// An ABI version (`tenon_version_t`).
public struct ABIVersion: Sendable, Hashable, CustomStringConvertible {
    /// A plugin's must equal the host's.
    public var major: UInt32
    /// A plugin's may not be newer than the host's (a minor bump only appends fields).
    public var minor: UInt32
    /// Never affects compatibility.
    public var patch: UInt32

    /// The version `major.minor.patch`.
    public init(major: UInt32, minor: UInt32, patch: UInt32 = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Converts the C `tenon_version_t`.
    public init(_ c: tenon_version_t) { self.init(major: c.major, minor: c.minor, patch: c.patch) }

    /// The ABI this host was compiled against (include/tenon/tenon_plugin.h).
    public static let host = ABIVersion(
        major: UInt32(TENON_ABI_MAJOR), minor: UInt32(TENON_ABI_MINOR),
        patch: UInt32(TENON_ABI_PATCH))

    /// The C `tenon_version_t`, for the header's functions.
    public var c: tenon_version_t { tenon_version_t(major: major, minor: minor, patch: patch) }

    /// The header's rule, `tenon_abi_compatible()`, called rather than
    /// re-implemented so the two can never disagree.
    public func isCompatible(withHost host: ABIVersion = .host) -> Bool {
        tenon_abi_compatible(c, host.c) != 0
    }

    public var description: String { "\(major).\(minor).\(patch)" }
    var majorMinor: String { "\(major).\(minor)" }
}

/// A command as declared by the plugin, signature already parsed.
public struct CommandDescriptor: @unchecked Sendable {
    // @unchecked: `function` points at the plugin's code, immutable until dlclose.
    /// The command's name, `[a-z0-9_-]{1,31}` (`tenon call PLUGIN:NAME`).
    public let name: String
    /// Its parsed signature, e.g. `u64(u32,str)`.
    public let signature: CommandSignature
    /// Its help text for `tenon info` (may be empty).
    public let help: String
    /// The raw `void (*)(void)`; call it only through ``FFICommand``.
    public let function: @convention(c) () -> Void
}

/// A validated plugin descriptor, copied into Swift values.
///
/// Only ``raw``, ``initFunction``, ``exitFunction`` and the commands' function
/// pointers still point into the plugin; they are valid until its image is
/// closed. The strings and arrays are copies, so they outlive the image.
public struct PluginDescriptor: @unchecked Sendable {
    // @unchecked: the pointers reference the plugin's static, immutable data
    // and code; the struct never writes through them.

    /// `"tenon_plugin_entry"`.
    public static let entrySymbol = TENON_PLUGIN_ENTRY_SYMBOL

    /// Bytes of the descriptor of this host's ABI major, minor 0: the least a
    /// plugin may declare.
    public static let minimumStructSize = UInt32(MemoryLayout<tenon_plugin_desc_t>.size)

    /// The file the descriptor came from (for messages).
    public let path: String
    /// The ABI the plugin was built against, compatible with the host's.
    public let abi: ABIVersion
    /// `struct_size` as the plugin declared it: at least ``minimumStructSize``.
    public let structSize: UInt32
    /// The plugin's name, `[a-z0-9_-]{1,31}`.
    public let name: String
    /// The plugin's version text.
    public let version: String
    /// The plugin's one-line description (`tenon info`).
    public let description: String
    /// Its load-time parameters, in the order of its `params` array.
    public let parameters: [ParameterDescriptor]
    /// Its commands, in the order of its `commands` array.
    public let commands: [CommandDescriptor]
    /// The descriptor in the plugin's image; valid until the image is closed.
    public let raw: UnsafePointer<tenon_plugin_desc_t>

    /// The C type of the plugin's `init(host, params, count)`: 0 or a negative errno.
    public typealias InitFunction =
        @convention(c) (
            UnsafePointer<tenon_host_t>?, UnsafePointer<tenon_param_value_t>?, UInt32
        ) -> Int32
    /// The C type of the plugin's `exit(host)`.
    public typealias ExitFunction = @convention(c) (UnsafePointer<tenon_host_t>?) -> Void
    /// The plugin's `init`, or nil (a plugin may offer only commands).
    public var initFunction: InitFunction? { raw.pointee.`init` }
    /// The plugin's `exit`, or nil.
    public var exitFunction: ExitFunction? { raw.pointee.exit }
    /// The C type of the plugin's `get_extension(host, name)`: a pointer, or NULL.
    public typealias ExtensionFunction =
        @convention(c) (
            UnsafePointer<tenon_host_t>?, UnsafePointer<CChar>?
        ) -> UnsafeRawPointer?
    /// The plugin's `get_extension`, if it offers any extension.
    public var extensionFunction: ExtensionFunction? { raw.pointee.get_extension }

    /// Calls the image's entry point and validates the result.
    package static func load(from image: DynamicImage) throws(PluginError) -> PluginDescriptor {
        let entry = try image.entryPoint()
        return try PluginDescriptor(validating: entry(), path: image.path)
    }

    /// Validates a descriptor returned by `tenon_plugin_entry()`.
    ///
    /// Order: non-NULL; ABI (major equal, then minor not newer, via
    /// `tenon_abi_compatible`); `struct_size` ≥ the 1.0 size; name; strings;
    /// parameter array (names, types, defaults parse, no duplicates); command
    /// array (names, signatures, non-NULL functions, no duplicates).
    /// Until the name is validated, messages name the plugin by `path`.
    public init(validating pointer: UnsafePointer<tenon_plugin_desc_t>?, path: String) throws(PluginError) {
        guard let pointer else { throw .entryReturnedNull(path: path) }
        // Only abi and struct_size are read before the size is known to cover
        // the whole 1.0 struct: they lead every version of the descriptor.
        let abi = ABIVersion(pointer.pointee.abi)
        let structSize = pointer.pointee.struct_size
        let host = ABIVersion.host
        if !abi.isCompatible(withHost: host) {
            if abi.major != host.major {
                throw .abiMajorMismatch(plugin: path, pluginVersion: abi, hostVersion: host)
            }
            throw .newerMinor(
                plugin: path, pluginVersion: abi, hostVersion: host,
                pluginStructSize: structSize, hostStructSize: PluginDescriptor.minimumStructSize)
        }
        guard structSize >= PluginDescriptor.minimumStructSize else {
            throw .descriptorTooSmall(
                plugin: path, structSize: structSize,
                minimum: PluginDescriptor.minimumStructSize)
        }
        let d = pointer.pointee
        let name = try PluginDescriptor.validName(d.name, path: path)
        self.path = path
        self.abi = abi
        self.structSize = structSize
        self.name = name
        self.version = DisplayText.from(d.version, limit: DisplayText.versionLimit)
        self.description = DisplayText.from(d.description, limit: DisplayText.descriptionLimit)
        self.raw = pointer
        self.parameters = try PluginDescriptor.parameters(d, plugin: name)
        self.commands = try PluginDescriptor.commands(d, plugin: name)
    }

    /// Checks that no other loaded plugin has this name; `loaded` maps name to
    /// the path it was loaded from.
    public func ensureUniqueName(among loaded: [String: String]) throws(PluginError) {
        if let existing = loaded[name] { throw .duplicateName(name: name, existingPath: existing) }
    }

    /// Parses `arguments` (`key=value`) against this plugin's parameters.
    public func parseParameters(_ arguments: [String]) throws(PluginError) -> PluginParameters {
        try PluginParameters(parsing: arguments, against: parameters, plugin: name)
    }

    /// Calls the plugin's `init(host, params, count)` [task].
    ///
    /// A NULL `init` counts as success (a plugin may only offer commands).
    /// - Throws: ``PluginError/initFailed(plugin:error:)`` with the positive
    ///   errno when init returns a negative value. Positive returns are not
    ///   errors by the header's 0-or-negative-errno convention and are ignored.
    public func callInit(host: UnsafePointer<tenon_host_t>, parameters: PluginParameters) throws(PluginError) {
        guard let initFunction else { return }
        let rc = parameters.withUnsafeBufferPointer { buffer in
            initFunction(host, buffer.baseAddress, UInt32(buffer.count))
        }
        if rc < 0 { throw .initFailed(plugin: name, error: SystemError(rc)) }
        // Kernel modules' init returning > 0 is a bug the kernel warns about;
        // here it fails the load, since the plugin did not say "0 = ready".
        if rc > 0 { throw .initReturnedPositive(plugin: name, value: rc) }
    }

    // MARK: - Validation helpers

    /// `[a-z0-9_-]{1,31}`: safe in file names, log lines and the CLI's
    /// `PLUGIN:CMD` syntax.
    static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...31).contains(utf8.count)
            && utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f || $0 == 0x2d
            }
    }

    static func validName(_ pointer: UnsafePointer<CChar>?, path: String) throws(PluginError) -> String {
        guard let pointer else { throw .badName(path: path, name: "(null)", reason: "name is NULL") }
        // Bounded: a name longer than 31 bytes is wrong anyway, and an
        // unterminated one must not make us read the whole address space.
        let length = strnlen(pointer, 64)
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
        guard let name = String(validating: bytes, as: UTF8.self) else {
            throw .badName(path: path, name: DisplayText.escaped(String(decoding: bytes, as: UTF8.self), limit: 63), reason: "not valid UTF-8")
        }
        guard length < 64 else { throw .badName(path: path, name: DisplayText.escaped(name, limit: 63) + "…", reason: "longer than 31 bytes") }
        guard isValidName(name) else {
            throw .badName(
                path: path, name: DisplayText.escaped(name, limit: 63),
                reason: name.isEmpty
                    ? "empty"
                    : name.utf8.count > 31 ? "longer than 31 bytes" : "contains characters outside [a-z0-9_-]")
        }
        return name
    }

    private static func parameters(_ d: tenon_plugin_desc_t, plugin: String) throws(PluginError) -> [ParameterDescriptor] {
        guard d.param_count > 0 else { return [] }
        guard let base = d.params else {
            throw .badParameterDescriptor(
                plugin: plugin, index: 0, name: "",
                reason: "param_count is \(d.param_count) but params is NULL")
        }
        var result: [ParameterDescriptor] = []
        for i in 0..<Int(d.param_count) {
            let p = base[i]
            guard let cName = p.name else {
                throw .badParameterDescriptor(plugin: plugin, index: i, name: "(null)", reason: "name is NULL")
            }
            let name = String(decoding: UnsafeRawBufferPointer(start: cName, count: strnlen(cName, 64)), as: UTF8.self)
            // Keys travel in `PATH:k=v,k=v`, so they must not contain the separators.
            guard !name.isEmpty, name.utf8.count <= 63,
                !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }),
                !name.contains(where: { $0 == "=" || $0 == "," || $0 == ":" || $0.isWhitespace })
            else {
                throw .badParameterDescriptor(
                    plugin: plugin, index: i, name: DisplayText.escaped(name, limit: 63),
                    reason: "name must be 1-63 characters without '=', ',', ':' or spaces")
            }
            guard let type = ParameterType(rawValue: p.type) else {
                throw .badParameterDescriptor(
                    plugin: plugin, index: i, name: name,
                    reason: "unknown type \(p.type) (expected TENON_PARAM_BOOL...STRING, 1...5)")
            }
            if let earlier = result.firstIndex(where: { $0.name == name }) {
                throw .badParameterDescriptor(
                    plugin: plugin, index: i, name: name,
                    reason: "declared twice (also parameter #\(earlier))")
            }
            let defaultValue = p.default_value.map { DisplayText.from($0, limit: DisplayText.descriptionLimit) }
            if let defaultValue, case .failure(let f) = type.parse(defaultValue) {
                throw .badParameterDescriptor(
                    plugin: plugin, index: i, name: name,
                    reason: "default \"\(defaultValue)\" is not a valid \(type): \(f.reason)")
            }
            result.append(
                ParameterDescriptor(
                    name: name, type: type, defaultValue: defaultValue,
                    description: DisplayText.from(p.description, limit: DisplayText.descriptionLimit)))
        }
        return result
    }

    private static func commands(_ d: tenon_plugin_desc_t, plugin: String) throws(PluginError) -> [CommandDescriptor] {
        guard d.command_count > 0 else { return [] }
        guard let base = d.commands else {
            throw .badCommandDescriptor(
                plugin: plugin, index: 0, name: "",
                reason: "command_count is \(d.command_count) but commands is NULL")
        }
        var result: [CommandDescriptor] = []
        for i in 0..<Int(d.command_count) {
            let c = base[i]
            guard let cName = c.name else {
                throw .badCommandDescriptor(plugin: plugin, index: i, name: "(null)", reason: "name is NULL")
            }
            let name = String(decoding: UnsafeRawBufferPointer(start: cName, count: strnlen(cName, 32)), as: UTF8.self)
            guard isValidName(name) else {
                throw .badCommandDescriptor(
                    plugin: plugin, index: i, name: DisplayText.escaped(name, limit: 32),
                    reason: "name must match [a-z0-9_-]{1,31}")
            }
            if let earlier = result.firstIndex(where: { $0.name == name }) {
                throw .badCommandDescriptor(
                    plugin: plugin, index: i, name: name,
                    reason: "declared twice (also command #\(earlier))")
            }
            guard let cSignature = c.signature else {
                throw .badCommandDescriptor(plugin: plugin, index: i, name: name, reason: "signature is NULL")
            }
            let signature = try CommandSignature(parsing: DisplayText.from(cSignature, limit: 128), command: name)
            guard let fn = c.fn else {
                throw .badCommandDescriptor(plugin: plugin, index: i, name: name, reason: "fn is NULL")
            }
            result.append(
                CommandDescriptor(
                    name: name, signature: signature,
                    help: DisplayText.from(c.help, limit: DisplayText.descriptionLimit), function: fn))
        }
        return result
    }
}
