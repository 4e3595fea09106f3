import CTenon

/// Requesting and freeing IRQ actions (Dovetail's `__setup_irq` /
/// `__free_irq` rules), synthetic IRQs and owners. Task context only.
extension IRQPipeline {
    /// `request_irq` / `__request_percpu_irq` with a C handler.
    /// Returns 0, `-EINVAL` (bad IRQ, handler, or flags) or `-EBUSY` (taken, or flags mismatch).
    public func request_irq(
        _ irq: UInt32, _ handler: IRQHandlerFunction?, _ flags: UInt32, _ name: String,
        _ devId: UnsafeMutableRawPointer?, owner: UInt32 = 0
    ) -> Int32 {
        guard let handler else { return Errno.EINVAL }
        return requestAction(
            irq, handler: handler, devId: devId, key: devId, flags: flags,
            name: name, owner: owner, box: nil)
    }

    /// `request_irq` with a Swift closure as the handler (host code and tests
    /// only, never plugin code).
    ///
    /// The closure runs in interrupt context (a signal frame on a machine)
    /// and, unlike the rest of the interrupt path, the compiler cannot check
    /// it (`@_noLocks` cannot be required of a closure): it must touch only
    /// atomics and memory that never moves, and call no Swift runtime that
    /// allocates or locks. Anything more belongs in a C handler or in task
    /// context (docs/architecture.md, "The interrupt-path boundary").
    public func request_irq(
        _ irq: UInt32, flags: UInt32, name: String, devId: UnsafeMutableRawPointer? = nil,
        owner: UInt32 = 0, handler: @escaping (UInt32) -> Int32
    ) -> Int32 {
        let box = ClosureHandler(handler)
        return requestAction(
            irq, handler: closureTrampoline, devId: Unmanaged.passUnretained(box).toOpaque(),
            key: devId, flags: flags, name: name, owner: owner, box: box)
    }

    /// `request_threaded_irq`: only the validation differs (no threads here):
    /// `IRQF_OOB` with a thread function is `-EINVAL`.
    public func request_threaded_irq(
        _ irq: UInt32, flags: UInt32, name: String, devId: UnsafeMutableRawPointer? = nil,
        handler: @escaping (UInt32) -> Int32, thread: ((UInt32) -> Int32)?
    ) -> Int32 {
        if thread != nil && flags & IRQF_OOB != 0 { return Errno.EINVAL }
        if thread != nil { return Errno.EINVAL }  // threaded handlers are not modelled
        return request_irq(irq, flags: flags, name: name, devId: devId, handler: handler)
    }

    func requestAction(
        _ irq: UInt32, handler: IRQHandlerFunction, devId: UnsafeMutableRawPointer?,
        key: UnsafeMutableRawPointer?, flags requested: UInt32, name: String,
        owner: UInt32, box: ClosureHandler?
    ) -> Int32 {
        guard irq < IRQNumberSpace.total, core.pointee.descriptors[Int(irq)].has(IRQDescriptor.Setting.exists) else {
            return Errno.EINVAL
        }
        var flags = requested
        if flags & IRQF_OOB != 0 {
            flags |= IRQF_NO_THREAD
            flags &= ~IRQF_ONESHOT
        }
        return control.withLock { state -> Int32 in
            let replaced = state.staging[owner]
            let others = (state.records[irq] ?? []).filter { replaced == nil || $0.owner != replaced }
            if let first = others.first {
                let desc = core.pointee.descriptors + Int(irq)
                if desc.pointee.has(IRQDescriptor.Setting.perCPU) { return Errno.EBUSY }
                if flags & IRQF_SHARED == 0 || first.flags & IRQF_SHARED == 0 { return Errno.EBUSY }
                if flags & IRQF_SHARING_MASK != first.flags & IRQF_SHARING_MASK { return Errno.EBUSY }
            }
            // A suspended owner (a plugin in exit(), after its unload's
            // barrier) must not publish: nothing would wait for the handler
            // before its image is unmapped. resume() publishes it.
            let suspended = core.pointee.ownerState(owner) & PipelineCore.suspendedBit != 0
            let record = ActionRecord(
                irq: irq, handler: handler, devId: devId, key: key, flags: flags,
                name: name, owner: owner, box: box, published: replaced == nil && !suspended)
            if (state.records[irq] ?? []).isEmpty && flags & IRQF_OOB != 0 {
                core.pointee.descriptors[Int(irq)].set(IRQDescriptor.Setting.oob)
            }
            state.records[irq, default: []].append(record)
            if owner != 0 { state.ownerLines[owner & PipelineCore.ownerSlotMask, default: []].insert(irq) }
            if record.published { republish(irq, &state) }
            return 0
        }
    }

