#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Who may change a plugin before the host runs it, checked the way `ssh`
/// checks `authorized_keys` and `sudo` checks its plugins.
///
/// Loading a plugin runs its code with the host's privileges, so a file that
/// another user can rewrite (or swap for another file, through a directory
/// they can write) hands that user the host. Refused, with the reason:
/// - the file is not owned by the host's user or root, or is group- or
///   other-writable;
/// - a directory on its canonical path is not owned by the host's user or
///   root, or is group- or other-writable without the sticky bit (a sticky
///   directory such as `/tmp` lets others create entries but not replace ours).
///
/// The file's own check uses the `stat` of the descriptor that is then copied
/// (``PrivateImage``), so it describes the bytes that will run.
package enum ImageSecurity {
    /// Why the plugin at canonical path `canonical`, whose open descriptor
    /// has `file`'s status, may be changed by another user; nil when it may not.
    package static func problem(canonical: String, file: stat) -> String? {
        let me = geteuid()
        if let p = problem(with: file, me: me, what: "the file", isDirectory: false) { return p }
        var dir = canonical
        while let slash = dir.lastIndex(of: "/") {
            dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
            var st = stat()
            guard stat(dir, &st) == 0 else {
                return "its directory \(dir) cannot be checked (\(String(cString: strerror(errno))))"
            }
            if let p = problem(with: st, me: me, what: "its directory \(dir)", isDirectory: true) { return p }
            if dir == "/" { break }
        }
        return nil
    }

    private static func problem(with st: stat, me: uid_t, what: String, isDirectory: Bool) -> String? {
        if st.st_uid != me && st.st_uid != 0 {
            return "\(what) is owned by uid \(st.st_uid), not by this host's user (uid \(me)) or root"
        }
        let mode = st.st_mode & 0o7777
        let sticky = mode & S_ISVTX != 0
        if mode & 0o022 != 0 && !(isDirectory && sticky) {
            let who = mode & 0o002 != 0 ? "every user" : "its group"
            return "\(what) is writable by \(who) (mode \(String(mode, radix: 8).leftPadded(to: 4)))"
        }
        return nil
    }
}
