import TenonSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every way loading or using a plugin can fail because of the plugin file, the
/// plugin's descriptor or the user's input.
///
/// These are *environment* errors (the project's precondition-vs-throw rule,
/// as in swift-system): a bad file or bad user input throws; misuse of this
/// module's API by the host traps instead.
///
/// Each case's ``description`` is one line that names the file or plugin, says
/// what is wrong and what to do about it, so the CLI can print it verbatim.
public enum PluginError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: File and ELF checks (before dlopen)

    /// The path does not exist, is a directory or is not a regular file.
    case notAFile(path: String, reason: String)
    /// The file exists but could not be opened or read (`errno`).
    case unreadable(path: String, error: SystemError)
    /// The file does not start with the ELF magic `\x7fELF`.
    case notELF(path: String, firstBytes: [UInt8])
    /// The ELF class is not 64-bit (`found` is 32 or the raw EI_CLASS byte).
    case wrongELFClass(path: String, found: Int, expected: Int, machine: String)
    /// The ELF data encoding is not little-endian.
    case wrongByteOrder(path: String)
    /// The file is built for another CPU (`e_machine`).
    case wrongArchitecture(path: String, found: String, expected: String)
    /// `e_type` is not `ET_DYN` (an executable, object file or core dump).
    case notSharedObject(path: String, type: UInt16)
    /// The file is shorter than a table or segment its headers describe.
    case truncated(path: String, size: UInt64, needed: UInt64, what: String)
    /// The headers are internally inconsistent (bad entry sizes, overflow, …).
    case malformedELF(path: String, reason: String)

    // MARK: Faults (see docs/plugins.md, "When a plugin misbehaves")

    /// Plugin code faulted (or called `exit`) during `during` (entry point,
    /// init, command NAME); `oops` is the oops's one-line summary. The call
    /// was abandoned; the image stays mapped.
    case faulted(plugin: String, during: String, oops: String)

    // MARK: dlopen / dlsym

    /// `dlopen` refused the file; `message` is `dlerror()`'s text.
    case dlopenFailed(path: String, message: String)
    /// The image does not export `tenon_plugin_entry`.
    case missingEntry(path: String)
    /// `dlclose` failed; `message` is `dlerror()`'s text.
    case dlcloseFailed(path: String, message: String)

    // MARK: Descriptor checks

    /// `tenon_plugin_entry()` returned NULL: the plugin refuses to load.
    case entryReturnedNull(path: String)
    /// The plugin was built for another ABI major version.
    case abiMajorMismatch(plugin: String, pluginVersion: ABIVersion, hostVersion: ABIVersion)
    /// The plugin was built for a newer ABI minor version than this host knows.
    case newerMinor(
        plugin: String, pluginVersion: ABIVersion, hostVersion: ABIVersion,
        pluginStructSize: UInt32, hostStructSize: UInt32)
    /// `struct_size` is smaller than the ABI 1.0 descriptor.
    case descriptorTooSmall(plugin: String, structSize: UInt32, minimum: UInt32)
    /// The plugin's name is NULL, not UTF-8 or does not match `[a-z0-9_-]{1,31}`.
    case badName(path: String, name: String, reason: String)
    /// Another loaded plugin already has this name.
    case duplicateName(name: String, existingPath: String)
    /// Entry `index` of the plugin's `params` array is invalid.
    case badParameterDescriptor(plugin: String, index: Int, name: String, reason: String)
    /// Entry `index` of the plugin's `commands` array is invalid.
    case badCommandDescriptor(plugin: String, index: Int, name: String, reason: String)

    // MARK: Load-time parameters

    /// The user gave something that is not `key=value`.
    case malformedParameter(plugin: String, argument: String)
    /// The user gave a key the plugin does not declare.
    case unknownParameter(plugin: String, name: String, known: [String])
    /// A parameter without default was not given.
    case missingParameter(plugin: String, name: String)
    /// The user's value does not parse as the parameter's type.
    case badParameterValue(plugin: String, name: String, value: String, type: ParameterType, reason: String)
    /// The user gave the same key twice.
    case duplicateParameter(plugin: String, name: String)
    /// `init()` returned a negative errno.
    case initFailed(plugin: String, error: SystemError)
    /// `init()` returned a positive value: neither 0 (ready) nor a negative
    /// errno. Treated as a failure (rolled back like one).
    case initReturnedPositive(plugin: String, value: Int32)

    // MARK: Commands

    /// The plugin has no command of that name.
    case unknownCommand(plugin: String, command: String, available: [String])
    /// Wrong number of arguments for the command's signature.
    case commandArgumentCount(command: String, expected: Int, got: Int, signature: String)
    /// Argument `index` (0-based) does not convert to the signature's type.
    case commandArgumentType(
        command: String, index: Int, value: String, expectedType: String,
        signature: String, reason: String)
    /// The command's signature string does not follow the grammar.
    case badSignature(command: String, signature: String, reason: String)
    /// `ffi_prep_cif` refused the signature (`status` is the `ffi_status`).
    case ffiPrepFailed(command: String, signature: String, status: Int)

    // MARK: Plugin host

    /// No loaded plugin has this name.
    case unknownPlugin(name: String, loaded: [String])
    /// The pipeline ran out of owner tokens (too many plugins at once).
    case ownerSlotsExhausted(plugin: String)
    /// The operation was refused without side effects (e.g. asked from inside
    /// an IRQ handler, where waiting for quiescence would deadlock).
    case refused(plugin: String, reason: String)
    /// The file is larger than ``PrivateImage/maximumFileSize``: refused
    /// after reading at most one byte past the cap.
    case tooLarge(path: String, size: UInt64, limit: UInt64)
    /// The file or a directory above it can be changed by another user
    /// (``ImageSecurity``); `--allow-insecure` overrides.
    case insecure(path: String, reason: String)
    /// A hot swap's new image declares another plugin name (`--rename` allows it).
    case nameMismatch(plugin: String, newName: String, path: String)
    /// `init()` failed after the host refused one of its requests: the host's
    /// reason (e.g. "request_irq(7) refused: -EBUSY, line held by host tick").
    case initRefused(plugin: String, error: SystemError, hostReason: String)

    public var description: String {
        switch self {
        case let .unknownPlugin(name, loaded):
            return "no plugin named \"\(name)\" is loaded (loaded: \(loaded.isEmpty ? "none" : loaded.joined(separator: ", ")))"
        case let .ownerSlotsExhausted(plugin):
            return "plugin \(plugin): no free owner token in the pipeline; unload a plugin first"
        case let .refused(plugin, reason):
            return "plugin \(plugin): refused: \(reason)"
        case let .notAFile(path, reason):
            return "\(path): \(reason); give the path of a plugin shared object (.so)"
        case let .faulted(plugin, during, oops):
            return "\(plugin): \(during) faulted: \(oops); the plugin is quarantined and its image kept mapped (see `tenon log`)"
        case let .unreadable(path, error):
            return "\(path): cannot read: \(error.message); check the file's permissions"
        case let .notELF(path, firstBytes):
            let hex = firstBytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "\(path): not an ELF file (starts with \(hex.isEmpty ? "nothing: the file is empty" : hex)); "
                + "build the plugin with cc -shared -fPIC"
        case let .wrongELFClass(path, found, expected, machine):
            return "\(path): \(found)-bit ELF (\(machine)) but this host needs \(expected)-bit; "
                + "rebuild the plugin for this machine (no -m32)"
        case let .wrongByteOrder(path):
            return "\(path): big-endian ELF but this host is little-endian; rebuild the plugin for this machine"
        case let .wrongArchitecture(path, found, expected):
            return "\(path): built for \(found) but this host is \(expected); rebuild the plugin for \(expected)"
        case let .notSharedObject(path, type):
            return "\(path): ELF type is \(ELFImage.typeName(type)), not a shared object; "
                + "link the plugin with -shared -fPIC"
        case let .truncated(path, size, needed, what):
            return "\(path): truncated: \(what) needs \(needed) bytes but the file has \(size); "
                + "the copy is incomplete, rebuild or copy it again"
        case let .malformedELF(path, reason):
            return "\(path): malformed ELF: \(reason); rebuild the plugin"
        case let .dlopenFailed(path, message):
            return "\(path): dlopen failed: \(message)"
        case let .missingEntry(path):
            return "\(path): does not export \(PluginDescriptor.entrySymbol): "
                + "build with TENON_PLUGIN_ENTRY(desc) and -fvisibility=hidden"
        case let .dlcloseFailed(path, message):
            return "\(path): dlclose failed: \(message)"
        case let .entryReturnedNull(path):
            return "\(path): \(PluginDescriptor.entrySymbol)() returned NULL: the plugin refused to load "
                + "(see its own log output)"
        case let .abiMajorMismatch(plugin, pluginVersion, hostVersion):
            // Only the host's own step is explained: a newer major's changes are unknown here.
            let changes =
                pluginVersion.major == 1 && hostVersion.major == 2
                ? " (ABI 2 renamed IRQ_*/IRQF_* to TENON_IRQ_*/TENON_IRQF_* and added get_extension)" : ""
            return "plugin \(plugin): built for ABI \(pluginVersion), incompatible with this host's ABI "
                + "\(hostVersion)\(changes); rebuild it against this host's include/"
        case let .newerMinor(plugin, pluginVersion, hostVersion, pluginSize, hostSize):
            return "plugin \(plugin): built for ABI \(pluginVersion.majorMinor) whose descriptor has "
                + "\(Int(pluginSize) - Int(hostSize)) bytes (\(pluginSize) vs \(hostSize)) this host "
                + "(ABI \(hostVersion.majorMinor)) does not know; rebuild against this host's include/ or upgrade Tenon"
        case let .descriptorTooSmall(plugin, structSize, minimum):
            return "plugin \(plugin): descriptor struct_size is \(structSize) bytes, less than the \(minimum) "
                + "of ABI \(ABIVersion.host.major).0; set struct_size = sizeof(tenon_plugin_desc_t)"
        case let .badName(path, name, reason):
            return "\(path): bad plugin name \"\(name)\": \(reason); use 1-31 characters of [a-z0-9_-]"
        case let .duplicateName(name, existingPath):
            return "plugin \(name): a plugin of that name is already loaded from \(existingPath); "
                + "unload it first or rename the new one"
        case let .badParameterDescriptor(plugin, index, name, reason):
            return "plugin \(plugin): parameter #\(index) \"\(name)\": \(reason); fix the plugin's params array"
        case let .badCommandDescriptor(plugin, index, name, reason):
            return "plugin \(plugin): command #\(index) \"\(name)\": \(reason); fix the plugin's commands array"
        case let .malformedParameter(plugin, argument):
            return "plugin \(plugin): parameter \"\(argument)\" is not key=value; write e.g. \(plugin):key=value"
        case let .unknownParameter(plugin, name, known):
            return "plugin \(plugin): unknown parameter \"\(name)\"; known: "
                + (known.isEmpty ? "none (the plugin takes no parameters)" : known.joined(separator: ", "))
        case let .missingParameter(plugin, name):
            return "plugin \(plugin): parameter \"\(name)\" is required (no default); add \(name)=VALUE"
        case let .badParameterValue(plugin, name, value, type, reason):
            return "plugin \(plugin): parameter \(name)=\"\(value)\" is not a valid \(type): \(reason)"
        case let .duplicateParameter(plugin, name):
            return "plugin \(plugin): parameter \"\(name)\" given more than once; give it once"
        case let .initFailed(plugin, error):
            return "plugin \(plugin): init() failed with -\(error.code) (\(error.message)); "
                + "see the plugin's log messages and its parameters"
        case let .initReturnedPositive(plugin, value):
            return "plugin \(plugin): init() returned \(value), a positive value; init must return 0 or a negative errno, "
                + "so the load was treated as failed and rolled back"
        case let .unknownCommand(plugin, command, available):
            return "plugin \(plugin): no command \"\(command)\"; available: "
                + (available.isEmpty ? "none" : available.joined(separator: ", "))
        case let .commandArgumentCount(command, expected, got, signature):
            return "command \(command) \(signature): takes \(expected) argument\(expected == 1 ? "" : "s"), "
                + "got \(got)"
        case let .commandArgumentType(command, index, value, expectedType, signature, reason):
            return "command \(command) \(signature): argument \(index + 1) \"\(value)\" is not a valid "
                + "\(expectedType): \(reason)"
        case let .badSignature(command, signature, reason):
            return "command \(command): bad signature \"\(signature)\": \(reason); "
                + "write RET(ARG,...) with void (return only), bool, i32, i64, u32, u64, f64, str"
        case let .ffiPrepFailed(command, signature, status):
            return "command \(command) \(signature): libffi could not prepare the call (ffi_status \(status))"
        case let .tooLarge(path, size, limit):
            return "\(path): \(size) bytes is above the \(limit >> 20) MiB plugin size limit; "
                + "is this really a plugin? (strip debug info to shrink it)"
        case let .insecure(path, reason):
            return "\(path): refused: \(reason), so another user could change the code this host runs; "
                + "fix the permissions (chmod go-w) or pass --allow-insecure"
        case let .initRefused(plugin, error, hostReason):
            return "plugin \(plugin): init() failed with -\(error.code) (\(error.message)): \(hostReason)"
        case let .nameMismatch(plugin, newName, path):
            return "plugin \(plugin): \(path) declares the plugin name \"\(newName)\", not \"\(plugin)\"; "
                + "swap in a build of the same plugin, or pass --rename to replace \(plugin) by \(newName)"
        }
    }

}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
