/*
 * stuck — an oob handler that spins until released. Lets tests check that
 * unload reports "busy" instead of hanging while a CPU is inside the plugin.
 *
 * Params: irq (uint, 7)
 * Commands: release "void()", rearm "void()", entered "u64()", left "u64()"
 */
#include <errno.h>
#include <stdatomic.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"

static struct {
    uint32_t irq;
    atomic_int released;        /* 0: handlers spin; 1: they return */
    _Atomic uint64_t entered;
    _Atomic uint64_t left;
} stuck;

/* [oob] Spins with hard interrupts off on purpose. */
static tenon_irqreturn_t stuck_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    atomic_fetch_add_explicit(&stuck.entered, 1, memory_order_relaxed);
    while (atomic_load_explicit(&stuck.released, memory_order_acquire) == 0)
        tenon_cpu_relax();
    atomic_fetch_add_explicit(&stuck.left, 1, memory_order_relaxed);
    return TENON_IRQ_HANDLED;
}

/* Commands [task]. */
static void cmd_release(void) { atomic_store_explicit(&stuck.released, 1, memory_order_release); }
static void cmd_rearm(void) { atomic_store_explicit(&stuck.released, 0, memory_order_release); }
static uint64_t cmd_entered(void) { return atomic_load_explicit(&stuck.entered, memory_order_relaxed); }
static uint64_t cmd_left(void) { return atomic_load_explicit(&stuck.left, memory_order_relaxed); }

static int32_t stuck_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    if (host->nr_cpus > TENON_EXAMPLE_MAX_CPUS || !irq || irq->value.u > UINT32_MAX)
        return -EINVAL;
    stuck.irq = (uint32_t)irq->value.u;
    atomic_store_explicit(&stuck.released, 0, memory_order_relaxed);
    atomic_store_explicit(&stuck.entered, 0, memory_order_relaxed);
    atomic_store_explicit(&stuck.left, 0, memory_order_relaxed);
    return host->request_irq(host, stuck.irq, stuck_handler, TENON_IRQF_OOB, "stuck", &stuck);
}

static void stuck_exit(const tenon_host_t *host)
{
    host->free_irq(host, stuck.irq, &stuck);
}

static const tenon_param_desc_t stuck_params[] = {
    { "irq", TENON_PARAM_UINT, "7", "IRQ whose oob handler spins until `release`" },
};

static const tenon_command_desc_t stuck_commands[] = {
    { "release", "void()", TENON_COMMAND_FN(cmd_release), "let spinning handlers return" },
    { "rearm", "void()", TENON_COMMAND_FN(cmd_rearm), "make the next handler runs spin again" },
    { "entered", "u64()", TENON_COMMAND_FN(cmd_entered), "handler entries" },
    { "left", "u64()", TENON_COMMAND_FN(cmd_left), "handler returns" },
};

static const tenon_plugin_desc_t stuck_desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "stuck",
    .version = "1.0.0",
    .description = "oob handler that spins until released (unload-busy tests)",
    .params = stuck_params,
    .param_count = TENON_ARRAY_COUNT(stuck_params),
    .commands = stuck_commands,
    .command_count = TENON_ARRAY_COUNT(stuck_commands),
    .init = stuck_init,
    .exit = stuck_exit,
};

TENON_PLUGIN_ENTRY(stuck_desc)
