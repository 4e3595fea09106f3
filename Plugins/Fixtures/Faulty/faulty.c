/* Fixture: a plugin that faults on purpose, for the fault-containment tests
 * and `tenon stress --faults`.
 *
 * Params: irq (uint, 30)          its IRQ line
 *         where (string, "oob")   oob | inband | work | timer | init | exit | command | none
 *         kind (string, "null")   null | fpe | abort | stack | trap | exit | _exit
 *         after (uint, 1)         fault on the after-th handler/work run (1: the first)
 *         early (bool, false)     where=oob: init raises the line on CPU 1, waits
 *                                 for the fault, then 20 ms more, and succeeds
 *                                 (a fault reported before the load registers it)
 *         refuse (bool, false)    init returns -EINVAL at its end (after `early`)
 * Commands: calls "u64()" (handler runs so far), crash "void()" (faults with
 *           `kind` when where=command, else returns). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"

static const tenon_host_t *host;
static uint32_t line;
static char where[16];
static char kind[16];
static uint64_t after;
static _Atomic uint64_t runs;
static tenon_irq_work_t work[TENON_EXAMPLE_MAX_CPUS];
static int64_t timer = -1;

/* volatile so the compiler keeps the faulting operations. */
/* volatile operands: 1 / x with a constant 1 compiles to a compare. */
static volatile int zero;
static volatile int one = 1;
static int *volatile nowhere;

static __attribute__((noinline)) uint64_t recurse(volatile uint64_t depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    return recurse(depth + 1) + (uint64_t)pad[0];
}

static __attribute__((noinline)) void fault(void)
{
    if (strcmp(kind, "fpe") == 0) {
        volatile int x = one / zero;
        (void)x;
    } else if (strcmp(kind, "abort") == 0) {
        abort();
    } else if (strcmp(kind, "stack") == 0) {
        (void)recurse(0);
    } else if (strcmp(kind, "trap") == 0) {
        __builtin_trap();
    } else if (strcmp(kind, "exit") == 0) {
        exit(0);
    } else if (strcmp(kind, "_exit") == 0) {
        _exit(0);
    } else {
        *nowhere = 42; /* NULL dereference */
    }
}

static int faults_here(const char *w)
{
    if (strcmp(where, w) != 0) return 0;
    return atomic_fetch_add(&runs, 1) + 1 >= after;
}

static void faulty_work(tenon_irq_work_t *w)
{
    (void)w;
    if (faults_here("work")) fault();
}

static tenon_irqreturn_t faulty_handler(uint32_t irq, void *dev_id)
{
    (void)irq; (void)dev_id;
    if (strcmp(where, "work") == 0) {
        uint32_t cpu = host->smp_processor_id(host);
        if (cpu < TENON_EXAMPLE_MAX_CPUS) host->irq_work_queue(host, &work[cpu]);
        return TENON_IRQ_HANDLED;
    }
    if (faults_here("oob") || faults_here("inband") || faults_here("timer")) fault();
    if (strcmp(where, "none") == 0) atomic_fetch_add(&runs, 1);
    return TENON_IRQ_HANDLED;
}

static void copy_param(char *dst, size_t n, const tenon_param_value_t *p, const char *fallback)
{
    const char *s = p && p->value.s ? p->value.s : fallback;
    strncpy(dst, s, n - 1);
    dst[n - 1] = 0;
}

static int32_t faulty_init(const tenon_host_t *h, const tenon_param_value_t *params, uint32_t n)
{
    host = h;
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    const tenon_param_value_t *a = tenon_param_find(params, n, "after", TENON_PARAM_UINT);
    line = irq ? (uint32_t)irq->value.u : 30;
    after = a ? a->value.u : 1;
    copy_param(where, sizeof where, tenon_param_find(params, n, "where", TENON_PARAM_STRING), "oob");
    copy_param(kind, sizeof kind, tenon_param_find(params, n, "kind", TENON_PARAM_STRING), "null");
    for (uint32_t i = 0; i < TENON_EXAMPLE_MAX_CPUS; i++) work[i].func = faulty_work;
    uint32_t flags = strcmp(where, "inband") == 0 ? 0 : TENON_IRQF_OOB;
    int32_t rc = host->request_irq(host, line, faulty_handler, flags, "faulty", &line);
    if (rc != 0) return rc;
    if (strcmp(where, "timer") == 0) {
        timer = host->timer_start(host, 0, line, 1000000u, 1000000u);
        if (timer < 0) return (int32_t)timer;
    }
    if (strcmp(where, "init") == 0) fault();
    const tenon_param_value_t *e = tenon_param_find(params, n, "early", TENON_PARAM_BOOL);
    if (e && e->value.b && strcmp(where, "oob") == 0) {
        host->raise_irq(host, line, 1);
        for (int i = 0; i < 5000 && atomic_load(&runs) == 0; i++) usleep(1000);
        usleep(20000);
    }
    const tenon_param_value_t *r = tenon_param_find(params, n, "refuse", TENON_PARAM_BOOL);
    if (r && r->value.b) return -EINVAL;
    return 0;
}

static void faulty_exit(const tenon_host_t *h)
{
    (void)h;
    if (strcmp(where, "exit") == 0) fault();
}

static uint64_t cmd_calls(void) { return atomic_load(&runs); }

static void cmd_crash(void)
{
    if (strcmp(where, "command") == 0) fault();
}

static const tenon_param_desc_t params[] = {
    { "irq", TENON_PARAM_UINT, "30", "IRQ line" },
    { "where", TENON_PARAM_STRING, "oob", "oob|inband|work|timer|init|exit|command|none" },
    { "kind", TENON_PARAM_STRING, "null", "null|fpe|abort|stack|trap|exit|_exit" },
    { "after", TENON_PARAM_UINT, "1", "fault on the after-th run" },
    { "early", TENON_PARAM_BOOL, "false", "where=oob: init raises the line and waits for the fault" },
    { "refuse", TENON_PARAM_BOOL, "false", "init fails with -EINVAL at its end" },
};

static const tenon_command_desc_t commands[] = {
    { "calls", "u64()", TENON_COMMAND_FN(cmd_calls), "handler runs so far" },
    { "crash", "void()", TENON_COMMAND_FN(cmd_crash), "fault now (where=command)" },
};

static const tenon_plugin_desc_t desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "fixture-faulty",
    .version = "0.0.1",
    .description = "faults on purpose (fault-containment tests)",
    .params = params,
    .param_count = TENON_ARRAY_COUNT(params),
    .commands = commands,
    .command_count = TENON_ARRAY_COUNT(commands),
    .init = faulty_init,
    .exit = faulty_exit,
};

TENON_PLUGIN_ENTRY(desc)
