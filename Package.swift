// swift-tools-version:6.1
import PackageDescription

// Handler plugins built as C shared objects. Hidden visibility: only the entry
// symbol `tenon_plugin_entry` (marked TENON_EXPORT) is exported.
// Target N lives in Plugins/N, or in Plugins/Fixtures/X when N is FixtureX
// (loader error-path fixtures); product tenon-<n> -> libtenon-<n>.so.
let cPlugins: [String] = [
    "Counter", "Chain", "Stuck", "SwapV1", "SwapV2", "Torture",
    "FixtureAbiMajor", "FixtureNewerMinor", "FixtureInitFails",
    "FixtureNoEntry", "FixtureBadIrq", "FixtureNullEntry", "FixtureFaulty", "FixtureFaultyEntry", "FixtureSlow",
]
let pluginCFlags: [CSetting] = [.unsafeFlags(["-fvisibility=hidden"])]
func pluginPath(_ name: String) -> String {
    name.hasPrefix("Fixture") ? "Plugins/Fixtures/\(name.dropFirst("Fixture".count))" : "Plugins/\(name)"
}
// Linker version script: the entry point is the only dynamic symbol (this also
// hides the linker's __bss_start/_edata/_end and the runtime stubs Embedded
// Swift emits). FixtureNoEntry exports its near-miss name instead.
func pluginLinkerFlags(_ name: String) -> [LinkerSetting] {
    let map = name == "FixtureNoEntry" ? "Fixtures/no_entry.map" : "tenon_plugin.map"
    // -nostartfiles: no swiftrt.o, which would register this (C) image with the
    // host's Swift runtime. The swift driver still records libswiftCore.so as
    // needed; see `staticRuntime` for why that loads nothing in a release host.
    return [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Plugins/\(map)", "-nostartfiles"])]
}

// The `Torture` trait (`scripts/torture-build`, or `swift build --traits Torture`)
// compiles barrier sabotage, `--jitter` and the read-side window counters into the
// targets that carry them; the default (shipped) build has none of them
// (docs/architecture.md, "Torture build").
let tortureSettings: [SwiftSetting] = [.define("TENON_TORTURE", .when(traits: ["Torture"]))]

// Swift plugins and TenonPluginKit: Embedded Swift needs whole-module builds.
let embeddedSwift: [SwiftSetting] = [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])]

// Release links the Swift runtime and Foundation statically into `tenon` (as
// `--static-swift-stdlib` does): the dynamic loader then maps and relocates 4
// libraries instead of 21, most of a client command's start-up (README,
// Performance). The archives Foundation needs are named in one group, as the
// swift driver itself does, because SwiftPM's link sees only our own modules.
//
// The executable is also named `libswiftCore.so` (DT_SONAME, which needs lld: gold
// sets none on an executable): a plugin linked by SwiftPM lists that library as
// needed even when it is plain C, and the dynamic loader takes an object already
// loaded under the needed name, so such a plugin binds to the host's own runtime
// instead of loading a second Swift runtime (its constructors, its signal
// handlers) into the host with every dlopen.
let staticRuntime: [String] = ["-static-stdlib", "-use-ld=lld", "-Xlinker", "-soname=libswiftCore.so", "-Xlinker", "--start-group"]
    + ["Foundation", "FoundationEssentials", "FoundationInternationalization", "CoreFoundation", "_FoundationICU", "_FoundationCShims", "_FoundationCollections", "swiftSynchronization", "swiftDispatch", "dispatch", "BlocksRuntime"].flatMap { ["-Xlinker", "-l\($0)"] }
    + ["-Xlinker", "--end-group"]

