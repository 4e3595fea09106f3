import CTenon
import Synchronization

/// What `callOut` returns for a handler call a fault abandoned (`CTENON_FAULTED`).
var faultedCallResult: Int32 { @_noLocks get { .min } }

// Fault recovery, pipeline side. The recovery points themselves are C
// (`_setjmp` in the signal trampolines and in `ctenon_call_out`); what they
// save and put back is this CPU's pipeline state, through the two hooks
// below. Saved words: [0] hardOff | inbandStalled << 1 | oobStalled << 2 |
// oobCurrent << 3, [1] pipelineDepth, [2] and [3] the barrier slot's parity
// words, [4] and [5] the controller take in progress.
//
// What a jump back skips is only ever C and `@_noLocks` Swift frames (the
// entry, the flow handlers, the sync loops, `callOut`) and the plugin's own:
// none holds a Swift reference or a lock, so abandoning them leaks nothing.

@_cdecl("tenon_fault_snapshot") @_noLocks
func tenonFaultSnapshot(_ cpu: UnsafeMutableRawPointer?, _ state: UnsafeMutablePointer<UInt64>?) {
    guard let cpu, let state else { return }
    let d = cpu.assumingMemoryBound(to: PerCPUPipeline.self)
    var flags: UInt64 = d.pointee.hardOff ? 1 : 0
    if d.pointee.inbandStalled { flags |= 2 }
    if d.pointee.oobStalled { flags |= 4 }
    if d.pointee.oobCurrent { flags |= 8 }
    state[0] = flags
    state[1] = UInt64(d.pointee.pipelineDepth)
    state[2] = d.pointee.slot.pointee.word(0)
    state[3] = d.pointee.slot.pointee.word(1)
    state[4] = UInt64(d.pointee.takeWord)
    state[5] = d.pointee.takeRest
}

@_cdecl("tenon_fault_restore") @_noLocks
func tenonFaultRestore(
    _ cpu: UnsafeMutableRawPointer?, _ state: UnsafePointer<UInt64>?, _ owner: UInt32,
    _ reenter: Int32
) {
    guard let cpu, let state else { return }
    CPUContext(data: cpu.assumingMemoryBound(to: PerCPUPipeline.self))
        .restoreAfterFault(state, faulted: owner, reenter: reenter != 0)
}

extension CPUContext {
    /// Takes every raised IRQ of this CPU's controller in ascending order,
    /// keeping the word in progress in ``PerCPUPipeline/takeRest`` so that a
    /// fault abandoning a handler loses none of the IRQs taken with it.
    @_noLocks
    @discardableResult
    func takeRaised() -> UInt32 {
        let controller = core.pointee.controllers + index
        var last: UInt32 = 0
        let outerWord = data.pointee.takeWord
        let outerRest = data.pointee.takeRest
        // The summary stays set: the drain clears it (``IRQController/complete()``).
        for word in 0..<IRQNumberSpace.words {
            // A plain load first: most words are empty, and an exchange is a
            // locked instruction. A raise missed here is seen by the drain's
            // next pass or its completion.
            if controller.pointee.leaves[word].load(ordering: .sequentiallyConsistent) == 0 { continue }
            data.pointee.takeWord = word
            data.pointee.takeRest = controller.pointee.leaves[word].exchange(0, ordering: .sequentiallyConsistent)
            while data.pointee.takeRest != 0 {
                let bits = data.pointee.takeRest
                data.pointee.takeRest = bits & (bits &- 1)
                compilerBarrier()
                last = UInt32(word &* 64 &+ bits.trailingZeroBitCount)
                handleRaised(last)
                // The signal guard, while it looks for the handler that blocked host signals.
                HostGlue.pinpointBlockedSignals(irq: last)
            }
        }
        data.pointee.takeWord = outerWord
        data.pointee.takeRest = outerRest
        return last
    }

    /// Puts this CPU back in the state saved at a recovery point, after a
    /// fault of `faulted` (0: none recorded) abandoned everything since.
    /// With `reenter` (a signal trampoline enters again at once) the
    /// controller is marked pending so that pass also plays the logs.
    /// Without it, it is marked only when IRQs were put back: a summary
    /// left set with nothing to take would stop raisers ringing the doorbell.
    @_noLocks
    func restoreAfterFault(_ state: UnsafePointer<UInt64>, faulted: UInt32, reenter: Bool) {
        let controller = core.pointee.controllers + index
        // A take the fault interrupted: its untaken IRQs go back, so the
        // next entry handles them (the faulting IRQ itself is not replayed).
        let rest = data.pointee.takeRest
        var reraised = false
        if rest != 0 && (data.pointee.takeWord != Int(state[4]) || rest != state[5]) {
            controller.pointee.leaves[data.pointee.takeWord].bitwiseOr(rest, ordering: .sequentiallyConsistent)
            reraised = true
        }
        if reenter || reraised { controller.pointee.summary.store(1, ordering: .sequentiallyConsistent) }
        data.pointee.takeWord = Int(state[4])
        data.pointee.takeRest = state[5]
        data.pointee.hardOff = state[0] & 1 != 0
        data.pointee.inbandStalled = state[0] & 2 != 0
        data.pointee.oobStalled = state[0] & 4 != 0
        data.pointee.oobCurrent = state[0] & 8 != 0
        data.pointee.pipelineDepth = UInt32(truncatingIfNeeded: state[1])
        data.pointee.slot.pointee.setWord(0, state[2], releasing: true)
        data.pointee.slot.pointee.setWord(1, state[3], releasing: true)
        if faulted != 0 {
            let i = Int(faulted & PipelineCore.ownerSlotMask)
            core.pointee.ownerFaulted[i].store(faulted, ordering: .releasing)
            // Its queued irq_work is dropped from now on, as after suspend().
            _ = core.pointee.ownerLive[i].compareExchange(expected: UInt64(faulted), desired: 0, ordering: .acquiringAndReleasing)
        }
        compilerBarrier()
    }
}

extension IRQPipeline {
    /// Registers the pipeline's state hooks with the C fault handler (once per process).
    static let faultHooks: Void = {
        ctenon_fault_set_pipeline_hooks({ tenonFaultSnapshot($0, $1) }, { tenonFaultRestore($0, $1, $2, $3) })
    }()

    /// The identity plugin code of this pipeline is registered under with the
    /// fault handler (`ctenon_fault_register`, `ctenon_guarded_call`).
    package var faultDomain: UnsafeRawPointer { UnsafeRawPointer(core) }

    /// Whether `owner`'s code faulted (its actions are skipped since).
    public func hasFaulted(owner: UInt32) -> Bool { core.pointee.hasFaulted(owner) }

    /// Marks `owner` faulted from task context (a fault in its init or a command).
    package func markFaulted(owner: UInt32) {
        core.pointee.ownerFaulted[Int(owner & PipelineCore.ownerSlotMask)].store(owner, ordering: .releasing)
    }
}
