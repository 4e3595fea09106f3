import Foundation
import Logging
import TenonHost

// Usage: EmbeddedHost [DIR]  (DIR holds the built example plugins; default ../../.build/release)
let dir = CommandLine.arguments.dropFirst().first ?? "../../.build/release"
var log = Logger(label: "embedded-host")
log.logLevel = .warning

// A machine of 2 CPUs with the oob stage installed and no control socket.
let host = try HostRuntime(configuration: .init(cpus: 2, timerHz: 0, stageName: "embedded"), logger: log)
defer { host.shutdown() }

// Load a counter on IRQ 5 and a hot-swappable handler on IRQ 8.
try host.plugins.load(path: "\(dir)/libtenon-counter.so", parameters: ["irq=5"])
try host.plugins.load(path: "\(dir)/libtenon-swapv1.so", parameters: ["irq=8"])

// Raises are asynchronous, and a raise of an IRQ still pending on its CPU merges into it.
for i in 0..<1000 { host.machine.raise(5, on: i % 2); usleep(100) }
usleep(10_000)
print("raised IRQ 5 1000 times, counter handled: \(try host.plugins.call(plugin: "counter", command: "total"))")

// Swap v1 -> v2 while the line stays live; every IRQ goes to exactly one version.
for i in 0..<100 { host.machine.raise(8, on: i % 2); usleep(100) }
let old = try host.plugins.swap(name: "swap", path: "\(dir)/libtenon-swapv2.so", parameters: ["irq=8"])
print("swap: now version \(host.plugins.plugin(named: "swap")?.version ?? "?"), old one \(old)")

for row in host.irqRows() where row.total > 0 {
    print("IRQ \(row.irq): \(row.perCPU) via \(row.handlers.joined(separator: ", "))")
}
for plugin in ["counter", "swap"] {
    print("\(plugin): \(host.plugins.unload(name: plugin))")
}
