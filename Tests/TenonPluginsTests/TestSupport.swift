import Foundation
import Testing
@testable import TenonPlugins

/// Fixture plugins compiled with `cc` into a private temp directory, once per
/// test process. Tests never link plugin code: they dlopen these files.
enum Fixtures {
    /// Package root, found from this file's location (Tests/TenonPluginsTests/).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sourceDir = packageRoot.appendingPathComponent("Tests/TenonPluginsTests/Fixtures")

    /// The directory holding built fixtures, or the reason building failed.
    static let built: Result<URL, FixtureError> = build()

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    static let names = ["good", "noentry", "nullentry", "major", "minor", "small", "badname", "dupparam", "badsig", "abi1"]

    private static func build() -> Result<URL, FixtureError> {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("tenon-plugins-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for name in names {
                try run(
                    "cc",
                    [
                        "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Werror",
                        "-Wno-missing-field-initializers",
                        "-I", packageRoot.appendingPathComponent("include").path,
                        sourceDir.appendingPathComponent("\(name).c").path,
                        "-o", dir.appendingPathComponent("lib\(name).so").path,
                    ])
            }
            return .success(dir)
        } catch let e as FixtureError {
            return .failure(e)
        } catch {
            return .failure(FixtureError(description: "\(error)"))
        }
    }

    /// Path of a built fixture `lib<name>.so`.
    static func path(_ name: String) throws -> String {
        try built.get().appendingPathComponent("lib\(name).so").path
    }

    /// A fresh copy of a fixture under a unique name: its own inode, so glibc
    /// loads it as a distinct object (own static state, own mappings) even
    /// when tests run in parallel.
    static func freshCopy(_ name: String) throws -> String {
        let dir = try built.get()
        let copy = dir.appendingPathComponent("lib\(name)-\(UUID().uuidString.prefix(8)).so").path
        try FileManager.default.copyItem(atPath: try path(name), toPath: copy)
        return copy
    }

    /// A scratch file in the fixture directory with the given bytes.
    static func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = try built.get().appendingPathComponent("\(UUID().uuidString.prefix(8))-\(name)")
        try Data(bytes).write(to: url)
        return url.path
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }

    /// Runs a tool found on PATH (or an absolute path); throws with its output on failure.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        if tool.hasPrefix("/") {
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [tool] + arguments
        }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw FixtureError(description: "\(tool) \(arguments.joined(separator: " ")) failed:\n\(output)")
        }
        return output
    }

    /// `swiftc` of the toolchain running these tests (found next to the
    /// libswiftCore.so this process uses), else the first on PATH; nil if none.
    static let swiftc: String? = {
        // Our own /proc/self/maps reader finds the libswiftCore.so we run on.
        if let lib = (try? ProcessMaps.current())?.compactMap(\.path)
            .first(where: { $0.hasSuffix("/libswiftCore.so") })
        {
            // <toolchain>/usr/lib/swift/linux/libswiftCore.so -> <toolchain>/usr/bin/swiftc
            let candidate = URL(fileURLWithPath: lib).resolvingSymlinksInPath()
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("bin/swiftc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
}

/// Runs `body`, expecting a `PluginError`, and returns it (nil, with a
/// recorded issue, if nothing or something else was thrown).
func pluginError<R>(_ body: () throws -> R, sourceLocation: SourceLocation = #_sourceLocation) -> PluginError? {
    do {
        let value = try body()
        Issue.record("expected a PluginError, got \(value)", sourceLocation: sourceLocation)
    } catch let e as PluginError {
        return e
    } catch {
        Issue.record("expected a PluginError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Loads a fixture through the whole pre-init path: ELF check, dlopen, descriptor.
func loadDescriptor(_ path: String) throws -> (DynamicImage, PluginDescriptor) {
    let image = try DynamicImage.open(ELFImage(validating: path))
    do {
        return (image, try PluginDescriptor.load(from: image))
    } catch {
        try image.close()
        throw error
    }
}
