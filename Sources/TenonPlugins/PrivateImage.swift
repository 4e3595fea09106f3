import TenonSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CTenon
import Synchronization

/// A private, sealed copy of a plugin file: what the host validates, hashes
/// and `dlopen`s, instead of the path.
///
/// Why a copy: `dlopen` of a path the process already mapped hands back that
/// image, so a plugin rebuilt in place would share the old image's code and
/// globals; and a file overwritten (`cp`) while mapped changes the code under
/// running CPUs. A copy in a `memfd` sealed against writes, shrinking and
/// growing is immutable, has its own inode (so the loader maps it as a new
/// object with its own globals) and is opened through `/proc/self/fd/N`: the
/// bytes checked are the bytes mapped, with no window between stat, open and
/// dlopen (``withLoaderPath(_:)`` gives each load a name of its own).
///
/// The descriptor stays open as long as the image may be mapped, so its
/// inode cannot be reused meanwhile: in `/proc/self/maps` the image shows as
/// `/memfd:tenon:<file name> (deleted)` and ``mappings()`` finds it by inode.
package final class PrivateImage {
    /// Largest plugin file accepted, in bytes (64 MiB). The copy stops one
    /// byte past it, so a huge or sparse file is refused at once, with memory
    /// bounded by one 64 KiB buffer.
    package static let maximumFileSize: UInt64 = 64 << 20

    /// The canonical path the copy was made from (for messages and `tenon list`).
    package let sourcePath: String
    /// Bytes in the copy.
    package let size: UInt64
    /// 64-bit fingerprint of the bytes, FNV-1a's constants over 8-byte words
    /// (not cryptographic: it tells builds apart).
    package let contentHash: UInt64
    /// The sealed memfd; -1 after ``close()``.
    package private(set) var fd: Int32
    /// `st_dev` / `st_ino` of the memfd, as `/proc/self/maps` shows them.
    package let device: (major: UInt32, minor: UInt32)
    package let inode: UInt64

    /// Loads so far in this process: makes every loader name unique.
    private static let loads = Atomic<UInt64>(0)

    /// Where ``withLoaderPath(_:)`` makes its directories: `/dev/shm` (tmpfs
    /// on Linux) when it is a directory this process can write in, else
    /// `$TMPDIR`, else `/tmp`.
    package static let loaderDirectoryBase: String = {
        var st = stat()
        if stat("/dev/shm", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && access("/dev/shm", W_OK | X_OK) == 0 {
            return "/dev/shm"
        }
        return getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    }()

    /// Runs `body` with a name for `dlopen` that resolves to this copy and
    /// was never used before in this process: a symbolic link to
    /// `/proc/self/fd/N` in a fresh 0700 directory, removed afterwards.
    ///
    /// Why not `/proc/self/fd/N` itself: glibc finds loaded objects by name
    /// first, and a descriptor number is reused once closed (by us, or by a
    /// stray double `close` elsewhere in the process), which would hand back
    /// an older image instead of this one.
    ///
    /// The directory is made in ``loaderDirectoryBase``, a memory file system
    /// when there is one: on a journalling one, the `unlink` and `rmdir` of
    /// each load wait for the journal, and under an IRQ storm they took a
    /// load ~1 ms at p50 (16 CPUs on 2 cores; the link's target, the memfd,
    /// decides what may be mapped executable, not the link's file system).
    package func withLoaderPath<R>(_ body: (String) throws(PluginError) -> R) throws(PluginError) -> R {
        precondition(fd >= 0, "PrivateImage.withLoaderPath after close(): \(sourcePath)")
        let base = Self.loaderDirectoryBase
        var template = Array("\(base)/tenon-image-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .unreadable(path: sourcePath, error: SystemError(errno))
        }
        let dir = String(cString: made)
        defer { rmdir(dir) }
        let n = Self.loads.wrappingAdd(1, ordering: .relaxed).newValue
        let link = "\(dir)/\(getpid())-\(n)-" + (sourcePath.split(separator: "/").last.map(String.init) ?? "plugin.so")
        guard symlink("/proc/self/fd/\(fd)", link) == 0 else { throw .unreadable(path: sourcePath, error: SystemError(errno)) }
        defer { unlink(link) }
        return try body(link)
    }

    /// ``contentHash`` as 16 hex digits.
    package var hashText: String { String(contentHash, radix: 16).leftPadded(to: 16) }

    /// Opens `path` (never blocking on a FIFO), checks it is a regular file,
    /// not above ``maximumFileSize`` and (unless `allowInsecure`) not
    /// changeable by another user, then copies it into a sealed memfd.
    /// - Throws: ``PluginError/notAFile(path:reason:)``, ``PluginError/unreadable(path:errno:)``,
    ///   ``PluginError/tooLarge(path:size:limit:)``, ``PluginError/insecure(path:reason:)``.
    /// `limit` replaces ``maximumFileSize`` (tests).
    package init(
        copying path: String, allowInsecure: Bool = false,
        limit: UInt64 = PrivateImage.maximumFileSize
    ) throws(PluginError) {
        let src = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard src >= 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .notAFile(path: path, reason: "no such file") }
            if e == EISDIR { throw .notAFile(path: path, reason: "is a directory") }
            throw .unreadable(path: path, error: SystemError(e))
        }
        defer { _ = Glibc.close(src) }
        var st = stat()
        guard fstat(src, &st) == 0 else { throw .unreadable(path: path, error: SystemError(errno)) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .notAFile(path: path, reason: "is a directory")
        default: throw .notAFile(path: path, reason: "is not a regular file")
        }
        var canonical = path
        if let r = realpath(path, nil) {
            canonical = String(cString: r)
            free(r)
        }
        if UInt64(st.st_size) > limit {
            throw .tooLarge(path: path, size: UInt64(st.st_size), limit: limit)
        }
        if !allowInsecure, let reason = ImageSecurity.problem(canonical: canonical, file: st) {
            throw .insecure(path: path, reason: reason)
        }
        let base = canonical.split(separator: "/").last.map(String.init) ?? "plugin"
        var size: UInt64 = 0, hash: UInt64 = 0
        let fd = ctenon_image_copy(src, "tenon:" + String(base.prefix(200)), limit, &size, &hash)
        if fd == -EFBIG {
            throw .tooLarge(path: path, size: max(UInt64(st.st_size), limit + 1), limit: limit)
        }
        guard fd >= 0 else { throw .unreadable(path: path, error: SystemError(-fd)) }
        var copied = stat()
        fstat(fd, &copied)
        let dev = UInt64(copied.st_dev)
        // glibc's gnu_dev_major/minor, which Swift does not import (macros).
        device = (
            UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)),
            UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff))
        )
        inode = UInt64(copied.st_ino)
        self.fd = fd
        self.size = size
        self.contentHash = hash
        self.sourcePath = canonical
    }

    /// Runs `body` over a read-only mapping of the copy (empty for an empty file).
    package func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(PluginError) -> R) throws(PluginError) -> R {
        precondition(fd >= 0, "PrivateImage.withBytes after close(): \(sourcePath)")
        guard size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let base = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .unreadable(path: sourcePath, error: SystemError(errno))
        }
        defer { munmap(base, Int(size)) }
        return try body(UnsafeRawBufferPointer(start: base, count: Int(size)))
    }

    /// This copy's mappings in `/proc/self/maps` (by device and inode).
    package func mappings() throws(PluginError) -> [MemoryMapping] {
        try ProcessMaps.current().filter {
            $0.inode == inode && $0.deviceMajor == device.major && $0.deviceMinor == device.minor
        }
    }

    /// Set when the loader may keep the image (and so its name) for good:
    /// the descriptor is then never closed, not even by `deinit`.
    package private(set) var isPinned = false

    /// Keeps the descriptor open for the life of the process.
    package func pin() { isPinned = true }

    /// Closes the memfd. Only once the image is unmapped (see the type's
    /// note); a no-op for a pinned copy.
    package func close() {
        guard fd >= 0, !isPinned else { return }
        _ = Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}
