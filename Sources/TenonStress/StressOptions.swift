import TenonPipeline

/// What `tenon stress` runs. Every field has the CLI's default.
package struct StressOptions: Sendable {
    /// Plugin images to torture, each `PATH` or `PATH:key=value,key=value`
    /// (parameters for every load). Empty: the bundled examples.
    package var plugins: [String] = []
    /// Simulated CPUs.
    package var cpus = 4
    /// Seconds of the main phase.
    package var duration: Double = 20
    /// Cross-CPU raises per second per CPU (0 = as fast as possible).
    package var rate = 20_000
    /// Per-CPU timer frequency (Hz), each expiry raises the torture IRQ.
    package var timerHz = 2_000
    /// Nice value of the CPU threads (nil: inherited), see `Machine.setCPUNice`.
    package var cpuNice: Int32?
    /// Seed of the operation schedule (same seed, same schedule of operations).
    package var seed: UInt64 = 1
    #if TENON_TORTURE
    /// Widen the race windows (`BarrierConfiguration.jitterSpins`), 0 = off.
    package var jitterSpins: UInt32 = 0
    package var sabotage: BarrierConfiguration.Sabotage = .none
    /// This build carries barrier sabotage and `--jitter` (the `Torture` trait).
    package static let isTortureBuild = true
    #else
    /// This build carries barrier sabotage and `--jitter` (the `Torture` trait):
    /// false in the default (shipped) build, which has neither.
    package static let isTortureBuild = false
    #endif
    /// false: the main phase uses the fenced read side (`--no-membarrier`).
    package var membarrier = true
    /// Seconds of an extra fenced-fallback phase after a membarrier main phase (0 = none).
    package var fencedPhase: Double = 2
    /// Map PROT_NONE over unloaded images (detect late execution at once).
    package var poison = true
    /// Ranges kept poisoned before the oldest is unmapped (vm.max_map_count).
    package var poisonRing = 2048
    /// Run the stuck / self-unload scenarios.
    package var scenarios = true
    /// The torture handler spins a random 0...this many ns.
    package var maxSpinNanos: UInt64 = 20_000
    /// Length of the torture plugin's long in-band sections (0 = none): one is
    /// opened on every CPU before each torture unload or swap (`.signals` storm only).
    package var longSectionNanos: UInt64 = 2_000_000
    /// Directory holding the bundled `libtenon-*.so` (nil: next to the executable,
    /// or `$TENON_PLUGIN_DIR`).
    package var pluginDirectory: String?
    /// Called about once a second with a one-line status (from the engine's thread).
    /// `.threads`: no machine and no signals; storm threads bound to CPUs
    /// 1...cpus raise on their own CPU, so handlers run synchronously on them
    /// (the control thread is CPU 0 and never dispatches). For ThreadSanitizer,
    /// which defers asynchronous signals until an intercepted call and so never
    /// runs a handler on a CPU thread sleeping in a raw futex syscall.
    package enum Storm: String, Sendable { case signals, threads }
    package var storm: Storm = .signals
    package var progress: (@Sendable (String) -> Void)?

    package init() {}
}
