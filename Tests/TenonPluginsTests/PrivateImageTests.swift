import Foundation
import Testing
@testable import TenonPipeline
@testable import TenonPlugins

/// Private images and the checks made before any plugin code runs.
@Suite("plugin host: private images and pre-dlopen checks", .serialized, .timeLimit(.minutes(2)))
struct PrivateImageTests {
    /// Overwrites `path` in place (same inode, like `cp`) with `source`'s bytes.
    func overwrite(_ path: String, with source: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
        try handle.close()
    }

    func scratchDirectory(mode: mode_t = 0o700) throws -> String {
        let dir = try Fixtures.built.get().appendingPathComponent("dir-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        chmod(dir, mode)
        return dir
    }

    /// The loader's name for a copy lives in a fresh directory on a memory
    /// file system when the machine has one (`/dev/shm`), resolves to the
    /// copy while `body` runs, and is gone with its directory afterwards.
    @Test func loaderPathIsShortLivedAndInMemory() throws {
        var st = stat()
        if stat("/dev/shm", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && access("/dev/shm", W_OK | X_OK) == 0 {
            #expect(PrivateImage.loaderDirectoryBase == "/dev/shm")
        }
        let path = try scratchDirectory() + "/blob"
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: path))
        let copy = try PrivateImage(copying: path)
        defer { copy.close() }
        let name = try copy.withLoaderPath { name throws(PluginError) -> String in
            #expect(name.hasPrefix(PrivateImage.loaderDirectoryBase + "/tenon-image-"))
            #expect((try? Data(contentsOf: URL(fileURLWithPath: name))) == Data([1, 2, 3, 4]), "the name does not resolve to the copy")
            return name
        }
        #expect(access(name, F_OK) != 0, "the link outlived the load")
        #expect(access((name as NSString).deletingLastPathComponent, F_OK) != 0, "its directory outlived the load")
    }

    /// The fingerprint is the bytes' alone (not how `read` split them), and
    /// one changed byte anywhere changes it: in a word, at a chunk boundary
    /// (64 KiB) and in the tail after the last whole word.
    @Test func contentHashFollowsEveryByte() throws {
        let path = try scratchDirectory() + "/blob"
        var bytes = [UInt8](repeating: 0, count: 200_003)
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in bytes.indices {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            bytes[i] = UInt8(truncatingIfNeeded: x)
        }
        func hash(_ b: [UInt8]) throws -> UInt64 {
            try Data(b).write(to: URL(fileURLWithPath: path))
            let copy = try PrivateImage(copying: path)
            defer { copy.close() }
            #expect(copy.size == UInt64(b.count))
            return copy.contentHash
        }
        let original = try hash(bytes)
        #expect(try hash(bytes) == original)
        var seen: Set<UInt64> = [original]
        for offset in [7, 8 * 1000 + 7, 65_535, 65_536, 200_000, 200_002] {
            var changed = bytes
            changed[offset] ^= 0x80
            seen.insert(try hash(changed))
        }
        #expect(seen.count == 7, "a one-byte change left the fingerprint as it was")
    }

    @Test func aRebuiltFileAtTheSamePathIsNewCodeWithItsOwnGlobals() throws {
        let pipeline = IRQPipeline(cpus: 1)
        let host = PluginHost(pipeline: pipeline, logger: testLogger())
        let path = try scratchDirectory() + "/libplug.so"
        try FileManager.default.copyItem(atPath: try HostFixtures.freshCopy("hostplug"), toPath: path)
        let a = try host.load(path: path, parameters: ["irq=5"])
        // "Rebuild" in place: another build (another name) at the same path.
        try overwrite(path, with: try HostFixtures.freshCopy("hostplug-b"))
        let b = try host.load(path: path, parameters: ["irq=6"])
        #expect(a.name == "hostplug" && b.name == "hostplug-b")
        #expect(a.path == b.path && a.contentHash != nil && a.contentHash != b.contentHash)
        pipeline.withCPU(0) { for _ in 0..<3 { _ = pipeline.raise(5, on: 0) } }
        #expect(try host.call(plugin: "hostplug", command: "runs") == .uint(3))
        #expect(try host.call(plugin: "hostplug-b", command: "runs") == .uint(0), "globals shared between builds")
        #expect(host.unload(name: "hostplug-b") == .unloaded(mapsGone: true))
        #expect(host.unload(name: "hostplug") == .unloaded(mapsGone: true))
    }

    @Test func overwritingALoadedFileLeavesTheRunningImageAlone() throws {
        let pipeline = IRQPipeline(cpus: 1)
        let host = PluginHost(pipeline: pipeline, logger: testLogger())
        let path = try scratchDirectory() + "/libplug.so"
        try FileManager.default.copyItem(atPath: try HostFixtures.freshCopy("hostplug"), toPath: path)
        try host.load(path: path, parameters: ["irq=5"])
        let mapped = host.mappings(of: "hostplug")
        #expect(!mapped.isEmpty && mapped.allSatisfy { $0.path?.hasPrefix("/memfd:tenon:libplug.so") == true })
        try overwrite(path, with: try HostFixtures.freshCopy("hoststuck"))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        pipeline.withCPU(0) { for _ in 0..<4 { _ = pipeline.raise(5, on: 0) } }
        #expect(try host.call(plugin: "hostplug", command: "runs") == .uint(4))
        #expect(host.unload(name: "hostplug") == .unloaded(mapsGone: true))
        #expect(host.mappings(of: "hostplug").isEmpty)
    }

