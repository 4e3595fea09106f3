import TenonABI

/// The Swift side of the image's static storage (tenon_plugin_kit.h).
/// Everything here runs [task] (entry, init, exit, commands); handlers only
/// reach the state storage, through ``Plugin/shared``.
@usableFromInline
enum KitStorage {
    nonisolated(unsafe) static var strings = StringPool()
    nonisolated(unsafe) static var workUsed = 0

    /// The entry point starts from empty tables: a re-run entry (the same
    /// image opened twice) declares everything again.
    static func reset() {
        strings = StringPool()
        workUsed = 0
    }

    static func allocateWork(_ function: IRQWorkFunction) -> IRQWork? {
        guard workUsed < Int(TENON_KIT_MAX_WORK), let pool = tenon_kit_work() else { return nil }
        let item = pool + workUsed
        workUsed += 1
        item.pointee = tenon_irq_work_t()
        // [inband]: one load and an indirect call.
        item.pointee.func = { work in
            guard let function = work?.pointee.arg else { return }
            unsafeBitCast(function, to: IRQWorkFunction.self)()
        }
        item.pointee.arg = unsafeBitCast(function, to: UnsafeMutableRawPointer.self)
        return IRQWork(item)
    }
}
