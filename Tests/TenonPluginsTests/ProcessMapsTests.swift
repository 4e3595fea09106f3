import Glibc
import Testing
@testable import TenonPlugins

@Suite("/proc/self/maps")
struct ProcessMapsTests {
    @Test func parsesKernelLines() {
        let text = """
            7f1c2a000000-7f1c2a001000 r-xp 00001000 fd:01 1234567    /tmp/dir with space/libx.so
            7f1c2a001000-7f1c2a002000 rw-p 00000000 00:00 0 
            7ffd1e7f2000-7ffd1e813000 rw-p 00000000 00:00 0                          [stack]
            garbage
            """
        let maps = ProcessMaps.parse(text)
        #expect(maps.count == 3)
        #expect(maps[0].start == 0x7f1c_2a00_0000 && maps[0].end == 0x7f1c_2a00_1000)
        #expect(maps[0].permissions == "r-xp" && maps[0].isExecutable && maps[0].offset == 0x1000)
        #expect(maps[0].deviceMajor == 0xfd && maps[0].deviceMinor == 1 && maps[0].inode == 1_234_567)
        #expect(maps[0].path == "/tmp/dir with space/libx.so")
        #expect(maps[1].path == nil)
        #expect(maps[2].path == "[stack]")
    }

    @Test func unloadRemovesMappings() throws {
        let path = try Fixtures.freshCopy("good")
        #expect(try ProcessMaps.mappings(of: path).isEmpty)
        let (image, _) = try loadDescriptor(path)
        let mapped = try ProcessMaps.mappings(of: path)
        #expect(mapped.count > 0)
        #expect(mapped.contains { $0.isExecutable })
        #expect(DynamicImage.isLoaded(image.path))
        try image.close()
        #expect(try ProcessMaps.mappings(of: path).count == 0)
        #expect(!DynamicImage.isLoaded(image.path))
    }

    @Test func matchesThroughSymlink() throws {
        let path = try Fixtures.freshCopy("nullentry")
        let link = path + ".link"
        #expect(symlink(path, link) == 0)
        let image = try DynamicImage(path: link, retain: false)
        #expect(image.path == path)  // resolved before dlopen
        #expect(try ProcessMaps.mappings(of: link).count > 0)
        try image.close()
        #expect(try ProcessMaps.mappings(of: link).isEmpty)
    }
}
