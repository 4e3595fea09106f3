#if canImport(Glibc)
import Glibc
#endif

/// Where the control socket lives, and the checks on its directory.
public enum ControlSocketPath {
    /// The file name of the socket inside its directory.
    public static let socketName = "control.sock"

    /// The default directory: `$XDG_RUNTIME_DIR/tenon` if `XDG_RUNTIME_DIR` is set to an
    /// absolute path, else `/tmp/tenon-<euid>`.
    public static func defaultDirectory(
        environment: [String: String]? = nil, uid: UInt32 = geteuid()
    ) -> String {
        let runtime =
            environment.map { $0["XDG_RUNTIME_DIR"] }
            ?? getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }
        if let runtime, runtime.hasPrefix("/") {
            return (runtime.hasSuffix("/") ? String(runtime.dropLast()) : runtime) + "/tenon"
        }
        return "/tmp/tenon-\(uid)"
    }

    /// The default socket path: `$TENON_SOCKET` if set and not empty, else
    /// ``defaultDirectory(environment:uid:)`` + `/control.sock`.
    public static func defaultPath(
        environment: [String: String]? = nil, uid: UInt32 = geteuid()
    ) -> String {
        let explicit = environment.map { $0["TENON_SOCKET"] } ?? getenv("TENON_SOCKET").map { String(cString: $0) }
        if let explicit, !explicit.isEmpty { return explicit }
        return defaultDirectory(environment: environment, uid: uid) + "/" + socketName
    }

    /// The directory part of a socket path (`"."` if none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Creates `directory` with exactly `mode` if it does not exist (its parent must), then
    /// checks it: a real directory (not a symlink), owned by the effective uid, with no
    /// permission bits outside `mode`.
    static func prepareDirectory(_ directory: String, mode: mode_t) throws(ControlServerError) {
        var info = stat()
        if lstat(directory, &info) != 0 {
            guard errno == ENOENT else {
                throw .system(SystemCallError(call: "lstat \(directory)", errno: errno))
            }
            if mkdir(directory, mode) != 0 && errno != EEXIST {
                throw .system(SystemCallError(call: "mkdir \(directory)", errno: errno))
            }
            if lstat(directory, &info) != 0 {
                throw .system(SystemCallError(call: "lstat \(directory)", errno: errno))
            }
            // mkdir applied the umask; set the exact mode on a directory we own.
            if (info.st_mode & S_IFMT) == S_IFDIR && info.st_uid == geteuid() {
                _ = chmod(directory, mode)
                _ = lstat(directory, &info)
            }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .insecureDirectory(
                path: directory, reason: "it is not a directory (or is a symbolic link)")
        }
        guard info.st_uid == geteuid() else {
            throw .insecureDirectory(
                path: directory,
                reason: "it is owned by uid \(info.st_uid), not by the host's user (\(geteuid()))")
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & ~mode & 0o777 == 0 else {
            throw .insecureDirectory(
                path: directory,
                reason: "it has mode \(octal(permissions)), expected \(octal(mode))"
                    + " (fix with `chmod \(octal(mode)) \(directory)` or remove it)")
        }
    }

    /// `mode` as four octal digits, for example `0700`.
    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