    /// `free_irq`: removes the action requested with `devId` and waits until no
    /// CPU runs it. `-ENOENT` if there is none; `-EDEADLK` from inside a
    /// handler; `-EBUSY` if a CPU stayed inside it past `timeout`, `-EIO` if
    /// `membarrier` failed (either way the action is gone from dispatch but
    /// its memory is kept until a later grace period).
    @discardableResult
    public func free_irq(_ irq: UInt32, _ devId: UnsafeMutableRawPointer?, timeout: Duration = .seconds(10)) -> Int32 {
        if let cpu = currentCPU, context(cpu).data.pointee.slot.pointee.isInside { return Errno.EDEADLK }
        let found = control.withLock { state -> ActionRecord? in
            guard var list = state.records[irq], let i = list.firstIndex(where: { $0.key == devId }) else { return nil }
            let record = list.remove(at: i)
            state.records[irq] = list.isEmpty ? nil : list
            if list.isEmpty { core.pointee.descriptors[Int(irq)].clear(IRQDescriptor.Setting.oob) }
            // In no chain a CPU may still walk: the chain stays as it is.
            if record.unreachable { return record }
            republish(irq, &state, keeping: record.box)
            return record
        }
        guard let found else { return Errno.ENOENT }
        // Unpublished and waited for already (an unloading plugin's exit()
        // after its unload's grace period): no CPU can be inside it.
        if found.unreachable { return 0 }
        // Only a section on this line can be running the action: a handler
        // stuck on another line does not make free_irq busy.
        switch synchronize(timeout: timeout, lines: [irq], owner: nil) {
        case .quiescent: return 0
        case .busy: return Errno.EBUSY
        case .wouldDeadlock: return Errno.EDEADLK
        case .fenceFailed: return Errno.EIO
        }
    }

    /// Rebuilds and publishes `irq`'s chain from its published records; the
    /// old chain is retired until the next grace period.
    func republish(_ irq: UInt32, _ state: inout ControlState, keeping extra: ClosureHandler? = nil) {
        var head: UnsafeMutablePointer<IRQAction>?
        for record in (state.records[irq] ?? []).reversed() where record.published {
            let node = UnsafeMutablePointer<IRQAction>.allocate(capacity: 1)
            node.initialize(
                to: IRQAction(
                    handler: record.handler, devId: record.devId, flags: record.flags,
                    owner: record.owner, next: head))
            head = node
        }
        let old = core.pointee.descriptors[Int(irq)].actions.exchange(UInt(bitPattern: head), ordering: .acquiringAndReleasing)
        // Closures of the old chain stay alive until no CPU can be calling them.
        var boxes: [ClosureHandler] = (state.records[irq] ?? []).compactMap { $0.box }
        if let extra { boxes.append(extra) }
        if old != 0 || !boxes.isEmpty { state.pendingFree.append(RetiredChain(chain: old, boxes: boxes)) }
    }

    func freeChain(_ bits: UInt) {
        var node = UnsafeMutablePointer<IRQAction>(bitPattern: bits)
        while let n = node {
            node = n.pointee.next
            n.deinitialize(count: 1)
            n.deallocate()
        }
    }

    /// Waits for a grace period: afterwards no CPU runs any action or work
    /// unpublished before the call. Frees what the grace period retired.
    public func synchronize(timeout: Duration) -> BarrierWait {
        synchronize(timeout: timeout, lines: nil, owner: nil)
    }

    /// Waits until no CPU can still be running code of `owner` that was
    /// unpublished before the call; a CPU stuck in another plugin's handler
    /// is not waited for when that handler's line never had an action of
    /// `owner` (its chain cannot lead into `owner`'s code). So a stuck
    /// handler only makes busy the unloads that could really reach it.
    public func synchronize(timeout: Duration, reaching owner: UInt32) -> BarrierWait {
        let lines = control.withLock { $0.ownerLines[owner & PipelineCore.ownerSlotMask] ?? [] }
        return synchronize(timeout: timeout, lines: lines, owner: owner)
    }

