/* Timer-latency recorders and the bare POSIX-timer baseline (see CTenonLatency.h). */
#include "CTenonLatency.h"
#include "CTenon.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING (1u << 20) /* samples: ~100 s at 10 kHz between drains, never reached */

struct ctenon_latency {
    uint64_t first_ns, period_ns;
    /* producer side (the handler) */
    _Alignas(64) uint64_t last_n;
    uint64_t overruns, dropped, samples;
    uint32_t head;
    /* consumer side */
    _Alignas(64) uint32_t tail;
    uint64_t ring[RING];
};

struct ctenon_latency *ctenon_latency_create(uint64_t first_ns, uint64_t period_ns)
{
    if (period_ns == 0) return NULL;
    struct ctenon_latency *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->first_ns = first_ns;
    r->period_ns = period_ns;
    r->last_n = UINT64_MAX;
    return r;
}

void ctenon_latency_free(struct ctenon_latency *r) { free(r); }

void ctenon_latency_set_first(struct ctenon_latency *r, uint64_t first_ns)
{
    __atomic_store_n(&r->first_ns, first_ns, __ATOMIC_RELEASE);
}

uint64_t ctenon_latency_first(const struct ctenon_latency *r) { return __atomic_load_n(&r->first_ns, __ATOMIC_ACQUIRE); }

static void record(struct ctenon_latency *r, uint64_t now)
{
    uint64_t first = __atomic_load_n(&r->first_ns, __ATOMIC_ACQUIRE);
    if (now < first) return; /* no expiry of ours was due yet (or phase unknown) */
    /* n: the latest expiry due by now; k: the oldest one not served yet. A
     * run more than a period late serves several expiries at once (the
     * kernel merges a timer's signals while one is pending, the controller
     * merges raises of a pending IRQ): its latency counts from the oldest,
     * the others are overruns. */
    uint64_t n = (now - first) / r->period_ns;
    uint64_t k = r->last_n == UINT64_MAX ? n : r->last_n + 1;
    if (k > n) k = n;
    uint64_t due = first + k * r->period_ns;
    if (n > k) __atomic_store_n(&r->overruns, r->overruns + (n - k), __ATOMIC_RELAXED);
    r->last_n = n;
    uint32_t head = r->head;
    if (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= RING) {
        __atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
        return;
    }
    r->ring[head % RING] = now - due;
    __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&r->samples, r->samples + 1, __ATOMIC_RELAXED);
}

int32_t ctenon_latency_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    record(dev_id, ctenon_monotonic_ns());
    return 1; /* IRQ_HANDLED */
}

uint32_t ctenon_latency_drain(struct ctenon_latency *r, uint64_t *out, uint32_t max)
{
    uint32_t tail = r->tail, head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), k = 0;
    while (tail != head && k < max) out[k++] = r->ring[tail++ % RING];
    __atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
    return k;
}

uint64_t ctenon_latency_overruns(const struct ctenon_latency *r) { return __atomic_load_n(&r->overruns, __ATOMIC_RELAXED); }
uint64_t ctenon_latency_dropped(const struct ctenon_latency *r) { return __atomic_load_n(&r->dropped, __ATOMIC_RELAXED); }
uint64_t ctenon_latency_samples(const struct ctenon_latency *r) { return __atomic_load_n(&r->samples, __ATOMIC_RELAXED); }

int ctenon_set_fifo(int priority)
{
    struct sched_param sp = { .sched_priority = priority };
    int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    return r ? -r : 0;
}

/* ---- the baseline thread ---- */

struct ctenon_latency_baseline {
    pthread_t thread;
    struct ctenon_latency *rec;
    int core, priority, signo;
    uint32_t started; /* 0 starting, 1 running, 2 failed */
    int error;
    uint32_t stop;
};

static void baseline_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    int e = errno;
    uint64_t now = ctenon_monotonic_ns();
    if (si->si_code == SI_TIMER && si->si_value.sival_ptr) record(si->si_value.sival_ptr, now);
    errno = e;
}

static void *baseline_main(void *arg)
{
    struct ctenon_latency_baseline *b = arg;
    int err = 0;
    if (ctenon_pin_self(b->core) != 0) err = EINVAL;
    if (!err && b->priority > 0) err = -ctenon_set_fifo(b->priority);
    timer_t id;
    if (!err) {
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_THREAD_ID;
        sev.sigev_signo = b->signo;
        sev.sigev_value.sival_ptr = b->rec;
        sev._sigev_un._tid = ctenon_gettid();
        if (timer_create(CLOCK_MONOTONIC, &sev, &id) != 0) err = errno;
    }
    if (!err) {
        struct itimerspec its;
        uint64_t first = ctenon_latency_first(b->rec);
        its.it_value.tv_sec = (time_t)(first / 1000000000u);
        its.it_value.tv_nsec = (long)(first % 1000000000u);
        its.it_interval.tv_sec = (time_t)(b->rec->period_ns / 1000000000u);
        its.it_interval.tv_nsec = (long)(b->rec->period_ns % 1000000000u);
        if (timer_settime(id, TIMER_ABSTIME, &its, NULL) != 0) { err = errno; timer_delete(id); }
    }
    if (err) {
        b->error = err;
        __atomic_store_n(&b->started, 2, __ATOMIC_RELEASE);
        return NULL;
    }
    ctenon_unblock_signal(b->signo);
    __atomic_store_n(&b->started, 1, __ATOMIC_RELEASE);
    /* Idle like a machine CPU: asleep on a futex, woken only by the signal. */
    while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) ctenon_futex_wait(&b->stop, 0);
    timer_delete(id);
    return NULL;
}

int ctenon_latency_baseline_start(struct ctenon_latency_baseline **out, struct ctenon_latency *r,
                                  int core, int priority, int signo)
{
    static int installed;
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = baseline_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(signo, &sa, NULL) != 0) return -errno;
        installed = 1;
    }
    struct ctenon_latency_baseline *b = calloc(1, sizeof *b);
    if (!b) return -ENOMEM;
    b->rec = r; b->core = core; b->priority = priority; b->signo = signo;
    int rc = pthread_create(&b->thread, NULL, baseline_main, b);
    if (rc) { free(b); return -rc; }
    uint32_t s;
    while ((s = __atomic_load_n(&b->started, __ATOMIC_ACQUIRE)) == 0) sched_yield();
    if (s == 2) {
        int e = b->error;
        pthread_join(b->thread, NULL);
        free(b);
        return -e;
    }
    *out = b;
    return 0;
}

void ctenon_latency_baseline_stop(struct ctenon_latency_baseline *b)
{
    if (!b) return;
    __atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
    ctenon_futex_wake(&b->stop, 1);
    pthread_join(b->thread, NULL);
    free(b);
}
