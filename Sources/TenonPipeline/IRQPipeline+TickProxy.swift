/// The proxy tick device (`tick_install_proxy`): the timer line goes oob, and
/// the in-band tick is relayed through a synthetic IRQ when the oob handler
/// calls ``tick_notify_proxy()``.
extension IRQPipeline {
    /// Installs the proxy on `tickIRQ`, whose current in-band actions are the
    /// in-band tick. `-EAGAIN` if a proxy is installed or no synthetic IRQ is
    /// left; `-ENODEV` if the line has no in-band tick handler.
    public func tick_install_proxy(tickIRQ: UInt32, handleOOBEvent: @escaping (UInt32) -> Int32) -> Int32 {
        if control.withLock({ $0.proxy != nil }) { return Errno.EAGAIN }
        let sirq = createMapping(owner: 0)
        if sirq == 0 { return Errno.EAGAIN }
        let box = ClosureHandler(handleOOBEvent)
        return control.withLock { state -> Int32 in
            guard let moved = state.records[tickIRQ], !moved.isEmpty else { return Errno.ENODEV }
            // Done as one publish per line; the kernel does it in stop_machine().
            state.records[sirq] = moved.map {
                ActionRecord(
                    irq: sirq, handler: $0.handler, devId: $0.devId, key: $0.key,
                    flags: ($0.flags & ~IRQF_OOB) | IRQF_PERCPU, name: "proxy tick", owner: $0.owner,
                    box: $0.box, published: true)
            }
            republish(sirq, &state)
            state.records[tickIRQ] = [
                ActionRecord(
                    irq: tickIRQ, handler: closureTrampoline,
                    devId: Unmanaged.passUnretained(box).toOpaque(), key: nil,
                    flags: IRQF_OOB | IRQF_NO_THREAD, name: "tick oob", owner: 0,
                    box: box, published: true)
            ]
            core.pointee.descriptors[Int(tickIRQ)].set(IRQDescriptor.Setting.oob)
            republish(tickIRQ, &state, keeping: nil)
            state.proxy = ProxyTick(tickIRQ: tickIRQ, proxyIRQ: sirq, moved: moved)
            return 0
        }
    }

    /// `tick_notify_proxy`: posts the proxy tick to this CPU's in-band log.
    public func tick_notify_proxy() {
        guard let sirq = control.withLock({ $0.proxy?.proxyIRQ }) else { return }
        irq_post_inband(sirq)
    }

    /// The proxy's synthetic IRQ, if installed.
    public var proxyTickIRQ: UInt32? { control.withLock { $0.proxy?.proxyIRQ } }

    /// `tick_uninstall_proxy`: gives the timer line back to its in-band tick.
    public func tick_uninstall_proxy() {
        let sirq = control.withLock { state -> UInt32? in
            guard let proxy = state.proxy else { return nil }
            state.records[proxy.tickIRQ] = proxy.moved
            core.pointee.descriptors[Int(proxy.tickIRQ)].clear(IRQDescriptor.Setting.oob)
            republish(proxy.tickIRQ, &state)
            state.proxy = nil
            return proxy.proxyIRQ
        }
        if let sirq { irq_dispose_mapping(sirq) }
        _ = synchronize(timeout: .seconds(10))
    }
}
