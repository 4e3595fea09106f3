/* Fixture for the plugin host: one handler that bumps a counter in HOST
 * memory (so a late run after unload is visible even though the image is
 * gone), plus knobs that make init fail in specific ways.
 * Built twice: PLUGIN_NAME selects the descriptor name. */
#include <tenon/tenon_plugin.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "hostplug"
#endif

static uint64_t *g_counter;      /* host-owned, may be NULL */
static uint64_t g_runs;
static int g_dev;
static int g_dev_extra;
static int g_dev_map;
static const tenon_host_t *g_host;
static int g_misbehave;                 /* handler calls task services (a plugin bug) */
static int64_t g_handler_rc = 1;        /* what request_irq returned inside the handler */

static tenon_irqreturn_t handler(uint32_t irq, void *dev)
{
    (void)irq; (void)dev;
    if (g_counter) __atomic_fetch_add(g_counter, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_runs, 1, __ATOMIC_RELAXED);
    if (g_misbehave) {
        g_handler_rc = g_host->request_irq(g_host, 30, handler, 0, "from-handler", &g_dev_extra);
        g_host->log(g_host, 3, "from a handler: must be dropped");
    }
    return TENON_IRQ_HANDLED;
}

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    uint64_t irq = 5, extra = UINT64_MAX;
    int shared = 0, mapping = 0;
    int64_t fail = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!strcmp(p[i].name, "counter")) g_counter = (uint64_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "irq")) irq = p[i].value.u;
        else if (!strcmp(p[i].name, "extra_irq")) extra = p[i].value.u;
        else if (!strcmp(p[i].name, "shared")) shared = p[i].value.b;
        else if (!strcmp(p[i].name, "mapping")) mapping = p[i].value.b;
        else if (!strcmp(p[i].name, "fail")) fail = p[i].value.i;
        else if (!strcmp(p[i].name, "misbehave")) g_misbehave = p[i].value.b;
    }
    g_host = host;
    uint32_t flags = shared ? TENON_IRQF_SHARED : 0;
    int32_t rc = host->request_irq(host, (uint32_t)irq, handler, flags, PLUGIN_NAME, &g_dev);
    if (rc) return rc;
    if (mapping) {
        uint32_t m = host->irq_create_direct_mapping(host);
        if (!m) return -ENOSPC;
        rc = host->request_irq(host, m, handler, TENON_IRQF_PERCPU, PLUGIN_NAME "-synthetic", &g_dev_map);
        if (rc) return rc;
    }
    if (extra != UINT64_MAX) {
        rc = host->request_irq(host, (uint32_t)extra, handler, flags, PLUGIN_NAME "-extra", &g_dev_extra);
        if (rc) return rc;
    }
    if (fail) return (int32_t)fail;
    host->log(host, 1, PLUGIN_NAME " ready");
    return 0;
}

static void plugin_exit(const tenon_host_t *host) { (void)host; }

static uint64_t cmd_runs(void) { return __atomic_load_n(&g_runs, __ATOMIC_RELAXED); }
static int64_t cmd_add(int64_t a, int64_t b) { return a + b; }
static int64_t cmd_handler_rc(void) { return g_handler_rc; }

static const tenon_param_desc_t params[] = {
    { "counter", TENON_PARAM_UINT, "0", "address of a host uint64_t bumped per handler run" },
    { "irq", TENON_PARAM_UINT, "5", "IRQ line" },
    { "extra_irq", TENON_PARAM_UINT, "0xffffffffffffffff", "a second line to request (none by default)" },
    { "shared", TENON_PARAM_BOOL, "false", "request with TENON_IRQF_SHARED" },
    { "mapping", TENON_PARAM_BOOL, "false", "also create a synthetic IRQ with an action" },
    { "fail", TENON_PARAM_INT, "0", "init returns this after registering everything" },
    { "misbehave", TENON_PARAM_BOOL, "false", "the handler calls request_irq and log (task-only services)" },
};

static const tenon_command_desc_t commands[] = {
    { "runs", "u64()", (void (*)(void))cmd_runs, "handler runs" },
    { "add", "i64(i64,i64)", (void (*)(void))cmd_add, "a+b" },
    { "handler_rc", "i64()", (void (*)(void))cmd_handler_rc, "request_irq's result inside the handler" },
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, PLUGIN_NAME, "1.0", "plugin host fixture",
    params, sizeof params / sizeof params[0], commands, sizeof commands / sizeof commands[0],
    plugin_init, plugin_exit,
};

TENON_PLUGIN_ENTRY(desc)
