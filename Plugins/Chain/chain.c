/*
 * chain — an oob handler that defers work to the in-band stage, the Dovetail
 * way: through a synthetic IRQ posted with irq_post_inband(), and optionally
 * through irq_work.
 *
 * Params: irq (uint, 6), work (bool, false)
 * Commands: oob_count, inband_count, work_count, violations "u64()", sirq "u32()"
 * A violation is a handler that finds itself on the wrong stage:
 * running_oob() != 1 in the oob handler, != 0 in the in-band handler or work.
 */
#include <errno.h>
#include <stdatomic.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"

#define N TENON_EXAMPLE_MAX_CPUS

static struct {
    const tenon_host_t *host;   /* valid from init until exit returns */
    uint32_t irq;               /* device IRQ, oob handler */
    uint32_t sirq;              /* synthetic IRQ, in-band handler */
    int use_work;
    _Atomic uint64_t oob_runs[N];
    _Atomic uint64_t inband_runs[N];
    _Atomic uint64_t work_runs[N];
    _Atomic uint64_t violations;
    tenon_irq_work_t work[N];   /* one per CPU: work runs on the CPU that queued it */
} chain;

static uint32_t this_cpu(void)
{
    return chain.host->smp_processor_id(chain.host);
}

static void check_stage(int expect_oob)
{
    if (chain.host->running_oob(chain.host) != expect_oob)
        atomic_fetch_add_explicit(&chain.violations, 1, memory_order_relaxed);
}

/* [oob] */
static tenon_irqreturn_t chain_oob_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    uint32_t cpu = this_cpu();
    if (cpu >= N)
        return TENON_IRQ_NONE;
    check_stage(1);
    atomic_fetch_add_explicit(&chain.oob_runs[cpu], 1, memory_order_relaxed);
    chain.host->irq_post_inband(chain.host, chain.sirq);
    if (chain.use_work)
        chain.host->irq_work_queue(chain.host, &chain.work[cpu]);
    return TENON_IRQ_HANDLED;
}

/* [inband] */
static tenon_irqreturn_t chain_inband_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    uint32_t cpu = this_cpu();
    if (cpu >= N)
        return TENON_IRQ_NONE;
    check_stage(0);
    atomic_fetch_add_explicit(&chain.inband_runs[cpu], 1, memory_order_relaxed);
    return TENON_IRQ_HANDLED;
}

/* [inband], on the CPU that queued it. */
static void chain_work(tenon_irq_work_t *work)
{
    uint32_t cpu = (uint32_t)(uintptr_t)work->arg;
    if (cpu >= N)
        return;
    check_stage(0);
    atomic_fetch_add_explicit(&chain.work_runs[cpu], 1, memory_order_relaxed);
}

static uint64_t sum(_Atomic uint64_t *per_cpu)
{
    uint64_t total = 0;
    for (uint32_t cpu = 0; cpu < N; cpu++)
        total += atomic_load_explicit(&per_cpu[cpu], memory_order_relaxed);
    return total;
}

/* Commands [task]. */
static uint64_t cmd_oob_count(void) { return sum(chain.oob_runs); }
static uint64_t cmd_inband_count(void) { return sum(chain.inband_runs); }
static uint64_t cmd_work_count(void) { return sum(chain.work_runs); }
static uint64_t cmd_violations(void) { return atomic_load_explicit(&chain.violations, memory_order_relaxed); }
static uint32_t cmd_sirq(void) { return chain.sirq; }

static int32_t chain_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    const tenon_param_value_t *work = tenon_param_find(params, n, "work", TENON_PARAM_BOOL);
    if (host->nr_cpus > N || !irq || !work || irq->value.u > UINT32_MAX)
        return -EINVAL;

    chain.host = host;
    chain.irq = (uint32_t)irq->value.u;
    chain.use_work = work->value.b;
    for (uint32_t cpu = 0; cpu < N; cpu++) {
        chain.work[cpu] = (tenon_irq_work_t){ .func = chain_work, .arg = (void *)(uintptr_t)cpu };
        atomic_store_explicit(&chain.oob_runs[cpu], 0, memory_order_relaxed);
        atomic_store_explicit(&chain.inband_runs[cpu], 0, memory_order_relaxed);
        atomic_store_explicit(&chain.work_runs[cpu], 0, memory_order_relaxed);
    }
    atomic_store_explicit(&chain.violations, 0, memory_order_relaxed);

    /* The in-band side first, so the oob handler never posts to a bare sIRQ. */
    chain.sirq = host->irq_create_direct_mapping(host);
    if (chain.sirq == 0)
        return -ENOSPC;
    int32_t ret = host->request_irq(host, chain.sirq, chain_inband_handler, TENON_IRQF_PERCPU,
                                    "chain-inband", &chain);
    if (ret != 0)
        goto fail_dispose;
    ret = host->request_irq(host, chain.irq, chain_oob_handler, TENON_IRQF_OOB, "chain-oob", &chain);
    if (ret != 0)
        goto fail_free;
    return 0;

fail_free:
    host->free_irq(host, chain.sirq, &chain);
fail_dispose:
    host->irq_dispose_mapping(host, chain.sirq);
    chain.sirq = 0;
    return ret;
}

static void chain_exit(const tenon_host_t *host)
{
    host->free_irq(host, chain.irq, &chain);
    host->free_irq(host, chain.sirq, &chain);
    host->irq_dispose_mapping(host, chain.sirq);
}

static const tenon_param_desc_t chain_params[] = {
    { "irq", TENON_PARAM_UINT, "6", "device IRQ whose oob handler defers to the in-band stage" },
    { "work", TENON_PARAM_BOOL, "false", "also queue an irq_work from the oob handler" },
};

static const tenon_command_desc_t chain_commands[] = {
    { "oob_count", "u64()", TENON_COMMAND_FN(cmd_oob_count), "oob handler runs, all CPUs" },
    { "inband_count", "u64()", TENON_COMMAND_FN(cmd_inband_count), "in-band (synthetic IRQ) handler runs, all CPUs" },
    { "work_count", "u64()", TENON_COMMAND_FN(cmd_work_count), "irq_work runs, all CPUs" },
    { "violations", "u64()", TENON_COMMAND_FN(cmd_violations), "handlers that ran on the wrong stage" },
    { "sirq", "u32()", TENON_COMMAND_FN(cmd_sirq), "the synthetic IRQ allocated at init" },
};

static const tenon_plugin_desc_t chain_desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "chain",
    .version = "1.0.0",
    .description = "oob handler deferring to in-band via a synthetic IRQ and irq_work",
    .params = chain_params,
    .param_count = TENON_ARRAY_COUNT(chain_params),
    .commands = chain_commands,
    .command_count = TENON_ARRAY_COUNT(chain_commands),
    .init = chain_init,
    .exit = chain_exit,
};

TENON_PLUGIN_ENTRY(chain_desc)
