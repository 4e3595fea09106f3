/// Installing and removing the out-of-band stage.
extension IRQPipeline {
    /// `enable_oob_stage`: 0, or `-EBUSY` when an oob stage is already
    /// installed (which then keeps its name). Clears stale oob logs.
    public func enable_oob_stage(_ name: String) -> Int32 {
        control.withLock { state -> Int32 in
            if core.pointee.oobStageIndex.load(ordering: .acquiring) != 0 { return Errno.EBUSY }
            for cpu in 0..<cpuCount { core.pointee.cpus[cpu].oobLog.clear() }
            state.oobStageName = name
            core.pointee.oobStageIndex.store(1, ordering: .releasing)
            return 0
        }
    }

    /// `disable_oob_stage`: from now on every IRQ goes to the in-band log.
    /// Like Dovetail's, it does not wait for CPUs still running oob handlers;
    /// the plugin layer runs the quiescence barrier first.
    public func disable_oob_stage() {
        control.withLock { state in
            core.pointee.oobStageIndex.store(0, ordering: .releasing)
            state.oobStageName = nil
        }
    }

    /// `oob_stage_present`.
    public func oob_stage_present() -> Bool {
        core.pointee.oobStageIndex.load(ordering: .acquiring) != 0
    }

    /// The installed oob stage's name, if any.
    public var oobStageName: String? {
        control.withLock { $0.oobStageName }
    }
}
