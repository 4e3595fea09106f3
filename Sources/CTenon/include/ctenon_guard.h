#ifndef CTENON_GUARD_H
#define CTENON_GUARD_H
/* The signal guard: the signals the host owns, and checks that plugin code
 * left them as the host set them (signal_guard.c). Signals 1..64 map to bit
 * (signo - 1) of the uint64_t masks below. */
#include <stdint.h>

/* Marks `signo` host-owned with its current disposition as the expected one.
 * Call right after installing the host's handler. `role` (a static string)
 * names it in reports; `critical`: the signal delivers IRQs, so a plugin that
 * steals it is quarantined. 0 or -errno. Task context. */
int ctenon_guard_own(int signo, const char *role, int critical);
/* Forgets `signo` (the host restored the previous owner's disposition). */
void ctenon_guard_disown(int signo);
/* The owned signals as a mask; role and criticality of one. */
uint64_t ctenon_guard_owned(void);
const char *ctenon_guard_role(int signo);
int ctenon_guard_critical(int signo);

/* What became of an owned signal's disposition. */
enum {
    CTENON_GUARD_INTACT = 0,
    CTENON_GUARD_IGNORED = 1,   /* SIG_IGN */
    CTENON_GUARD_DEFAULT = 2,   /* SIG_DFL */
    CTENON_GUARD_REPLACED = 3,  /* another handler */
    CTENON_GUARD_ALTERED = 4,   /* our handler, other flags or sa_mask */
};
/* Compares `signo`'s disposition with the expected one; if it differs and
 * `restore` is set, puts the expected one back. Returns a CTENON_GUARD_* code
 * (the state found), or -errno. */
int ctenon_guard_check(int signo, int restore);

/* The calling thread's blocked signals among `mask` (bit signo-1). */
uint64_t ctenon_guard_blocked(uint64_t mask);
/* Sets the calling thread's blocking of the signals in `mask` to `blocked`. */
int ctenon_guard_set_blocked(uint64_t mask, uint64_t blocked);

/* Per-CPU records of violations: an array of `count` per pipeline (CPU
 * numbers of two machines in one process overlap), zeroed; each CPU thread
 * binds its own (ctenon_guard_bind, NULL to unbind) and the checks below
 * record into the calling thread's, if any. */
struct ctenon_guard_record;
struct ctenon_guard_record *ctenon_guard_records_create(int count);
void ctenon_guard_records_free(struct ctenon_guard_record *records);
struct ctenon_guard_record *ctenon_guard_record_at(struct ctenon_guard_record *records, int index);
void ctenon_guard_bind(struct ctenon_guard_record *record);

/* Entry-exit check: the doorbell/timer/fd entry's closing SIG_BLOCK returns
 * the mask handlers left, at no extra syscall; owned signals found blocked
 * there were blocked by a handler (the entry had opened them). Recorded in
 * the CPU thread's bound record with the last IRQ the entry took (`cpu` is
 * the hook's argument, unused); sigreturn then restores the interrupted
 * mask, so nothing stays blocked. Async-signal-safe. */
void ctenon_irq_signals_block_at_exit(int cpu, uint32_t irq);
/* Task-context variant for CPU threads after in-band work (replays there run
 * on the thread's own mask, which no sigreturn restores): unblocks owned
 * signals left blocked and records them like an entry exit, irq UINT32_MAX. */
void ctenon_guard_repair_cpu_mask(void);
/* Set by the first violation: entries then also check after each IRQ they
 * take (ctenon_guard_check_irq, one syscall), which names the line whose
 * handler did it. Off, the fast path costs one load per IRQ. */
extern int ctenon_guard_pinpoint_flag;
static inline int ctenon_guard_pinpointing(void)
{
    return __atomic_load_n(&ctenon_guard_pinpoint_flag, __ATOMIC_RELAXED);
}
void ctenon_guard_check_irq(uint32_t irq);
/* Violations of one CPU pinned to an IRQ, and the latest such IRQ. */
uint64_t ctenon_guard_pinned(const struct ctenon_guard_record *record);
uint32_t ctenon_guard_pinned_irq(const struct ctenon_guard_record *record);
/* Violations recorded for one CPU: count, OR of the signal bits, last IRQ. */
uint64_t ctenon_guard_violations(const struct ctenon_guard_record *record);
uint64_t ctenon_guard_violation_bits(const struct ctenon_guard_record *record);
uint32_t ctenon_guard_violation_irq(const struct ctenon_guard_record *record);

/* ---- threads plugins start (thread_hook.c) ---- */
/* Points the GOT slots of the dlopen'ed object `handle` for pthread_create at
 * a wrapper that records every thread with the object its start routine is
 * in. Returns the number of slots patched (0: the object never calls
 * pthread_create directly) or -errno. Task context, before the object's
 * entry point runs. */
int ctenon_thread_hook(void *handle);
/* Threads whose start routine lies in the object containing
 * `address_in_image` and has not returned (nor called pthread_exit). */
int ctenon_thread_live(const void *address_in_image);
/* Threads started through the wrapper while its table was full (untracked). */
uint64_t ctenon_thread_unrecorded(void);
#endif
