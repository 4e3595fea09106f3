/*
 * torture — the plugin `tenon stress` loads, swaps and unloads under an IRQ
 * storm. Every instance is one *generation* (a number the host hands out);
 * its oob handler drains the host-owned ledger's per-CPU FIFO of
 * (seq, stamp = generation current at raise time) and records ages, doubles,
 * gaps and generation violations there (see tenon_torture.h). With `work`,
 * it also queues a per-CPU irq_work whose function checks that its
 * generation's unload has not returned yet.
 *
 * With `fault_one_in` (for `tenon stress --faults`), one handler run in that
 * many (at random) faults on purpose: NULL dereference, division by zero,
 * abort() or a stack overflow, after counting the fault in `fault_log` (a
 * host-owned uint64 per CPU) so the host can match every oops to a fault.
 *
 * With `long_irq`, an in-band handler on that line holds its read section for
 * `long_ns` (milliseconds: oob IRQs nest in it, and an unload that starts
 * meanwhile must wait for all of it), then checks at the section's end that
 * its generation's exit() has not begun, its unload has not returned and its
 * code and data are unchanged (tenon_torture_long_end).
 *
 * Params: irq (uint, 20), generation (uint, 0), ledger (uint, 0 = none),
 *         max_spin_ns (uint, 0: random handler duration 0..max), work (bool, false),
 *         fault_one_in (uint, 0 = never), fault_log (uint, 0 = none),
 *         long_irq (uint, 0 = none), long_ns (uint, 2000000)
 * Commands: generation "u64()", handled "u64()"
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"
#include "tenon_torture.h"

#define N TENON_EXAMPLE_MAX_CPUS

static struct {
    const tenon_host_t *host;            /* valid from init until exit returns */
    struct tenon_torture_ledger *ledger; /* NULL: none */
    uint32_t irq;
    uint64_t generation;
    uint64_t max_spin_ns;
    int use_work;
    _Atomic uint64_t handled;
    uint64_t rng[N];                     /* per-CPU xorshift (only its CPU touches it) */
    tenon_irq_work_t work[N];
    uint64_t fault_one_in;
    uint64_t *fault_log;                 /* host-owned, one counter per CPU; NULL: none */
    uint32_t long_irq;                   /* 0: no long in-band sections */
    uint64_t long_ns;
    uint64_t oob_runs[N];                /* per-CPU oob handler runs (nesting seen by long sections) */
    uint64_t canary;                     /* TORTURE_CANARY from init until exit() */
    unsigned char code_sig[16];          /* the long handler's first bytes, read at init */
} t;

#define TORTURE_CANARY 0x746f727475726521ull

/* volatile operands: with a constant 1 as dividend the compiler turns 1 / x
 * into a compare (division by zero is undefined), and nothing faults. */
static volatile int zero;
static volatile int one = 1;
static int *volatile nowhere;

static __attribute__((noinline)) uint64_t overflow(volatile uint64_t depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    return overflow(depth + 1) + (uint64_t)pad[0];
}

/* An injected fault of kind 0..3 (never returns normally). */
static __attribute__((noinline)) void inject_fault(uint32_t cpu, uint64_t kind)
{
    if (t.fault_log != NULL)
        __atomic_fetch_add(&t.fault_log[cpu], 1, __ATOMIC_SEQ_CST);
    switch (kind % 4) {
    case 0: *nowhere = 1; break;
    case 1: { volatile int x = one / zero; (void)x; break; }
    case 2: abort();
    default: (void)overflow(0); break;
    }
}

static uint64_t next_random(uint32_t cpu)
{
    uint64_t x = t.rng[cpu];
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t.rng[cpu] = x;
    return x;
}

static int exited(void)
{
    return t.ledger != NULL && tenon_torture_load(&t.ledger->exited_generation) >= t.generation;
}

/* [inband], on the CPU that queued it. */
static void torture_work(tenon_irq_work_t *work)
{
    uint32_t cpu = (uint32_t)(uintptr_t)work->arg;
    if (t.ledger == NULL)
        return;
    __atomic_fetch_add(&t.ledger->work_runs, 1, __ATOMIC_RELAXED);
    tenon_torture_check_run(t.ledger, t.generation, 0);
    if (exited()) {
        __atomic_fetch_add(&t.ledger->late_work_runs, 1, __ATOMIC_RELAXED);
        tenon_torture__first(t.ledger, 3, t.generation, 0, cpu);
    }
}

