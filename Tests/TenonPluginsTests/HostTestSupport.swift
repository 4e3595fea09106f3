import Foundation
import Logging
import Synchronization
import Testing
import TenonPipeline
@testable import TenonPlugins

/// Plugin-host fixtures: built with `cc` next to the loader fixtures (some
/// sources twice, with different -D), once per test process.
enum HostFixtures {
    static let built: Result<URL, Fixtures.FixtureError> = build()

    /// (output name, source, extra flags)
    static let variants: [(String, String, [String])] = [
        ("hostplug", "hostplug", []),
        ("hostplug-b", "hostplug", ["-DPLUGIN_NAME=\"hostplug-b\""]),
        ("hoststuck", "hoststuck", []),
        ("hostswap1", "hostswap", ["-DVERSION=1"]),
        ("hostswap2", "hostswap", ["-DVERSION=2"]),
        ("greedy", "greedy", []),
        ("rogue", "rogue", ["-pthread"]),
        ("ctor-noentry", "ctormarker", []),
        ("ctor-entry", "ctormarker", ["-DWITH_ENTRY"]),
        ("hostwitness", "hostwitness", []),
        ("extension", "extension", []),
    ]

    private static func build() -> Result<URL, Fixtures.FixtureError> {
        do {
            let dir = try Fixtures.built.get()
            for (name, source, flags) in variants {
                try Fixtures.run(
                    "cc",
                    [
                        "-shared", "-fPIC", "-fvisibility=hidden", "-O2", "-Wall", "-Werror",
                        "-I", Fixtures.packageRoot.appendingPathComponent("include").path,
                    ]
                        + flags
                        + [
                            Fixtures.sourceDir.appendingPathComponent("\(source).c").path,
                            "-o", dir.appendingPathComponent("lib\(name).so").path,
                        ])
            }
            return .success(dir)
        } catch let e as Fixtures.FixtureError {
            return .failure(e)
        } catch {
            return .failure(Fixtures.FixtureError(description: "\(error)"))
        }
    }

    /// A fresh copy (unique path and inode) of a host fixture.
    static func freshCopy(_ name: String) throws -> String {
        _ = try built.get()
        return try Fixtures.freshCopy(name)
    }
}

/// A quiet logger for tests (warnings and errors only).
func testLogger(_ level: Logger.Level = .warning) -> Logger {
    var logger = Logger(label: "tenon.test")
    logger.logLevel = level
    return logger
}

/// A uint64 in host memory a plugin bumps atomically (`counter=0x…`).
final class HostCounter: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Atomic<UInt64>>
    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: Atomic(0))
    }
    deinit { pointer.deinitialize(count: 1); pointer.deallocate() }
    var value: UInt64 { pointer.pointee.load(ordering: .acquiring) }
    var parameter: String { "counter=0x" + String(UInt(bitPattern: pointer), radix: 16) }
}

/// Host memory as a `0x…` parameter value.
func address(_ p: UnsafeMutableRawPointer) -> String { "0x" + String(UInt(bitPattern: p), radix: 16) }

/// CPU threads: each binds itself to one CPU of the pipeline and raises `irq`
/// on its own CPU in a loop, so handlers run synchronously on that thread
/// inside the barrier's read side: real concurrency without signals.
final class Storm: @unchecked Sendable {
    let pipeline: IRQPipeline
    let cpus: [Int]
    let irq: UInt32
    let stop = Atomic<Bool>(false)
    let progress: UnsafeMutablePointer<Atomic<UInt64>>
    let finished = Atomic<Int>(0)
    /// Called on the CPU thread before each raise (e.g. to push a sequence number).
    let beforeRaise: (@Sendable (Int, UInt64) -> Void)?

    init(pipeline: IRQPipeline, cpus: [Int], irq: UInt32, beforeRaise: (@Sendable (Int, UInt64) -> Void)? = nil) {
        self.pipeline = pipeline
        self.cpus = cpus
        self.irq = irq
        self.beforeRaise = beforeRaise
        progress = .allocate(capacity: pipeline.cpuCount)
        for i in 0..<pipeline.cpuCount { (progress + i).initialize(to: Atomic(0)) }
    }

    deinit {
        progress.deinitialize(count: pipeline.cpuCount)
        progress.deallocate()
    }

    func start() {
        for cpu in cpus {
            let t = Thread { [self] in
                pipeline.bindCurrentThread(to: cpu)
                var i: UInt64 = 0
                while !stop.load(ordering: .relaxed) {
                    beforeRaise?(cpu, i)
                    pipeline.raise(irq, on: cpu)
                    i += 1
                    progress[cpu].store(i, ordering: .releasing)
                }
                finished.wrappingAdd(1, ordering: .releasing)
            }
            t.start()
        }
    }

    func snapshot() -> [UInt64] { cpus.map { progress[$0].load(ordering: .acquiring) } }

    /// Waits until every CPU thread completed `n` more raises than in `snapshot`.
    func waitForProgress(beyond snapshot: [UInt64], by n: UInt64 = 2) {
        for (i, cpu) in cpus.enumerated() {
            while progress[cpu].load(ordering: .acquiring) < snapshot[i] + n { sched_yield() }
        }
    }

    func finish() {
        stop.store(true, ordering: .releasing)
        while finished.load(ordering: .acquiring) < cpus.count { sched_yield() }
    }
}

/// p-th percentile of nanosecond samples, in microseconds.
func percentile(_ samples: [UInt64], _ p: Double) -> Double {
    guard !samples.isEmpty else { return 0 }
    let sorted = samples.sorted()
    let i = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
    return Double(sorted[i]) / 1000
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Mappings of the host's private copies of the file at `path` (the host
/// maps `/memfd:tenon:<file name>`, not the path; fixture copies have unique
/// file names, so the name identifies the copy).
func privateCopyMappings(of path: String) throws -> [MemoryMapping] {
    let name = "/memfd:tenon:" + URL(fileURLWithPath: path).lastPathComponent
    return try ProcessMaps.current().filter { $0.path == name || $0.path == name + " (deleted)" }
}
