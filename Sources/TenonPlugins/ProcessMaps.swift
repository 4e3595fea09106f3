#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One line of `/proc/<pid>/maps`.
public struct MemoryMapping: Sendable, Hashable, CustomStringConvertible {
    /// First address of the mapping.
    public let start: UInt
    /// One past its last address.
    public let end: UInt
    /// e.g. `"r-xp"`.
    public let permissions: String
    /// Offset of the mapping in the file.
    public let offset: UInt64
    /// Major number of the device holding the file (0 for anonymous memory).
    public let deviceMajor: UInt32
    /// Minor number of that device.
    public let deviceMinor: UInt32
    /// Inode of the file (0 for anonymous memory).
    public let inode: UInt64
    /// The mapped file (kernel's spelling, may end in `" (deleted)"`), a
    /// pseudo name such as `[heap]`, or nil for anonymous memory.
    public let path: String?

    /// True if the mapping is executable (`x` in ``permissions``).
    public var isExecutable: Bool { permissions.contains("x") }

    public var description: String {
        "\(String(start, radix: 16))-\(String(end, radix: 16)) \(permissions) \(String(offset, radix: 16)) \(path ?? "")"
    }

    /// Parses one maps line; nil if it is not in the kernel's format.
    public init?(line: some StringProtocol) {
        // "start-end perms offset maj:min inode   path"; the path may contain spaces.
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5 else { return nil }
        let range = fields[0].split(separator: "-")
        let device = fields[3].split(separator: ":")
        guard range.count == 2, device.count == 2,
            let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
            let offset = UInt64(fields[2], radix: 16),
            let major = UInt32(device[0], radix: 16), let minor = UInt32(device[1], radix: 16),
            let inode = UInt64(fields[4])
        else { return nil }
        self.start = start
        self.end = end
        self.permissions = String(fields[1])
        self.offset = offset
        self.deviceMajor = major
        self.deviceMinor = minor
        self.inode = inode
        if fields.count == 6 {
            let p = fields[5].drop { $0 == " " }
            self.path = p.isEmpty ? nil : String(p)
        } else {
            self.path = nil
        }
    }
}

/// The current process's memory map, to verify that an unloaded plugin's
/// mappings really vanished (or, for a retired one, that they stayed).
public enum ProcessMaps {
    /// All mappings of this process, from `/proc/self/maps`.
    /// - Throws: ``PluginError/unreadable(path:errno:)``.
    public static func current() throws(PluginError) -> [MemoryMapping] {
        try parse(readProcFile("/proc/self/maps"))
    }

    /// Parses the text of a maps file (lines that do not parse are skipped).
    public static func parse(_ text: String) -> [MemoryMapping] {
        text.split(separator: "\n").compactMap { MemoryMapping(line: $0) }
    }

    /// The mappings of the file at `path`: matched by its canonical path (the
    /// kernel prints resolved paths, with `" (deleted)"` if it was removed),
    /// or by device and inode (survives renames and hard links; may not match
    /// on overlay filesystems, where maps shows the lower device, hence both).
    ///
    /// Returns [] if `path` does not exist and nothing maps that name.
    public static func mappings(of path: String) throws(PluginError) -> [MemoryMapping] {
        var canonical = path
        if let r = realpath(path, nil) {
            canonical = String(cString: r)
            free(r)
        }
        var st = stat()
        let identity: (major: UInt32, minor: UInt32, inode: UInt64)?
        if stat(path, &st) == 0 {
            let dev = UInt64(st.st_dev)
            // glibc's gnu_dev_major/minor, which Swift does not import (macros).
            let major = UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff))
            let minor = UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff))
            identity = (major, minor, UInt64(st.st_ino))
        } else {
            identity = nil
        }
        return try current().filter { m in
            if let p = m.path, p == canonical || p == canonical + " (deleted)" { return true }
            if let id = identity, m.inode != 0, m.inode == id.inode,
                m.deviceMajor == id.major, m.deviceMinor == id.minor
            {
                return true
            }
            return false
        }
    }

    /// /proc files report size 0: read until EOF.
    static func readProcFile(_ path: String) throws(PluginError) -> String {
        String(decoding: try ELFImage.readToEnd(path), as: UTF8.self)
    }
}
