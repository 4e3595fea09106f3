import Foundation
import TenonControl
import TenonPipeline

/// The pipeline's trace, written as Chrome trace-event JSON (`tenon trace`,
/// `tenon run --trace FILE`, `tenon demo --trace FILE`).
extension HostRuntime {
    /// Stops tracing and writes what the rings hold to `path` (Perfetto and
    /// chrome://tracing open it); returns the number of records and how many
    /// were lost to ring wrap-around.
    @discardableResult
    public func writeTrace(to path: String) throws -> (records: Int, overwritten: UInt64) {
        let pipeline = machine.pipeline
        pipeline.stopTracing()
        let events = pipeline.traceEvents()
        let text = ChromeTrace.json(events: events, cpus: machine.cpuCount, overwritten: pipeline.traceOverwritten) {
            [plugins] owner in plugins.formerName(owner: owner)
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (events.count, pipeline.traceOverwritten)
    }

    /// Traces for `milliseconds`, then writes the file (the `trace` request).
    func traceFor(milliseconds: Int, path: String) -> ControlResponse {
        guard !machine.pipeline.isTracing else {
            return .error(.busy, "a trace is already being recorded (tenon run --trace, or another tenon trace); try again when it ends")
        }
        machine.pipeline.startTracing()
        usleep(UInt32(milliseconds) * 1000)
        do {
            let (records, lost) = try writeTrace(to: path)
            return .ok(payload: ["path": .string(path), "records": .int(records), "overwritten": .int(Int(lost))])
        } catch {
            return .error(.failed, "trace: cannot write \(path): \(error.localizedDescription)")
        }
    }
}