/* [oob] async-signal-safe: atomics, clock_ns, irq_work_queue only. */
static tenon_irqreturn_t torture_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    uint32_t cpu = t.host->smp_processor_id(t.host);
    if (cpu >= N)
        return TENON_IRQ_NONE;
    atomic_fetch_add_explicit(&t.handled, 1, memory_order_relaxed);
    __atomic_fetch_add(&t.oob_runs[cpu], 1, __ATOMIC_RELAXED);
    if (t.fault_one_in != 0) {
        uint64_t r = next_random(cpu);
        if (r % t.fault_one_in == 0)
            inject_fault(cpu, r >> 32);
    }
    struct tenon_torture_ledger *l = t.ledger;
    if (l != NULL) {
        __atomic_fetch_add(&l->handler_runs, 1, __ATOMIC_RELAXED);
        tenon_torture_check_run(l, t.generation, 1);
        if (exited()) {
            __atomic_fetch_add(&l->late_handler_runs, 1, __ATOMIC_RELAXED);
            tenon_torture__first(l, 2, t.generation, 0, cpu);
        }
        tenon_torture_drain(l, cpu, t.generation);
    }
    if (t.max_spin_ns != 0) {
        uint64_t start = t.host->clock_ns(t.host);
        uint64_t span = next_random(cpu) % (t.max_spin_ns + 1);
        while (t.host->clock_ns(t.host) - start < span)
            tenon_cpu_relax();
    }
    if (t.use_work && t.host->irq_work_queue(t.host, &t.work[cpu]) == 1 && l != NULL)
        __atomic_fetch_add(&l->work_queued, 1, __ATOMIC_RELAXED);
    return TENON_IRQ_HANDLED;
}

/* [inband] A long read section: spins `long_ns` while oob IRQs nest in it,
 * then checks at its end, not only at its start, that nothing of this
 * generation went away meanwhile. */
static tenon_irqreturn_t torture_long_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    (void)dev_id;
    uint32_t cpu = t.host->smp_processor_id(t.host);
    struct tenon_torture_ledger *l = t.ledger;
    if (cpu >= N || l == NULL)
        return TENON_IRQ_HANDLED;
    uint64_t gen = t.generation;
    int unloading = tenon_torture_long_begin(l, gen);
    uint64_t oob = __atomic_load_n(&t.oob_runs[cpu], __ATOMIC_RELAXED);
    uint64_t start = t.host->clock_ns(t.host);
    while (t.host->clock_ns(t.host) - start < t.long_ns)
        tenon_cpu_relax();
    int intact = __atomic_load_n(&t.canary, __ATOMIC_SEQ_CST) == TORTURE_CANARY && t.generation == gen
        && memcmp(t.code_sig, (const void *)(uintptr_t)&torture_long_handler, sizeof t.code_sig) == 0;
    tenon_torture_long_end(l, gen, cpu, __atomic_load_n(&t.oob_runs[cpu], __ATOMIC_RELAXED) - oob, intact,
                           unloading);
    return TENON_IRQ_HANDLED;
}

/* Commands [task]. */
static uint64_t cmd_generation(void) { return t.generation; }
static uint64_t cmd_handled(void) { return atomic_load_explicit(&t.handled, memory_order_relaxed); }

