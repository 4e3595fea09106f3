#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
/* Signal, thread, timer and fd glue for TenonMachine (real CPUs, real IRQs).
 * Everything reachable from a signal handler below is async-signal-safe:
 * no allocation, no lock, errno preserved. */
#include "CTenon.h"
#include "fault_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The machine's signals (doorbell, timer, fd). Every machine handler is
 * installed with all of them in sa_mask and without SA_NODEFER: like a CPU
 * taking an interrupt, the entry starts with interrupts really off. The Swift
 * entry sets the lazy hard-off flag, then unblocks them (a nested doorbell now
 * finds hard-off and returns at once, leaving its IRQ in the controller),
 * and blocks them again before it clears the flag on its way out; sigreturn
 * then restores the interrupted mask atomically, as iret does. In-band
 * handlers replayed inside the entry run with the flag clear and the signals
 * unblocked, so an oob IRQ preempts them (a nested entry).
 *
 * Measured reason: with SA_NODEFER and an empty sa_mask, a doorbell landing in
 * the entry's prologue or epilogue (flag clear, signals open) nests a full
 * entry one frame deeper; under a storm these chains walked off a 256 KB
 * alternate stack within seconds (tests (a)/(d)). */
static sigset_t irq_signals;

const sigset_t *ctenon_machine_sigset(void) { return &irq_signals; }

void ctenon_irq_signals_block(void) { pthread_sigmask(SIG_BLOCK, &irq_signals, NULL); }
void ctenon_irq_signals_block_old(sigset_t *old) { pthread_sigmask(SIG_BLOCK, &irq_signals, old); }
void ctenon_irq_signals_unblock(void) { pthread_sigmask(SIG_UNBLOCK, &irq_signals, NULL); }

/* ---- entries into the pipeline (set once; same for every machine) ---- */
static void (*volatile doorbell_entry)(void *cpu);
static int32_t (*volatile raise_entry)(void *cpu, uint32_t irq);
static int32_t (*volatile backstop_entry)(void *cpu);

void ctenon_set_backstop_entry(int32_t (*entry)(void *cpu)) { backstop_entry = entry; }

/* ---- saved dispositions, indexed by signal number ---- */
static struct sigaction saved[_NSIG];
static bool saved_valid[_NSIG];

/* `role` non-NULL: the signal guard owns the new disposition (see
 * ctenon_guard.h); `critical`: it delivers IRQs. */
static int install(int signo, void (*fn)(int, siginfo_t *, void *), const char *role, int critical)
{
    if (signo <= 0 || signo >= _NSIG) return -EINVAL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    /* No SA_ONSTACK: entries run on the interrupted thread stack (8 MB,
     * with the pthread guard page below it), so a plugin's runaway recursion
     * faults into the guard page and the fault handler, which alone uses the
     * alternate stack, still has a stack of its own to report and recover on. */
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_mask = irq_signals; /* entry starts hard-off; see irq_signals */
    struct sigaction old;
    if (sigaction(signo, &sa, &old) != 0) return -errno;
    if (!saved_valid[signo]) { saved[signo] = old; saved_valid[signo] = true; }
    if (role) ctenon_guard_own(signo, role, critical);
    return 0;
}

int ctenon_restore_signal(int signo)
{
    if (signo <= 0 || signo >= _NSIG || !saved_valid[signo]) return -EINVAL;
    saved_valid[signo] = false;
    ctenon_guard_disown(signo);
    if (sigaction(signo, &saved[signo], NULL) != 0) return -errno;
    return 0;
}

/* Handler nesting on this thread, and the deepest seen on any (diagnostics). */
static __thread int nesting __attribute__((tls_model("initial-exec")));
static int max_nesting;

int ctenon_max_nesting(void) { return __atomic_load_n(&max_nesting, __ATOMIC_RELAXED); }
void ctenon_reset_max_nesting(void) { __atomic_store_n(&max_nesting, 0, __ATOMIC_RELAXED); }

