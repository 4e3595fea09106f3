import Foundation
import Testing
import TenonABI
@testable import TenonPipeline
@testable import TenonPlugins

/// Each bad plugin gets its own specific error and leaves the host and the
/// plugins already loaded intact: a good plugin loaded first keeps handling
/// its IRQ after every failure, and the pipeline's actions are unchanged.
@Suite("plugin host: bad plugins", .timeLimit(.minutes(2)))
struct PluginHostErrorTests {
    let pipeline = IRQPipeline(cpus: 2)
    let host: PluginHost
    let counter = HostCounter()
    let good: LoadedPlugin
    let baseline: [IRQPipeline.ActionInfo]

    init() throws {
        host = PluginHost(pipeline: pipeline, logger: testLogger(.critical))
        good = try host.load(path: HostFixtures.freshCopy("hostplug"), parameters: [counter.parameter, "irq=5"])
        baseline = pipeline.actions()
    }

    /// The good plugin still handles IRQ 5, nothing else changed.
    func expectIntact(_ sourceLocation: SourceLocation = #_sourceLocation) {
        let before = counter.value
        pipeline.withCPU(1) { pipeline.raise(5, on: 1) }
        #expect(counter.value == before + 1, "good plugin stopped handling IRQs", sourceLocation: sourceLocation)
        #expect(pipeline.actions() == baseline, sourceLocation: sourceLocation)
        #expect(host.list().map(\.name) == ["hostplug"], sourceLocation: sourceLocation)
    }

    func loadError(
        _ path: String, _ parameters: [String] = [],
        _ sourceLocation: SourceLocation = #_sourceLocation
    ) -> PluginError? {
        pluginError({ try host.load(path: path, parameters: parameters) }, sourceLocation: sourceLocation)
    }

    @Test func goodPluginIsListedAndHandles() throws {
        #expect(good.name == "hostplug" && good.version == "1.0" && good.irqs == [5] && good.state == .live)
        #expect(good.commands == ["runs", "add", "handler_rc"])
        expectIntact()
        #expect(try host.call(plugin: "hostplug", command: "runs") == .uint(1))
        #expect(host.list()[0].handlerCalls == 1)
        #expect(try host.call(plugin: "hostplug", command: "add", arguments: ["40", "2"]) == .int(42))
    }

    /// A command that fails before it runs (unknown name, bad argument) must
    /// leave the host's per-call guard window closed: a later call still runs.
    @Test func failedCommandCallsLeaveTheHostCallable() throws {
        for _ in 0..<3 {
            #expect(throws: PluginError.self) { try host.call(plugin: "hostplug", command: "add", arguments: ["x", "1"]) }
            #expect(throws: PluginError.self) { try host.call(plugin: "hostplug", command: "nope") }
        }
        #expect(try host.call(plugin: "hostplug", command: "add", arguments: ["2", "3"]) == .int(5))
    }

    @Test func notAFile() throws {
        guard case .notAFile = loadError("/nonexistent/libnothing.so") else { Issue.record("wrong error"); return }
        guard case .notAFile = loadError(try Fixtures.built.get().path) else { Issue.record("directory"); return }
        expectIntact()
    }

    @Test func notELF() throws {
        guard case .notELF = loadError(try Fixtures.file("text.so", Array("hello, world\n".utf8))) else {
            Issue.record("wrong error"); return
        }
        expectIntact()
    }

