import Foundation
import Testing

/// A Chrome trace-event JSON file as the tests read it.
struct TraceFile {
    struct Event {
        var name: String
        var ph: String
        var ts: Double
        var tid: Int
    }
    var events: [Event] = []
    var trackNames: [Int: String] = [:]

    init(path: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let list = try #require(object["traceEvents"] as? [[String: Any]])
        for e in list {
            let name = try #require(e["name"] as? String), ph = try #require(e["ph"] as? String)
            if ph == "M" {
                if name == "thread_name", let tid = e["tid"] as? Int, let args = e["args"] as? [String: Any] {
                    trackNames[tid] = args["name"] as? String
                }
                continue
            }
            events.append(Event(name: name, ph: ph, ts: try #require(e["ts"] as? Double), tid: try #require(e["tid"] as? Int)))
        }
    }

    /// Every track's B/E events nest (each E closes the innermost open B of
    /// its name) and time never runs backwards on a track.
    var balanced: Bool {
        var stacks: [Int: [String]] = [:]
        var last: [Int: Double] = [:]
        for e in events {
            if e.ts < last[e.tid, default: -1] { return false }
            last[e.tid] = e.ts
            switch e.ph {
            case "B": stacks[e.tid, default: []].append(e.name)
            case "E":
                guard stacks[e.tid]?.popLast() == e.name else { return false }
            default: break
            }
        }
        return true
    }
}
