import Foundation
import TenonControl
import TenonPlugins

/// What a demo run saw: the figures `tenon demo` prints and its verdict.
package struct DemoReport: Sendable {
    /// Seconds of load.
    package var durationSeconds: Int
    /// `/proc/interrupts` after the load.
    package var irqRows: [IRQRow]
    /// Raise-to-oob-handler latencies, nanoseconds, ascending.
    package var latencies: [UInt64]
    /// The same per CPU (index = CPU), each ascending.
    package var latenciesPerCPU: [[UInt64]]
    /// Hot swaps done, and how many left the old version waiting for a busy CPU.
    package var swaps: Int
    package var busySwaps: Int
    /// Sequence numbers sent to the swapped plugin, and who handled them.
    package var sent: UInt64
    package var handledByV1: Int
    package var handledByV2: Int
    /// Sequence numbers never handled, or handled more than once.
    package var lost: Int
    package var doubled: Int
    /// Each plugin's unload at shutdown, by name.
    package var unloads: [(name: String, result: UnloadResult)]

    /// Every unloaded image left the address space (retired ones are kept by design).
    package var imagesGone: Bool {
        unloads.allSatisfy {
            switch $0.result {
            case .unloaded(let gone): gone
            case .retired: true
            default: false
            }
        }
    }

    /// No IRQ lost or doubled, every image gone.
    package var passed: Bool { lost == 0 && doubled == 0 && imagesGone }

    /// The latency at quantile `p` (0...1) in µs, "-" without samples.
    package func latencyMicros(_ p: Double) -> String {
        Self.micros(latencies, p).map { String(format: "%.1f", $0) } ?? "-"
    }

    /// Quantile `p` (0...1) of ascending nanosecond `samples`, in µs; nil when empty.
    package static func micros(_ samples: [UInt64], _ p: Double) -> Double? {
        guard !samples.isEmpty else { return nil }
        let i = min(samples.count - 1, Int(Double(samples.count) * p))
        return Double(samples[i]) / 1000
    }
}
