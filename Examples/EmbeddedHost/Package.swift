// swift-tools-version:6.1
import PackageDescription

// A program that embeds a Tenon host: it depends on the Tenon package by path.
let package = Package(
    name: "EmbeddedHost",
    dependencies: [
        .package(name: "Tenon", path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "EmbeddedHost",
            dependencies: [
                .product(name: "TenonHost", package: "Tenon"),
                .product(name: "Logging", package: "swift-log"),
            ])
    ],
    swiftLanguageModes: [.v6]
)
