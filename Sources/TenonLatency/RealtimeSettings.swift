import TenonSystem
import Foundation

/// What `--mlock` and `--dma-latency` hold for the length of a run.
struct RealtimeSettings {
    var dmaFD: Int32 = -1
    var locked = false

    static func apply(_ options: LatencyOptions) throws(LatencyError) -> RealtimeSettings {
        var held = RealtimeSettings()
        if options.lockMemory {
            guard mlockall(MCL_CURRENT | MCL_FUTURE) == 0 else { throw .mlockRefused(SystemError(errno)) }
            held.locked = true
        }
        if let us = options.dmaLatencyMicroseconds {
            // The PM QoS request lasts as long as the file stays open.
            let fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let e = errno
                held.release()
                throw .dmaLatencyUnavailable(SystemError(e))
            }
            var value = us
            guard write(fd, &value, 4) == 4 else {
                let e = errno
                close(fd)
                held.release()
                throw .dmaLatencyUnavailable(SystemError(e))
            }
            held.dmaFD = fd
        }
        return held
    }

    func release() {
        if dmaFD >= 0 { close(dmaFD) }
        if locked { munlockall() }
    }
}
