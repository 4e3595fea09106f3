import ArgumentParser
import Foundation
import TenonControl

/// `tenon list` (like lsmod).
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List loaded plugins (like lsmod).",
        discussion: """
            HASH is a 64-bit fingerprint of the loaded bytes (tells two builds at one path apart); PATH \
            is the file they were copied from. -v NAME shows one plugin in full, with its current \
            parameter values.

            STATE is loading (its init() still runs; the name is reserved), live, unloading (CPUs, \
            then running commands, then exit() waited for; commands are served until exit()), unpublished (a busy unload \
            left it receiving nothing: `tenon unload` again or `tenon cancel`), faulted or \
            quarantined. A plugin whose code runs for the control plane (init(), exit(), a command) \
            gets a line saying what and for how long.

            Examples: tenon list; tenon list -v counter
            """)

    @Flag(name: [.customShort("v"), .long], help: "Show one plugin in full: path, hash, parameter values, commands.")
    var verbose = false

    @Argument(help: "With -v: the plugin to show.")
    var name: String?

    @OptionGroup var options: ClientOptions

    func validate() throws {
        if name != nil && !verbose { throw ValidationError("a plugin name is given only with -v (tenon list -v NAME)") }
    }

    func run() throws {
        guard let payload = try options.send(.list) else { return }
        let rows = try payload.decode([PluginRow].self)
        let formatter = ISO8601DateFormatter()
        if verbose {
            let shown = name.map { n in rows.filter { $0.name == n } } ?? rows
            if let name, shown.isEmpty {
                fail("no plugin named \"\(name)\" is loaded (loaded: \(rows.isEmpty ? "none" : rows.map(\.name).joined(separator: ", ")))")
            }
            for (i, r) in shown.enumerated() {
                if i > 0 { print("") }
                var lines = [
                    ("name", r.name), ("version", r.version), ("state", r.state),
                    ("path", r.path ?? "?"), ("hash", r.contentHash.map { "\($0) (64-bit fingerprint)" } ?? "?"),
                    ("loaded", formatter.string(from: r.loadedAt)),
                    ("irqs", r.irqs.map(String.init).joined(separator: ",")),
                    ("handler calls", String(r.handlerCalls)),
                ]
                if let activity = r.activity { lines.append(("running", activity)) }
                lines += (r.parameters ?? []).map { ("parm", $0) }
                lines += (r.commands ?? []).map { ("command", $0) }
                if let reasons = r.retireReasons, !reasons.isEmpty { lines.append(("retired at unload", reasons.joined(separator: "; "))) }
                let width = lines.map(\.0.count).max() ?? 0
                for (k, v) in lines { print(k + ":" + String(repeating: " ", count: width - k.count + 1) + v) }
            }
            return
        }
        var table = [["NAME", "VERSION", "STATE", "IRQS", "LOADED", "HANDLER CALLS", "HASH", "PATH"]]
        for r in rows {
            table.append([
                r.name, r.version, r.state, r.irqs.map(String.init).joined(separator: ","),
                formatter.string(from: r.loadedAt), String(r.handlerCalls),
                r.contentHash ?? "-", r.path ?? "-",
            ])
        }
        printTable(table)
        if rows.isEmpty { print("(no plugin loaded)") }
        for r in rows {
            if let oops = r.lastOops { print("\(r.name): last \(oops)") }
            if let activity = r.activity { print("\(r.name): running \(activity)") }
        }
    }
}

/// Prints rows as left-aligned columns.
func printTable(_ rows: [[String]]) {
    formatTable(rows).forEach { print($0) }
}

/// Rows as left-aligned columns, one string per row.
func formatTable(_ rows: [[String]]) -> [String] {
    guard let width = rows.map(\.count).max() else { return [] }
    var widths = [Int](repeating: 0, count: width)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }.joined(separator: "  ")
    }
}
