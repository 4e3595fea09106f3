import CTenon

extension Machine {
    /// How the raises that found CPU `cpu`'s controller empty reached it:
    /// `signals` sent the doorbell signal (the CPU was running something),
    /// `wakes` bumped and woke its idle loop's futex word instead (it was
    /// idle; see ``Machine`` on idle CPUs). Raises that found IRQs already
    /// pending ring neither.
    public func doorbellRings(cpu: Int) -> (signals: UInt64, wakes: UInt64) {
        precondition(cpu >= 0 && cpu < cpuCount, "no CPU \(cpu) on this machine")
        var signals: UInt64 = 0
        var wakes: UInt64 = 0
        ctenon_bell_counts(bell, Int32(cpu), &signals, &wakes)
        return (signals, wakes)
    }
}
