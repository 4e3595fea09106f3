import TenonPipeline

// The pipeline entries a machine's signal handlers call: C trampolines in
// CTenon (machine.c) find the CPU in TLS and call these with it (see
// `ctenon_install_doorbell` / `ctenon_install_sources`). Async-signal-safe:
// no allocation, no lock, no runtime call (checked: `@_noLocks` down to the
// pipeline's `InterruptPath`).

/// The doorbell signal's entry.
@_cdecl("tenon_doorbell_entry") @_noLocks
func tenonDoorbellEntry(_ cpu: UnsafeMutableRawPointer?) {
    guard let cpu else { return }
    InterruptPath.doorbellEntry(cpu)
}

/// The drain backstop's expiry: takes what waits and returns the timer's next
/// pace (`BackstopPace`, 0: stop; the C handler re-arms or disarms it).
@_cdecl("tenon_backstop_entry") @_noLocks
func tenonBackstopEntry(_ cpu: UnsafeMutableRawPointer?) -> Int32 {
    guard let cpu else { return 0 }
    return InterruptPath.backstopEntry(cpu)
}

/// A timer or fd signal's entry: `irq` was raised on the CPU itself.
/// Returns 1 if it merged into a still-pending `irq`, else 0.
@_cdecl("tenon_raise_local_entry") @_noLocks
func tenonRaiseLocalEntry(_ cpu: UnsafeMutableRawPointer?, _ irq: UInt32) -> Int32 {
    guard let cpu else { return 0 }
    return InterruptPath.raiseLocalEntry(cpu, irq) ? 1 : 0
}
