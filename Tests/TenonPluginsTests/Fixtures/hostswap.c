/* Fixture for hot-swap tests, built as two versions (-DVERSION=1/2) of one
 * plugin. The handler drains the current CPU's ring of sequence numbers (in
 * host memory) and counts each one in seen[]: one handler run may consume
 * several raises, but every sequence number must be counted exactly once,
 * whichever version handled it. runs[cpu] counts handler runs, so a dispatch
 * that called both versions would show up as more runs than dispatches. */
#include <tenon/tenon_plugin.h>
#include <stdint.h>
#include <string.h>

#ifndef VERSION
#define VERSION 1
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

#define RING 256
struct ring { uint64_t head, tail, buf[RING]; };

static const tenon_host_t *g_host;
static struct ring *g_rings;
static uint32_t *g_seen;
static uint64_t *g_runs;
static uint64_t *g_byversion;
static int g_dev;

static tenon_irqreturn_t handler(uint32_t irq, void *dev)
{
    (void)irq; (void)dev;
    uint32_t cpu = g_host->smp_processor_id(g_host);
    struct ring *r = &g_rings[cpu];
    uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint64_t head = r->head;
    while (head != tail) {
        uint64_t seq = r->buf[head % RING];
        __atomic_fetch_add(&g_seen[seq], 1, __ATOMIC_RELAXED);
        head++;
    }
    __atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
    __atomic_fetch_add(&g_runs[cpu], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_byversion[VERSION - 1], 1, __ATOMIC_RELAXED);
    return TENON_IRQ_HANDLED;
}

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    uint64_t irq = 11;
    for (uint32_t i = 0; i < n; i++) {
        if (!strcmp(p[i].name, "rings")) g_rings = (struct ring *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "seen")) g_seen = (uint32_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "runs")) g_runs = (uint64_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "byversion")) g_byversion = (uint64_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "irq")) irq = p[i].value.u;
    }
    g_host = host;
    return host->request_irq(host, (uint32_t)irq, handler, 0, "swap-v" STR(VERSION), &g_dev);
}

static const tenon_param_desc_t params[] = {
    { "rings", TENON_PARAM_UINT, NULL, "per-CPU rings" },
    { "seen", TENON_PARAM_UINT, NULL, "uint32_t seen[seq]" },
    { "runs", TENON_PARAM_UINT, NULL, "uint64_t runs[cpu]" },
    { "byversion", TENON_PARAM_UINT, NULL, "uint64_t runs per version [2]" },
    { "irq", TENON_PARAM_UINT, "11", "IRQ line" },
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "swapper", STR(VERSION), "hot-swap fixture",
    params, 5, NULL, 0, plugin_init, NULL,
};

TENON_PLUGIN_ENTRY(desc)
