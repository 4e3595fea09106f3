import Foundation
import Logging
import Testing
import TenonHost
import TenonPipeline
import TenonPlugins

/// The built plugins (`swift build` puts libtenon-<name>.so next to the test executable).
enum Built {
    static let directory: URL? = {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<3 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("libtenon-fixturefaulty.so").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// A fresh copy (unique path, so a fresh instance of the plugin's statics).
    static func copy(_ name: String) throws -> String {
        let source = try #require(directory).appendingPathComponent("libtenon-\(name).so").path
        let copy = NSTemporaryDirectory() + "tenon-fault-\(name)-\(UUID().uuidString.prefix(8)).so"
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        return copy
    }
}

/// A host with two CPUs, a counting bystander plugin on IRQ 5, and nothing else.
final class FaultHost {
    let runtime: HostRuntime
    var plugins: PluginHost { runtime.plugins }

    init() throws {
        var logger = Logger(label: "tenon.fault-test")
        logger.logLevel = .critical
        runtime = try HostRuntime(
            configuration: HostConfiguration(
                cpus: 2, timerHz: 0,
                socketPath: NSTemporaryDirectory() + "unused.sock"),
            logger: logger)
        try plugins.load(path: try Built.copy("counter"), parameters: ["irq=5"])
    }

    deinit { runtime.shutdown(timeout: .seconds(2)) }

    func total() throws -> UInt64 {
        guard case .uint(let n) = try plugins.call(plugin: "counter", command: "total") else { return 0 }
        return n
    }

    /// The bystander still gets every IRQ: `n` raises on each CPU, all handled.
    func bystanderKeepsCounting(_ n: UInt64 = 200) throws {
        let before = try total()
        for i in 0..<n { runtime.machine.raise(5, on: Int(i % 2)); if i % 16 == 0 { usleep(200) } }
        #expect(try eventually { try self.total() >= before + 1 }, "the other plugin stopped receiving IRQs")
        // Raises on a pending line merge, so "rising" is the claim, not "+n".
    }

    func state(_ name: String) -> LoadedPlugin.State? { plugins.plugin(named: name)?.state }

    /// Unloads the faulted `name`, which must retire it (kept mapped); the reason given, or nil.
    @discardableResult
    func unloadRetires(_ name: String = "fixture-faulty") -> String? {
        guard case .retired(let reason) = plugins.unload(name: name) else {
            Issue.record("unload of a faulted plugin must retire it")
            return nil
        }
        return reason
    }
}

/// Polls `condition` for up to 10 s (no timing claim: a deadline for a hang).
func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<2000 {
        if try condition() { return true }
        usleep(5000)
    }
    return try condition()
}

@Suite("fault containment", .serialized, .enabled(if: Built.directory != nil), .timeLimit(.minutes(2)))
struct FaultContainmentTests {
    /// (where, kind, IRQ raised, CPU it is raised on, CPU the oops names)
    static let handlerCases: [(String, String)] = [
        ("oob", "null"), ("oob", "fpe"), ("oob", "abort"), ("oob", "stack"), ("oob", "trap"), ("oob", "exit"),
        ("inband", "null"), ("inband", "fpe"), ("inband", "abort"),
        ("work", "null"), ("work", "abort"),
        ("timer", "null"), ("timer", "fpe"),
    ]

