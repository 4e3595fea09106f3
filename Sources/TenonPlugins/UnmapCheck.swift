#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// How the host proves, after `dlclose`, that a plugin image is gone.
///
/// By default it probes the image's former address range page by page with
/// `mincore(2)` (``DynamicImage/span``): the kernel fails it with `ENOMEM`
/// exactly for an address no mapping covers, whatever the protection, so
/// "every page fails" means nothing of the image is mapped any more. The
/// image cannot be elsewhere: the loader maps an object once, at the address
/// recorded at load, and either unmaps all of it at `dlclose` or keeps it
/// where it was. A page found mapped means the image stayed, or another
/// mapping took its place meanwhile; both count as "still mapped", the safe
/// answer (the private copy's descriptor is then kept open for good). About
/// 0.1 µs per page, against hundreds of microseconds to read and parse
/// `/proc/self/maps`.
///
/// What only the full check sees: a second mapping of the same file made by
/// other code in the process (for a private copy, someone mapping
/// `/proc/self/fd/N` themselves). ``alsoReadProcessMaps`` adds it.
public enum UnmapCheck {
    private static let fullCheck = Atomic<Bool>(defaultFullCheck)

    /// Also look the image up in `/proc/self/maps` (by inode for a private
    /// copy, else by path), and call it gone only if both checks agree.
    /// On in debug builds and when the environment has
    /// `TENON_MAPS_CHECK=full`; off otherwise.
    public static var alsoReadProcessMaps: Bool {
        get { fullCheck.load(ordering: .relaxed) }
        set { fullCheck.store(newValue, ordering: .relaxed) }
    }

    private static var defaultFullCheck: Bool {
        #if DEBUG
        return true
        #else
        guard let value = getenv("TENON_MAPS_CHECK") else { return false }
        return String(cString: value) == "full"
        #endif
    }
}
