/// What a CPU's drain backstop does after an expiry
/// (``InterruptPath/backstopEntry(_:)``): the values are the C handler's
/// (`ctenon_set_backstop_entry` in CTenon.h). Plain `Int32`s, not an enum's
/// raw values: the entry is `@_noLocks`, and a debug build does not inline
/// an enum's `rawValue`.
enum BackstopPace {
    /// Disarm: nothing has been stopped on the budget for a while.
    static var stop: Int32 { @_noLocks get { 0 } }
    /// Keep the current period.
    static var unchanged: Int32 { @_noLocks get { 1 } }
    /// Tick at the machine's period (``MachineHooks/later``'s): IRQs were
    /// left behind and no doorbell came for them.
    static var fast: Int32 { @_noLocks get { 2 } }
    /// Tick at 16 times that period: doorbells keep coming, so what a stop
    /// leaves is taken by the next one and the backstop covers only a
    /// flood's tail.
    static var slow: Int32 { @_noLocks get { 3 } }
}
