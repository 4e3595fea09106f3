import CTenon
import Glibc
import Synchronization
import Testing
import TenonMachine
import TenonPipeline

extension MachineTests {
    /// (d) No IRQ lost: every pushed sequence number is seen exactly once.
    /// Also with the idle loops polling (20 µs windows: the CPUs keep
    /// switching between polling, where raisers do not ring, and sleeping).
    @Test(arguments: [0, 20_000] as [UInt64])
    func noIRQLostOnFourCPUs(idlePoll: UInt64) throws {
        let cpus = 4
        let perCPU: UInt64 = 250_000
        let m = try Machine(cpus: cpus)
        defer { m.stop() }
        m.setIdlePoll(nanoseconds: idlePoll)
        #expect(m.pipeline.enable_oob_stage("test") == 0)
        let rings = (0..<cpus).map { _ in SeqRing() }
        let wrongCPU = Probe()
        let base: UInt32 = 30
        for k in 0..<cpus {
            let ring = rings[k]
            let pipe = m.pipeline
            #expect(
                pipe.request_irq(base + UInt32(k), flags: IRQF_OOB, name: "seq\(k)") { irq in
                    if pipe.currentCPU != Int(irq - base) { wrongCPU.mismatches.wrappingAdd(1, ordering: .relaxed) }
                    ring.drain()
                    return IRQ_HANDLED
                } == 0)
        }
        let t0 = ctenon_monotonic_ns()
        ctenon_reset_max_nesting()
        let raiser = TestThread {
            for seq in 0..<perCPU {
                for k in 0..<cpus {
                    while !rings[k].push(seq) { ctenon_cpu_relax() }
                    m.raise(base + UInt32(k), on: k)
                }
            }
        }
        raiser.join()
        let allSeen = waitUntil(seconds: 10) { rings.allSatisfy { $0.expected.load(ordering: .relaxed) == perCPU } }
        let secs = Double(ctenon_monotonic_ns() - t0) / 1e9
        var runs: UInt64 = 0
        for k in 0..<cpus { runs += m.pipeline.count(irq: base + UInt32(k), cpu: k) }
        print(
            "(d) \(perCPU * UInt64(cpus)) raises in \(secs) s: \(Int(Double(perCPU * UInt64(cpus)) / secs)) IRQs/s, \(runs) handler runs (\(Int(Double(runs) / secs))/s)"
        )
        #expect(allSeen)
        // Nesting stays bounded (a storm must not walk off the alternate stack).
        print("(d) deepest handler nesting: \(ctenon_max_nesting())")
        #expect(ctenon_max_nesting() <= 3)
        for k in 0..<cpus {
            #expect(rings[k].errors.load(ordering: .relaxed) == 0)
            #expect(rings[k].expected.load(ordering: .relaxed) == perCPU)
        }
        #expect(wrongCPU.mismatches.load(ordering: .relaxed) == 0)
    }

    /// (e) An oob IRQ preempts an in-band handler being replayed.
    @Test func oobPreemptsReplayedInbandHandler() throws {
        let m = try Machine(cpus: 2)
        defer { m.stop() }
        let pipe = m.pipeline
        #expect(pipe.enable_oob_stage("test") == 0)
        let p = Probe()
        let (irqI, irqO): (UInt32, UInt32) = (40, 41)
        _ = pipe.request_irq(irqI, flags: 0, name: "slow in-band") { _ in
            p.inside.store(1, ordering: .releasing)
            let deadline = ctenon_monotonic_ns() + 5_000_000_000
            while p.flag.load(ordering: .acquiring) == 0 {
                if ctenon_monotonic_ns() > deadline {
                    p.violations.wrappingAdd(1, ordering: .relaxed)
                    break
                }
                ctenon_cpu_relax()
            }
            p.inside.store(0, ordering: .releasing)
            p.handled.wrappingAdd(1, ordering: .relaxed)
            return IRQ_HANDLED
        }
        _ = pipe.request_irq(irqO, flags: IRQF_OOB, name: "oob") { _ in
            p.value.store(pipe.currentCPU ?? -1, ordering: .relaxed)
            if p.inside.load(ordering: .acquiring) != 0 { p.handledInside.wrappingAdd(1, ordering: .relaxed) }
            p.flag.store(1, ordering: .releasing)
            return IRQ_HANDLED
        }
        m.raise(irqI, on: 1)
        #expect(waitUntil(seconds: 5) { p.inside.load(ordering: .acquiring) != 0 })
        m.raise(irqO, on: 1)
        #expect(waitUntil(seconds: 6) { p.handled.load(ordering: .relaxed) == 1 })
        #expect(p.violations.load(ordering: .relaxed) == 0)
        #expect(p.value.load(ordering: .relaxed) == 1)
        #expect(p.handledInside.load(ordering: .relaxed) == 1)
    }

    /// (f) Per-CPU timers at 10 kHz for 5 s fire on their own CPU, none missing
    /// beyond the overrun count.
    @Test func perCPUTimersAt10kHz() throws {
        let m = try Machine()
        defer { m.stop() }
        let pipe = m.pipeline
        #expect(pipe.enable_oob_stage("test") == 0)
        let p = Probe()
        let base: UInt32 = 100
        let handled = (0..<m.cpuCount).map { _ in Probe() }
        for k in 0..<m.cpuCount {
            let mine = handled[k]
            _ = pipe.request_irq(base + UInt32(k), flags: IRQF_OOB, name: "timer\(k)") { irq in
                if pipe.currentCPU != Int(irq - base) { p.mismatches.wrappingAdd(1, ordering: .relaxed) }
                mine.handled.wrappingAdd(1, ordering: .relaxed)
                return IRQ_HANDLED
            }
        }
        var timers: [MachineTimer] = []
        for k in 0..<m.cpuCount {
            timers.append(try m.startTimer(on: k, irq: base + UInt32(k), period: .microseconds(100)))
        }
        usleep(5_000_000)
        for t in timers { t.cancel() }
        usleep(10_000)
        var total = 0
        for (k, t) in timers.enumerated() {
            // Expiries up to the last delivery: a signal still queued at the
            // cancel (with its overruns) is a stop edge, not a loss.
            let expected = Int((t.lastDeliveryNanos - t.firstExpiryNanos) / t.periodNanos) + 1
            let got = handled[k].handled.load(ordering: .relaxed)
            let overruns = Int(t.overruns)
            let merged = Int(t.merged)
            total += got
            print(
                "(f) CPU \(k): expected \(expected) expiries, handled \(got), deliveries \(t.deliveries), kernel overruns \(overruns), merged in controller \(merged), missing \(max(0, expected - got - overruns - merged))"
            )
            #expect(got + overruns + merged >= expected - 5)
            #expect(UInt64(got) + t.merged == t.deliveries)
        }
        print("(f) \(total) timer IRQs in 5 s on \(m.cpuCount) CPUs")
        #expect(p.mismatches.load(ordering: .relaxed) == 0)
    }

    /// (g) A UDP datagram raises its fd IRQ on the chosen CPU; the handler reads it.
    @Test func udpDatagramRaisesFDIRQ() throws {
        let m = try Machine(cpus: 2)
        defer { m.stop() }
        let pipe = m.pipeline
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        #expect(bound)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        defer { buffer.deallocate() }
        let p = Probe()
        let irq: UInt32 = 60
        let cpu = 1
        _ = pipe.request_irq(irq, flags: 0, name: "udp") { _ in
            p.value.store(pipe.currentCPU ?? -1, ordering: .relaxed)
            while true {
                let n = recv(fd, buffer, 256, Int32(MSG_DONTWAIT))
                if n < 0 { break }
                p.flag.store(n, ordering: .relaxed)
                p.handled.wrappingAdd(1, ordering: .releasing)
            }
            return IRQ_HANDLED
        }
        try m.attachFD(fd, irq: irq, cpu: cpu)
        let tx = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(tx) }
        let payload = Array("tenon-udp".utf8)
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(tx, payload, payload.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(sent == payload.count)
        #expect(waitUntil(seconds: 5) { p.handled.load(ordering: .acquiring) > 0 })
        #expect(p.handled.load(ordering: .acquiring) == 1)
        #expect(p.value.load(ordering: .relaxed) == cpu)
        let n = p.flag.load(ordering: .relaxed)
        #expect(Array(UnsafeBufferPointer(start: buffer, count: n)) == payload)
        #expect(m.pipeline.count(irq: irq, cpu: cpu) >= 1)
        m.detachFD(fd)
    }

    /// Machines start and stop 20 times: threads joined, timers gone. Only
    /// this machine's threads and the timers that signal them are counted:
    /// other suites start and stop threads and timers beside this one.
    @Test func startsAndStopsTwentyMachines() throws {
        for round in 0..<20 {
            let m = try Machine(cpus: 1 + round % 4)
            let p = Probe()
            _ = m.pipeline.request_irq(70, flags: 0, name: "t") { _ in
                p.handled.wrappingAdd(1, ordering: .relaxed)
                return IRQ_HANDLED
            }
            var tids: Set<Int32> = []
            for k in 0..<m.cpuCount {
                try m.startTimer(on: k, irq: 70, period: .milliseconds(1))
                m.raise(70, on: k)
                tids.insert(m.threadID(of: k))
            }
            // One per started timer, plus each CPU's drain-pause timer.
            #expect(waitUntil(seconds: 2) { posixTimerCount(notifying: tids) == 2 * m.cpuCount })
            #expect(tids.isSubset(of: threadIDs()))
            #expect(waitUntil(seconds: 5) { p.handled.load(ordering: .relaxed) >= m.cpuCount })
            m.stop()
            #expect(m.isStopped)
            #expect(waitUntil(seconds: 2) { threadIDs().isDisjoint(with: tids) })
            #expect(posixTimerCount(notifying: tids) == 0)
        }
    }

    /// A one-shot timer fires once; a timer on a stopped machine is refused.
    @Test func oneShotTimer() throws {
        let m = try Machine(cpus: 1)
        let p = Probe()
        _ = m.pipeline.request_irq(71, flags: 0, name: "one-shot") { _ in
            p.handled.wrappingAdd(1, ordering: .relaxed)
            return IRQ_HANDLED
        }
        let t = try m.startTimer(on: 0, irq: 71, period: nil, delay: .milliseconds(2))
        #expect(waitUntil(seconds: 5) { p.handled.load(ordering: .relaxed) == 1 })
        usleep(20_000)
        #expect(p.handled.load(ordering: .relaxed) == 1)
        #expect(t.deliveries == 1)
        m.stop()
        #expect(throws: MachineError.stopped) { try m.startTimer(on: 0, irq: 71, period: .milliseconds(1)) }
    }
}
