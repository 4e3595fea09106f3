/// The sources `tenon new-plugin` writes. Kept in the binary so the tool works
/// away from the repository; they follow Plugins/Counter and Plugins/EmbeddedCounter.
enum PluginTemplates {
    static let versionScript = """
        /* Only the entry point is exported. */
        {
            global: tenon_plugin_entry;
            local: *;
        };

        """

    static func c(name: String) -> String {
        """
        /* \(name): a Tenon handler plugin that counts IRQs per CPU.
         *
         * Params:   irq (uint, default 5), oob (bool, default true)
         * Commands: count "u64(u32)", total "u64()"
         *
         * The handler runs in interrupt context (a signal handler): only atomics,
         * plain memory and the host services tagged [async-signal-safe]. */
        #include <errno.h>
        #include <stdatomic.h>
        #include <string.h>
        #include <tenon/tenon_plugin.h>

        #define MAX_CPUS 64

        static _Atomic uint64_t counts[MAX_CPUS];
        static const tenon_host_t *host;
        static uint32_t line;

        static tenon_irqreturn_t handler(uint32_t irq, void *dev_id)
        {
            (void)irq;
            (void)dev_id;
            uint32_t cpu = host->smp_processor_id(host);
            if (cpu >= MAX_CPUS)
                return IRQ_NONE;
            atomic_fetch_add_explicit(&counts[cpu], 1, memory_order_relaxed);
            return IRQ_HANDLED;
        }

        static uint64_t count(uint32_t cpu)
        {
            return cpu < MAX_CPUS ? atomic_load_explicit(&counts[cpu], memory_order_relaxed) : 0;
        }

        static uint64_t total(void)
        {
            uint64_t sum = 0;
            for (int cpu = 0; cpu < MAX_CPUS; cpu++)
                sum += atomic_load_explicit(&counts[cpu], memory_order_relaxed);
            return sum;
        }

        static const tenon_param_desc_t params[] = {
            { "irq", TENON_PARAM_UINT, "5", "IRQ line to count" },
            { "oob", TENON_PARAM_BOOL, "true", "handle on the out-of-band stage (IRQF_OOB)" },
        };

        static const tenon_command_desc_t commands[] = {
            { "count", "u64(u32)", (void (*)(void))count, "handler runs on CPU n" },
            { "total", "u64()", (void (*)(void))total, "handler runs on all CPUs" },
        };

        static const tenon_param_value_t *find(const tenon_param_value_t *values, uint32_t n, const char *key)
        {
            for (uint32_t i = 0; i < n; i++)
                if (strcmp(values[i].name, key) == 0)
                    return &values[i];
            return NULL;
        }

        static int32_t plugin_init(const tenon_host_t *h, const tenon_param_value_t *values, uint32_t n)
        {
            const tenon_param_value_t *irq = find(values, n, "irq"), *oob = find(values, n, "oob");
            if (!irq || !oob || irq->value.u > UINT32_MAX || h->nr_cpus > MAX_CPUS)
                return -EINVAL;
            host = h;
            line = (uint32_t)irq->value.u;
            return h->request_irq(h, line, handler, oob->value.b ? IRQF_OOB : 0, "\(name)", NULL);
        }

        static void plugin_exit(const tenon_host_t *h)
        {
            h->free_irq(h, line, NULL);
        }

        static const tenon_plugin_desc_t desc = {
            .abi = TENON_VERSION_INIT,
            .struct_size = sizeof(tenon_plugin_desc_t),
            .name = "\(name)",
            .version = "0.1.0",
            .description = "Counts IRQs per CPU",
            .params = params,
            .param_count = sizeof params / sizeof params[0],
            .commands = commands,
            .command_count = sizeof commands / sizeof commands[0],
            .init = plugin_init,
            .exit = plugin_exit,
        };

        TENON_PLUGIN_ENTRY(desc)

        """
    }

