import CTenon
import Glibc
import TenonSystem

extension Machine {
    /// Sets the nice value of every CPU thread (`setpriority` on its thread
    /// id; normal scheduling only: a `SCHED_FIFO` thread ignores it).
    ///
    /// Why: the CPU threads of a machine under an IRQ storm are always
    /// runnable, and the control plane (loads, unloads, swaps, commands)
    /// shares the cores with them as one thread among many. A grace period
    /// or a lock handoff then waits a time slice each time the control thread
    /// or the CPU thread it waits for is preempted. Raising the CPU threads'
    /// nice value (any user may) weights the control plane above them; the
    /// cost is that the CPU threads also yield sooner to other processes.
    /// Lowering it below 0 needs `CAP_SYS_NICE` or an `ulimit -e`.
    /// - Returns: nil, or the first CPU that refused and why.
    public func setCPUNice(_ nice: Int32) -> (cpu: Int, error: SystemError)? {
        for cpu in 0..<cpuCount {
            let e = run(on: cpu) { () -> Int32 in
                setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(ctenon_gettid()), nice) == 0 ? 0 : errno
            }
            if e != 0 { return (cpu, SystemError(e)) }
        }
        return nil
    }
}
