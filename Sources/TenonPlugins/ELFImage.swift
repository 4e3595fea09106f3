import TenonSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a plugin file is, read from disk *before* `dlopen`.
///
/// `dlopen` runs the image's constructors, so anything we can refuse by reading
/// the file (wrong CPU, truncated copy, not a shared object) is refused here
/// with a precise error instead of an opaque `dlerror()` string or a crash.
///
/// The same pass decides whether the image may ever be unmapped
/// (``mustRetire``): an image carrying Swift runtime metadata, `-z nodelete`
/// or `STB_GNU_UNIQUE` symbols is retired (kept mapped) instead; see
/// docs/plugins.md.
package struct ELFImage: Sendable, Hashable {
    /// The path as given.
    package let path: String
    /// File size in bytes.
    package let fileSize: UInt64
    /// `e_machine` of the file (equal to ``ELFImage/hostMachine`` once validated).
    package let machine: UInt16
    /// Names of all sections, in section-header order (empty if the file has no
    /// section headers).
    package let sectionNames: [String]
    /// Non-empty `swift5_*` sections: the image registers Swift runtime
    /// metadata that the runtime keeps scanning after an unmap.
    package let swiftMetadataSections: [String]
    /// `DT_NEEDED` entries, in order.
    package let neededLibraries: [String]
    /// `DT_FLAGS_1` (0 when absent).
    package let flags1: UInt64
    /// Names of defined `STB_GNU_UNIQUE` symbols in `.dynsym`.
    package let gnuUniqueSymbols: [String]
    /// Defined, default- or protected-visibility symbols of `.dynsym` (global,
    /// weak or unique), in table order, at most ``maximumListedSymbols``.
    package let exportedSymbols: [String]
    /// `.dynsym` defines a function `tenon_plugin_entry`: checked before
    /// `dlopen`, so an image without it never runs its constructors.
    package let exportsEntry: Bool

    /// How many names ``exportedSymbols`` keeps (a plugin exports one).
    package static let maximumListedSymbols = 256

    /// The image carries Swift runtime metadata (a non-empty `swift5_*` section).
    package var hasSwiftMetadata: Bool { !swiftMetadataSections.isEmpty }

    /// The image links the Swift runtime (`libswiftCore.so` in `DT_NEEDED`).
    ///
    /// A fact for diagnostics only; it does not by itself make the image
    /// unmappable (see ``mustRetire``).
    package var needsSwiftRuntime: Bool {
        neededLibraries.contains { $0.hasPrefix("libswiftCore.so") }
    }

    /// The image is linked with `-z nodelete` (`DF_1_NODELETE`): glibc will never unmap it.
    package var isNoDelete: Bool { flags1 & ELFImage.DF_1_NODELETE != 0 }

    /// The image defines `STB_GNU_UNIQUE` symbols: glibc silently pins such
    /// images, so a dlclose would not unmap them.
    package var hasGnuUnique: Bool { !gnuUniqueSymbols.isEmpty }

    /// The image must never be unmapped: open it with `RTLD_NODELETE` and on
    /// unload only unpublish, quiesce and forget it ("retire").
    ///
    /// True for non-empty `swift5_*` sections (the Swift runtime keeps pointers
    /// into them forever: unmapping makes the next conformance lookup crash,
    /// as we measured with a Swift-runtime plugin), NODELETE, or GNU_UNIQUE (the image
    /// stays mapped anyway, so the host must not pretend it unloaded it).
    ///
    /// `libswiftCore` in `DT_NEEDED` alone does *not* retire an image: a C
    /// target built by SwiftPM links through `swiftc` and gains that entry plus
    /// *empty* `swift5_*` sections from `swiftrt.o`. With nothing registered in
    /// those sections the runtime has nothing to dangle, and such images were
    /// seen to survive dlclose followed by heavy conformance lookups
    /// (tested in `SwiftMetadataTests`).
    package var mustRetire: Bool { hasSwiftMetadata || isNoDelete || hasGnuUnique }

    /// Human-readable reasons for ``mustRetire`` (empty when unloadable).
    package var retireReasons: [String] {
        var reasons: [String] = []
        if hasSwiftMetadata {
            reasons.append("Swift runtime metadata (\(swiftMetadataSections.joined(separator: ", ")))")
        }
        if isNoDelete { reasons.append("linked with -z nodelete") }
        if hasGnuUnique {
            reasons.append("STB_GNU_UNIQUE symbols (\(gnuUniqueSymbols.prefix(3).joined(separator: ", ")))")
        }
        return reasons
    }

    // MARK: - Constants (elf.h), spelled out so the module needs no C header.

    static let ELFCLASS32: UInt8 = 1, ELFCLASS64: UInt8 = 2
    static let ELFDATA2LSB: UInt8 = 1
    static let ET_DYN: UInt16 = 3
    static let PT_LOAD: UInt32 = 1, PT_DYNAMIC: UInt32 = 2
    static let SHT_NOBITS: UInt32 = 8, SHT_DYNSYM: UInt32 = 11
    static let DT_NULL: UInt64 = 0, DT_NEEDED: UInt64 = 1, DT_STRTAB: UInt64 = 5
    static let DT_STRSZ: UInt64 = 10, DT_FLAGS_1: UInt64 = 0x6fff_fffb
    static let DF_1_NODELETE: UInt64 = 0x8
    static let STB_GNU_UNIQUE: UInt8 = 10, STT_FUNC: UInt8 = 2
    static let SHN_UNDEF: UInt16 = 0, SHN_XINDEX: UInt16 = 0xffff

    /// `e_machine` of the running host, fixed at compile time.
    package static var hostMachine: UInt16 {
        #if arch(x86_64)
        return 62  // EM_X86_64
        #elseif arch(arm64)
        return 183  // EM_AARCH64
        #elseif arch(riscv64)
        return 243  // EM_RISCV
        #else
        #error("ELFImage: add this architecture's EM_* value")
        #endif
    }

    /// A readable name for an `e_machine` value.
    package static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 3: return "i386"
        case 8: return "MIPS"
        case 20: return "PowerPC"
        case 21: return "PowerPC64"
        case 22: return "s390"
        case 40: return "ARM"
        case 62: return "x86-64"
        case 183: return "AArch64"
        case 243: return "RISC-V"
        case 258: return "LoongArch"
        default: return "e_machine \(machine)"
        }
    }

    /// A readable name for an `e_type` value.
    package static func typeName(_ type: UInt16) -> String {
        switch type {
        case 0: return "ET_NONE"
        case 1: return "ET_REL (an object file)"
        case 2: return "ET_EXEC (an executable)"
        case 3: return "ET_DYN"
        case 4: return "ET_CORE (a core dump)"
        default: return "e_type \(type)"
        }
    }

    // MARK: - Validation

    /// Reads and validates the file at `path`.
    ///
    /// Checks, in order: regular file; ELF magic; 64-bit; little-endian; host
    /// `e_machine`; `ET_DYN`; program-header table, section-header table and
    /// every `PT_LOAD` segment's file range lie within the file. Then reads the
    /// section names, the dynamic section and `.dynsym` for the retire decision.
    ///
    /// - Throws: the specific ``PluginError`` for the first failed check.
    /// The file is read through a ``PrivateImage`` copy: at most
    /// ``PrivateImage/maximumFileSize`` bytes, then only headers and tables
    /// are touched. (No permission check: reading runs no plugin code.)
    package init(validating path: String) throws(PluginError) {
        try self.init(validating: PrivateImage(copying: path, allowInsecure: true), path: path)
    }

    /// Validates the sealed copy `image`; `path` names it in messages.
    package init(validating image: PrivateImage, path: String) throws(PluginError) {
        self = try image.withBytes { buffer throws(PluginError) in try ELFImage(path: path, buffer: buffer) }
    }

    /// Validates an in-memory copy of a file (`path` is used for messages only).
    package init(path: String, bytes: [UInt8]) throws(PluginError) {
        let result: Result<ELFImage, PluginError> = bytes.withUnsafeBytes { buffer in
            do throws(PluginError) { return .success(try ELFImage(path: path, buffer: buffer)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Validates bytes in memory; reads only headers, tables, `.dynamic`,
    /// `.dynsym` and the string tables they name, each range-checked first.
    package init(path: String, buffer bytes: UnsafeRawBufferPointer) throws(PluginError) {
        let r = ByteReader(bytes: bytes)
        let size = UInt64(bytes.count)
        guard bytes.count >= 4, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw .notELF(path: path, firstBytes: Array(bytes.prefix(4)))
        }
        guard bytes.count >= 20 else {
            throw .truncated(path: path, size: size, needed: 64, what: "the ELF header")
        }
        let machine = r.u16(18)
        guard bytes[4] == ELFImage.ELFCLASS64 else {
            let found = bytes[4] == ELFImage.ELFCLASS32 ? 32 : Int(bytes[4])
            throw .wrongELFClass(path: path, found: found, expected: 64, machine: ELFImage.machineName(machine))
        }
        guard bytes[5] == ELFImage.ELFDATA2LSB else { throw .wrongByteOrder(path: path) }
        guard bytes.count >= 64 else {
            throw .truncated(path: path, size: size, needed: 64, what: "the ELF header")
        }
        guard machine == ELFImage.hostMachine else {
            throw .wrongArchitecture(
                path: path, found: ELFImage.machineName(machine),
                expected: ELFImage.machineName(ELFImage.hostMachine))
        }
        let type = r.u16(16)
        guard type == ELFImage.ET_DYN else { throw .notSharedObject(path: path, type: type) }

        let phoff = r.u64(32), shoff = r.u64(40)
        let phentsize = UInt64(r.u16(54)), phnum = UInt64(r.u16(56))
        let shentsize = UInt64(r.u16(58))
        var shnum = UInt64(r.u16(60))
        var shstrndx = UInt64(r.u16(62))

        // Program headers: what the dynamic loader maps.
        if phnum > 0 && phentsize < 56 {
            throw .malformedELF(path: path, reason: "e_phentsize \(phentsize) < 56")
        }
        try ELFImage.checkRange(path, size, phoff, phnum, phentsize, "the program-header table")
        var segments: [(type: UInt32, offset: UInt64, vaddr: UInt64, filesz: UInt64)] = []
        for i in 0..<phnum {
            let p = Int(phoff + i * phentsize)
            segments.append((r.u32(p), r.u64(p + 8), r.u64(p + 16), r.u64(p + 32)))
        }
        for (i, s) in segments.enumerated() where s.type == ELFImage.PT_LOAD {
            try ELFImage.checkRange(path, size, s.offset, 1, s.filesz, "PT_LOAD segment #\(i)")
        }

        // Section headers: only for diagnostics (ld.so ignores them), but a
        // truncated table means a truncated file.
        if shoff != 0 {
            guard shentsize >= 64 else {
                throw .malformedELF(path: path, reason: "e_shentsize \(shentsize) < 64")
            }
            // Extended numbering: with >= 0xff00 sections the real counts live
            // in section 0.
            try ELFImage.checkRange(path, size, shoff, 1, shentsize, "section header #0")
            if shnum == 0 { shnum = r.u64(Int(shoff) + 32) }
            if shstrndx == UInt64(ELFImage.SHN_XINDEX) { shstrndx = UInt64(r.u32(Int(shoff) + 40)) }
            try ELFImage.checkRange(path, size, shoff, shnum, shentsize, "the section-header table")
        } else {
            shnum = 0
        }
        struct Section { var name: UInt32, type: UInt32, offset: UInt64, size: UInt64, link: UInt32, entsize: UInt64 }
        var sections: [Section] = []
        for i in 0..<shnum {
            let s = Int(shoff + i * shentsize)
            sections.append(
                Section(
                    name: r.u32(s), type: r.u32(s + 4), offset: r.u64(s + 24),
                    size: r.u64(s + 32), link: r.u32(s + 40), entsize: r.u64(s + 56)))
        }

        var names: [String] = []
        if shstrndx < shnum && shnum > 0 {
            let strtab = sections[Int(shstrndx)]
            try ELFImage.checkRange(path, size, strtab.offset, 1, strtab.size, "the section-name table")
            for s in sections {
                names.append(r.cString(at: strtab.offset + UInt64(s.name), limit: strtab.offset + strtab.size))
            }
        }
        var swiftSections: [String] = []
        for (s, name) in zip(sections, names) where name.hasPrefix("swift5_") && s.size > 0 {
            swiftSections.append(name)
        }

        // Dynamic section, found the way ld.so finds it: PT_DYNAMIC, with
        // addresses translated to file offsets through the PT_LOAD segments.
        func fileOffset(ofAddress vaddr: UInt64) -> UInt64? {
            for s in segments where s.type == ELFImage.PT_LOAD && vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz {
                return s.offset + (vaddr - s.vaddr)
            }
            return nil
        }
        var needed: [String] = []
        var flags1: UInt64 = 0
        if let dyn = segments.first(where: { $0.type == ELFImage.PT_DYNAMIC }) {
            try ELFImage.checkRange(path, size, dyn.offset, 1, dyn.filesz, "the dynamic section")
            var neededOffsets: [UInt64] = []
            var strtabAddress: UInt64?
            var strtabSize: UInt64 = 0
            var p = dyn.offset
            while p + 16 <= dyn.offset + dyn.filesz {
                let tag = r.u64(Int(p)), value = r.u64(Int(p + 8))
                if tag == ELFImage.DT_NULL { break }
                switch tag {
                case ELFImage.DT_NEEDED: neededOffsets.append(value)
                case ELFImage.DT_STRTAB: strtabAddress = value
                case ELFImage.DT_STRSZ: strtabSize = value
                case ELFImage.DT_FLAGS_1: flags1 = value
                default: break
                }
                p += 16
            }
            if !neededOffsets.isEmpty {
                guard let address = strtabAddress, let base = fileOffset(ofAddress: address) else {
                    throw .malformedELF(path: path, reason: "DT_STRTAB is missing or outside every PT_LOAD segment")
                }
                try ELFImage.checkRange(path, size, base, 1, strtabSize, "the dynamic string table")
                needed = neededOffsets.map { r.cString(at: base + $0, limit: base + strtabSize) }
            }
        }

        // .dynsym: defined STB_GNU_UNIQUE symbols make glibc pin the image;
        // the entry symbol must be a defined function there.
        var unique: [String] = []
        var exported: [String] = []
        var exportsEntry = false
        for s in sections where s.type == ELFImage.SHT_DYNSYM && s.entsize >= 24 && Int(s.link) < sections.count {
            let strtab = sections[Int(s.link)]
            try ELFImage.checkRange(path, size, s.offset, 1, s.size, "the .dynsym section")
            try ELFImage.checkRange(path, size, strtab.offset, 1, strtab.size, "the .dynstr section")
            var p = s.offset
            while p + 24 <= s.offset + s.size {
                let info = bytes[Int(p + 4)], other = bytes[Int(p + 5)], shndx = r.u16(Int(p + 6))
                let binding = info >> 4, visibility = other & 3
                if shndx != ELFImage.SHN_UNDEF && (binding == 1 || binding == 2 || binding == ELFImage.STB_GNU_UNIQUE)
                    && (visibility == 0 || visibility == 3)
                {
                    let name = r.cString(at: strtab.offset + UInt64(r.u32(Int(p))), limit: strtab.offset + strtab.size)
                    if binding == ELFImage.STB_GNU_UNIQUE { unique.append(name) }
                    if name == PluginDescriptor.entrySymbol && info & 0xf == ELFImage.STT_FUNC { exportsEntry = true }
                    if !name.isEmpty && exported.count < ELFImage.maximumListedSymbols { exported.append(name) }
                }
                p += s.entsize
            }
        }

        self.path = path
        self.fileSize = size
        self.machine = machine
        self.sectionNames = names
        self.swiftMetadataSections = swiftSections
        self.neededLibraries = needed
        self.flags1 = flags1
        self.gnuUniqueSymbols = unique
        self.exportedSymbols = exported
        self.exportsEntry = exportsEntry
    }

    /// Throws `.truncated` unless `offset + count * entrySize <= size`
    /// (overflow counts as truncated: no real file is that large).
    private static func checkRange(
        _ path: String, _ size: UInt64, _ offset: UInt64, _ count: UInt64,
        _ entrySize: UInt64, _ what: String
    ) throws(PluginError) {
        let (length, o1) = count.multipliedReportingOverflow(by: entrySize)
        let (end, o2) = offset.addingReportingOverflow(length)
        if o1 || o2 {
            throw .malformedELF(path: path, reason: "\(what) lies beyond 2^64 bytes")
        }
        if end > size { throw .truncated(path: path, size: size, needed: end, what: what) }
    }

    /// Reads `path` until EOF (so /proc files, which report size 0, work too).
    static func readToEnd(_ path: String, sizeHint: Int = 0) throws(PluginError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, error: SystemError(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sizeHint)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, error: SystemError(errno))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}

/// Little-endian field reads at byte offsets already range-checked by the caller.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
    func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }

    /// A NUL-terminated string starting at `offset`, never reading at or past
    /// `limit` (a string table is not trusted to be terminated).
    func cString(at offset: UInt64, limit: UInt64) -> String {
        let end = min(limit, UInt64(bytes.count))
        guard offset < end else { return "" }
        var stop = Int(offset)
        while stop < Int(end) && bytes[stop] != 0 { stop += 1 }
        return String(decoding: bytes[Int(offset)..<stop], as: UTF8.self)
    }
}
