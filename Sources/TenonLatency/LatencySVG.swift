import Foundation

/// A picture of a ``LatencyReport``: one panel per CPU, log-scaled sample
/// counts per 1-2-5 latency bucket, Tenon as bars and the bare C timer (when
/// measured) as a line over them. Plain SVG: any browser or `convert` renders it.
package enum LatencySVG {
    package static func render(_ r: LatencyReport) -> String {
        let panelW = 760.0, panelH = 180.0, left = 60.0, top = 40.0, gap = 50.0
        let bounds = LatencyBucket.bounds
        let used = max(1, ((r.tenon + (r.baseline ?? [])).map(\.buckets.count).max() ?? 1))
        let barW = panelW / Double(used)
        let height = top + Double(r.tenon.count) * (panelH + gap) + 20
        var svg = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(left + panelW + 40))" height="\##(Int(height))" font-family="sans-serif" font-size="11">"##,
            ##"<rect width="100%" height="100%" fill="white"/>"##,
            ##"<text x="\##(left)" y="22" font-size="14">tenon latency: timer expiry -> oob handler, period \##(LatencyTextReport.us(r.settings.periodNanos)) µs, \##(r.settings.durationSeconds) s (bars: tenon; line: bare C timer)</text>"##,
        ]
        let maxCount = (r.tenon + (r.baseline ?? [])).flatMap(\.buckets).map(\.count).max() ?? 1
        let logMax = log10(Double(maxCount) + 1)
        func y(_ count: UInt64, _ y0: Double) -> Double {
            y0 + panelH - (logMax == 0 ? 0 : log10(Double(count) + 1) / logMax * panelH)
        }
        for (i, f) in r.tenon.enumerated() {
            let y0 = top + Double(i) * (panelH + gap)
            svg.append(
                ##"<text x="\##(left)" y="\##(y0 - 6)">CPU \##(f.cpu) (core \##(f.core)): p50 \##(LatencyTextReport.us(f.p50_ns)) µs, p99 \##(LatencyTextReport.us(f.p99_ns)) µs, max \##(LatencyTextReport.us(f.max_ns)) µs, \##(f.samples) samples</text>"##
            )
            svg.append(##"<rect x="\##(left)" y="\##(y0)" width="\##(panelW)" height="\##(panelH)" fill="none" stroke="#999"/>"##)
            for (k, b) in f.buckets.enumerated() where b.count > 0 {
                let top = y(b.count, y0)
                svg.append(##"<rect x="\##(left + Double(k) * barW + 1)" y="\##(top)" width="\##(barW - 2)" height="\##(y0 + panelH - top)" fill="#4a7fb5"/>"##)
            }
            if let b = r.baseline?.first(where: { $0.cpu == f.cpu }) {
                let points = b.buckets.enumerated().map { k, bucket in
                    "\(left + (Double(k) + 0.5) * barW),\(y(bucket.count, y0))"
                }.joined(separator: " ")
                svg.append(##"<polyline points="\##(points)" fill="none" stroke="#d1495b" stroke-width="2"/>"##)
            }
            for k in 0..<used where k % 3 == 0 {
                svg.append(##"<text x="\##(left + Double(k) * barW)" y="\##(y0 + panelH + 14)">≤\##(LatencyTextReport.us(bounds[k]))µs</text>"##)
            }
            svg.append(
                ##"<text x="4" y="\##(y0 + 10)">\##(maxCount)</text><text x="4" y="\##(y0 + panelH / 2)">log</text><text x="4" y="\##(y0 + panelH)">0</text>"##)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }
}