static inline void nest_in(void)
{
    int d = ++nesting;
    if (d > __atomic_load_n(&max_nesting, __ATOMIC_RELAXED)) __atomic_store_n(&max_nesting, d, __ATOMIC_RELAXED);
}

/* One pipeline entry under a recovery point (one _setjmp: no signal-mask
 * syscall). A fault in plugin code anywhere below jumps back here: the
 * pipeline hook puts the CPU's state back to what it was at this point, and
 * the entry runs again as a doorbell to take what is still pending (the
 * abandoned dispatch is not replayed). irq == NO_IRQ: a doorbell;
 * BACKSTOP_IRQ: the drain backstop's expiry, whose entry returns whether the
 * backstop is still needed (1 after a fault: the next expiry decides). */
#define NO_IRQ UINT32_MAX
#define BACKSTOP_IRQ (UINT32_MAX - 1)
static int32_t guarded_entry(void *cpu, uint32_t irq)
{
    struct ctenon_fault_thread *t = &ctenon_ft;
    struct ctenon_recovery rec;
    rec.prev = t->top;
    rec.kind = CTENON_REC_ENTRY;
    rec.marker = t->marker;
    void (*snap)(void *, uint64_t *) = ctenon_hook_snapshot;
    if (snap) snap(cpu, rec.state);
    volatile int32_t merged = irq == BACKSTOP_IRQ;
    volatile uint32_t raise = irq;
    for (;;) {
        if (_setjmp(rec.env) == 0) {
            t->top = &rec;
            if (raise == NO_IRQ) {
                void (*entry)(void *) = doorbell_entry;
                if (entry) entry(cpu);
            } else if (raise == BACKSTOP_IRQ) {
                int32_t (*entry)(void *) = backstop_entry;
                if (entry) merged = entry(cpu);
            } else {
                int32_t (*entry)(void *, uint32_t) = raise_entry;
                if (entry) merged = entry(cpu, raise);
            }
            break;
        }
        /* Back from a fault (the handler set the mask and the marker). */
        void (*restore)(void *, const uint64_t *, uint32_t, int) = ctenon_hook_restore;
        if (snap && restore) restore(cpu, rec.state, rec.faulted_owner, 1);
        raise = NO_IRQ;
    }
    t->top = rec.prev;
    return merged;
}

static void doorbell_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    int e = errno;
    nest_in();
    void *cpu = ctenon_current_cpu();
    if (cpu && doorbell_entry) {
        guarded_entry(cpu, NO_IRQ);
    }
    nesting--;
    errno = e;
}

int ctenon_set_machine_signals(int doorbell, int timer, int fd)
{
    sigemptyset(&irq_signals);
    sigaddset(&irq_signals, doorbell);
    sigaddset(&irq_signals, timer);
    sigaddset(&irq_signals, fd);
    return 0;
}

int ctenon_install_doorbell(int signo, void (*entry)(void *cpu))
{
    doorbell_entry = entry;
    return install(signo, doorbell_handler, "doorbell", 1);
}

/* ---- per-CPU POSIX timers ---- */
struct ctenon_timer {
    timer_t id;
    uint32_t irq;
    /* A drain backstop (irq BACKSTOP_IRQ): its period now (0: disarmed);
     * only its CPU's thread reads or writes it. */
    uint64_t period_ns;
    uint64_t signals;  /* signals delivered (atomic) */
    uint64_t overruns; /* sum of si_overrun (atomic) */
    uint64_t merged;   /* expiries merged into a still-pending IRQ (atomic) */
    uint64_t last_ns;  /* CLOCK_MONOTONIC at the latest delivery (atomic) */
};

static uint64_t backstop_ns; /* the fast period (ctenon_bell_later_create) */

