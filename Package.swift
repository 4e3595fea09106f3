// swift-tools-version:6.1
import PackageDescription

// Handler plugins built as C shared objects. Hidden visibility: only the entry
// symbol `tenon_plugin_entry` (marked TENON_EXPORT) is exported.
let cPlugins: [String] = []
let pluginCFlags: [CSetting] = [.unsafeFlags(["-fvisibility=hidden"])]

let package = Package(
    name: "Tenon",
    products: [
        .executable(name: "tenon", targets: ["tenon"]),
        .library(name: "TenonPipeline", targets: ["TenonPipeline"]),
    ] + cPlugins.map { .library(name: "tenon-\($0.lowercased())", type: .dynamic, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
        // The deterministic two-stage pipeline model (no threads, no signals).
        .target(name: "TenonPipeline", dependencies: ["CTenon"]),
        // Plugin loader building blocks: ELF checks, dlopen, descriptor, params, libffi.
        .target(name: "TenonPlugins", dependencies: [
            "TenonABI", "CFFI", "CTenon", "TenonPipeline",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "tenon", dependencies: [
            "TenonPipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Tests
        .testTarget(name: "TenonPipelineTests", dependencies: ["TenonPipeline"]),
        // Fixture plugins are compiled with cc at test time, never linked in.
        .testTarget(name: "TenonPluginsTests", dependencies: ["TenonPlugins", "TenonPipeline", "TenonABI"],
                    exclude: ["Fixtures"]),
    ] + cPlugins.map {
        .target(name: $0, dependencies: ["TenonABI"], path: "Plugins/\($0)",
                publicHeadersPath: ".", cSettings: pluginCFlags)
    },
    swiftLanguageModes: [.v6]
)
