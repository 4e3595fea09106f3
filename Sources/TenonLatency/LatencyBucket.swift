/// A histogram bucket: samples above the previous bucket's bound and up to `upTo_ns`.
package struct LatencyBucket: Sendable, Codable, Equatable {
    package var upTo_ns: UInt64
    package var count: UInt64

    /// 1-2-5 bounds from 1 µs to 10 s: fine enough to see a tail, few enough to print.
    static let bounds: [UInt64] = {
        var b: [UInt64] = []
        var decade: UInt64 = 1_000
        while decade <= 1_000_000_000 {
            b += [decade, 2 * decade, 5 * decade]
            decade *= 10
        }
        return b + [10_000_000_000]
    }()
}