static int backstop_set(struct ctenon_timer *t, uint64_t period_ns)
{
    struct itimerspec its;
    its.it_value.tv_sec = (time_t)(period_ns / 1000000000u);
    its.it_value.tv_nsec = (long)(period_ns % 1000000000u);
    its.it_interval = its.it_value;
    if (timer_settime(t->id, 0, &its, NULL) != 0) return -1;
    __atomic_store_n(&t->period_ns, period_ns, __ATOMIC_RELAXED);
    return 0;
}

/* The backstop entry's answer (BackstopPace in TenonPipeline): 0 stop,
 * 1 unchanged, 2 fast, 3 slow (16 periods). A syscall only on a change. */
static void backstop_pace(struct ctenon_timer *t, int32_t pace)
{
    uint64_t fast = __atomic_load_n(&backstop_ns, __ATOMIC_RELAXED);
    if (fast == 0) fast = 1;
    uint64_t want = pace == 0 ? 0 : pace == 2 ? fast : pace == 3 ? 16 * fast : t->period_ns;
    if (want == t->period_ns) return;
    int e = errno;
    backstop_set(t, want);
    errno = e;
}

static void timer_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    int e = errno;
    nest_in();
    struct ctenon_timer *t = si->si_value.sival_ptr;
    void *cpu = ctenon_current_cpu();
    int32_t (*entry)(void *, uint32_t) = raise_entry;
    if (t && si->si_code == SI_TIMER) {
        __atomic_store_n(&t->last_ns, ctenon_monotonic_ns(), __ATOMIC_RELAXED);
        __atomic_fetch_add(&t->signals, 1, __ATOMIC_RELAXED);
        if (si->si_overrun > 0)
            __atomic_fetch_add(&t->overruns, (uint64_t)si->si_overrun, __ATOMIC_RELAXED);
        if (t->irq == BACKSTOP_IRQ) {
            /* Periodic while the CPU leaves IRQs on its drain budget; its
             * entry says at which pace, or that it is no longer needed. */
            if (cpu) backstop_pace(t, guarded_entry(cpu, BACKSTOP_IRQ));
        } else if (cpu && entry) {
            if (guarded_entry(cpu, t->irq))
                __atomic_fetch_add(&t->merged, 1, __ATOMIC_RELAXED);
        }
    }
    nesting--;
    errno = e;
}

/* ---- fd IRQs: fd -> irq+1 (0: none). fds are process-wide, so is this. ---- */
#define CTENON_MAX_FD 4096
static uint32_t fd_irq[CTENON_MAX_FD];

static void fd_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    int e = errno;
    nest_in();
    int fd = si->si_fd;
    void *cpu = ctenon_current_cpu();
    int32_t (*entry)(void *, uint32_t) = raise_entry;
    if (fd >= 0 && fd < CTENON_MAX_FD && cpu && entry) {
        uint32_t v = __atomic_load_n(&fd_irq[fd], __ATOMIC_ACQUIRE);
        if (v) guarded_entry(cpu, v - 1);
    }
    nesting--;
    errno = e;
}

int ctenon_install_sources(int timer_signo, int fd_signo, int32_t (*entry)(void *cpu, uint32_t irq))
{
    raise_entry = entry;
    int r = install(timer_signo, timer_handler, "timer IRQs", 1);
    if (r) return r;
    return install(fd_signo, fd_handler, "fd IRQs", 1);
}

struct ctenon_timer *ctenon_timer_create(int tid, int signo, uint32_t irq)
{
    struct ctenon_timer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->irq = irq;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = signo;
    sev.sigev_value.sival_ptr = t;
    sev._sigev_un._tid = tid;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t->id) != 0) {
        int e = errno;
        free(t);
        errno = e;
        return NULL;
    }
    return t;
}

