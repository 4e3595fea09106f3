#ifndef CTENON_H
#define CTENON_H
/* Linux glue for Tenon that Swift cannot express directly.
 * Every symbol carries the ctenon_ prefix. */
#include <stdint.h>
#include <stdbool.h>
#include "ctenon_image.h"

/* The current simulated CPU of this host thread (opaque to C). Initial-exec
 * TLS: reading it is one mov, no __tls_get_addr, so it is async-signal-safe. */
void *ctenon_current_cpu(void);
void ctenon_set_current_cpu(void *cpu);


/* membarrier(2). register: 0 on success or -errno (EPERM/ENOSYS under
 * seccomp or old kernels: the caller then falls back to a fenced read side).
 * ctenon_membarrier: one MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0 or -errno. */
int ctenon_membarrier_register(void);
int ctenon_membarrier(void);

/* CLOCK_MONOTONIC in nanoseconds (vDSO, async-signal-safe). */
uint64_t ctenon_monotonic_ns(void);

/* A handler that does nothing, in its own translation unit so calls through a
 * pointer to it cannot be inlined: the baseline of the barrier benchmark. */
int32_t ctenon_bench_handler(uint32_t irq, void *dev_id);

/* A compiler barrier with atomic_signal_fence semantics: orders this thread's
 * memory accesses against its own signal handlers, emits no instruction. */
static inline void ctenon_signal_fence(void) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

/* A CPU-relax hint for spin loops. */
static inline void ctenon_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}
/* ---- TenonMachine glue (machine.c) ---- */
#include <stddef.h>

/* The machine's three signals; call before installing (they form every
 * handler's sa_mask, and what the block/unblock pair below toggles). */
int ctenon_set_machine_signals(int doorbell, int timer, int fd);
/* Really block / unblock the machine's signals on this thread (the entry's
 * "cli"/"sti" around the lazy flag; async-signal-safe). */
void ctenon_irq_signals_block(void);
void ctenon_irq_signals_unblock(void);
/* Installs the doorbell handler on `signo` (SA_SIGINFO|SA_ONSTACK|SA_RESTART,
 * the machine's signals in sa_mask) and saves the previous disposition. The
 * handler reads the TLS CPU, returns if none, else calls entry(cpu). */
int ctenon_install_doorbell(int signo, void (*entry)(void *cpu));
/* Installs the timer-signal and fd-signal handlers; both raise an IRQ on the
 * current CPU through entry(cpu, irq), which returns 1 if the IRQ was still
 * pending (merged). Saves the previous dispositions. */
int ctenon_install_sources(int timer_signo, int fd_signo, int32_t (*entry)(void *cpu, uint32_t irq));
/* The drain backstop's entry (its timer's expiry on the CPU's thread): takes
 * what waits and returns the timer's pace (TenonPipeline's BackstopPace):
 * 0 disarm (until the next ctenon_bell_ring_later), 1 unchanged, 2 every
 * pause_ns, 3 every 16 pause_ns. Re-armed only when the pace changes. */
void ctenon_set_backstop_entry(int32_t (*entry)(void *cpu));
/* Restores the disposition saved by the first install of `signo`. */
int ctenon_restore_signal(int signo);

struct ctenon_timer;
struct ctenon_timer *ctenon_timer_create(int tid, int signo, uint32_t irq);
int ctenon_timer_arm(struct ctenon_timer *t, uint64_t first_ns, uint64_t interval_ns);
/* The same with the first expiry at CLOCK_MONOTONIC `at_ns` (TIMER_ABSTIME):
 * the caller knows exactly when each expiry is due. */
