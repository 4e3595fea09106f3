extension IRQPipeline {
    /// Rings the doorbell of every CPU whose controller holds IRQs.
    ///
    /// A controller rings only when it goes from idle to pending, so a
    /// doorbell signal that got lost (a plugin set it to `SIG_IGN` for a
    /// moment, or caught it with its own handler) leaves that CPU deaf for
    /// good.
    public func ringPendingDoorbells() {
        interruptPath.ringPending()
    }

    /// ``ringPendingDoorbells()`` on every pipeline of the process that has a
    /// machine attached. The machines share their signals, so a doorbell
    /// lost to one plugin's tampering may have been any machine's; the signal
    /// guard calls this after putting the host's handler back.
    public static func ringPendingDoorbellsEverywhere() {
        AttachedPipelines.ringPending()
    }
}
