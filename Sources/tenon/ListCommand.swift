import ArgumentParser
import Foundation
import TenonControl

/// `tenon list` (like lsmod).
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List loaded plugins (like lsmod).")

    @OptionGroup var options: ClientOptions

    func run() throws {
        guard let payload = try options.send(.list) else { return }
        let rows = try payload.decode([PluginRow].self)
        let formatter = ISO8601DateFormatter()
        var table = [["NAME", "VERSION", "STATE", "IRQS", "LOADED", "HANDLER CALLS"]]
        for r in rows {
            table.append([r.name, r.version, r.state, r.irqs.map(String.init).joined(separator: ","),
                          formatter.string(from: r.loadedAt), String(r.handlerCalls)])
        }
        printTable(table)
        if rows.isEmpty { print("(no plugin loaded)") }
        for r in rows {
            if let oops = r.lastOops { print("\(r.name): last \(oops)") }
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
