#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
/* The signal guard's C half: expected dispositions of host-owned signals and
 * the checks plugin code is held to. Process-wide tables written only from
 * task context under the callers' serialisation (machine start/stop, plugin
 * host operations); the entry-exit record is per CPU and lock-free. */
#include "CTenon.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>

#define GUARD_MAX_SIGNO 64

/* machine.c: the entry's closing SIG_BLOCK of the machine's signals, giving
 * back the mask it replaced. */
void ctenon_irq_signals_block_old(sigset_t *old);

static struct sigaction expected[GUARD_MAX_SIGNO + 1];
static const char *roles[GUARD_MAX_SIGNO + 1];
static int criticals[GUARD_MAX_SIGNO + 1];
static uint64_t owned; /* atomic: read by the entry-exit check */

static inline uint64_t bit(int signo) { return (uint64_t)1 << (signo - 1); }

/* Signals 1-64 of a set as one word. glibc keeps signal s at bit (s - 1) % 64
 * of word (s - 1) / 64 of an array of unsigned long, so on a 64-bit target
 * that is the first word: one load where 64 calls of sigismember cost a
 * plugin command ~0.2 µs (it is read twice per call). */
_Static_assert(sizeof(unsigned long) == 8, "the guard reads sigset_t's first word as signals 1-64");
static uint64_t low_word(const sigset_t *set)
{
    uint64_t w;
    memcpy(&w, set, sizeof w);
    return w;
}

int ctenon_guard_own(int signo, const char *role, int critical)
{
    if (signo <= 0 || signo > GUARD_MAX_SIGNO) return -EINVAL;
    memset(&expected[signo], 0, sizeof expected[signo]);
    if (sigaction(signo, NULL, &expected[signo]) != 0) return -errno;
    roles[signo] = role;
    criticals[signo] = critical;
    __atomic_fetch_or(&owned, bit(signo), __ATOMIC_RELEASE);
    return 0;
}

void ctenon_guard_disown(int signo)
{
    if (signo <= 0 || signo > GUARD_MAX_SIGNO) return;
    __atomic_fetch_and(&owned, ~bit(signo), __ATOMIC_RELEASE);
}

uint64_t ctenon_guard_owned(void) { return __atomic_load_n(&owned, __ATOMIC_ACQUIRE); }

const char *ctenon_guard_role(int signo)
{
    if (signo <= 0 || signo > GUARD_MAX_SIGNO || !roles[signo]) return "host signal";
    return roles[signo];
}

int ctenon_guard_critical(int signo)
{
    return signo > 0 && signo <= GUARD_MAX_SIGNO && criticals[signo];
}

int ctenon_guard_check(int signo, int restore)
{
    if (signo <= 0 || signo > GUARD_MAX_SIGNO || !(ctenon_guard_owned() & bit(signo))) return -EINVAL;
    struct sigaction now;
    memset(&now, 0, sizeof now);
    if (sigaction(signo, NULL, &now) != 0) return -errno;
    const struct sigaction *want = &expected[signo];
    int state = CTENON_GUARD_INTACT;
    if (now.sa_handler == SIG_IGN && want->sa_handler != SIG_IGN) state = CTENON_GUARD_IGNORED;
    else if (now.sa_handler == SIG_DFL && want->sa_handler != SIG_DFL) state = CTENON_GUARD_DEFAULT;
    else if ((void *)now.sa_sigaction != (void *)want->sa_sigaction) state = CTENON_GUARD_REPLACED;
    /* Only the kernel's part of sa_mask is meaningful: glibc leaves the rest
     * of a returned sigset_t as the caller's buffer had it. */
    else if (now.sa_flags != want->sa_flags || low_word(&now.sa_mask) != low_word(&want->sa_mask))
        state = CTENON_GUARD_ALTERED;
    if (state != CTENON_GUARD_INTACT && restore && sigaction(signo, want, NULL) != 0) return -errno;
    return state;
}

uint64_t ctenon_guard_blocked(uint64_t mask)
{
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    return low_word(&now) & mask;
}

int ctenon_guard_set_blocked(uint64_t mask, uint64_t blocked)
{
    sigset_t on, off;
    sigemptyset(&on);
    sigemptyset(&off);
    for (int s = 1; s <= GUARD_MAX_SIGNO && s < _NSIG; s++) {
        if (!(mask & bit(s))) continue;
        sigaddset((blocked & bit(s)) ? &on : &off, s);
    }
    int r = pthread_sigmask(SIG_BLOCK, &on, NULL);
    if (r == 0) r = pthread_sigmask(SIG_UNBLOCK, &off, NULL);
    return -r;
}

