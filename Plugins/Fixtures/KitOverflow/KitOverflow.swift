// kit-overflow: a TenonPluginKit fixture declaring 33 commands, one more
// than the kit's table holds (TENON_KIT_MAX_COMMANDS). The load must be
// refused (E2BIG) with a message naming the command that did not fit.

import TenonPluginKit

@_cdecl("tenon_plugin_entry")
public func entry() -> UnsafeRawPointer? { export(KitOverflow.self) }

struct KitOverflow: Plugin {
    static let name: StaticString = "kit-overflow"
    static let version: StaticString = "1.0.0"
    static let summary: StaticString = "declares TENON_KIT_MAX_COMMANDS + 1 commands"

    /// 33 distinct names (the host refuses duplicates before init); inline, no heap.
    static let names: InlineArray<33, StaticString> = [
        "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12", "c13", "c14",
        "c15", "c16", "c17", "c18", "c19", "c20", "c21", "c22", "c23", "c24", "c25", "c26", "c27",
        "c28", "c29", "c30", "c31", "c32",
    ]

    static func declare(_ plugin: inout Declaration) {
        plugin.parameter(Parameter<UInt32>("irq", default: 9, help: "unused"))
        for i in names.indices { plugin.command(names[i], help: "one of 33") { () -> UInt64 in 1 } }
    }

    init(host: Host, parameters: Parameters) throws(Errno) {}
}
