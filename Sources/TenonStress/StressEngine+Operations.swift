import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// The schedule's operations: load, unload and swap, with the poison and ledger bookkeeping around them.
extension StressEngine {
    func freeImage(_ g: PluginGroup) -> String {
        let choices = g.images.filter { $0 != g.loadedPath }
        return choices[rng.below(choices.count)]
    }

    func parameters(_ g: PluginGroup, generation: UInt64) -> [String] {
        guard g.isTorture else { return g.parameters }
        let work = rng.next() & 1 == 1
        return [
            "irq=\(tortureIRQ)", "generation=\(generation)", "ledger=\(ledger.address)",
            "max_spin_ns=\(options.maxSpinNanos)", "work=\(work)",
            "long_irq=\(longSectionsEnabled ? longIRQ : 0)", "long_ns=\(options.longSectionNanos)",
        ]
    }

    func note(_ group: Int, _ kind: UInt8) {
        guard digestCount < Self.digestOps else { return }
        digestCount += 1
        for b in [UInt8(truncatingIfNeeded: group), kind] { digest = (digest ^ UInt64(b)) &* 0x100_0000_01b3 }
        if digestCount == Self.digestOps { report.scheduleDigest = String(digest, radix: 16) }
    }

    func step(host: PluginHost) {
        let gi = rng.below(groups.count)
        let g = groups[gi]
        let pause = rng.below(4)
        if g.loadedName == nil {
            note(gi, 1)
            load(g, host: host)
        } else if rng.next() & 1 == 0 {
            note(gi, 2)
            swap(g, host: host)
        } else {
            note(gi, 3)
            unload(g, host: host)
        }
        refreshLiveIRQs(host)
        if pause == 0 { usleep(UInt32(rng.below(2000))) }
    }

    func refreshLiveIRQs(_ host: PluginHost) {
        live.set(host.list().flatMap(\.irqs).filter { $0 != tortureIRQ && $0 != longIRQ })
    }

    func load(_ g: PluginGroup, host: PluginHost) {
        let path = freeImage(g)
        let gen = g.isTorture ? nextGeneration : 0
        if g.isTorture { nextGeneration += 1 }
        let t = tstress_now_ns()
        do {
            let p = try host.load(path: path, parameters: parameters(g, generation: gen))
            loadNanos.append(tstress_now_ns() - t)
            g.loadedName = p.name
            g.loadedPath = path
            g.generation = gen
            if g.isTorture { ledger.current = gen }
            report.loads += 1
        } catch {
            report.loadErrors += 1
            if report.loadErrors <= 3 { report.notes.append("load \(path): \(error)") }
        }
    }

    /// Watches the image's current mappings (before unload), labelled for the fault report.
    func watch(_ g: PluginGroup, host: PluginHost, name: String, path: String) -> [(Int, UInt, UInt)] {
        // The host maps a private copy of `path`, found by plugin name.
        guard options.poison else { return [] }
        let maps = host.mappings(of: name)
        let label = "plugin \(g.loadedName ?? g.label) (generation \(g.isTorture ? String(g.generation) : "-"), image \(path))"
        return maps.compactMap { m in
            let i = tstress_watch(UInt(m.start), UInt(m.end), label)
            return i >= 0 ? (Int(i), m.start, m.end) : nil
        }
    }

    /// After the barrier said quiescent and the image was closed: PROT_NONE over
    /// its former ranges, so a late execution faults at once instead of running reused memory.
    func settle(_ watched: [(Int, UInt, UInt)], result: UnloadResult) {
        switch result {
        case .unloaded:
            report.imagesUnmapped += 1
            for (i, s, e) in watched {
                if tstress_poison(s, e) == 0 {
                    poisoned.append((i, s, e))
                    report.poisonedRanges += 1
                } else {
                    tstress_unwatch(Int32(i))
                    report.poisonMisses += 1
                }
            }
            while poisoned.count - poisonHead > options.poisonRing {
                let (i, s, e) = poisoned[poisonHead]
                poisonHead += 1
                tstress_unwatch(Int32(i))
                _ = tstress_unmap(s, e)
            }
            if poisonHead > 4096 { poisoned.removeFirst(poisonHead); poisonHead = 0 }
        case .retired:
            report.imagesRetired += 1
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        case .busy:
            report.busyResults += 1
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        case .refused:
            report.refusedResults += 1
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        }
    }

