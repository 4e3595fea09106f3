/* `tenon doorbellbench`: the bare C baselines of the doorbell scheme, run in
 * the same process as the machine they are compared with.
 *
 * - Flood: a raiser on one core raises `lines` IRQs round robin at a thread
 *   on another core, through a controller like IRQController (leaf bits and
 *   a summary word that doubles as the doorbell latch: ring only on 0 -> 1).
 *   The target's signal handler drains the controller once per signal and
 *   returns (the "drain-once" scheme); its task context spins, counting
 *   iterations: its in-band share is those iterations over the same spin's
 *   count without a raiser.
 * - Ping-pong: one outstanding signal at a time (tgkill, wait until the
 *   handler ran, tgkill again): the latency-bound rate of bare RT signals. */
#include "CTenon.h"
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t ctenon_spin_until(uint64_t end_ns)
{
    uint64_t n = 0;
    volatile uint64_t sink = 0;
    for (;;) {
        for (int i = 0; i < 256; i++) sink += (uint64_t)i;
        n += 256;
        if (ctenon_monotonic_ns() >= end_ns) return n;
    }
}

int32_t ctenon_count_handler(uint32_t irq, void *dev_id)
{
    (void)irq;
    uint64_t *c = dev_id;
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
    return 1; /* IRQ_HANDLED */
}

/* ---- the drain-once target ---- */
static struct {
    uint64_t summary;
    uint64_t leaves;
    uint64_t handled;
    uint64_t pings;
    int tid;
    int busy;
    uint64_t end_ns;
    uint64_t inband;
    uint32_t stop;
    int core;
} dt;

static void drain_once_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    int e = errno;
    __atomic_store_n(&dt.summary, 0, __ATOMIC_SEQ_CST);
    uint64_t bits = __atomic_exchange_n(&dt.leaves, 0, __ATOMIC_SEQ_CST);
    while (bits) {
        uint32_t irq = (uint32_t)__builtin_ctzll(bits);
        bits &= bits - 1;
        ctenon_count_handler(irq, &dt.handled);
    }
    errno = e;
}

static void ping_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    ctenon_count_handler(0, &dt.pings);
}

static void *target_main(void *arg)
{
    int signo = (int)(intptr_t)arg;
    ctenon_pin_self(dt.core);
    ctenon_unblock_signal(signo);
    __atomic_store_n(&dt.tid, ctenon_gettid(), __ATOMIC_RELEASE);
    if (dt.busy) {
        while (__atomic_load_n(&dt.end_ns, __ATOMIC_ACQUIRE) == 0) sched_yield();
        __atomic_store_n(&dt.inband, ctenon_spin_until(dt.end_ns), __ATOMIC_RELEASE);
    }
    while (__atomic_load_n(&dt.stop, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &dt.stop, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static int target_start(pthread_t *t, int signo, void (*fn)(int, siginfo_t *, void *), int core, int busy)
{
    memset(&dt, 0, sizeof dt);
    dt.core = core;
    dt.busy = busy;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) != 0) return -errno;
    int rc = pthread_create(t, NULL, target_main, (void *)(intptr_t)signo);
    if (rc) return -rc;
    while (__atomic_load_n(&dt.tid, __ATOMIC_ACQUIRE) == 0) sched_yield();
    return 0;
}

static void target_stop(pthread_t t, int signo)
{
    __atomic_store_n(&dt.stop, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &dt.stop, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, NULL);
    signal(signo, SIG_DFL);
}

int ctenon_flood_c(int signo, int target_core, int raiser_core, uint32_t lines, uint64_t ns, int busy,
                   uint64_t *inband, uint64_t *handled)
{
    pthread_t t;
    int rc = target_start(&t, signo, drain_once_handler, target_core, busy);
    if (rc) return rc;
    ctenon_pin_self(raiser_core);
    int pid = getpid();
    uint64_t end = ctenon_monotonic_ns() + ns;
    __atomic_store_n(&dt.end_ns, end, __ATOMIC_RELEASE);
    uint32_t irq = 0;
    while (lines > 0) {
        for (int i = 0; i < 64; i++) {
            __atomic_fetch_or(&dt.leaves, 1ull << irq, __ATOMIC_SEQ_CST);
            if (__atomic_exchange_n(&dt.summary, 1, __ATOMIC_SEQ_CST) == 0)
                syscall(SYS_tgkill, pid, dt.tid, signo);
            if (++irq == lines) irq = 0;
        }
        if (ctenon_monotonic_ns() >= end) break;
    }
    if (lines == 0) while (ctenon_monotonic_ns() < end) usleep(1000);
    if (busy) while (__atomic_load_n(&dt.inband, __ATOMIC_ACQUIRE) == 0) usleep(1000);
    *handled = __atomic_load_n(&dt.handled, __ATOMIC_ACQUIRE);
    *inband = __atomic_load_n(&dt.inband, __ATOMIC_ACQUIRE);
    target_stop(t, signo);
    return 0;
}

int ctenon_pingpong_c(int signo, int target_core, int raiser_core, uint64_t ns, int busy, uint64_t *pings)
{
    pthread_t t;
    int rc = target_start(&t, signo, ping_handler, target_core, busy);
    if (rc) return rc;
    ctenon_pin_self(raiser_core);
    int pid = getpid();
    uint64_t end = ctenon_monotonic_ns() + ns;
    __atomic_store_n(&dt.end_ns, end, __ATOMIC_RELEASE);
    uint64_t n = 0;
    while (ctenon_monotonic_ns() < end) {
        for (int i = 0; i < 64; i++) {
            syscall(SYS_tgkill, pid, dt.tid, signo);
            n++;
            while (__atomic_load_n(&dt.pings, __ATOMIC_ACQUIRE) != n) ctenon_cpu_relax();
        }
    }
    *pings = n;
    if (busy) while (__atomic_load_n(&dt.inband, __ATOMIC_ACQUIRE) == 0) usleep(1000);
    target_stop(t, signo);
    return 0;
}

uint64_t ctenon_pingpong_wait(const uint64_t *counter, uint64_t n)
{
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) != n) ctenon_cpu_relax();
    return n;
}