int ctenon_timer_arm(struct ctenon_timer *t, uint64_t first_ns, uint64_t interval_ns)
{
    struct itimerspec its;
    its.it_value.tv_sec = (time_t)(first_ns / 1000000000u);
    its.it_value.tv_nsec = (long)(first_ns % 1000000000u);
    its.it_interval.tv_sec = (time_t)(interval_ns / 1000000000u);
    its.it_interval.tv_nsec = (long)(interval_ns % 1000000000u);
    if (timer_settime(t->id, 0, &its, NULL) != 0) return -errno;
    return 0;
}

int ctenon_timer_arm_at(struct ctenon_timer *t, uint64_t at_ns, uint64_t interval_ns)
{
    struct itimerspec its;
    its.it_value.tv_sec = (time_t)(at_ns / 1000000000u);
    its.it_value.tv_nsec = (long)(at_ns % 1000000000u);
    its.it_interval.tv_sec = (time_t)(interval_ns / 1000000000u);
    its.it_interval.tv_nsec = (long)(interval_ns % 1000000000u);
    if (timer_settime(t->id, TIMER_ABSTIME, &its, NULL) != 0) return -errno;
    return 0;
}

int ctenon_timer_delete(struct ctenon_timer *t)
{
    if (timer_delete(t->id) != 0) return -errno;
    return 0;
}

/* Frees the record: only once no signal of it can be delivered any more
 * (its target thread has been joined). */
void ctenon_timer_free(struct ctenon_timer *t) { free(t); }

uint64_t ctenon_timer_signals(const struct ctenon_timer *t) { return __atomic_load_n(&t->signals, __ATOMIC_RELAXED); }
uint64_t ctenon_timer_overruns(const struct ctenon_timer *t) { return __atomic_load_n(&t->overruns, __ATOMIC_RELAXED); }
uint64_t ctenon_timer_merged(const struct ctenon_timer *t) { return __atomic_load_n(&t->merged, __ATOMIC_RELAXED); }
uint64_t ctenon_timer_last_ns(const struct ctenon_timer *t) { return __atomic_load_n(&t->last_ns, __ATOMIC_RELAXED); }

int ctenon_fd_attach(int fd, int tid, int signo, uint32_t irq)
{
    if (fd < 0 || fd >= CTENON_MAX_FD) return -EINVAL;
    __atomic_store_n(&fd_irq[fd], irq + 1, __ATOMIC_RELEASE);
    if (fcntl(fd, F_SETSIG, signo) != 0) goto fail;
    struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = tid };
    if (fcntl(fd, F_SETOWN_EX, &owner) != 0) goto fail;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_ASYNC | O_NONBLOCK) != 0) goto fail;
    return 0;
fail:;
    int e = errno;
    __atomic_store_n(&fd_irq[fd], 0, __ATOMIC_RELEASE);
    return -e;
}

int ctenon_fd_detach(int fd)
{
    if (fd < 0 || fd >= CTENON_MAX_FD) return -EINVAL;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_ASYNC);
    fcntl(fd, F_SETSIG, 0);
    __atomic_store_n(&fd_irq[fd], 0, __ATOMIC_RELEASE);
    return 0;
}

/* ---- doorbell ring: tgkill to the CPU's thread ---- */
struct ctenon_bell {
    int pid;
    int signo;
    int ncpus;
    int tids[64];
    /* Per-CPU drain backstops (their irq is BACKSTOP_IRQ: an expiry calls
     * the backstop entry), and their period; see ctenon_bell_ring_later. */
    struct ctenon_timer *later[64];
    uint64_t later_ns;
    /* Per-CPU idle-loop futex words (sequence counters), for wake. */
    uint32_t *words[64];
    /* Per-CPU idle state (CTENON_CPU_*): BUSY, a ring signals; IDLE, the
     * idle loop will look at its controller before it sleeps on its word, so
     * a ring wakes the word instead (Linux's TIF_POLLING_NRFLAG, the futex as
     * the line mwait monitors); POLLING, it spins on its controller, so a
     * ring does nothing at all. */
    uint32_t sleeping[64];
    /* Rings per CPU that sent the doorbell signal / woke the idle word. */
    uint64_t signals[64];
    uint64_t wakes[64];
};