int ctenon_timer_arm_at(struct ctenon_timer *t, uint64_t at_ns, uint64_t interval_ns);
int ctenon_timer_delete(struct ctenon_timer *t);
void ctenon_timer_free(struct ctenon_timer *t);
uint64_t ctenon_timer_signals(const struct ctenon_timer *t);
uint64_t ctenon_timer_overruns(const struct ctenon_timer *t);
/* Expiries whose IRQ was still pending in the controller (merged there). */
uint64_t ctenon_timer_merged(const struct ctenon_timer *t);
/* CLOCK_MONOTONIC ns of the latest delivery (0: none yet). */
uint64_t ctenon_timer_last_ns(const struct ctenon_timer *t);

int ctenon_fd_attach(int fd, int tid, int signo, uint32_t irq);
int ctenon_fd_detach(int fd);

struct ctenon_bell;
struct ctenon_bell *ctenon_bell_create(int signo, int ncpus);
void ctenon_bell_free(struct ctenon_bell *b);
void ctenon_bell_set_tid(struct ctenon_bell *b, int cpu, int tid);
/* A DoorbellFunction: tgkill(pid, tid[cpu], signo). Async-signal-safe. */
void ctenon_bell_ring(void *context, int32_t cpu);
/* A CPU's idle state, set by its own thread (sequentially consistent: the
 * raiser sets the controller's summary, then reads it; the CPU sets it, then
 * looks at the summary once more before it sleeps or stops polling).
 * BUSY: a ring sends the doorbell signal. IDLE (set before the idle loop's
 * last look at its controller, until it wakes): a ring bumps and wakes its
 * futex word instead, and the loop takes the IRQs in task context. POLLING
 * (the idle-poll window): a ring does nothing, the poll sees the summary. */
enum { CTENON_CPU_BUSY = 0, CTENON_CPU_IDLE = 1, CTENON_CPU_POLLING = 2 };
void ctenon_bell_set_sleeping(struct ctenon_bell *b, int cpu, int state);
/* How many rings to `cpu` sent the doorbell signal, and how many woke its
 * idle word instead. */
void ctenon_bell_counts(const struct ctenon_bell *b, int cpu, uint64_t *signals, uint64_t *wakes);
/* The same after a pause: makes sure CPU `cpu`'s backstop timer (created on
 * its thread `tid`, delivering `timer_signo` to the backstop entry, see
 * ctenon_set_backstop_entry) is armed, periodic every `pause_ns`; arms it only
 * if it is not (a syscall); a plain ring if the CPU has none. Call on that
 * CPU's thread. Async-signal-safe (timer_settime). Delete before the thread
 * exits; freed with the bell. */
int ctenon_bell_later_create(struct ctenon_bell *b, int cpu, int tid, int timer_signo, uint64_t pause_ns);
void ctenon_bell_later_delete(struct ctenon_bell *b, int cpu);
void ctenon_bell_ring_later(void *context, int32_t cpu);
/* CPU `cpu`'s idle-loop futex word; wake bumps it (no syscall: called on
 * that CPU's own thread, whose interrupted futex wait then returns). */
void ctenon_bell_set_word(struct ctenon_bell *b, int cpu, uint32_t *word);
void ctenon_bell_wake(void *context, int32_t cpu);

int ctenon_gettid(void);
/* Deepest doorbell-handler nesting seen on any thread (diagnostics). */
int ctenon_max_nesting(void);
void ctenon_reset_max_nesting(void);
int ctenon_tgkill(int tid, int signo);
int ctenon_pin_self(int core);
int ctenon_allowed_cores(int *out, int max);
int ctenon_unblock_signal(int signo);
int ctenon_sigrtmin(void);
int ctenon_sigrtmax(void);
void *ctenon_altstack_create(size_t size);
void ctenon_altstack_destroy(void *stack, size_t size);
int ctenon_futex_wait(uint32_t *word, uint32_t expected);
int ctenon_futex_wake(uint32_t *word, int count);

