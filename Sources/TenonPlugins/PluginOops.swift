#if canImport(Glibc)
import Glibc
#endif
import CTenon

/// One contained fault of plugin code: what the fault handler recorded
/// (async-signal-safely, raw addresses only), symbolised afterwards in task
/// context with `dladdr`.
public struct PluginOops: Sendable, Equatable, CustomStringConvertible {
    /// 1, 2, … in fault order, process-wide.
    public var sequence: UInt64
    /// The faulting plugin's name.
    public var plugin: String
    /// Its version text.
    public var version: String
    /// The faulting instance's owner token.
    public var owner: UInt32
    /// The simulated CPU, or nil when the fault was on a task thread.
    public var cpu: Int?
    /// The IRQ being dispatched, or nil (task-context calls).
    public var irq: UInt32?
    /// Where: "oob handler", "in-band handler", "irq_work", "entry point", "init", "exit", "command".
    public var context: String
    /// "SIGSEGV", "SIGFPE", …, or "exit" / "_exit" for an intercepted exit.
    public var signal: String
    /// `si_code`, or the exit status.
    public var code: Int32
    /// `si_addr` (0 for exit).
    public var address: UInt64
    /// The faulting instruction (for an exit, the return address of the call).
    public var pc: UInt64
    /// The PC as `file+0xoffset`, then `<nearest-exported-symbol+0xoff>` when there is one.
    public var symbol: String
    /// Return addresses of the frames found by the frame-pointer walk, symbolised.
    public var frames: [String]
    /// Kernel thread id of the faulting thread.
    public var thread: Int32
    /// CLOCK_MONOTONIC nanoseconds of the fault.
    public var timeNanos: UInt64
    /// The pipeline it happened on (``FaultMonitor`` routes by it).
    var domain: UInt = 0

    /// One line: what, where, who.
    public var summary: String {
        var s = "oops #\(sequence): plugin \(plugin) \(version): \(signal)"
        if signal == "exit" || signal == "_exit" {
            s += "(\(code)) called"
        } else {
            s += " (si_code \(code)) at 0x\(String(address, radix: 16))"
        }
        s += " in \(context)"
        if let cpu { s += " on CPU \(cpu)" }
        if let irq { s += ", IRQ \(irq)" }
        s += ", pc \(symbol)"
        return s
    }

    /// The full report (summary, then one line per frame).
    public var description: String {
        ([summary] + frames.enumerated().map { "  #\($0.offset) \($0.element)" }).joined(separator: "\n")
    }

    /// Reads oops `seq` from the fault handler's ring and symbolises it, or
    /// nil if the ring no longer holds it.
    static func read(seq: UInt64) -> PluginOops? {
        var raw = ctenon_oops()
        guard ctenon_oops_read(seq, &raw) == 0 else { return nil }
        let name = withUnsafeBytes(of: raw.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let version = withUnsafeBytes(of: raw.version) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let frames = withUnsafeBytes(of: raw.frames) { Array($0.bindMemory(to: UInt64.self).prefix(Int(raw.nframes))) }
        return PluginOops(
            sequence: raw.seq, plugin: name, version: version, owner: raw.owner,
            cpu: raw.cpu >= 0 ? Int(raw.cpu) : nil,
            irq: raw.irq == UInt32.max ? nil : raw.irq,
            context: contextName(raw.context), signal: signalName(raw.signo, code: raw.code),
            code: raw.code, address: raw.addr, pc: raw.pc, symbol: symbolise(raw.pc),
            frames: frames.map { symbolise($0) }, thread: raw.tid, timeNanos: raw.time_ns,
            domain: UInt(bitPattern: raw.domain))
    }

    static func contextName(_ c: UInt32) -> String {
        switch c {
        case CTENON_CTX_OOB.rawValue: "oob handler"
        case CTENON_CTX_INBAND.rawValue: "in-band handler"
        case CTENON_CTX_WORK.rawValue: "irq_work"
        case CTENON_CTX_ENTRY.rawValue: "entry point"
        case CTENON_CTX_INIT.rawValue: "init"
        case CTENON_CTX_EXIT.rawValue: "exit"
        case CTENON_CTX_COMMAND.rawValue: "command"
        case CTENON_CTX_EXTENSION.rawValue: "get_extension"
        default: "host"
        }
    }

    static func signalName(_ signo: Int32, code: Int32) -> String {
        switch signo {
        case 0: "exit"
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        default: "signal \(signo)"
        }
    }

    /// `dladdr` (takes the loader lock: task context only).
    static func symbolise(_ address: UInt64) -> String {
        let hex = "0x" + String(address, radix: 16)
        guard address != 0, let p = UnsafeRawPointer(bitPattern: UInt(address)) else { return hex }
        var fname: UnsafePointer<CChar>?
        var sname: UnsafePointer<CChar>?
        var fbase: UInt = 0
        var saddr: UInt = 0
        guard ctenon_dladdr(p, &fname, &fbase, &sname, &saddr) != 0, let fname else { return hex }
        let file = String(cString: fname).split(separator: "/").last.map(String.init) ?? "?"
        let a = UInt(bitPattern: p)
        // The offset in the file is what `addr2line -e FILE OFFSET` takes; the
        // nearest *exported* symbol (plugins export little) is a hint only.
        var text = "\(file)+0x\(String(a &- fbase, radix: 16))"
        if let sname, saddr != 0 { text += " <\(String(cString: sname))+0x\(String(a &- saddr, radix: 16))>" }
        return text
    }
}
