/* Fixture for the plugin limits: commands that ask the host for IRQ actions,
 * timers and synthetic IRQs one at a time, so a test can walk up to each
 * limit; init returns `ret` (a positive value must fail the load). */
#include <tenon/tenon_plugin.h>
#include <stdint.h>
#include <string.h>

static const tenon_host_t *g_host;
static int g_dev;

static tenon_irqreturn_t handler(uint32_t irq, void *dev)
{
    (void)irq; (void)dev;
    return TENON_IRQ_HANDLED;
}

static int32_t cmd_request(uint32_t irq, uint32_t flags)
{
    return g_host->request_irq(g_host, irq, handler, flags, "greedy", &g_dev);
}

static int64_t cmd_timer(uint64_t period_ns)
{
    return g_host->timer_start(g_host, 0, 7, period_ns ? period_ns : 1000000, period_ns);
}

static int32_t cmd_stop(int64_t id) { return g_host->timer_stop(g_host, id); }
static uint32_t cmd_map(void) { return g_host->irq_create_direct_mapping(g_host); }

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    g_host = host;
    int64_t ret = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(p[i].name, "ret")) ret = p[i].value.i;
    return (int32_t)ret;
}

static const tenon_param_desc_t params[] = {
    { "ret", TENON_PARAM_INT, "0", "what init returns" },
};

static const tenon_command_desc_t commands[] = {
    { "request", "i32(u32,u32)", (void (*)(void))cmd_request, "request_irq(irq, flags)" },
    { "timer", "i64(u64)", (void (*)(void))cmd_timer, "timer_start on CPU 0 with this period (0: one-shot)" },
    { "stop", "i32(i64)", (void (*)(void))cmd_stop, "timer_stop" },
    { "map", "u32()", (void (*)(void))cmd_map, "irq_create_direct_mapping" },
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "greedy", "1.0", "plugin limits fixture",
    params, 1, commands, 4, plugin_init, NULL,
};

TENON_PLUGIN_ENTRY(desc)
