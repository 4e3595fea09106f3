/// Who a task-context plugin call runs for: the pipeline (fault domain) and
/// the owner the fault handler attributes a fault to.
struct PluginCallSite {
    let domain: UnsafeRawPointer
    let owner: UInt32
}
