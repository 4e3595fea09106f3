/*
 * tenon_torture.h — the ledger shared by `tenon stress` (host side) and the
 * `torture` plugin (Plugins/Torture). Header-only, lock-free, allocation-free:
 * every handler-side function is async-signal-safe (atomics only).
 *
 * The host allocates one ledger block (tenon_torture_ledger_size(), 64-byte
 * aligned), calls tenon_torture_ledger_init(), and passes its address to every
 * torture generation as the UINT parameter `ledger`.
 *
 * Per CPU, a single-producer/single-consumer FIFO of (seq, stamp):
 *   producer (one raiser thread per CPU ring): tenon_torture_push(L, cpu, stamp)
 *     takes the CPU's next sequence number, stamps it with the generation that
 *     was current (`L->current_generation`) and then raises the IRQ;
 *   consumer (the torture handler on that CPU, whatever its generation):
 *     tenon_torture_drain(L, cpu, my_generation).
 * Checks done by the consumer (rcutorture's "reader pipe" in plugin form):
 *   - seq continuity per CPU: a seq below the expected one is a double, above
 *     it a gap (lost entries); the FIFO makes "seen[seq] == 1 for every seq"
 *     equivalent to "every CPU's seqs are drained in order with no gap and no
 *     repeat" (O(1) memory however long the run);
 *   - age = my_generation - stamp goes into a histogram; a handler running a
 *     generation OLDER than the stamp (stamp > my_generation) ran after a newer
 *     generation had fully replaced it: a generation violation;
 *   - a handler or irq_work of generation g that runs once the host has stored
 *     `exited_generation >= g` (set after g's unload/swap returned) is a late
 *     run.
 * Long in-band sections (`long_irq`): an in-band handler that holds its read
 * section for milliseconds, so oob IRQs nest in it and an unload has to wait
 * for it; at the section's *end* it checks, with tenon_torture_long_end(),
 * that its generation's exit() has not begun, its unload has not returned and
 * its image's code and data are what they were at init.
 */
#ifndef TENON_TORTURE_H
#define TENON_TORTURE_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "tenon_test_device.h" /* tenon_test_device__probe */

