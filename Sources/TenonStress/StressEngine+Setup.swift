import CTenonStress
import Foundation
import Logging
import Synchronization
import TenonHost
import TenonMachine
import TenonPipeline
import TenonPlugins
import TenonTestDevice

/// Setup: the private copies of the plugin images each group cycles through.
extension StressEngine {
    /// The directory holding the bundled plugins.
    static func bundledDirectory(_ explicit: String?) -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["TENON_PLUGIN_DIR"] { return env }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
        return (exe as NSString).deletingLastPathComponent
    }

    func copy(_ source: String, as name: String) throws -> String {
        let dest = tempDir + "/" + name
        try? FileManager.default.removeItem(atPath: dest)
        try FileManager.default.copyItem(atPath: source, toPath: dest)
        return dest
    }

    struct SetupError: Error, CustomStringConvertible { var description: String }

    func prepare() throws {
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("tenon-stress-XXXXXX")).utf8CString)
        guard let dir = mkdtemp(&template) else { throw SetupError(description: "mkdtemp failed") }
        tempDir = String(cString: dir)
        let bundled = Self.bundledDirectory(options.pluginDirectory)
        func lib(_ n: String) -> String { bundled + "/libtenon-\(n).so" }
        func need(_ n: String) throws -> String {
            let p = lib(n)
            guard FileManager.default.fileExists(atPath: p) else {
                throw SetupError(description: "bundled plugin \(p) not found (build the package, or set TENON_PLUGIN_DIR)")
            }
            return p
        }
        var specs: [(String, [String], [String], Bool)] = []
        let torture = try need("torture")
        specs.append(("torture", [torture], [], true))
        if options.plugins.isEmpty {
            specs.append(("counter", [try need("counter")], ["irq=5"], false))
            specs.append(("swap", [try need("swapv1"), try need("swapv2")], ["irq=8"], false))
            specs.append(("chain", [try need("chain")], ["irq=6", "work=true"], false))
            if FileManager.default.fileExists(atPath: lib("embeddedcounter")) {
                specs.append(("embedded-counter", [lib("embeddedcounter")], ["irq=10"], false))
            }
        } else {
            for spec in options.plugins {
                var path = spec
                var params: [String] = []
                if let colon = spec.lastIndex(of: ":"), !FileManager.default.fileExists(atPath: spec) {
                    path = String(spec[..<colon])
                    params = spec[spec.index(after: colon)...].split(separator: ",").map(String.init)
                }
                guard FileManager.default.fileExists(atPath: path) else { throw SetupError(description: "no such plugin file: \(path)") }
                specs.append(((path as NSString).lastPathComponent, [path], params, false))
            }
        }
        for (i, (label, sources, params, isTorture)) in specs.enumerated() {
            var images: [String] = []
            let copies = sources.count == 1 ? 2 : 1
            for (j, src) in sources.enumerated() {
                for k in 0..<copies {
                    images.append(try copy(src, as: "g\(i)-\(j)-\(k)-" + (src as NSString).lastPathComponent))
                }
            }
            groups.append(PluginGroup(label: label, images: images, parameters: params, isTorture: isTorture))
        }
        bareImage = try copy(try need("counter"), as: "bare-libtenon-counter.so")
        stuckImage = FileManager.default.fileExists(atPath: lib("stuck")) ? try copy(lib("stuck"), as: "stuck.so") : nil
        report.plugins = specs.map { $0.0 }
    }

    func cleanup() {
        if !tempDir.isEmpty { try? FileManager.default.removeItem(atPath: tempDir) }
    }
}
