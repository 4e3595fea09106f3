import Foundation

/// The example plugins built with Tenon (`libtenon-<name>.so`), found next to
/// the running executable: SwiftPM puts them in the same build folder.
package enum BundledPlugins {
    /// The folder of the running executable.
    package static var directory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    /// Path of bundled plugin `name` (e.g. "counter" -> .../libtenon-counter.so), if built.
    package static func path(_ name: String) -> String? {
        let path = directory + "/libtenon-\(name).so"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Like ``path(_:)`` but with an error saying how to build the plugins.
    package static func require(_ name: String) throws -> String {
        guard let path = path(name) else {
            throw BundledPluginMissing(name: name, directory: directory)
        }
        return path
    }
}

/// A bundled plugin was not built next to the executable.
package struct BundledPluginMissing: Error, CustomStringConvertible {
    package var name: String
    package var directory: String
    package var description: String {
        "bundled plugin libtenon-\(name).so is not in \(directory): build everything first "
            + "(`swift build -c release`, or `swift build` for debug), then run the tenon binary of that build"
    }
}