/* Atomic access to a futex word from Swift. */
static inline uint32_t ctenon_word_load(uint32_t *w) { return __atomic_load_n(w, __ATOMIC_SEQ_CST); }
static inline void ctenon_word_bump(uint32_t *w) { __atomic_fetch_add(w, 1, __ATOMIC_SEQ_CST); }
static inline void ctenon_word_store32(int32_t *w, uint32_t v) { __atomic_store_n((uint32_t *)w, v, __ATOMIC_SEQ_CST); }
static inline uint32_t ctenon_word_load32(int32_t *w) { return __atomic_load_n((uint32_t *)w, __ATOMIC_SEQ_CST); }
static inline void ctenon_word_store64(uint64_t *w, uint64_t v) { __atomic_store_n(w, v, __ATOMIC_SEQ_CST); }
static inline uint64_t ctenon_word_load64(uint64_t *w) { return __atomic_load_n(w, __ATOMIC_SEQ_CST); }

/* Bench: a plain handler that stamps CLOCK_MONOTONIC; take returns and clears it. */
int ctenon_baseline_install(int signo);
uint64_t ctenon_baseline_take(void);

/* `tenon doorbellbench` (doorbell_bench.c): in-band work that counts
 * iterations until `end_ns`; a handler counting into the uint64_t at dev_id
 * (single writer); the drain-once C doorbell scheme under a raise flood; and
 * ping-pong over bare RT signals (one outstanding at a time), the target
 * sleeping or (busy) spinning in its task context. */
uint64_t ctenon_spin_until(uint64_t end_ns);
int32_t ctenon_count_handler(uint32_t irq, void *dev_id);
int ctenon_flood_c(int signo, int target_core, int raiser_core, uint32_t lines, uint64_t ns, int busy,
                   uint64_t *inband, uint64_t *handled);
int ctenon_pingpong_c(int signo, int target_core, int raiser_core, uint64_t ns, int busy, uint64_t *pings);
uint64_t ctenon_pingpong_wait(const uint64_t *counter, uint64_t n);
double ctenon_sigmask_pair_ns(long pairs, int signo);
/* ---- Fault containment (fault.c) ----
 * A fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT) or an exit()
 * raised while this thread runs registered plugin code is turned into an
 * oops: recorded in a lock-free ring, written to stderr, and the thread jumps
 * back to the innermost recovery point. Anywhere else the previous
 * disposition is restored and the signal re-raised (host bugs still crash). */

/* Words of pipeline state a recovery point saves (the pipeline's hooks own
 * their meaning). */
#define CTENON_STATE_WORDS 8
/* What ctenon_call_out returns for a handler call abandoned by a fault. */
#define CTENON_FAULTED ((int32_t)0x80000000)

/* Where plugin code runs (the oops names it). */
enum ctenon_context {
    CTENON_CTX_HOST = 0,
    CTENON_CTX_OOB = 1,
    CTENON_CTX_INBAND = 2,
    CTENON_CTX_WORK = 3,
    CTENON_CTX_ENTRY = 4,
    CTENON_CTX_INIT = 5,
    CTENON_CTX_EXIT = 6,
    CTENON_CTX_COMMAND = 7,
    CTENON_CTX_EXTENSION = 8,
};

/* Installs the fault handlers (SA_SIGINFO|SA_ONSTACK|SA_NODEFER), saving the
 * dispositions found for chaining; again if someone replaced them since.
 * Returns 0 or -errno. */
int ctenon_fault_install(void);
/* The pipeline's hooks: snapshot saves a CPU's state at a recovery point;
 * restore puts it back after a fault of `faulted_owner`; `reenter`: the
 * caller (a signal trampoline) enters the pipeline again right after. Both run in signal
 * context and must be async-signal-safe. */
void ctenon_fault_set_pipeline_hooks(void (*snapshot)(void *cpu, uint64_t *state),
                                     void (*restore)(void *cpu, const uint64_t *state, uint32_t faulted_owner, int reenter));
/* Plugin owners: only code of a registered (domain, owner) is contained. The
 * name and version are copied (oops text). 0, or -ENOSPC. */