#ifdef __cplusplus
extern "C" {
#endif

#define TENON_TORTURE_MAGIC 0x54525455u /* "TRTU" */
#define TENON_TORTURE_MAX_CPUS 64u
#define TENON_TORTURE_RING 4096u         /* entries per CPU ring, power of two */
#define TENON_TORTURE_AGE_BUCKETS 8u     /* ages 0,1,2,3,4-7,8-15,16-31,32+ */

struct tenon_torture_entry {
    uint64_t seq;
    uint64_t stamp;
};

struct tenon_torture_cpu {
    uint64_t head;          /* consumer */
    uint64_t next_seq;      /* consumer: the seq it expects next */
    uint64_t draining;      /* consumer: 1 while a drain of this FIFO runs */
    uint64_t reentered;     /* drains refused because another one of this FIFO was running */
    uint64_t pad0[4];
    uint64_t tail;          /* producer */
    uint64_t pushed;        /* producer: seqs handed out (next seq to push) */
    uint64_t full;          /* producer: pushes refused because the ring was full */
    uint64_t pad1[5];
    struct tenon_torture_entry ring[TENON_TORTURE_RING];
};

struct tenon_torture_ledger {
    uint32_t magic;
    uint32_t nr_cpus;
    /* written by the host */
    uint64_t current_generation;   /* latest generation whose load/swap returned */
    uint64_t exited_generation;    /* highest generation whose unload/swap-out returned */
    uint64_t self;                 /* the ledger's own address, set by init (validates `ledger=`) */
    uint64_t unloading_generation; /* generation whose unload/swap-out is running, 0 = none */
    /* written by the plugin's exit() */
    uint64_t exit_began_generation;/* highest generation whose exit() has begun */
    uint64_t pad0[2];
    /* written by handlers (atomics) */
    uint64_t handler_runs;
    uint64_t drained;
    uint64_t doubles;
    uint64_t gaps;                 /* entries skipped (lost) */
    uint64_t age_violations;
    uint64_t late_handler_runs;    /* handler of an exited generation */
    uint64_t work_queued;
    uint64_t work_runs;
    uint64_t late_work_runs;       /* irq_work of an exited generation */
    uint64_t inits;
    /* first violation seen, for the report (0 = none) */
    uint64_t first_violation_kind; /* 1 age, 2 late handler, 3 late work, 4 double, 5 gap, 6 long section */
    uint64_t first_violation_generation;
    uint64_t first_violation_stamp;
    uint64_t first_violation_cpu;
    uint64_t age[TENON_TORTURE_AGE_BUCKETS];
    uint64_t runs_after_exit;      /* handler or irq_work of generation g after g's exit() began */
    uint64_t runs_during_unload;   /* handler runs of a generation whose unload/swap-out was running */
    /* long in-band sections, counted at their end */
    uint64_t long_open;            /* sections open now (the host waits for one before an unload) */
    uint64_t long_sections;        /* sections ended */
    uint64_t long_nested;          /* ... with an oob torture run nested in them */
    uint64_t long_during_unload;   /* ... open while their generation's unload/swap-out ran */
    uint64_t long_violations;      /* ... whose end found exit() begun, the unload returned or the image changed */
    struct tenon_torture_cpu cpus[];
};

static inline size_t tenon_torture_ledger_size(uint32_t nr_cpus)
{
    if (nr_cpus == 0 || nr_cpus > TENON_TORTURE_MAX_CPUS)
        return 0;
    return sizeof(struct tenon_torture_ledger) + (size_t)nr_cpus * sizeof(struct tenon_torture_cpu);
}

static inline struct tenon_torture_ledger *tenon_torture_ledger_init(void *mem, uint32_t nr_cpus)
{
    size_t size = tenon_torture_ledger_size(nr_cpus);
    if (mem == NULL || size == 0)
        return NULL;
    memset(mem, 0, size);
    struct tenon_torture_ledger *l = (struct tenon_torture_ledger *)mem;
    l->nr_cpus = nr_cpus;
    l->self = (uint64_t)(uintptr_t)l;
    __atomic_store_n(&l->magic, TENON_TORTURE_MAGIC, __ATOMIC_RELEASE);
    return l;
}

/* NULL for 0 and for anything but a ledger tenon_torture_ledger_init() set
 * up at that address (read through a probe: a stray number fails cleanly). */
static inline struct tenon_torture_ledger *tenon_torture_ledger_from_param(uint64_t address)
{
    struct tenon_torture_ledger head;
    if (address == 0 || (address & 7u) != 0
        || tenon_test_device__probe(address, &head, offsetof(struct tenon_torture_ledger, cpus)) != 0)
        return NULL;
    size_t size = tenon_torture_ledger_size(head.nr_cpus);
    if (head.magic != TENON_TORTURE_MAGIC || head.self != address || size == 0)
        return NULL;
    unsigned char byte;
    for (size_t off = 4096; off < size; off += 4096)
        if (tenon_test_device__probe(address + off, &byte, 1) != 0)
            return NULL;
    if (tenon_test_device__probe(address + size - 1, &byte, 1) != 0)
        return NULL;
    return (struct tenon_torture_ledger *)(uintptr_t)address;
}

static inline void tenon_torture__first(struct tenon_torture_ledger *l, uint64_t kind, uint64_t gen,
                                        uint64_t stamp, uint64_t cpu)
{
    uint64_t zero = 0;
    if (__atomic_compare_exchange_n(&l->first_violation_kind, &zero, kind, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        __atomic_store_n(&l->first_violation_generation, gen, __ATOMIC_RELAXED);
        __atomic_store_n(&l->first_violation_stamp, stamp, __ATOMIC_RELAXED);
        __atomic_store_n(&l->first_violation_cpu, cpu, __ATOMIC_RELAXED);
    }
}

/* Producer [any thread, serialized per CPU ring]: stamps the next seq of `cpu`
 * with the current generation and queues it. 0, or -1 if the ring is full. */
static inline int tenon_torture_push(struct tenon_torture_ledger *l, uint32_t cpu)
{
    if (cpu >= l->nr_cpus)
        return -1;
    struct tenon_torture_cpu *c = &l->cpus[cpu];
    uint64_t tail = __atomic_load_n(&c->tail, __ATOMIC_RELAXED);
    uint64_t head = __atomic_load_n(&c->head, __ATOMIC_ACQUIRE);
    if (tail - head >= TENON_TORTURE_RING) {
        __atomic_store_n(&c->full, __atomic_load_n(&c->full, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
        return -1;
    }
    uint64_t seq = __atomic_load_n(&c->pushed, __ATOMIC_RELAXED);
    struct tenon_torture_entry *e = &c->ring[tail & (TENON_TORTURE_RING - 1)];
    __atomic_store_n(&e->seq, seq, __ATOMIC_RELAXED);
    /* The stamp is read here, before the raise: a generation current now. */
    __atomic_store_n(&e->stamp, __atomic_load_n(&l->current_generation, __ATOMIC_ACQUIRE), __ATOMIC_RELAXED);
    __atomic_store_n(&c->pushed, seq + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->tail, tail + 1, __ATOMIC_RELEASE);
    return 0;
}

static inline uint32_t tenon_torture_age_bucket(uint64_t age)
{
    if (age < 4) return (uint32_t)age;
    if (age < 8) return 4;
    if (age < 16) return 5;
    if (age < 32) return 6;
    return 7;
}

/* Consumer [oob/inband handler on CPU `cpu`][async-signal-safe]. */
static inline uint32_t tenon_torture_drain(struct tenon_torture_ledger *l, uint32_t cpu, uint64_t generation)
{
    if (cpu >= l->nr_cpus)
        return 0;
    struct tenon_torture_cpu *c = &l->cpus[cpu];
    /* One reader per FIFO: a second drain (a handler nested in, or running beside, the drain
       of the same CPU) would work from stale head/next_seq copies and count entries twice. */
    if (__atomic_exchange_n(&c->draining, 1, __ATOMIC_ACQUIRE)) {
        __atomic_fetch_add(&c->reentered, 1, __ATOMIC_RELAXED);
        return 0;
    }
    uint64_t head = __atomic_load_n(&c->head, __ATOMIC_RELAXED);
    uint64_t expect = __atomic_load_n(&c->next_seq, __ATOMIC_RELAXED);
    uint32_t n = 0, total = 0;
    for (;;) {
        uint64_t tail = __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE);
        if (head == tail)
            break;
        for (; head != tail; head++, n++) {
            struct tenon_torture_entry *e = &c->ring[head & (TENON_TORTURE_RING - 1)];
            uint64_t seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
            uint64_t stamp = __atomic_load_n(&e->stamp, __ATOMIC_RELAXED);
            if (seq < expect) {
                __atomic_fetch_add(&l->doubles, 1, __ATOMIC_RELAXED);
                tenon_torture__first(l, 4, generation, stamp, cpu);
            } else {
                if (seq > expect) {
                    __atomic_fetch_add(&l->gaps, seq - expect, __ATOMIC_RELAXED);
                    tenon_torture__first(l, 5, generation, stamp, cpu);
                }
                expect = seq + 1;
            }
            if (stamp > generation) {
                __atomic_fetch_add(&l->age_violations, 1, __ATOMIC_RELAXED);
                tenon_torture__first(l, 1, generation, stamp, cpu);
            } else {
                __atomic_fetch_add(&l->age[tenon_torture_age_bucket(generation - stamp)], 1, __ATOMIC_RELAXED);
            }
        }
        __atomic_store_n(&c->next_seq, expect, __ATOMIC_RELAXED);
        __atomic_fetch_add(&l->drained, n, __ATOMIC_RELAXED);
        __atomic_store_n(&c->head, head, __ATOMIC_RELEASE);
        total += n;
        n = 0;
    }
    __atomic_store_n(&c->draining, 0, __ATOMIC_RELEASE);
    return total;
}

/* Plugin exit() [task]: records that generation's exit() has begun (monotonic max). */
static inline void tenon_torture_exit_begins(struct tenon_torture_ledger *l, uint64_t generation)
{
    uint64_t seen = __atomic_load_n(&l->exit_began_generation, __ATOMIC_RELAXED);
    while (seen < generation &&
           !__atomic_compare_exchange_n(&l->exit_began_generation, &seen, generation, 0,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
}

/* Handler or irq_work [any context] of `generation`: checks it does not run after its own
   exit() began (a violation) and counts runs inside its unload (a window exercised). */
static inline void tenon_torture_check_run(struct tenon_torture_ledger *l, uint64_t generation, int handler)
{
    if (__atomic_load_n(&l->exit_began_generation, __ATOMIC_SEQ_CST) >= generation)
        __atomic_fetch_add(&l->runs_after_exit, 1, __ATOMIC_RELAXED);
    if (handler && __atomic_load_n(&l->unloading_generation, __ATOMIC_ACQUIRE) == generation)
        __atomic_fetch_add(&l->runs_during_unload, 1, __ATOMIC_RELAXED);
}

/* Long in-band section of `generation` [in-band handler]: the start. Returns
   whether its generation's unload/swap-out is running now. */
static inline int tenon_torture_long_begin(struct tenon_torture_ledger *l, uint64_t generation)
{
    __atomic_fetch_add(&l->long_open, 1, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&l->unloading_generation, __ATOMIC_ACQUIRE) == generation;
}

/* The section's end: `nested` oob runs happened inside it, `intact` is the
   plugin's own check that its code and data are unchanged, `unloading_at_start`
   what tenon_torture_long_begin() returned. Exit must not have begun and the
   unload must not have returned while the section was open: the barrier waits
   for the whole section, not only for its start. */
static inline void tenon_torture_long_end(struct tenon_torture_ledger *l, uint64_t generation, uint32_t cpu,
                                          uint64_t nested, int intact, int unloading_at_start)
{
    int bad = !intact
        || __atomic_load_n(&l->exit_began_generation, __ATOMIC_SEQ_CST) >= generation
        || __atomic_load_n(&l->exited_generation, __ATOMIC_SEQ_CST) >= generation;
    if (bad) {
        __atomic_fetch_add(&l->long_violations, 1, __ATOMIC_RELAXED);
        tenon_torture__first(l, 6, generation, 0, cpu);
    }
    if (nested)
        __atomic_fetch_add(&l->long_nested, 1, __ATOMIC_RELAXED);
    if (unloading_at_start || __atomic_load_n(&l->unloading_generation, __ATOMIC_ACQUIRE) == generation)
        __atomic_fetch_add(&l->long_during_unload, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&l->long_sections, 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&l->long_open, 1, __ATOMIC_SEQ_CST);
}

/* Host [task]: entries queued on `cpu` and not yet drained. */
static inline uint64_t tenon_torture_pending(struct tenon_torture_ledger *l, uint32_t cpu)
{
    struct tenon_torture_cpu *c = &l->cpus[cpu];
    return __atomic_load_n(&c->tail, __ATOMIC_ACQUIRE) - __atomic_load_n(&c->head, __ATOMIC_ACQUIRE);
}

static inline uint64_t tenon_torture_load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void tenon_torture_store(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

#ifdef __cplusplus
}
#endif

#endif /* TENON_TORTURE_H */