    @Test func swapFromTheSamePathRunsTheNewVersionAndCarriesParameters() throws {
        let pipeline = IRQPipeline(cpus: 1)
        let host = PluginHost(pipeline: pipeline, logger: testLogger())
        let ledger = SwapLedger(cpus: 1)
        let path = try scratchDirectory() + "/libswapper.so"
        try FileManager.default.copyItem(atPath: try HostFixtures.freshCopy("hostswap1"), toPath: path)
        try host.load(path: path, parameters: ledger.parameters)
        _ = pipeline.withCPU(0) { pipeline.raise(11, on: 0) }
        #expect(ledger.byVersion[0] == 1 && ledger.byVersion[1] == 0)
        try overwrite(path, with: try HostFixtures.freshCopy("hostswap2"))
        // No parameters: the old ones (ledger addresses, irq) are carried over.
        #expect(try host.swap(name: "swapper", path: path) == .unloaded(mapsGone: true))
        #expect(host.list().map(\.version) == ["2"])
        #expect(host.list()[0].parameterValues.contains("irq=11"))
        _ = pipeline.withCPU(0) { pipeline.raise(11, on: 0) }
        #expect(ledger.byVersion[0] == 1 && ledger.byVersion[1] == 1)
        _ = host.unload(name: "swapper")
    }

    @Test func swapToAnotherPluginNameIsRefusedUnlessRenamed() throws {
        let pipeline = IRQPipeline(cpus: 1)
        let host = PluginHost(pipeline: pipeline, logger: testLogger())
        try host.load(path: try HostFixtures.freshCopy("hostplug"), parameters: ["irq=5"])
        let other = try HostFixtures.freshCopy("hostplug-b")
        let e = pluginError { try host.swap(name: "hostplug", path: other) }
        #expect(e == .nameMismatch(plugin: "hostplug", newName: "hostplug-b", path: other))
        #expect("\(e!)".contains("--rename"))
        // Untouched: still live, still answering.
        _ = pipeline.withCPU(0) { pipeline.raise(5, on: 0) }
        #expect(try host.call(plugin: "hostplug", command: "runs") == .uint(1))
        #expect(try host.swap(name: "hostplug", path: other, rename: true) == .unloaded(mapsGone: true))
        #expect(host.list().map(\.name) == ["hostplug-b"] && host.list()[0].irqs == [5])
        _ = host.unload(name: "hostplug-b")
    }

    @Test func aFileWithoutTheEntryPointIsRefusedBeforeItsConstructorRuns() throws {
        let host = PluginHost(pipeline: IRQPipeline(cpus: 1), logger: testLogger())
        let marker = try scratchDirectory() + "/constructor-ran"
        setenv("TENON_TEST_CTOR_MARKER", marker, 1)
        defer { unsetenv("TENON_TEST_CTOR_MARKER") }
        let noEntry = try HostFixtures.freshCopy("ctor-noentry")
        let e = pluginError { try host.load(path: noEntry) }
        #expect(e == .missingEntry(path: noEntry))
        #expect(!FileManager.default.fileExists(atPath: marker), "the constructor ran before the entry check")
        // Control: the same constructor does run for an image that is loaded.
        try host.load(path: try HostFixtures.freshCopy("ctor-entry"))
        #expect(FileManager.default.fileExists(atPath: marker))
        _ = host.unload(name: "ctormarker")
    }

    @Test func aHugeSparseFileIsRefusedByItsSizeWithoutBeingRead() throws {
        let host = PluginHost(pipeline: IRQPipeline(cpus: 1), logger: testLogger())
        let path = try scratchDirectory() + "/libhuge.so"
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        #expect(ftruncate(fd, 3 << 30) == 0)
        close(fd)
        defer { unlink(path) }
        let e = pluginError { try host.load(path: path) }
        #expect(e == .tooLarge(path: path, size: 3 << 30, limit: PrivateImage.maximumFileSize))
    }

    @Test func aCopyStopsOneBytePastTheCapEvenWhenTheSizeLies() throws {
        // /proc files claim size 0: only the copy loop's bound catches them.
        let e = pluginError { try PrivateImage(copying: "/proc/self/maps", allowInsecure: true, limit: 100) }
        #expect(e == .tooLarge(path: "/proc/self/maps", size: 101, limit: 100))
    }

    @Test(arguments: [
        (0o644 as mode_t, 0o777 as mode_t, "directory"), (0o666, 0o700, "every user"),
        (0o664, 0o700, "its group"),
    ])
    func pluginsOthersCanChangeAreRefusedWithTheReason(fileMode: mode_t, dirMode: mode_t, mention: String) throws {
        let host = PluginHost(pipeline: IRQPipeline(cpus: 1), logger: testLogger())
        let dir = try scratchDirectory(mode: dirMode)
        let path = dir + "/libplug.so"
        try FileManager.default.copyItem(atPath: try HostFixtures.freshCopy("hostplug"), toPath: path)
        chmod(path, fileMode)
        let e = pluginError { try host.load(path: path) }
        guard case .insecure(_, let reason)? = e else { Issue.record("expected .insecure, got \(String(describing: e))"); return }
        #expect(reason.contains(mention), "\(reason)")
        #expect("\(e!)".contains("--allow-insecure"))
        #expect(host.list().isEmpty)
        try host.load(path: path, allowInsecure: true)
        #expect(host.list().map(\.name) == ["hostplug"])
        _ = host.unload(name: "hostplug")
    }

    @Test func aStickyWorldWritableDirectoryAboveIsAccepted() throws {
        let sticky = try scratchDirectory(mode: 0o1777)
        let dir = sticky + "/mine"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        chmod(dir, 0o755)
        let path = dir + "/libplug.so"
        try FileManager.default.copyItem(atPath: try HostFixtures.freshCopy("hostplug"), toPath: path)
        chmod(path, 0o644)
        let host = PluginHost(pipeline: IRQPipeline(cpus: 1), logger: testLogger())
        try host.load(path: path)
        _ = host.unload(name: "hostplug")
    }
}
