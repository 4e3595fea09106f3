import Foundation
import TenonPipeline

/// Writes the pipeline's trace as Chrome trace-event JSON (the format
/// Perfetto and chrome://tracing open offline): one track per CPU (handlers,
/// irq_work, log replays as nested slices) and one for the control plane
/// (grace periods with their phases, unload and swap steps).
public enum ChromeTrace {
    /// The control plane's track id (CPUs are 0..<cpus).
    public static let controlTrack = 1000

    /// The JSON document for `events` (time-ordered). `name` maps an owner
    /// token to its plugin's name.
    public static func json(
        events: [TraceEvent], cpus: Int, overwritten: UInt64,
        name: (UInt32) -> String?
    ) -> String {
        var out = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"tenon\",\"overwrittenRecords\":\(overwritten)},\"traceEvents\":[\n"
        var first = true
        func emit(_ object: String) {
            if !first { out += ",\n" }
            first = false
            out += object
        }
        func quoted(_ s: String) -> String {
            var q = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\"": q += "\\\""
                case "\\": q += "\\\\"
                case _ where c.value < 0x20: q += String(format: "\\u%04x", c.value)
                default: q.unicodeScalars.append(c)
                }
            }
            return q + "\""
        }
        emit("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"tenon host\"}}")
        for cpu in 0..<cpus {
            emit("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":\(cpu),\"args\":{\"name\":\"CPU \(cpu)\"}}")
            emit("{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":\(cpu),\"args\":{\"sort_index\":\(cpu)}}")
        }
        emit("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":\(controlTrack),\"args\":{\"name\":\"control plane\"}}")
        guard let t0 = events.first?.timeNanos else { return out + "\n]}\n" }
        // An end whose begin was overwritten (ring wrap) is dropped, so every track nests.
        var depth: [Int: Int] = [:]
        func who(_ owner: UInt32) -> String { owner == 0 ? "host" : name(owner) ?? "owner \(owner)" }
        for e in events {
            let tid = e.cpu ?? controlTrack
            let ts = String(format: "%.3f", Double(e.timeNanos &- t0) / 1000)
            func slice(_ ph: String, _ title: String, _ args: String = "") {
                if ph == "B" { depth[tid, default: 0] += 1 }
                if ph == "E" {
                    guard depth[tid, default: 0] > 0 else { return }
                    depth[tid]! -= 1
                }
                let a = args.isEmpty ? "" : ",\"args\":{\(args)}"
                emit("{\"name\":\(quoted(title)),\"ph\":\"\(ph)\",\"ts\":\(ts),\"pid\":1,\"tid\":\(tid)\(a)}")
            }
            func instant(_ title: String, _ args: String = "") {
                let a = args.isEmpty ? "" : ",\"args\":{\(args)}"
                emit("{\"name\":\(quoted(title)),\"ph\":\"i\",\"s\":\"t\",\"ts\":\(ts),\"pid\":1,\"tid\":\(tid)\(a)}")
            }
            switch e.kind {
            case .handlerBegin:
                slice("B", "IRQ \(e.irq) \(who(e.owner))", "\"stage\":\(quoted(e.arg == 1 ? "oob" : "in-band"))")
            case .handlerEnd:
                slice("E", "IRQ \(e.irq) \(who(e.owner))")
            case .workBegin: slice("B", "irq_work \(who(e.owner))")
            case .workEnd: slice("E", "irq_work \(who(e.owner))")
            case .replayBegin: slice("B", e.arg == 1 ? "replay oob log" : "replay in-band log")
            case .replayEnd: slice("E", e.arg == 1 ? "replay oob log" : "replay in-band log")
            case .graceBegin: slice("B", "grace period", "\"for\":\(quoted(e.owner == 0 ? "all" : who(e.owner)))")
            case .graceEnd:
                slice("E", "grace period", "\"result\":\(quoted(["quiescent", "busy", "failed"][Int(min(e.arg, 2))])),\"cpusSkipped\":\(e.irq)")
            case .graceFence: instant("fence")
            case .graceDrained: instant("drained parity \(e.arg)")
            case .graceFlip: instant("flip to parity \(e.arg)")
            case .graceWaitedCPU: instant("waited for CPU \(e.irq)", "\"us\":\(String(format: "%.3f", Double(e.value) / 1000))")
            case .control:
                let step = TraceEvent.ControlStep(rawValue: e.arg)
                let title: String =
                    switch step {
                    case .unpublish: "unpublish"
                    case .exitBegin: "exit()"
                    case .exitEnd: "exit()"
                    case .revoke: "revoke"
                    case .close: "dlclose"
                    case .swapCommit: "swap commit"
                    case .loadBegin: "load"
                    case .loadEnd: "load"
                    case nil: "step \(e.arg)"
                    }
                switch step {
                case .exitBegin, .loadBegin: slice("B", "\(title) \(who(e.owner))")
                case .exitEnd, .loadEnd: slice("E", "\(title) \(who(e.owner))")
                default: instant("\(title) \(who(e.owner))")
                }
            default:
                break
            }
        }
        return out + "\n]}\n"
    }
}
