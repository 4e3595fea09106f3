/*
 * Fixture: plugin code that takes its time in task context, for the control
 * plane's tests: an init() that sleeps, a command that naps, an exit() that
 * sleeps. Its oob handler only counts.
 *
 * Params: irq (uint, 12), init_ms (uint, 0), exit_ms (uint, 0), gate (string, ""):
 *   init() sleeps up to init_ms, ending early once the file `gate` exists (so a test
 *   decides when the load completes, however loaded the machine is).
 * Commands: nap "u64(u64)" sleeps up to that many ms, ending early at the next `wake`,
 *   and returns the ms asked; wake "void()"; count "u64()".
 */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"

static struct {
    uint32_t irq;
    uint64_t exit_ms;
    _Atomic uint64_t count;
    _Atomic uint64_t wakes;
} slow;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* [oob] */
static tenon_irqreturn_t slow_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    atomic_fetch_add_explicit(&slow.count, 1, memory_order_relaxed);
    return TENON_IRQ_HANDLED;
}

/* Commands [task]. */
static uint64_t cmd_nap(uint64_t ms)
{
    uint64_t seen = atomic_load_explicit(&slow.wakes, memory_order_acquire);
    uint64_t end = now_ms() + ms;
    while (now_ms() < end && atomic_load_explicit(&slow.wakes, memory_order_acquire) == seen)
        sleep_ms(5);
    return ms;
}
static void cmd_wake(void) { atomic_fetch_add_explicit(&slow.wakes, 1, memory_order_release); }
static uint64_t cmd_count(void) { return atomic_load_explicit(&slow.count, memory_order_relaxed); }

static int32_t slow_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    const tenon_param_value_t *init_ms = tenon_param_find(params, n, "init_ms", TENON_PARAM_UINT);
    const tenon_param_value_t *exit_ms = tenon_param_find(params, n, "exit_ms", TENON_PARAM_UINT);
    const tenon_param_value_t *gate = tenon_param_find(params, n, "gate", TENON_PARAM_STRING);
    if (!irq || irq->value.u > UINT32_MAX || !init_ms || !exit_ms || !gate)
        return -EINVAL;
    slow.irq = (uint32_t)irq->value.u;
    slow.exit_ms = exit_ms->value.u;
    atomic_store_explicit(&slow.count, 0, memory_order_relaxed);
    uint64_t end = now_ms() + init_ms->value.u;
    while (now_ms() < end && !(gate->value.s && gate->value.s[0] && access(gate->value.s, F_OK) == 0))
        sleep_ms(5);
    return host->request_irq(host, slow.irq, slow_handler, TENON_IRQF_OOB, "slow", &slow);
}

static void slow_exit(const tenon_host_t *host)
{
    sleep_ms(slow.exit_ms);
    host->free_irq(host, slow.irq, &slow);
}

static const tenon_param_desc_t slow_params[] = {
    { "irq", TENON_PARAM_UINT, "12", "IRQ whose oob handler counts" },
    { "init_ms", TENON_PARAM_UINT, "0", "how long init() sleeps" },
    { "exit_ms", TENON_PARAM_UINT, "0", "how long exit() sleeps" },
    { "gate", TENON_PARAM_STRING, "", "init() ends early once this file exists" },
};

static const tenon_command_desc_t slow_commands[] = {
    { "nap", "u64(u64)", TENON_COMMAND_FN(cmd_nap), "sleep up to that many ms (until the next wake), return it" },
    { "wake", "void()", TENON_COMMAND_FN(cmd_wake), "end the naps running now" },
    { "count", "u64()", TENON_COMMAND_FN(cmd_count), "handler runs" },
};

static const tenon_plugin_desc_t slow_desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "fixture-slow",
    .version = "1.0.0",
    .description = "init(), a command and exit() that take their time (control-plane tests)",
    .params = slow_params,
    .param_count = TENON_ARRAY_COUNT(slow_params),
    .commands = slow_commands,
    .command_count = TENON_ARRAY_COUNT(slow_commands),
    .init = slow_init,
    .exit = slow_exit,
};

TENON_PLUGIN_ENTRY(slow_desc)