int ctenon_fault_register(const void *domain, uint32_t owner, const char *name, const char *version);
void ctenon_fault_unregister(const void *domain, uint32_t owner);
/* The simulated CPU index of this thread (oops text); -1: none. */
void ctenon_fault_set_cpu(int cpu);
/* Sabotage for `tenon stress --faults --sabotage no-recovery`: off, every
 * fault is treated as a host bug. */
void ctenon_fault_set_recovery(bool enabled);
/* An alternate signal stack for the calling thread if it has none (stack
 * overflow is only catchable on one). Kept for the thread's life. */
int ctenon_fault_ensure_altstack(void);

/* Calls one IRQ handler (or irq_work function when handler is NULL) of
 * `owner`, marking the thread as running it. Inside a pipeline entry the
 * entry's recovery point covers the call; outside one (a task-context sync
 * loop) the call gets its own. Returns the handler's result, IRQ_HANDLED for
 * work, or CTENON_FAULTED if the call was abandoned by a fault. `cpu` is the
 * pipeline CPU the call runs on (what a recovery puts back), or NULL. */
int32_t ctenon_call_out(const void *domain, void *cpu, uint32_t owner, uint32_t irq, uint32_t context,
                        int32_t (*handler)(uint32_t, void *), void (*work)(void *), void *arg);

/* The one task-context door into plugin code: invoke(cif, fn, rvalue,
 * avalues) (libffi's ffi_call) under a recovery point, marked as `owner`
 * running `context`. Returns 0, or the oops sequence number of the fault
 * that abandoned the call. */
uint64_t ctenon_guarded_call(const void *domain, uint32_t owner, uint32_t context,
                             void (*invoke)(void *, void *, void *, void **),
                             void *cif, void *fn, void *rvalue, void **avalues);

/* Host code called by plugin code (the task services): the marker says
 * "host" until leave, so a fault there is a host bug. enter returns the
 * owner to give back to leave. */
uint32_t ctenon_host_section_enter(void);
void ctenon_host_section_leave(uint32_t owner);

/* One oops, as recorded at fault time (raw; symbolised later). */
#define CTENON_OOPS_FRAMES 8
struct ctenon_oops {
    uint64_t seq;         /* 1, 2, ...; 0: empty */
    const void *domain;
    uint32_t owner;
    uint32_t irq;         /* UINT32_MAX: none */
    uint32_t context;     /* enum ctenon_context */
    int32_t cpu;          /* -1: not a CPU thread */
    int32_t tid;
    int32_t signo;        /* 0: exit()/_exit() */
    int32_t code;         /* si_code, or the exit status */
    uint32_t nframes;
    uint64_t addr;        /* si_addr */
    uint64_t pc;
    uint64_t time_ns;     /* CLOCK_MONOTONIC */
    uint64_t frames[CTENON_OOPS_FRAMES];
    char name[32];
    char version[24];
};
/* Oopses recorded so far (a futex word's worth; also what to wait on). */
uint32_t ctenon_oops_count(void);
/* Waits until the count differs from `seen` or `timeout_ns` passes. */
void ctenon_oops_wait(uint32_t seen, uint64_t timeout_ns);
/* Copies oops `seq` out of the ring: 0, or -ENOENT if not (or no longer) there. */
int ctenon_oops_read(uint64_t seq, struct ctenon_oops *out);
/* `tenon bench`: a trampoline's recovery point plus one marked handler call. */
int32_t ctenon_bench_recovery_entry(void *cpu, const void *domain, int32_t (*handler)(uint32_t, void *), uint32_t irq);
/* dladdr (task context only: takes the loader lock). 1 if found. */
int ctenon_dladdr(const void *addr, const char **fname, uintptr_t *fbase, const char **sname, uintptr_t *saddr);
/* Host-wide taint: plugin faults contained (TAINT_DIE's analogue). */
uint64_t ctenon_taint_faults(void);

#include "CTenonLatency.h"
#include "ctenon_guard.h"

#endif