    @Test func wrongArchitecture() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: HostFixtures.freshCopy("hostplug"))))
        let foreign: UInt16 = ELFImage.hostMachine == 62 ? 183 : 62  // aarch64 on x86-64, else x86-64
        bytes[18] = UInt8(foreign & 0xff)
        bytes[19] = UInt8(foreign >> 8)
        guard case .wrongArchitecture = loadError(try Fixtures.file("arch.so", bytes)) else {
            Issue.record("wrong error"); return
        }
        expectIntact()
    }

    @Test func truncated() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: HostFixtures.freshCopy("hostplug"))))
        guard case .truncated = loadError(try Fixtures.file("cut.so", Array(bytes.prefix(bytes.count / 3)))) else {
            Issue.record("wrong error"); return
        }
        expectIntact()
    }

    @Test func missingEntry() throws {
        guard case .missingEntry = loadError(try Fixtures.freshCopy("noentry")) else { Issue.record("wrong error"); return }
        expectIntact()
    }

    @Test func abiMajor() throws {
        guard case .abiMajorMismatch = loadError(try Fixtures.freshCopy("major")) else { Issue.record("wrong error"); return }
        expectIntact()
    }

    @Test func newerMinor() throws {
        guard case .newerMinor = loadError(try Fixtures.freshCopy("minor")) else { Issue.record("wrong error"); return }
        expectIntact()
    }

    @Test func duplicateName() throws {
        let e = loadError(try HostFixtures.freshCopy("hostplug"), ["irq=6"])
        guard case .duplicateName(let name, let existing) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(name == "hostplug" && existing == good.path)
        expectIntact()
    }

    @Test func initFailureRollsBackEverything() throws {
        // The lowest free synthetic IRQ: the failing init will take it.
        let probe = pipeline.irq_create_direct_mapping()
        pipeline.irq_dispose_mapping(probe)
        let path = try HostFixtures.freshCopy("hostplug-b")
        let e = loadError(path, ["irq=6", "extra_irq=8", "mapping=true", "fail=-5"])
        guard case .initFailed(let plugin, let errno) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(plugin == "hostplug-b" && errno.code == 5)
        // No action of it left (IRQ 6, 8 and the synthetic one), its synthetic IRQ is free again,
        // its image is closed.
        #expect(!pipeline.actions().contains { [6, 8, probe].contains($0.irq) })
        let again = pipeline.irq_create_direct_mapping()
        #expect(again == probe)
        pipeline.irq_dispose_mapping(again)
        #expect(try privateCopyMappings(of: path).isEmpty)
        expectIntact()
        // The name is free: the same plugin loads fine without the failure knob.
        _ = try host.load(path: path, parameters: ["irq=6"])
        #expect(host.unload(name: "hostplug-b") == .unloaded(mapsGone: true))
    }

    @Test func outOfRangeIRQ() throws {
        let e = loadError(try HostFixtures.freshCopy("hostplug-b"), ["irq=5000"])
        guard case .initRefused("hostplug-b", let errno, let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(errno.code == EINVAL)
        #expect(reason == "request_irq(5000) refused: -EINVAL, IRQ 5000 is out of range (nr_irqs is \(IRQNumberSpace.total))")
        expectIntact()
    }

    @Test func nonSharedIRQTaken() throws {
        let e = loadError(try HostFixtures.freshCopy("hostplug-b"), ["irq=5"])
        guard case .initRefused("hostplug-b", let errno, let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(errno.code == EBUSY)
        // The host's reason names who holds the line.
        #expect(reason.hasPrefix("request_irq(5) refused: -EBUSY, line held by "), "\(reason)")
        #expect("\(e!)".contains("init() failed with -\(EBUSY)") && "\(e!)".contains("request_irq(5) refused"))
        expectIntact()
    }

    @Test func badParameterValue() throws {
        let e = loadError(try HostFixtures.freshCopy("hostplug-b"), ["irq=five"])
        guard case .badParameterValue(let plugin, let name, let value, let type, _) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(plugin == "hostplug-b" && name == "irq" && value == "five" && type == .uint)
        expectIntact()
    }

    @Test func commandWithWrongArgumentTypes() throws {
        let e = pluginError { try host.call(plugin: "hostplug", command: "add", arguments: ["1", "x"]) }
        guard case .commandArgumentType(let command, let index, let value, _, _, _) = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(command == "add" && index == 1 && value == "x")
        guard case .unknownPlugin = pluginError({ try host.call(plugin: "nope", command: "add") }) else {
            Issue.record("unknown plugin"); return
        }
        expectIntact()
    }

    @Test func taskServicesFromAHandlerAreRefused() throws {
        let plugin = try host.load(path: HostFixtures.freshCopy("hostplug-b"), parameters: ["irq=6", "misbehave=true"])
        pipeline.withCPU(1) { pipeline.raise(6, on: 1) }
        #expect(try host.call(plugin: plugin.name, command: "handler_rc") == .int(Int64(EDEADLK) * -1))
        #expect(!pipeline.actions().contains { $0.irq == 30 })
        #expect(host.unload(name: plugin.name) == .unloaded(mapsGone: true))
        expectIntact()
    }

    @Test func irqWorkLayoutMatchesTheABI() {
        #expect(MemoryLayout<tenon_irq_work_t>.size == MemoryLayout<IRQWork>.size)
        #expect(MemoryLayout<tenon_irq_work_t>.stride == MemoryLayout<IRQWork>.stride)
        #expect(MemoryLayout<tenon_irq_work_t>.offset(of: \.func) == MemoryLayout<IRQWork>.offset(of: \.function))
        #expect(MemoryLayout<tenon_irq_work_t>.offset(of: \.arg) == MemoryLayout<IRQWork>.offset(of: \.argument))
        #expect(MemoryLayout<tenon_irq_work_t>.offset(of: \.host_private) == IRQWork.pendingOffset)
        #expect(MemoryLayout<tenon_irq_work_t>.size == 48)
    }

    @Test func unloadUnknownIsRefusedAndAllUnloads() {
        guard case .refused = host.unload(name: "nope") else { Issue.record("not refused"); return }
        expectIntact()
        #expect(host.unloadAll() == ["hostplug": .unloaded(mapsGone: true)])
        #expect(pipeline.actions().allSatisfy { $0.owner == 0 })
    }
}
