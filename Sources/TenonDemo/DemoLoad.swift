import Synchronization
import TenonTestDevice

/// What the demo's load threads share.
final class DemoLoad: @unchecked Sendable {
    let stop = Atomic<Bool>(false)
    let pushed = Atomic<UInt64>(0)
    /// The test device (its memory outlives the threads).
    let device: UnsafeMutablePointer<tenon_test_device>

    init(device: UnsafeMutablePointer<tenon_test_device>) {
        self.device = device
    }
}