static int32_t torture_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    const tenon_param_value_t *gen = tenon_param_find(params, n, "generation", TENON_PARAM_UINT);
    const tenon_param_value_t *ledger = tenon_param_find(params, n, "ledger", TENON_PARAM_UINT);
    const tenon_param_value_t *spin = tenon_param_find(params, n, "max_spin_ns", TENON_PARAM_UINT);
    const tenon_param_value_t *work = tenon_param_find(params, n, "work", TENON_PARAM_BOOL);
    const tenon_param_value_t *one_in = tenon_param_find(params, n, "fault_one_in", TENON_PARAM_UINT);
    const tenon_param_value_t *log = tenon_param_find(params, n, "fault_log", TENON_PARAM_UINT);
    const tenon_param_value_t *long_irq = tenon_param_find(params, n, "long_irq", TENON_PARAM_UINT);
    const tenon_param_value_t *long_ns = tenon_param_find(params, n, "long_ns", TENON_PARAM_UINT);
    if (host->nr_cpus > N || !irq || !gen || !ledger || !spin || !work || !one_in || !log || !long_irq || !long_ns
        || irq->value.u > UINT32_MAX || long_irq->value.u > UINT32_MAX || long_irq->value.u == irq->value.u)
        return -EINVAL;
    t.fault_one_in = one_in->value.u;
    t.fault_log = (uint64_t *)(uintptr_t)log->value.u;
    t.host = host;
    t.irq = (uint32_t)irq->value.u;
    t.generation = gen->value.u;
    t.max_spin_ns = spin->value.u;
    t.use_work = work->value.b;
    t.long_irq = (uint32_t)long_irq->value.u;
    t.long_ns = long_ns->value.u;
    memset(t.oob_runs, 0, sizeof t.oob_runs);
    memcpy(t.code_sig, (const void *)(uintptr_t)&torture_long_handler, sizeof t.code_sig);
    __atomic_store_n(&t.canary, TORTURE_CANARY, __ATOMIC_SEQ_CST);
    t.ledger = tenon_torture_ledger_from_param(ledger->value.u);
    if (ledger->value.u != 0 && t.ledger == NULL) {
        host->log(host, 3, "ledger= is not the address of a tenon_torture_ledger set up by the host");
        return -EINVAL;
    }
    if (t.ledger != NULL && t.ledger->nr_cpus < host->nr_cpus)
        return -EINVAL;
    atomic_store_explicit(&t.handled, 0, memory_order_relaxed);
    for (uint32_t cpu = 0; cpu < N; cpu++) {
        t.rng[cpu] = 0x9E3779B97F4A7C15ull ^ (t.generation * 0x100000001B3ull) ^ (cpu + 1);
        t.work[cpu] = (tenon_irq_work_t){ .func = torture_work, .arg = (void *)(uintptr_t)cpu };
    }
    if (t.ledger != NULL)
        __atomic_fetch_add(&t.ledger->inits, 1, __ATOMIC_RELAXED);
    int32_t rc = host->request_irq(host, t.irq, torture_handler, TENON_IRQF_OOB, "torture", &t);
    if (rc != 0 || t.long_irq == 0)
        return rc;
    rc = host->request_irq(host, t.long_irq, torture_long_handler, 0, "torture-long", &t.long_irq);
    if (rc != 0)
        host->free_irq(host, t.irq, &t);
    return rc;
}

static void torture_exit(const tenon_host_t *host)
{
    if (t.ledger != NULL)
        tenon_torture_exit_begins(t.ledger, t.generation);
    __atomic_store_n(&t.canary, 0, __ATOMIC_SEQ_CST);
    host->free_irq(host, t.irq, &t);
    if (t.long_irq != 0)
        host->free_irq(host, t.long_irq, &t.long_irq);
}

static const tenon_param_desc_t torture_params[] = {
    { "irq", TENON_PARAM_UINT, "20", "IRQ line whose oob handler drains the ledger" },
    { "generation", TENON_PARAM_UINT, "0", "this instance's generation number (host-assigned)" },
    { "ledger", TENON_PARAM_UINT, "0", "address of a tenon_torture_ledger (0 = none)" },
    { "max_spin_ns", TENON_PARAM_UINT, "0", "random handler duration 0..max ns" },
    { "work", TENON_PARAM_BOOL, "false", "queue a per-CPU irq_work from each handler run" },
    { "fault_one_in", TENON_PARAM_UINT, "0", "fault on purpose in one handler run in N (0 = never)" },
    { "fault_log", TENON_PARAM_UINT, "0", "address of host-owned per-CPU uint64 fault counters (0 = none)" },
    { "long_irq", TENON_PARAM_UINT, "0", "IRQ line of the long in-band sections (0 = none)" },
    { "long_ns", TENON_PARAM_UINT, "2000000", "duration of one long in-band section, ns" },
};

static const tenon_command_desc_t torture_commands[] = {
    { "generation", "u64()", TENON_COMMAND_FN(cmd_generation), "this instance's generation" },
    { "handled", "u64()", TENON_COMMAND_FN(cmd_handled), "handler runs of this instance" },
};

static const tenon_plugin_desc_t torture_desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "torture",
    .version = "1.0.0",
    .description = "Generation-stamped ledger handler for tenon stress",
    .params = torture_params,
    .param_count = TENON_ARRAY_COUNT(torture_params),
    .commands = torture_commands,
    .command_count = TENON_ARRAY_COUNT(torture_commands),
    .init = torture_init,
    .exit = torture_exit,
};

TENON_PLUGIN_ENTRY(torture_desc)
