// swift-tools-version:6.1
import PackageDescription

// Benchmarks of Tenon with ordo-one/benchmark, apart from the product: the
// main package gains no dependency, and a clone that never runs them never
// builds them. Run from this directory:
//   swift package benchmark                   # every metric, printed
//   swift package benchmark thresholds check  # the committed deterministic thresholds
// Only deterministic metrics have committed thresholds (Thresholds/): heap
// allocations on the interrupt path and on a typed command call must stay 0.
// Timings are printed, never checked (this machine kind is shared and noisy);
// `tenon bench` prints the same paths beside their bare C baselines as ratios.
let package = Package(
    name: "TenonBenchmarks",
    dependencies: [
        .package(name: "Tenon", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "InterruptPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TenonPipeline", package: "Tenon"),
            ],
            path: "Benchmarks/InterruptPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
