/// The sources `tenon new-plugin` writes. Kept in the binary so the tool works
/// away from the repository; they follow Plugins/Counter and Plugins/EmbeddedCounter
/// (the Swift one is a SwiftPM package on TenonPluginKit).
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
                return TENON_IRQ_NONE;
            atomic_fetch_add_explicit(&counts[cpu], 1, memory_order_relaxed);
            return TENON_IRQ_HANDLED;
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
            { "oob", TENON_PARAM_BOOL, "true", "handle on the out-of-band stage (TENON_IRQF_OOB)" },
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
            return h->request_irq(h, line, handler, oob->value.b ? TENON_IRQF_OOB : 0, "\(name)", NULL);
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
            .get_extension = NULL, /* offers no extension */
        };

        TENON_PLUGIN_ENTRY(desc)

        """
    }

    /// `Package.swift` of a Swift plugin: an Embedded Swift dynamic library
    /// depending on Tenon's `TenonPluginKit` by path. `tenonIdentity` is how
    /// SwiftPM names that package: its folder's name, lowercased.
    static func swiftPackage(name: String, identifier: String, tenonPath: String, tenonIdentity: String) -> String {
        """
        // swift-tools-version:6.1
        // \(name): a Tenon handler plugin in Embedded Swift, on TenonPluginKit.
        //   swift build -c release      ->  .build/release/lib\(name).so
        //   tenon load .build/release/lib\(name).so irq=5
        import PackageDescription

        let package = Package(
            name: "\(name)",
            products: [.library(name: "\(name)", type: .dynamic, targets: ["\(identifier)"])],
            dependencies: [.package(path: "\(tenonPath)")],
            targets: [
                .target(
                    name: "\(identifier)",
                    dependencies: [.product(name: "TenonPluginKit", package: "\(tenonIdentity)")],
                    // Embedded Swift: no runtime, no metadata, so the image can be
                    // unloaded; it needs whole-module builds.
                    swiftSettings: [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])],
                    // Export only tenon_plugin_entry: Embedded Swift emits runtime
                    // stubs with default visibility.
                    linkerSettings: [.unsafeFlags(["-Xlinker",
                                                   "--version-script=\\(Context.packageDirectory)/tenon_plugin.map"])]
                ),
            ]
        )

        """
    }

    /// The plugin source of `tenon new-plugin --swift`: the counter, on TenonPluginKit.
    static func swift(name: String, identifier: String) -> String {
        let type = identifier.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return """
            // \(name): a Tenon handler plugin in Embedded Swift that counts IRQs per CPU.
            //
            // Params:   irq (uint, default 5), oob (bool, default true)
            // Commands: count "u64(u32)", total "u64()" (signatures derived from the Swift types)
            //
            // TenonPluginKit builds the instance in the image's static storage before
            // start(host:) runs; handlers reach it through `Self.shared`. Handlers run
            // in a signal frame: only the instance, atomics and the Host services
            // marked [async-signal-safe]. See "Writing a plugin in Swift" in Tenon's
            // docs/plugins.md.

            import TenonPluginKit

            @_cdecl("tenon_plugin_entry")
            public func entry() -> UnsafeRawPointer? { export(\(type).self) }

            struct \(type): Plugin, ~Copyable {
                static let name: StaticString = "\(name)"
                static let version: StaticString = "0.1.0"
                static let summary: StaticString = "Counts IRQs per CPU"

                static let irq = Parameter<UInt32>("irq", default: 5, help: "IRQ line to count")
                static let oob = Parameter<Bool>("oob", default: true, help: "handle on the out-of-band stage (TENON_IRQF_OOB)")

                static func declare(_ plugin: inout Declaration) {
                    plugin.parameter(irq)
                    plugin.parameter(oob)
                    plugin.command("count", help: "handler runs on CPU n") { (cpu: UInt32) -> UInt64 in Self.shared.counts[cpu] }
                    plugin.command("total", help: "handler runs on all CPUs") { () -> UInt64 in Self.shared.counts.total }
                }

                let host: Host
                let line: UInt32
                let flags: IRQFlags
                let counts: PerCPUCounter

                init(host: Host, parameters: Parameters) throws(Errno) {
                    (line, flags) = (try parameters[Self.irq], try parameters[Self.oob] ? .oob : [])
                    self.host = host   // after everything that throws: the instance is noncopyable
                    counts = PerCPUCounter()
                }

                func start(host: Host) throws(Errno) {
                    try host.requestIRQ(line, flags: flags, name: "\(name)") { _, _ in Self.shared.handle() }
                }

                /// [oob] or [inband].
                @_noLocks
                func handle() -> IRQReturn {
                    counts.increment(on: host.cpu) ? .handled : .none
                }
            }

            """
    }
}
