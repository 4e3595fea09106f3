/// Owners: the plugin layer's handle on everything one plugin registered.
/// Unloading is suspend (unpublish) -> ``synchronize(timeout:)`` -> revoke;
/// a busy wait can be followed by resume (cancel). A hot swap stages the new
/// owner's actions and commits them in place of the old owner's, one atomic
/// publish per line, so every IRQ is handled by exactly one of the two.
extension IRQPipeline {
    /// A new owner token (never 0); its code may run until ``suspend(owner:)``.
    public func registerOwner() -> UInt32? {
        control.withLock { state -> UInt32? in
            for slot in UInt32(1)..<UInt32(PipelineCore.maxOwners)
            where !state.ownerInUse.contains(slot)
                && state.ownerGenerations[Int(slot)] < PipelineCore.maxGeneration
            {
                state.ownerInUse.insert(slot)
                state.ownerLines[slot] = nil
                state.ownerGenerations[Int(slot)] += 1
                let token = state.ownerGenerations[Int(slot)] << 12 | slot
                core.pointee.ownerLive[Int(slot)].store(UInt64(token), ordering: .releasing)
                return token
            }
            return nil
        }
    }

    /// Unpublishes every action of `owner` and stops its queued work from
    /// running (the work stays queued until the owner is resumed or revoked).
    public func suspend(owner: UInt32) {
        control.withLock { state in
            core.pointee.ownerLive[Int(owner & PipelineCore.ownerSlotMask)]
                .store(UInt64(owner) | PipelineCore.suspendedBit, ordering: .releasing)
            setPublished(owner: owner, false, &state)
        }
    }

    /// Cancels a suspension: re-publishes `owner`'s actions, and raises the
    /// in-band work IRQ on every CPU so work deferred meanwhile runs now.
    public func resume(owner: UInt32) {
        control.withLock { state in
            core.pointee.ownerLive[Int(owner & PipelineCore.ownerSlotMask)].store(UInt64(owner), ordering: .releasing)
            setPublished(owner: owner, true, &state)
        }
        for cpu in 0..<cpuCount { _ = interruptPath.raise(core.pointee.inbandWorkIRQ, on: UInt32(cpu)) }
    }

    /// Removes every action and synthetic IRQ of `owner` and frees its token.
    /// Call after a quiescent ``synchronize(timeout:)`` that followed ``suspend(owner:)``.
    /// Returns how many actions and mappings were revoked.
    @discardableResult
    public func revoke(owner: UInt32) -> Int {
        control.withLock { state -> Int in
            var revoked = 0
            for (irq, list) in state.records {
                let kept = list.filter { $0.owner != owner }
                if kept.count == list.count { continue }
                revoked += list.count - kept.count
                state.records[irq] = kept.isEmpty ? nil : kept
                if kept.isEmpty && state.proxy?.tickIRQ != irq {
                    core.pointee.descriptors[Int(irq)].clear(IRQDescriptor.Setting.oob)
                }
                republish(irq, &state, keeping: nil)
            }
            for (irq, who) in state.synthetic where who == owner {
                state.synthetic[irq] = nil
                core.pointee.descriptors[Int(irq)].settings.store(0, ordering: .releasing)
                revoked += 1
            }
            state.staging[owner] = nil
            _ = core.pointee.ownerFaulted[Int(owner & PipelineCore.ownerSlotMask)]
                .compareExchange(expected: owner, desired: 0, ordering: .acquiringAndReleasing)
            core.pointee.ownerLive[Int(owner & PipelineCore.ownerSlotMask)].store(0, ordering: .releasing)
            state.ownerInUse.remove(owner & PipelineCore.ownerSlotMask)
            return revoked
        }
    }

    /// Starts staging `owner`'s requests as the replacement of `replacing`:
    /// they are validated as if `replacing`'s actions were gone, and stay
    /// unpublished until ``commitStaging(owner:)``.
    public func beginStaging(owner: UInt32, replacing: UInt32) {
        control.withLock { $0.staging[owner] = replacing }
    }

    /// Publishes `owner`'s staged actions and unpublishes the replaced owner's,
    /// with one chain swap per line.
    public func commitStaging(owner: UInt32) {
        control.withLock { state in
            guard let replaced = state.staging.removeValue(forKey: owner) else { return }
            core.pointee.ownerLive[Int(replaced & PipelineCore.ownerSlotMask)]
                .store(UInt64(replaced) | PipelineCore.suspendedBit, ordering: .releasing)
            var lines = Set<UInt32>()
            for (irq, list) in state.records {
                for record in list where record.owner == owner || record.owner == replaced {
                    record.published = record.owner == owner
                    lines.insert(irq)
                }
            }
            for irq in lines { republish(irq, &state) }
        }
    }

    private func setPublished(owner: UInt32, _ published: Bool, _ state: inout ControlState) {
        for (irq, list) in state.records where list.contains(where: { $0.owner == owner && $0.published != published }) {
            for record in list where record.owner == owner { record.published = published }
            republish(irq, &state)
        }
    }
}
