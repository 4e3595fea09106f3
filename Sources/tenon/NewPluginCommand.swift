import ArgumentParser
import Foundation

/// `tenon new-plugin NAME [--swift]`: writes a ready-to-build handler plugin
/// and prints the one command that builds it against `include/`.
struct NewPluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-plugin",
        abstract: "Write a ready-to-build handler plugin (C, or Embedded Swift with --swift).",
        discussion: """
            Creates DIR/NAME/ (DIR defaults to the current directory) holding the \
            source and a linker version script, and prints the command that builds \
            lib<NAME>.so. The plugin counts IRQs per CPU on the IRQ given by its \
            `irq` parameter, oob by default; load it with `tenon load`. With --swift, \
            DIR/NAME/ is a SwiftPM package (Package.swift, Sources/) on TenonPluginKit, \
            depending on this Tenon checkout by path; it builds with \
            `swift build -c release`.

            Example: tenon new-plugin my-counter --swift
            """
    )

    @Argument(help: "Plugin name: 1-31 characters of a-z, 0-9, '_' or '-'.")
    var name: String

    @Flag(name: .long, help: "Write an Embedded Swift plugin instead of C.")
    var swift = false

    @Option(name: .long, help: "Directory to create the plugin folder in.")
    var directory: String = "."

    @Option(
        name: .long,
        help:
            "Tenon's include/ directory (default: found next to this tool or above the current directory); with --swift, its parent is the Tenon package the plugin depends on."
    )
    var include: String?

    func validate() throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        guard (1...31).contains(name.count), name.allSatisfy(allowed.contains) else {
            throw ValidationError("plugin name '\(name)' must be 1-31 characters of a-z, 0-9, '_' or '-'")
        }
    }

    func run() throws {
        guard let includeDir = include.map({ URL(fileURLWithPath: $0).standardizedFileURL.path }) ?? Self.findInclude() else {
            throw ValidationError("cannot find Tenon's include/tenon/tenon_plugin.h; pass --include DIR")
        }
        guard FileManager.default.fileExists(atPath: includeDir + "/tenon/tenon_plugin.h") else {
            throw ValidationError("\(includeDir)/tenon/tenon_plugin.h does not exist; pass --include DIR")
        }
        // A Swift plugin is a SwiftPM package depending on this checkout's TenonPluginKit by path.
        let tenon = URL(fileURLWithPath: includeDir).deletingLastPathComponent().standardizedFileURL
        if swift, !FileManager.default.fileExists(atPath: tenon.appendingPathComponent("Sources/TenonPluginKit").path) {
            throw ValidationError(
                "\(tenon.path) is not a Tenon checkout (no Sources/TenonPluginKit): a Swift plugin "
                    + "depends on one by path; pass --include <tenon checkout>/include")
        }
        let folder = URL(fileURLWithPath: directory).appendingPathComponent(name).standardizedFileURL
        if FileManager.default.fileExists(atPath: folder.path) {
            throw ValidationError("\(folder.path) already exists; choose another name or --directory")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let map = folder.appendingPathComponent("tenon_plugin.map")
        try PluginTemplates.versionScript.write(to: map, atomically: true, encoding: .utf8)
        let identifier = name.replacingOccurrences(of: "-", with: "_")
        var library = folder.appendingPathComponent("lib\(name).so").path
        let command: String
        if swift {
            // Swift module names cannot start with a digit.
            let module = identifier.first?.isNumber == true ? "plugin_" + identifier : identifier
            let sources = folder.appendingPathComponent("Sources/\(module)")
            try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
            try PluginTemplates.swiftPackage(
                name: name, identifier: module, tenonPath: tenon.path,
                tenonIdentity: tenon.lastPathComponent.lowercased()
            )
            .write(to: folder.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
            try PluginTemplates.swift(name: name, identifier: module)
                .write(to: sources.appendingPathComponent("\(module).swift"), atomically: true, encoding: .utf8)
            command = "swift build -c release --package-path \(folder.path)"
            library = folder.appendingPathComponent(".build/release/lib\(name).so").path
        } else {
            let source = folder.appendingPathComponent("\(identifier).c")
            try PluginTemplates.c(name: name).write(to: source, atomically: true, encoding: .utf8)
            command =
                "cc -std=c11 -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -I\(includeDir) "
                + "-Wl,--version-script=\(map.path) \(source.path) -o \(library)"
        }
        print("wrote \(folder.path)/")
        print("build it with:")
        print("  " + command)
        print("then: tenon load \(library) irq=5")
    }

    /// include/ next to the executable's package (…/.build/<config>/tenon) or above the current directory.
    static func findInclude() -> String? {
        var starts: [URL] = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("include")
                if FileManager.default.fileExists(atPath: candidate.path + "/tenon/tenon_plugin.h") { return candidate.path }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }
}
