import CTenon
import Glibc
import Testing
@testable import TenonPlugins

/// The cheap proof that a closed image is gone (``DynamicImage/isUnmapped()``
/// with ``UnmapCheck/alsoReadProcessMaps`` off) against what
/// `/proc/self/maps` says.
@Suite("unmap check: mincore probe of the former span", .serialized)
struct UnmapCheckTests {
    private func probeOnly<R>(_ body: () throws -> R) rethrows -> R {
        let saved = UnmapCheck.alsoReadProcessMaps
        UnmapCheck.alsoReadProcessMaps = false
        defer { UnmapCheck.alsoReadProcessMaps = saved }
        return try body()
    }

    @Test func theSpanCoversEveryMappingOfTheImage() throws {
        let path = try Fixtures.freshCopy("good")
        let image = try DynamicImage(path: path, retain: false)
        let span = try #require(image.span)
        let mapped = try image.mappings()
        #expect(!mapped.isEmpty)
        for m in mapped { #expect(span.contains(m.start) && m.end <= span.upperBound, "\(m) outside \(span)") }
        #expect(ctenon_range_unmapped(span.lowerBound, span.upperBound) == 0)
        try image.close()
    }

    @Test func aClosedImageIsProvedGoneAndMapsAgrees() throws {
        let path = try Fixtures.freshCopy("good")
        let image = try DynamicImage(path: path, retain: false)
        try image.close()
        #expect(probeOnly { image.isUnmapped() })
        #expect(try image.mappings().isEmpty)
    }

    @Test func aRetainedImageIsNotReportedGone() throws {
        // RTLD_NODELETE: dlclose keeps every segment where it was.
        let path = try Fixtures.freshCopy("good")
        let image = try DynamicImage(path: path, retain: true)
        try image.close()
        #expect(!probeOnly { image.isUnmapped() })
        #expect(try !image.mappings().isEmpty)
    }

    @Test func onePageLeftMappedInTheSpanIsEnough() throws {
        // The last page of a fresh three-page range: PROT_NONE counts as mapped.
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let base = try #require(mmap(nil, Int(3 * page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        #expect(base != MAP_FAILED)
        let start = UInt(bitPattern: base)
        #expect(ctenon_range_unmapped(start, start + 3 * page) == 0)
        munmap(base, Int(2 * page))
        #expect(ctenon_range_unmapped(start, start + 2 * page) == 1)
        #expect(ctenon_range_unmapped(start, start + 3 * page) == 0)
        munmap(UnsafeMutableRawPointer(bitPattern: start + 2 * page), Int(page))
        #expect(ctenon_range_unmapped(start, start + 3 * page) == 1)
        #expect(ctenon_range_unmapped(start + 1, start + page) == -EINVAL)
    }
}
