/*
 * counter — counts its IRQ per CPU; optionally drains the test device.
 *
 * Params: irq (uint, 5), oob (bool, true), shared (bool, false), device (uint, 0)
 * Commands: count "u64(u32)", total "u64()", reset "void()"
 */
#include <errno.h>
#include <stdatomic.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"
#include "tenon_test_device.h"

#define COUNTER_STAMP 1u

static struct {
    const tenon_host_t *host;         /* valid from init until exit returns */
    struct tenon_test_device *device; /* NULL: no device */
    uint32_t irq;
    _Atomic uint64_t count[TENON_EXAMPLE_MAX_CPUS];
} counter;

/* [oob] or [inband], async-signal-safe: atomics only. */
static tenon_irqreturn_t counter_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    uint32_t cpu = counter.host->smp_processor_id(counter.host);
    if (cpu >= TENON_EXAMPLE_MAX_CPUS)
        return TENON_IRQ_NONE;
    atomic_fetch_add_explicit(&counter.count[cpu], 1, memory_order_relaxed);
    if (counter.device != NULL)
        tenon_test_device_drain(counter.device, cpu, COUNTER_STAMP);
    return TENON_IRQ_HANDLED;
}

/* Commands [task]. */
static uint64_t cmd_count(uint32_t cpu)
{
    return cpu < TENON_EXAMPLE_MAX_CPUS
        ? atomic_load_explicit(&counter.count[cpu], memory_order_relaxed) : 0;
}

static uint64_t cmd_total(void)
{
    uint64_t sum = 0;
    for (uint32_t cpu = 0; cpu < TENON_EXAMPLE_MAX_CPUS; cpu++)
        sum += atomic_load_explicit(&counter.count[cpu], memory_order_relaxed);
    return sum;
}

static void cmd_reset(void)
{
    for (uint32_t cpu = 0; cpu < TENON_EXAMPLE_MAX_CPUS; cpu++)
        atomic_store_explicit(&counter.count[cpu], 0, memory_order_relaxed);
}

static int32_t counter_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    const tenon_param_value_t *oob = tenon_param_find(params, n, "oob", TENON_PARAM_BOOL);
    const tenon_param_value_t *shared = tenon_param_find(params, n, "shared", TENON_PARAM_BOOL);
    const tenon_param_value_t *device = tenon_param_find(params, n, "device", TENON_PARAM_UINT);

    if (host->nr_cpus > TENON_EXAMPLE_MAX_CPUS || !irq || !oob || !shared || !device)
        return -EINVAL;
    if (irq->value.u > UINT32_MAX)
        return -EINVAL;

    counter.host = host;
    counter.irq = (uint32_t)irq->value.u;
    counter.device = tenon_test_device_from_param(device->value.u);
    if (device->value.u != 0 && counter.device == NULL) {
        host->log(host, 3, "device= is not the address of a tenon_test_device set up by the host");
        return -EINVAL;
    }
    cmd_reset();

    uint32_t flags = (oob->value.b ? TENON_IRQF_OOB : 0) | (shared->value.b ? TENON_IRQF_SHARED : 0);
    return host->request_irq(host, counter.irq, counter_handler, flags, "counter", &counter);
}

static void counter_exit(const tenon_host_t *host)
{
    host->free_irq(host, counter.irq, &counter);
}

static const tenon_param_desc_t counter_params[] = {
    { "irq", TENON_PARAM_UINT, "5", "IRQ line to count" },
    { "oob", TENON_PARAM_BOOL, "true", "handle on the out-of-band stage (TENON_IRQF_OOB)" },
    { "shared", TENON_PARAM_BOOL, "false", "request the line with TENON_IRQF_SHARED" },
    { "device", TENON_PARAM_UINT, "0", "address of a tenon_test_device to drain (0 = none)" },
};

static const tenon_command_desc_t counter_commands[] = {
    { "count", "u64(u32)", TENON_COMMAND_FN(cmd_count), "handler runs on CPU n" },
    { "total", "u64()", TENON_COMMAND_FN(cmd_total), "handler runs on all CPUs" },
    { "reset", "void()", TENON_COMMAND_FN(cmd_reset), "zero all counters" },
};

static const tenon_plugin_desc_t counter_desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "counter",
    .version = "1.0.0",
    .description = "Counts IRQs per CPU; drains the test device if given",
    .params = counter_params,
    .param_count = TENON_ARRAY_COUNT(counter_params),
    .commands = counter_commands,
    .command_count = TENON_ARRAY_COUNT(counter_commands),
    .init = counter_init,
    .exit = counter_exit,
};

TENON_PLUGIN_ENTRY(counter_desc)
