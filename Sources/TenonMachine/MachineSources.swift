/// The control-plane state of a machine's IRQ sources.
struct MachineSources {
    var stopped = false
    /// Every timer created, kept until the threads are joined (their records
    /// may still be named by a queued signal until then).
    var timers: [MachineTimer] = []
    /// Attached fds and their IRQs.
    var fds: [Int32: UInt32] = [:]
}
