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
/* Restores the disposition saved by the first install of `signo`. */
int ctenon_restore_signal(int signo);
/* The calling thread's idle word: bumped after every signal entry. */
void ctenon_set_idle_word(uint32_t *word);

struct ctenon_timer;
struct ctenon_timer *ctenon_timer_create(int tid, int signo, uint32_t irq);
int ctenon_timer_arm(struct ctenon_timer *t, uint64_t first_ns, uint64_t interval_ns);
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
double ctenon_sigmask_pair_ns(long pairs, int signo);
#endif