let package = Package(
    name: "Tenon",
    products: [
        .executable(name: "tenon", targets: ["tenon"]),
        .library(name: "TenonPipeline", targets: ["TenonPipeline"]),
        .library(name: "TenonMachine", targets: ["TenonMachine"]),
        .library(name: "TenonControl", targets: ["TenonControl"]),
        // For programs that embed a host (see Examples/EmbeddedHost).
        .library(name: "TenonHost", targets: ["TenonHost"]),
        .library(name: "TenonPlugins", targets: ["TenonPlugins"]),
        .library(name: "tenon-embeddedcounter", type: .dynamic, targets: ["EmbeddedCounter"]),
        // TenonPluginKit: Swift plugins (Embedded Swift) on the C ABI.
        .library(name: "TenonPluginKit", targets: ["TenonPluginKit"]),
        .library(name: "tenon-swiftchain", type: .dynamic, targets: ["SwiftChain"]),
        .library(name: "tenon-fixturekitoverflow", type: .dynamic, targets: ["FixtureKitOverflow"]),
    ] + cPlugins.map { .library(name: "tenon-\($0.lowercased())", type: .dynamic, targets: [$0]) },
    traits: [
        .trait(name: "Torture",
               description: "Barrier sabotage and --jitter for tenon stress (never in a shipped build)"),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // MARK: - C
        // The plugin ABI: header-only, over the top-level include/ folder.
        .target(name: "TenonABI", path: "include", publicHeadersPath: "."),
        // Linux glue Swift cannot express: TLS, signal trampoline, membarrier, timers.
        .target(name: "CTenon", cSettings: [.define("_GNU_SOURCE")]),
        // libffi from the system (Debian: libffi-dev).
        .systemLibrary(name: "CFFI", path: "Sources/CFFI", pkgConfig: "libffi",
                       providers: [.apt(["libffi-dev"])]),

        // MARK: - Swift modules
        // The two-stage pipeline model and the quiescence barrier: signal-safe, but it
        // installs no signal and starts no thread (a machine plugs in through MachineHooks).
        // The one errno type of the Swift layers (as swift-system's Errno).
        .target(name: "CTenonSystem"),
        .target(name: "TenonSystem", dependencies: ["CTenonSystem"]),
        .target(name: "TenonPipeline", dependencies: ["CTenon", "TenonSystem"], swiftSettings: tortureSettings),
        // Real CPUs (pinned threads) and real IRQs (RT signals, POSIX timers, fds): the
        // signal-mask protocol and the C entry points of the interrupt path.
        .target(name: "TenonMachine", dependencies: ["TenonPipeline", "TenonSystem", "CTenon"]),
        // Plugin loader building blocks: ELF checks, dlopen, descriptor, params, libffi.
        .target(name: "TenonPlugins", dependencies: [
            "TenonSystem",
            "TenonABI", "CFFI", "CTenon", "TenonPipeline",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The host's control socket: protocol, server, client (task context, Foundation ok).
        .target(name: "TenonControl", dependencies: [
            "TenonSystem", .product(name: "Logging", package: "swift-log"),
        ]),
        // The host behind `tenon run`: machine + plugin host + control socket.
        .target(name: "TenonHost", dependencies: [
            "TenonMachine", "TenonPlugins", "TenonControl", "TenonPipeline", "CTenon",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // `tenon stress`: the async-signal-safe fault reporter (C) and the engine.
        .target(name: "CTenonStress", cSettings: [.define("_GNU_SOURCE")]),
        .target(name: "TenonStress", dependencies: [
            "TenonPipeline", "TenonMachine", "TenonPlugins", "TenonHost", "TenonTestDevice", "CTenonStress",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: tortureSettings),
        // `tenon demo`'s scenario (the command only parses and prints it).
        .target(name: "TenonDemo", dependencies: [
            "TenonHost", "TenonPlugins", "TenonControl", "TenonPipeline", "TenonTestDevice", "CTenon",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // `tenon latency`: timer IRQ latency beside a bare C timer (HdrHistogram percentiles).
        .target(name: "TenonLatency", dependencies: [
            "TenonMachine", "TenonPipeline", "CTenon",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(name: "tenon", dependencies: [
            "TenonHost",
            "TenonDemo",
            "TenonStress",
            "TenonLatency",
            "TenonPlugins",
            "TenonControl",
            "TenonTestDevice",
            "TenonPipeline",
            "TenonMachine",
            "CTenon",
            "CFFI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: tortureSettings,
        linkerSettings: [.unsafeFlags(staticRuntime, .when(configuration: .release))]),

        // MARK: - Plugins
        // Header-only test device (per-CPU FIFO, seen/handled_by tables) and
        // plugin helpers, shared by plugins and Swift tests.
        .target(name: "TenonTestDevice", dependencies: ["TenonABI"], path: "Plugins/TestDevice",
                publicHeadersPath: "."),
        // TenonPluginKit: a Swift plugin is one type on it (docs/plugins.md, "Writing a plugin
        // in Swift"). Embedded Swift; its C half holds the descriptor and state storage.
        .target(name: "CTenonPluginKit", dependencies: ["TenonABI"], cSettings: pluginCFlags),
        .target(name: "TenonPluginKit", dependencies: ["CTenonPluginKit", "TenonABI"],
                swiftSettings: embeddedSwift),
        .target(name: "EmbeddedCounter", dependencies: ["TenonPluginKit"], path: "Plugins/EmbeddedCounter",
                swiftSettings: embeddedSwift, linkerSettings: pluginLinkerFlags("EmbeddedCounter")),
        .target(name: "SwiftChain", dependencies: ["TenonPluginKit"], path: "Plugins/SwiftChain",
                swiftSettings: embeddedSwift, linkerSettings: pluginLinkerFlags("SwiftChain")),
        .target(name: "FixtureKitOverflow", dependencies: ["TenonPluginKit"], path: "Plugins/Fixtures/KitOverflow",
                swiftSettings: embeddedSwift, linkerSettings: pluginLinkerFlags("FixtureKitOverflow")),

        // MARK: - Tests
        .testTarget(name: "TenonPipelineTests", dependencies: ["TenonPipeline"]),
        .testTarget(name: "TenonControlTests", dependencies: ["TenonControl"]),
        // Drives the built `tenon` binary; depends on nothing so it links none of it.
        .testTarget(name: "TenonCLITests", swiftSettings: tortureSettings),
        // Real threads and real signals.
        .testTarget(name: "TenonMachineTests", dependencies: ["TenonMachine", "TenonPipeline", "CTenon"]),
        .testTarget(name: "TenonStressTests", dependencies: ["TenonStress"], swiftSettings: tortureSettings),
        // Faulting fixture plugins against a real host (machine, signals, plugin host).
        .testTarget(name: "TenonFaultTests", dependencies: ["TenonHost", "TenonPlugins", "TenonPipeline", "TenonMachine"]),
        // Fixture plugins are compiled with cc at test time, never linked in.
        .testTarget(name: "TenonPluginsTests", dependencies: ["TenonPlugins", "TenonPipeline", "TenonABI",
                                                             "TenonMachine", "CTenon"],
                    exclude: ["Fixtures"], swiftSettings: tortureSettings),
    ] + cPlugins.map {
        .target(name: $0, dependencies: ["TenonABI", "TenonTestDevice"], path: pluginPath($0),
                publicHeadersPath: ".", cSettings: pluginCFlags, linkerSettings: pluginLinkerFlags($0))
    },
    swiftLanguageModes: [.v6]
)