    @discardableResult
    func unload(_ g: PluginGroup, host: PluginHost, timeout: Duration = .seconds(5)) -> UnloadResult {
        guard let name = g.loadedName, let path = g.loadedPath else { return .refused(reason: "not loaded") }
        if report.cycles % 4 == 0 {
            let s = tstress_now_ns()
            _ = host.pipeline.synchronize(timeout: .seconds(1))
            graceNanos.append(tstress_now_ns() - s)
            timeBareCycle()
        }
        let watched = watch(g, host: host, name: name, path: path)
        if g.isTorture { openLongSections(host: host) }
        let t = tstress_now_ns()
        if g.isTorture { ledger.unloading = g.generation }
        if commandInFlight.withLock({ $0 }) == name { unloadsDuringCommand += 1 }
        let result = host.unload(name: name, timeout: timeout)
        if g.isTorture { ledger.unloading = 0 }
        unloadNanos.append(tstress_now_ns() - t)
        switch result {
        case .unloaded, .retired:
            if g.isTorture { ledger.exited = max(ledger.exited, g.generation) }
            g.loadedName = nil
            g.loadedPath = nil
            report.unloads += 1
        case .busy:
            // Keep it: cancel (re-publish) and carry on; a busy unload is not a violation.
            try? host.cancelUnload(name: name)
        case .refused(let reason):
            report.notes.append("unload \(name) refused: \(reason)")
        }
        settle(watched, result: result)
        return result
    }

    func swap(_ g: PluginGroup, host: PluginHost) {
        guard let name = g.loadedName, let oldPath = g.loadedPath else { return }
        let path = freeImage(g)
        let gen = g.isTorture ? nextGeneration : 0
        if g.isTorture { nextGeneration += 1 }
        let oldGen = g.generation
        let watched = watch(g, host: host, name: name, path: oldPath)
        if g.isTorture { openLongSections(host: host) }
        let t = tstress_now_ns()
        if g.isTorture { ledger.unloading = oldGen }
        defer { if g.isTorture { ledger.unloading = 0 } }
        if commandInFlight.withLock({ $0 }) == name { unloadsDuringCommand += 1 }
        do {
            let result = try host.swap(
                name: name, path: path, parameters: parameters(g, generation: gen),
                timeout: .seconds(5))
            swapNanos.append(tstress_now_ns() - t)
            g.loadedPath = path
            g.generation = gen
            report.swaps += 1
            if g.isTorture {
                ledger.current = gen
                if case .unloaded = result { ledger.exited = max(ledger.exited, oldGen) }
                if case .retired = result { ledger.exited = max(ledger.exited, oldGen) }
            }
            if case .busy = result {
                // The old image stays mapped until drained; never reuse its path meanwhile.
                g.images.removeAll { $0 == oldPath }
                report.notes.append("swap of \(name): old version busy; image \(oldPath) set aside")
            }
            settle(watched, result: result)
        } catch {
            report.swapErrors += 1
            if report.swapErrors <= 3 { report.notes.append("swap \(name) -> \(path): \(error)") }
            for (i, _, _) in watched { tstress_unwatch(Int32(i)) }
        }
    }

    /// The floor an unload meets in this storm: what the same thread takes
    /// for a bare `dlopen` + `dlsym` + `dlclose` of a plugin image at the
    /// same moments, scheduled against the same busy CPU threads.
    func timeBareCycle() {
        guard let bareImage else { return }
        let s = tstress_now_ns()
        guard DynamicImage.bareCycle(path: bareImage) else { return }
        bareCycleNanos.append(tstress_now_ns() - s)
    }

    /// Raises the torture plugin's long in-band line on every CPU and waits
    /// (20 ms at most) until one of those sections is open, so the unload or
    /// swap that follows starts while an in-band section of the old generation
    /// runs, with oob IRQs nesting in it.
    func openLongSections(host: PluginHost) {
        guard longSectionsEnabled else { return }
        let open = ledger.read(&ledger.pointer.pointee.long_open)
        for cpu in 0..<options.cpus { host.pipeline.raise(longIRQ, on: cpu) }
        let limit = tstress_now_ns() + 20_000_000
        while ledger.read(&ledger.pointer.pointee.long_open) <= open && tstress_now_ns() < limit { usleep(50) }
    }
}