    /// A grace period for the code on `lines` (nil: everything) and, on the
    /// irq_work line, `owner`'s work. Retired chains are freed only by a grace
    /// period that waited for every CPU: a skipped one may still walk them.
    func synchronize(timeout: Duration, lines: Set<UInt32>?, owner: UInt32?) -> BarrierWait {
        writer.withLock { _ in
            // Unpublished before this grace period's fence, on lines it waits
            // for: unreachable once it ends quiescent.
            // (Not the irq_work line when lines are given: the skip rule
            // there is per owner, not per line.)
            let workIRQ = core.pointee.inbandWorkIRQ
            let (batch, covered) = control.withLock { state -> ([RetiredChain], [(ActionRecord, UInt32)]) in
                defer { state.pendingFree = [] }
                var covered: [(ActionRecord, UInt32)] = []
                for (irq, list) in state.records where lines.map({ $0.contains(irq) && irq != workIRQ }) ?? true {
                    for record in list where !record.published && !record.unreachable {
                        covered.append((record, record.unpublishes))
                    }
                }
                return (state.pendingFree, covered)
            }
            let (seconds, attos) = timeout.components
            let nanos = UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attos) / 1_000_000_000)
            let slot = owner.map { $0 & PipelineCore.ownerSlotMask }
            var skipped = 0
            let core = core
            let ring = cpuCount
            core.pointee.trace(ring: ring, .graceBegin, owner: owner ?? 0)
            let result = core.pointee.barrier.pointee.synchronize(
                deadlineNanos: ctenon_monotonic_ns() &+ nanos, callerCPU: currentCPU,
                cannotReach: lines.map { lines in
                    { word in
                        let irq = UInt32(truncatingIfNeeded: word >> 32)
                        if irq == workIRQ {
                            // One work item of the owner named in the word (0: not known yet).
                            let runs = UInt32(truncatingIfNeeded: word >> 16) & 0xFFF
                            return runs != 0 && runs != slot
                        }
                        return !lines.contains(irq)
                    }
                }, skipped: &skipped,
                phase: { kind, where_, nanos in core.pointee.trace(ring: ring, kind, irq: where_, arg: where_, value: nanos) })
            core.pointee.trace(
                ring: ring, .graceEnd, irq: UInt32(skipped), owner: owner ?? 0,
                arg: result == .quiescent ? 0 : { if case .busy = result { 1 } else { 2 } }())
            if result == .quiescent && !covered.isEmpty {
                control.withLock { _ in
                    for (record, unpublishes) in covered where !record.published && record.unpublishes == unpublishes {
                        record.unreachable = true
                    }
                }
            }
            if result == .quiescent && skipped == 0 {
                for retired in batch { freeChain(retired.chain) }
            } else {
                control.withLock { $0.pendingFree.insert(contentsOf: batch, at: 0) }
            }
            return result
        }
    }

    // MARK: - Synthetic IRQs

    /// `irq_create_direct_mapping(synthetic_irq_domain)`: a new synthetic,
    /// per-CPU IRQ number, or 0 when the domain is exhausted.
    public func irq_create_direct_mapping(owner: UInt32 = 0) -> UInt32 {
        createMapping(owner: owner)
    }

    func createMapping(owner: UInt32) -> UInt32 {
        control.withLock { state -> UInt32 in
            for irq in IRQNumberSpace.deviceIRQs..<IRQNumberSpace.total where state.synthetic[irq] == nil {
                state.synthetic[irq] = owner
                let desc = core.pointee.descriptors + Int(irq)
                desc.pointee.settings.store(
                    IRQDescriptor.Setting.exists | IRQDescriptor.Setting.perCPU
                        | IRQDescriptor.Setting.synthetic, ordering: .releasing)
                desc.pointee.unhandled.store(0, ordering: .relaxed)
                return irq
            }
            return 0
        }
    }

    /// `irq_dispose_mapping`: frees a synthetic IRQ number (and any action left on it).
    public func irq_dispose_mapping(_ irq: UInt32) {
        control.withLock { state in
            guard state.synthetic.removeValue(forKey: irq) != nil else { return }
            if let records = state.records.removeValue(forKey: irq) {
                let old = core.pointee.descriptors[Int(irq)].actions.exchange(0, ordering: .acquiringAndReleasing)
                state.pendingFree.append(RetiredChain(chain: old, boxes: records.compactMap { $0.box }))
            }
            core.pointee.descriptors[Int(irq)].settings.store(0, ordering: .releasing)
        }
    }

    /// `irq_switch_oob`: toggles a live line's oob mode without touching its actions.
    public func irq_switch_oob(_ irq: UInt32, _ on: Bool) -> Int32 {
        guard irq < IRQNumberSpace.total, core.pointee.descriptors[Int(irq)].has(IRQDescriptor.Setting.exists) else {
            return Errno.EINVAL
        }
        if on {
            core.pointee.descriptors[Int(irq)].set(IRQDescriptor.Setting.oob)
        } else {
            core.pointee.descriptors[Int(irq)].clear(IRQDescriptor.Setting.oob)
        }
        return 0
    }
}