struct ctenon_bell *ctenon_bell_create(int signo, int ncpus)
{
    struct ctenon_bell *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->pid = getpid();
    b->signo = signo;
    b->ncpus = ncpus;
    return b;
}

void ctenon_bell_free(struct ctenon_bell *b)
{
    for (int i = 0; i < 64; i++) ctenon_timer_free(b->later[i]);
    free(b);
}

int ctenon_bell_later_create(struct ctenon_bell *b, int cpu, int tid, int timer_signo, uint64_t pause_ns)
{
    if (cpu < 0 || cpu >= b->ncpus || b->later[cpu]) return -EINVAL;
    struct ctenon_timer *t = ctenon_timer_create(tid, timer_signo, BACKSTOP_IRQ);
    if (!t) return -errno;
    __atomic_store_n(&b->later_ns, pause_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&backstop_ns, pause_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&b->later[cpu], t, __ATOMIC_RELEASE);
    return 0;
}

void ctenon_bell_later_delete(struct ctenon_bell *b, int cpu)
{
    if (cpu < 0 || cpu >= b->ncpus) return;
    struct ctenon_timer *t = __atomic_load_n(&b->later[cpu], __ATOMIC_ACQUIRE);
    if (t) ctenon_timer_delete(t); /* the record is freed with the bell */
}

void ctenon_bell_set_word(struct ctenon_bell *b, int cpu, uint32_t *word)
{
    if (cpu >= 0 && cpu < 64) __atomic_store_n(&b->words[cpu], word, __ATOMIC_RELEASE);
}

void ctenon_bell_wake(void *context, int32_t cpu)
{
    struct ctenon_bell *b = context;
    if (!b || cpu < 0 || cpu >= b->ncpus) return;
    uint32_t *w = __atomic_load_n(&b->words[cpu], __ATOMIC_ACQUIRE);
    if (w) __atomic_fetch_add(w, 1, __ATOMIC_SEQ_CST);
}

/* Called on CPU `cpu`'s own thread each time an entry stops on its budget
 * with in-band work waiting. Arming a timer is a syscall (measured 10-26 us
 * in a KVM guest, where it reprograms the host's timer), so the backstop is
 * armed once, periodic, and stays armed while stops keep coming; its expiry
 * sets its pace or disarms it (InterruptPath.backstopEntry). */
void ctenon_bell_ring_later(void *context, int32_t cpu)
{
    struct ctenon_bell *b = context;
    if (!b || cpu < 0 || cpu >= b->ncpus) return;
    struct ctenon_timer *t = __atomic_load_n(&b->later[cpu], __ATOMIC_ACQUIRE);
    if (!t) { ctenon_bell_ring(context, cpu); return; }
    if (__atomic_load_n(&t->period_ns, __ATOMIC_RELAXED)) return;
    int e = errno;
    uint64_t ns = __atomic_load_n(&b->later_ns, __ATOMIC_RELAXED);
    backstop_set(t, ns ? ns : 1);
    errno = e;
}

void ctenon_bell_set_tid(struct ctenon_bell *b, int cpu, int tid)
{
    if (cpu >= 0 && cpu < 64) __atomic_store_n(&b->tids[cpu], tid, __ATOMIC_RELEASE);
}

void ctenon_bell_set_sleeping(struct ctenon_bell *b, int cpu, int state)
{
    /* seq_cst: against the raiser's summary store, then its load of this
     * flag in ctenon_bell_ring (Dekker). */
    if (cpu >= 0 && cpu < 64) __atomic_store_n(&b->sleeping[cpu], (uint32_t)state, __ATOMIC_SEQ_CST);
}

