import CTenon
import Glibc
import Synchronization
import Testing
import TenonMachine
import TenonPipeline

extension MachineTests {
    /// A raise to a CPU asleep in its idle loop wakes its futex word and
    /// sends no signal; the same raise to a CPU running a job is a doorbell
    /// signal, which interrupts the job (the handler runs while it spins).
    @Test func idleCPUIsWokenBusyCPUIsSignalled() throws {
        let m = try Machine(cpus: 1)
        defer { m.stop() }
        #expect(m.pipeline.enable_oob_stage("test") == 0)
        let count = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 1)
        count.initialize(to: Atomic(0))
        defer { count.deallocate() }
        #expect(
            m.pipeline.request_irq(9, flags: IRQF_OOB, name: "t") { _ in
                count.pointee.add(1, ordering: .releasing)
                return IRQ_HANDLED
            } == 0)
        // Idle: each raise, once the CPU went back to sleep.
        let before = m.doorbellRings(cpu: 0)
        for i in 1...20 {
            usleep(2_000)
            m.raise(9, on: 0)
            #expect(waitUntil(seconds: 10) { count.pointee.load(ordering: .acquiring) == i }, "idle raise \(i) not handled")
        }
        let idle = m.doorbellRings(cpu: 0)
        #expect(idle.signals == before.signals, "an idle CPU was signalled: \(idle)")
        #expect(idle.wakes - before.wakes == 20, "20 raises at a sleeping CPU, \(idle.wakes - before.wakes) wakes")

        // Busy in a job until released: only a signal reaches the handler now.
        let release = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 1)
        release.initialize(to: Atomic(0))
        defer { release.deallocate() }
        let started = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 1)
        started.initialize(to: Atomic(0))
        defer { started.deallocate() }
        let (r, s) = (UInt(bitPattern: release), UInt(bitPattern: started))
        m.submit(cpu: 0) {
            let release = UnsafeMutablePointer<Atomic<Int>>(bitPattern: r)!
            UnsafeMutablePointer<Atomic<Int>>(bitPattern: s)!.pointee.store(1, ordering: .releasing)
            while release.pointee.load(ordering: .acquiring) == 0 { usleep(100) }
        }
        #expect(waitUntil(seconds: 10) { started.pointee.load(ordering: .acquiring) == 1 })
        m.raise(9, on: 0)
        #expect(waitUntil(seconds: 10) { count.pointee.load(ordering: .acquiring) == 21 }, "the busy CPU's job was not interrupted")
        let busy = m.doorbellRings(cpu: 0)
        release.pointee.store(1, ordering: .releasing)
        #expect(busy.signals == idle.signals + 1 && busy.wakes == idle.wakes, "busy raise: \(busy) after \(idle)")
    }
}