    @Test("a fault in a handler is contained", arguments: handlerCases)
    func handlerFault(where place: String, kind: String) throws {
        let host = try FaultHost()
        let irq: UInt32 = 30
        try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["irq=\(irq)", "where=\(place)", "kind=\(kind)"])
        let cpu = place == "timer" ? 0 : 1
        if place != "timer" { host.runtime.machine.raise(irq, on: cpu) }
        #expect(eventually { host.state("fixture-faulty") == .faulted }, "plugin not quarantined")
        let oops = try #require(host.plugins.oopses().last)
        #expect(oops.plugin == "fixture-faulty")
        #expect(oops.cpu == cpu)
        if place == "work" {
            #expect(oops.context == "irq_work")
        } else {
            #expect(oops.irq == irq)
            #expect(oops.context == (place == "inband" ? "in-band handler" : "oob handler"))
        }
        let expected = ["null": "SIGSEGV", "stack": "SIGSEGV", "fpe": "SIGFPE", "abort": "SIGABRT", "trap": "SIGILL", "exit": "exit"][kind]!
        #expect(oops.signal == expected || (kind == "trap" && oops.signal == "SIGTRAP"))
        #expect(oops.summary.contains("fixture-faulty") && oops.summary.contains("CPU \(cpu)"))
        #expect(host.plugins.plugin(named: "fixture-faulty")?.lastOops?.sequence == oops.sequence)
        try host.bystanderKeepsCounting()
        // Quarantined: more IRQs on its line produce no further oops.
        let count = host.plugins.oopses().count
        for _ in 0..<20 { host.runtime.machine.raise(irq, on: cpu) }
        try host.bystanderKeepsCounting()
        #expect(host.plugins.oopses().count == count)
        let reason = host.unloadRetires()
        #expect(reason?.contains("faulted") == true)
        try host.bystanderKeepsCounting()
    }

    /// A handler that faults while its load is still running (its init
    /// raised the line and waited; or a 1 ms timer firing before the load
    /// registered the plugin, which is how this was found) is reported when
    /// no record exists yet: the load must still quarantine it.
    @Test("a handler fault during the load still quarantines the plugin")
    func handlerFaultDuringTheLoad() throws {
        let host = try FaultHost()
        let before = host.plugins.oopsTotal
        try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["irq=30", "where=oob", "early=true"])
        #expect(eventually { host.plugins.oopsTotal > before }, "init's raise did not fault")
        #expect(eventually { host.state("fixture-faulty") == .faulted }, "a fault reported before registration left the plugin live")
        #expect(host.plugins.plugin(named: "fixture-faulty")?.lastOops?.irq == 30)
        #expect(host.plugins.unclaimedFaultCount == 0, "the load did not claim its fault")
        try host.bystanderKeepsCounting()
        host.unloadRetires()
    }

    @Test("a handler fault during a load that then fails is logged, and nothing waits for it")
    func handlerFaultDuringAFailedLoad() throws {
        let host = try FaultHost()
        let before = host.plugins.oopsTotal
        let error = #expect(throws: PluginError.self) {
            try host.plugins.load(
                path: try Built.copy("fixturefaulty"), parameters: ["irq=30", "where=oob", "early=true", "refuse=true"])
        }
        guard case .initFailed(let plugin, _) = error else {
            Issue.record("expected .initFailed, got \(String(describing: error))"); return
        }
        #expect(plugin == "fixture-faulty")
        #expect(eventually { host.plugins.oopsTotal > before }, "the handler's fault was not logged")
        // The rolled-back load's fault is not kept for a record that will never exist.
        #expect(host.plugins.unclaimedFaultCount == 0)
        #expect(host.plugins.plugin(named: "fixture-faulty") == nil)
        try host.bystanderKeepsCounting()
        try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["where=none"])
        #expect(host.state("fixture-faulty") == .live, "a later load inherited the failed load's fault")
    }

    @Test("a fault in init fails the load with the oops", arguments: ["null", "abort", "exit", "_exit"])
    func initFault(kind: String) throws {
        let host = try FaultHost()
        let error = #expect(throws: PluginError.self) {
            try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["where=init", "kind=\(kind)"])
        }
        guard case .faulted(let plugin, let during, let oops) = error else {
            Issue.record("expected .faulted, got \(String(describing: error))"); return
        }
        #expect(plugin == "fixture-faulty" && during == "init")
        #expect(oops.contains("fixture-faulty") && oops.contains("in init"))
        #expect(host.plugins.plugin(named: "fixture-faulty") == nil)
        try host.bystanderKeepsCounting()
        // The name is free again: a good instance loads.
        try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["where=none"])
    }

    @Test("a fault in the entry point fails the load")
    func entryFault() throws {
        let host = try FaultHost()
        let error = #expect(throws: PluginError.self) {
            try host.plugins.load(path: try Built.copy("fixturefaultyentry"))
        }
        guard case .faulted(_, let during, let oops) = error else {
            Issue.record("expected .faulted, got \(String(describing: error))"); return
        }
        #expect(during == "entry point")
        #expect(oops.contains("SIGSEGV") && oops.contains("entry point"))
        try host.bystanderKeepsCounting()
    }

    @Test("a fault in a command fails the call and quarantines the plugin", arguments: ["null", "fpe", "exit"])
    func commandFault(kind: String) throws {
        let host = try FaultHost()
        try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["where=command", "kind=\(kind)"])
        let error = #expect(throws: PluginError.self) {
            try host.plugins.call(plugin: "fixture-faulty", command: "crash")
        }
        guard case .faulted(_, let during, _) = error else {
            Issue.record("expected .faulted, got \(String(describing: error))"); return
        }
        #expect(during == "command crash")
        #expect(host.state("fixture-faulty") == .faulted)
        #expect(host.plugins.oopses().last?.context == "command")
        try host.bystanderKeepsCounting()
        host.unloadRetires()
    }

    @Test("a fault in exit completes the unload as retired")
    func exitFault() throws {
        let host = try FaultHost()
        try host.plugins.load(path: try Built.copy("fixturefaulty"), parameters: ["where=exit", "kind=null"])
        guard case .retired(let reason) = host.plugins.unload(name: "fixture-faulty") else {
            Issue.record("expected .retired"); return
        }
        #expect(reason.contains("exit() faulted") && reason.contains("SIGSEGV"))
        #expect(host.plugins.plugin(named: "fixture-faulty") == nil)
        try host.bystanderKeepsCounting()
    }

    @Test("a fault outside plugin code still ends the process")
    func hostFaultCrashes() async {
        await #expect(processExitsWith: .failure) {
            let host = try FaultHost()
            _ = host
            let nowhere = UnsafeMutablePointer<Int>(bitPattern: 8)!
            nowhere.pointee = 1
        }
    }
}
