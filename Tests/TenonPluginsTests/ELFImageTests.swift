import Foundation
import Testing
@testable import TenonPlugins

@Suite("ELF checks before dlopen")
struct ELFImageTests {
    @Test func goodPluginPasses() throws {
        let path = try Fixtures.path("good")
        let image = try ELFImage(validating: path)
        #expect(image.machine == ELFImage.hostMachine)
        #expect(image.sectionNames.contains(".dynsym"))
        #expect(image.neededLibraries.contains { $0.hasPrefix("libc.so") })
        #expect(!image.hasSwiftMetadata)
        #expect(!image.needsSwiftRuntime)
        #expect(!image.isNoDelete)
        #expect(!image.mustRetire)
        #expect(image.retireReasons.isEmpty)
    }

    @Test func missingPath() throws {
        let path = try Fixtures.built.get().appendingPathComponent("does-not-exist.so").path
        let e = pluginError { try ELFImage(validating: path) }
        guard case .notAFile(let p, _) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(p == path)
        #expect(e!.description.contains(path) && e!.description.contains("no such file"))
    }

    @Test func directory() throws {
        let path = try Fixtures.built.get().path
        let e = pluginError { try ELFImage(validating: path) }
        guard case .notAFile(path, let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("directory"))
        #expect(e!.description.contains(path))
    }

    @Test func textFile() throws {
        let path = try Fixtures.file("notes.txt", Array("hello, plugin\n".utf8))
        let e = pluginError { try ELFImage(validating: path) }
        guard case .notELF(path, let first) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(first == Array("hell".utf8))
        #expect(e!.description.contains(path) && e!.description.contains("68 65 6c 6c"))
    }

    @Test func emptyFile() throws {
        let path = try Fixtures.file("empty.so", [])
        let e = pluginError { try ELFImage(validating: path) }
        guard case .notELF(path, []) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(e!.description.contains("empty"))
    }

    @Test func truncatedCopy() throws {
        let bytes = try Fixtures.bytes("good")
        let path = try Fixtures.file("truncated.so", Array(bytes.prefix(bytes.count / 3)))
        let e = pluginError { try ELFImage(validating: path) }
        guard case .truncated(path, let size, let needed, _) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(size == UInt64(bytes.count / 3))
        #expect(needed > size)
        #expect(e!.description.contains(path) && e!.description.contains("truncated"))
    }

    @Test func truncatedInsideProgramHeaders() throws {
        // 100 bytes: ELF header complete, program-header table (at 64) cut.
        let bytes = try Fixtures.bytes("good")
        let path = try Fixtures.file("short.so", Array(bytes.prefix(100)))
        let e = pluginError { try ELFImage(validating: path) }
        guard case .truncated(path, 100, _, let what) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(what.contains("program-header"))
    }

