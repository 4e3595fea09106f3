// Fixture: a Swift library with runtime metadata (a protocol conformance).
public struct Probe: CustomStringConvertible {
    public var value: Int32
    public var description: String { "Probe(\(value))" }
}
@_cdecl("swift_fixture_probe")
public func swiftFixtureProbe() -> Int32 { Int32(Probe(value: 7).description.count) }
