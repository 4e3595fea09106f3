@preconcurrency import CFFI
import Dispatch
import Logging
import TenonHost
import TenonPipeline
import TenonPlugins

/// One plugin command call, three ways, beside a bare `ffi_call` of the same
/// function in the same run: the C counter's `count(u32) -> u64`.
/// - bare: a `ffi_cif` prepared once, argument and result on the stack.
/// - ``FFICommand/call(converted:)``: the typed call embedders use.
/// - ``PluginHost/call(plugin:command:arguments:)``: what `tenon call` runs
///   in the host (lookup by name, string conversion, guarded call).
enum CommandBenchmark {
    struct Figures {
        /// ns per call, best round.
        var bare = Double.infinity
        var typed = Double.infinity
        var host = Double.infinity
    }

    static func run(iterations: Int, rounds: Int) throws -> Figures {
        let path = try BundledPlugins.require("counter")
        let image = try DynamicImage(path: path, retain: false)
        defer { try? image.close() }
        let descriptor = try PluginDescriptor.load(from: image)
        let command = try FFICommandTable(descriptor).command(named: "count")

        let pipeline = IRQPipeline(cpus: 1)
        var logger = Logger(label: "tenon.bench")
        logger.logLevel = .error
        let host = PluginHost(pipeline: pipeline, logger: logger)
        let loaded = try host.load(path: path, parameters: ["irq=5"])
        defer { _ = host.unload(name: loaded.name) }

        var argumentType: UnsafeMutablePointer<ffi_type>? = withUnsafeMutablePointer(to: &ffi_type_uint32) { $0 }
        var cif = ffi_cif()
        guard ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 1, &ffi_type_uint64, &argumentType) == FFI_OK else {
            throw BenchSetupError.ffi
        }
        let function = command.descriptor.function
        // Built once, as an embedder calling the same command repeatedly would.
        let arguments: [CommandArgument] = [.u32(0)]
        var f = Figures()
        for _ in 0..<rounds {
            f.bare = min(
                f.bare,
                timed(iterations) {
                    var cpu: UInt32 = 0
                    var result: UInt64 = 0
                    withUnsafeMutablePointer(to: &cpu) { a in
                        var argument: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(a)
                        ffi_call(&cif, function, &result, &argument)
                    }
                    return result
                })
            f.typed = min(
                f.typed,
                timed(iterations) {
                    if case .uint(let v) = command.call(converted: arguments) { return v }
                    return 0
                })
            f.host = min(
                f.host,
                timed(iterations) {
                    if case .uint(let v)? = try? host.call(plugin: loaded.name, command: "count", arguments: ["0"]) { return v }
                    return 0
                })
        }
        return f
    }

    private static func timed(_ iterations: Int, _ body: () -> UInt64) -> Double {
        var sink: UInt64 = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { sink &+= body() }
        let ns = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
        blackHole(sink)
        return ns
    }

    @inline(never)
    private static func blackHole(_ x: UInt64) { _ = x }
}