    static func swift(name: String) -> String {
        """
        // \(name): a Tenon handler plugin in Embedded Swift that counts IRQs per CPU.
        //
        // Params:   irq (uint, default 5), oob (bool, default true)
        // Commands: count "u64(u32)", total "u64()"
        //
        // Embedded Swift carries no runtime metadata, so the image can be unloaded
        // (dlclose) safely. The handler runs in interrupt context: only atomics and
        // plain memory. Keep the descriptor in raw static storage, not in a global
        // of an imported C struct type (see docs/plugins.md).

        import Synchronization
        import TenonABI

        private let maxCPUs = 64
        private let EINVAL: Int32 = 22

        private let counts: InlineArray<64, Atomic<UInt64>> = InlineArray { _ in Atomic<UInt64>(0) }
        nonisolated(unsafe) private var line: UInt32 = 0
        nonisolated(unsafe) private var storage = InlineArray<32, UInt64>(repeating: 0)
        private let paramsOffset = MemoryLayout<tenon_plugin_desc_t>.stride
        private let commandsOffset = paramsOffset + 2 * MemoryLayout<tenon_param_desc_t>.stride

        private func cString(_ s: StaticString) -> UnsafePointer<CChar> {
            UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
        }

        private func equals(_ a: UnsafePointer<CChar>?, _ b: StaticString) -> Bool {
            guard let a else { return false }
            for i in 0..<b.utf8CodeUnitCount where UInt8(bitPattern: a[i]) != b.utf8Start[i] { return false }
            return a[b.utf8CodeUnitCount] == 0
        }

        private func find(_ values: UnsafePointer<tenon_param_value_t>?, _ n: UInt32,
                          _ key: StaticString) -> tenon_param_value_t? {
            guard let values else { return nil }
            for i in 0..<Int(n) where equals(values[i].name, key) { return values[i] }
            return nil
        }

        private func handler(_ irq: UInt32, _ devId: UnsafeMutableRawPointer?) -> tenon_irqreturn_t {
            guard let devId else { return tenon_irqreturn_t(IRQ_NONE) }
            let host = UnsafePointer<tenon_host_t>(devId.assumingMemoryBound(to: tenon_host_t.self))
            let cpu = Int(host.pointee.smp_processor_id(host))
            guard cpu < maxCPUs else { return tenon_irqreturn_t(IRQ_NONE) }
            counts[cpu].wrappingAdd(1, ordering: .relaxed)
            return tenon_irqreturn_t(IRQ_HANDLED)
        }

        private let countCommand: @convention(c) (UInt32) -> UInt64 = { cpu in
            Int(cpu) < maxCPUs ? counts[Int(cpu)].load(ordering: .relaxed) : 0
        }

        private let totalCommand: @convention(c) () -> UInt64 = {
            var sum: UInt64 = 0
            for cpu in 0..<maxCPUs { sum &+= counts[cpu].load(ordering: .relaxed) }
            return sum
        }

        private func pluginInit(_ host: UnsafePointer<tenon_host_t>?, _ values: UnsafePointer<tenon_param_value_t>?,
                                _ n: UInt32) -> Int32 {
            guard let host, host.pointee.nr_cpus <= UInt32(maxCPUs),
                  let irq = find(values, n, "irq"), irq.value.u <= UInt64(UInt32.max),
                  let oob = find(values, n, "oob") else { return -EINVAL }
            line = UInt32(truncatingIfNeeded: irq.value.u)
            return host.pointee.request_irq(host, line, handler, oob.value.b != 0 ? IRQF_OOB : 0,
                                            cString("\(name)"), UnsafeMutableRawPointer(mutating: host))
        }

        private func pluginExit(_ host: UnsafePointer<tenon_host_t>?) {
            guard let host else { return }
            _ = host.pointee.free_irq(host, line, UnsafeMutableRawPointer(mutating: host))
        }

        @_cdecl("tenon_plugin_entry")
        public func tenonPluginEntry() -> UnsafePointer<tenon_plugin_desc_t>? {
            _ = counts[0].load(ordering: .relaxed) // run lazy initialisers now, in task context
            let base = withUnsafeMutablePointer(to: &storage) { UnsafeMutableRawPointer($0) }
            let params = (base + paramsOffset).bindMemory(to: tenon_param_desc_t.self, capacity: 2)
            params[0] = tenon_param_desc_t(name: cString("irq"), type: TENON_PARAM_UINT, default_value: cString("5"),
                                           description: cString("IRQ line to count"))
            params[1] = tenon_param_desc_t(name: cString("oob"), type: TENON_PARAM_BOOL, default_value: cString("true"),
                                           description: cString("handle on the out-of-band stage (IRQF_OOB)"))
            let commands = (base + commandsOffset).bindMemory(to: tenon_command_desc_t.self, capacity: 2)
            commands[0] = tenon_command_desc_t(name: cString("count"), signature: cString("u64(u32)"),
                                               fn: unsafeBitCast(countCommand, to: (@convention(c) () -> Void).self),
                                               help: cString("handler runs on CPU n"))
            commands[1] = tenon_command_desc_t(name: cString("total"), signature: cString("u64()"),
                                               fn: unsafeBitCast(totalCommand, to: (@convention(c) () -> Void).self),
                                               help: cString("handler runs on all CPUs"))
            let descriptor = base.bindMemory(to: tenon_plugin_desc_t.self, capacity: 1)
            descriptor.pointee = tenon_plugin_desc_t(
                abi: tenon_version_t(major: TENON_ABI_MAJOR, minor: TENON_ABI_MINOR, patch: TENON_ABI_PATCH),
                struct_size: UInt32(MemoryLayout<tenon_plugin_desc_t>.size),
                name: cString("\(name)"), version: cString("0.1.0"),
                description: cString("Counts IRQs per CPU (Embedded Swift)"),
                params: UnsafePointer(params), param_count: 2,
                commands: UnsafePointer(commands), command_count: 2,
                init: pluginInit, exit: pluginExit)
            return UnsafePointer(descriptor)
        }

        """
    }
}