void ctenon_bell_ring(void *context, int32_t cpu)
{
    struct ctenon_bell *b = context;
    if (!b || cpu < 0 || cpu >= b->ncpus) return;
    /* The caller set the controller's summary (seq_cst) before this load: a
     * CPU whose flag is still clear looks at the summary after setting it. */
    uint32_t state = __atomic_load_n(&b->sleeping[cpu], __ATOMIC_SEQ_CST);
    if (state == CTENON_CPU_POLLING) return;
    if (state == CTENON_CPU_IDLE) {
        uint32_t *w = __atomic_load_n(&b->words[cpu], __ATOMIC_ACQUIRE);
        if (w) {
            int e = errno;
            __atomic_fetch_add(w, 1, __ATOMIC_SEQ_CST);
            syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
            __atomic_fetch_add(&b->wakes[cpu], 1, __ATOMIC_RELAXED);
            errno = e;
            return;
        }
    }
    int tid = __atomic_load_n(&b->tids[cpu], __ATOMIC_ACQUIRE);
    if (tid > 0) {
        int e = errno;
        syscall(SYS_tgkill, b->pid, tid, b->signo);
        __atomic_fetch_add(&b->signals[cpu], 1, __ATOMIC_RELAXED);
        errno = e;
    }
}

void ctenon_bell_counts(const struct ctenon_bell *b, int cpu, uint64_t *signals, uint64_t *wakes)
{
    int ok = cpu >= 0 && cpu < b->ncpus;
    *signals = ok ? __atomic_load_n(&b->signals[cpu], __ATOMIC_RELAXED) : 0;
    *wakes = ok ? __atomic_load_n(&b->wakes[cpu], __ATOMIC_RELAXED) : 0;
}

/* ---- threads ---- */
int ctenon_gettid(void) { return (int)syscall(SYS_gettid); }

int ctenon_tgkill(int tid, int signo) { return (int)syscall(SYS_tgkill, getpid(), tid, signo); }

int ctenon_pin_self(int core)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int ctenon_allowed_cores(int *out, int max)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    int n = 0;
    for (int i = 0; i < CPU_SETSIZE && n < max; i++)
        if (CPU_ISSET(i, &set)) out[n++] = i;
    return n;
}

int ctenon_unblock_signal(int signo)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, signo);
    return pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

int ctenon_sigrtmin(void) { return SIGRTMIN; }
int ctenon_sigrtmax(void) { return SIGRTMAX; }

void *ctenon_altstack_create(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    stack_t ss = { .ss_sp = p, .ss_size = size, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) { munmap(p, size); return NULL; }
    return p;
}

void ctenon_altstack_destroy(void *p, size_t size)
{
    stack_t ss = { .ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE };
    sigaltstack(&ss, NULL);
    if (p) munmap(p, size);
}

/* ---- futex ---- */
int ctenon_futex_wait(uint32_t *word, uint32_t expected)
{
    if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0) != 0) return -errno;
    return 0;
}

int ctenon_futex_wake(uint32_t *word, int count)
{
    long r = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    return r < 0 ? -errno : (int)r;
}

/* ---- bench helpers: a bare signal-delivery baseline and the sigmask cost ---- */
static uint64_t baseline_stamp;

static void baseline_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    __atomic_store_n(&baseline_stamp, ctenon_monotonic_ns(), __ATOMIC_RELEASE);
}

int ctenon_baseline_install(int signo)
{
    return install(signo, baseline_handler, NULL, 0);
}

uint64_t ctenon_baseline_take(void) { return __atomic_exchange_n(&baseline_stamp, 0, __ATOMIC_ACQ_REL); }

double ctenon_sigmask_pair_ns(long pairs, int signo)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, signo);
    uint64_t t0 = ctenon_monotonic_ns();
    for (long i = 0; i < pairs; i++) {
        pthread_sigmask(SIG_BLOCK, &block, &old);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return (double)(ctenon_monotonic_ns() - t0) / (double)pairs;
}
