import TenonPipeline

/// The pipeline's debug checks (bogus handler return values, lines disabled as
/// spurious, posts refused, ...) are recorded into a lock-free ring from any
/// context, oob included; this reads the ring in task context and writes each
/// kind of event once per call to the host log, with how many times it happened
/// and which plugins handle the line, so a flood stays a few lines.
extension HostRuntime {
    /// Logs what the pipeline's checks recorded since the last call; returns
    /// how many events there were. `tenon run` calls it twice a second; a
    /// program embedding a host may call it from any task thread.
    @discardableResult
    public func reportDiagnostics() -> Int {
        let events = machine.pipeline.diagnostics()
        guard !events.isEmpty else { return 0 }
        struct Key: Hashable { let kind: PipelineDiagnostic.Kind; let irq: UInt32; let value: Int32 }
        var groups: [Key: (first: PipelineDiagnostic, count: Int)] = [:]
        var order: [Key] = []
        for e in events {
            let key = Key(kind: e.kind, irq: e.irq, value: e.value)
            if let g = groups[key] {
                groups[key] = (g.first, g.count + 1)
            } else {
                groups[key] = (e, 1)
                order.append(key)
            }
        }
        let actions = machine.pipeline.actions()
        for key in order {
            let (event, count) = groups[key]!
            let owners = Set(actions.filter { $0.irq == key.irq && $0.owner != 0 }.map(\.owner))
            let names = owners.compactMap { plugins.pluginName(owner: $0) }.sorted()
            let who = names.isEmpty ? "" : " (handled by plugin \(names.joined(separator: ", ")))"
            let times = count > 1 ? " [\(count) times]" : ""
            switch key.kind {
            case .noHandler, .postOutOfRange, .badIRQ:
                logger.notice("pipeline: \(event)\(who)\(times)")
            default:
                logger.warning("pipeline: \(event)\(who)\(times)")
            }
        }
        return events.count
    }
}