    @Test func truncatedLoadSegmentOnly() throws {
        // Keep the header tables but move the section headers' end inside the
        // file and cut the last PT_LOAD: only the segment check can catch it.
        var bytes = try Fixtures.bytes("good")
        bytes.replaceSubrange(40..<48, with: [UInt8](repeating: 0, count: 8))  // e_shoff = 0: no sections
        bytes.replaceSubrange(60..<64, with: [0, 0, 0, 0])  // e_shnum, e_shstrndx = 0
        let image = try ELFImage(path: "x", bytes: bytes)  // still valid without sections
        #expect(image.sectionNames.isEmpty)
        func le(_ o: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(bytes[o + $1]) << (8 * $1) } }
        let phoff = le(32, 8), phnum = le(56, 2)
        let loadEnd = (0..<phnum).map { phoff + 56 * $0 }.filter { le($0, 4) == 1 }
            .map { le($0 + 8, 8) + le($0 + 32, 8) }.max()!
        #expect(loadEnd > phoff + 56 * phnum)
        let cut = Array(bytes.prefix(loadEnd - 1))
        let e = pluginError { try ELFImage(path: "cut.so", bytes: cut) }
        guard case .truncated("cut.so", _, _, let what) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(what.contains("PT_LOAD"))
    }

    @Test func foreignArchitecture() throws {
        var bytes = try Fixtures.bytes("good")
        let foreign: UInt16 = ELFImage.hostMachine == 62 ? 183 : 62
        bytes[18] = UInt8(foreign & 0xff)
        bytes[19] = UInt8(foreign >> 8)
        let path = try Fixtures.file("foreign.so", bytes)
        let e = pluginError { try ELFImage(validating: path) }
        guard case .wrongArchitecture(path, let found, let expected) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(found == (foreign == 183 ? "AArch64" : "x86-64"))
        #expect(expected == ELFImage.machineName(ELFImage.hostMachine))
        #expect(e!.description.contains(path) && e!.description.contains(found))
    }

    @Test func thirtyTwoBitHeader() throws {
        var header = [UInt8](repeating: 0, count: 52)  // an Elf32_Ehdr
        header[0...6] = [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]  // ELFCLASS32, LSB, EV_CURRENT
        header[16] = 3  // ET_DYN
        header[18] = 3  // EM_386
        header[20] = 1
        let path = try Fixtures.file("i386.so", header)
        let e = pluginError { try ELFImage(validating: path) }
        guard case .wrongELFClass(path, 32, 64, let machine) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(machine == "i386")
        #expect(e!.description.contains(path) && e!.description.contains("32-bit"))
    }

    @Test func bigEndian() throws {
        var bytes = try Fixtures.bytes("good")
        bytes[5] = 2  // ELFDATA2MSB
        let e = pluginError { try ELFImage(path: "be.so", bytes: bytes) }
        #expect(e == .wrongByteOrder(path: "be.so"))
    }

    @Test func objectFileIsNotSharedObject() throws {
        let dir = try Fixtures.built.get()
        let object = dir.appendingPathComponent("nullentry-\(UUID().uuidString.prefix(8)).o").path
        try Fixtures.run(
            "cc",
            [
                "-c", "-fPIC", "-I", Fixtures.packageRoot.appendingPathComponent("include").path,
                Fixtures.sourceDir.appendingPathComponent("nullentry.c").path, "-o", object,
            ])
        let e = pluginError { try ELFImage(validating: object) }
        guard case .notSharedObject(object, 1) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(e!.description.contains("ET_REL"))
    }

    @Test func nodeleteLinkedImageMustRetire() throws {
        let dir = try Fixtures.built.get()
        let path = dir.appendingPathComponent("libnodelete-\(UUID().uuidString.prefix(8)).so").path
        try Fixtures.run(
            "cc",
            [
                "-shared", "-fPIC", "-Wl,-z,nodelete",
                "-I", Fixtures.packageRoot.appendingPathComponent("include").path,
                Fixtures.sourceDir.appendingPathComponent("nullentry.c").path, "-o", path,
            ])
        let image = try ELFImage(validating: path)
        #expect(image.isNoDelete)
        #expect(!image.hasSwiftMetadata)
        #expect(image.mustRetire)
        #expect(image.retireReasons == ["linked with -z nodelete"])
    }

    @Test func gnuUniqueImageMustRetire() throws {
        // g++ emits STB_GNU_UNIQUE for static locals of inline functions.
        let dir = try Fixtures.built.get()
        let source = dir.appendingPathComponent("unique-\(UUID().uuidString.prefix(8)).cc")
        try "inline int &counter() { static int c; return c; }\nint bump() { return ++counter(); }\n"
            .write(to: source, atomically: true, encoding: .utf8)
        let path = source.deletingPathExtension().path + ".so"
        do {
            try Fixtures.run("g++", ["-shared", "-fPIC", source.path, "-o", path])
        } catch {
            print("skipping GNU_UNIQUE check: g++ unavailable (\(error))")
            return
        }
        let image = try ELFImage(validating: path)
        #expect(image.hasGnuUnique, "sections: \(image.sectionNames)")
        #expect(image.gnuUniqueSymbols.contains { $0.contains("counter") })
        #expect(image.mustRetire)
    }
}