/* ---- per-CPU record of handlers that left owned signals blocked ---- */
/* One per CPU of each pipeline (a process may run several machines, whose
 * CPU numbers overlap), bound to its CPU thread, so the entry finds it with
 * one TLS load and never needs to know which machine it serves. */
struct ctenon_guard_record {
    uint64_t count;
    uint64_t bits;
    uint32_t irq;
    uint32_t pinned_irq;
    uint64_t pinned_count;
} __attribute__((aligned(64)));
static __thread struct ctenon_guard_record *bound_record __attribute__((tls_model("initial-exec")));
int ctenon_guard_pinpoint_flag;

struct ctenon_guard_record *ctenon_guard_records_create(int count)
{
    if (count < 1) return NULL;
    size_t size = (size_t)count * sizeof(struct ctenon_guard_record);
    struct ctenon_guard_record *r = aligned_alloc(64, size);
    if (r) memset(r, 0, size);
    return r;
}

void ctenon_guard_records_free(struct ctenon_guard_record *records) { free(records); }

struct ctenon_guard_record *ctenon_guard_record_at(struct ctenon_guard_record *records, int index)
{
    return records + index;
}

void ctenon_guard_bind(struct ctenon_guard_record *record) { bound_record = record; }

static void record(uint64_t bits, uint32_t irq)
{
    struct ctenon_guard_record *r = bound_record;
    if (!r) return;
    __atomic_fetch_or(&r->bits, bits, __ATOMIC_RELAXED);
    __atomic_store_n(&r->irq, irq, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->count, 1, __ATOMIC_RELEASE);
    /* From now on every entry checks after each IRQ, to name the line. */
    __atomic_store_n(&ctenon_guard_pinpoint_flag, 1, __ATOMIC_RELAXED);
}

void ctenon_guard_check_irq(uint32_t irq)
{
    uint64_t bad = ctenon_guard_blocked(__atomic_load_n(&owned, __ATOMIC_RELAXED));
    struct ctenon_guard_record *r = bound_record;
    if (!bad || !r) return;
    /* The entry had them open: open them again for the rest of it. */
    ctenon_guard_set_blocked(bad, 0);
    __atomic_fetch_or(&r->bits, bad, __ATOMIC_RELAXED);
    __atomic_store_n(&r->pinned_irq, irq, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->pinned_count, 1, __ATOMIC_RELEASE);
}

uint64_t ctenon_guard_pinned(const struct ctenon_guard_record *r)
{
    return __atomic_load_n(&r->pinned_count, __ATOMIC_ACQUIRE);
}

uint32_t ctenon_guard_pinned_irq(const struct ctenon_guard_record *r)
{
    return __atomic_load_n(&r->pinned_irq, __ATOMIC_RELAXED);
}

void ctenon_irq_signals_block_at_exit(int cpu, uint32_t irq)
{
    (void)cpu;
    sigset_t left;
    ctenon_irq_signals_block_old(&left);
    /* Fast path: one word compare. glibc's sigset_t keeps signals 1..64 in
     * its first word, bit signo-1, as the kernel does. */
    uint64_t first;
    memcpy(&first, &left, sizeof first);
    uint64_t bad = first & __atomic_load_n(&owned, __ATOMIC_RELAXED);
    if (__builtin_expect(bad != 0, 0)) record(bad, irq);
}

void ctenon_guard_repair_cpu_mask(void)
{
    uint64_t bad = ctenon_guard_blocked(ctenon_guard_owned());
    if (!bad) return;
    ctenon_guard_set_blocked(bad, 0);
    record(bad, UINT32_MAX);
}

uint64_t ctenon_guard_violations(const struct ctenon_guard_record *r)
{
    return __atomic_load_n(&r->count, __ATOMIC_ACQUIRE);
}

uint64_t ctenon_guard_violation_bits(const struct ctenon_guard_record *r)
{
    return __atomic_load_n(&r->bits, __ATOMIC_RELAXED);
}

uint32_t ctenon_guard_violation_irq(const struct ctenon_guard_record *r)
{
    return __atomic_load_n(&r->irq, __ATOMIC_RELAXED);
}
