#ifndef CTENON_LATENCY_H
#define CTENON_LATENCY_H
/* `tenon latency`: timer IRQ latency (expiry -> handler entry) recorders, and
 * the bare POSIX-timer thread it is compared with. A recorder is written by
 * one handler on one CPU and drained by one task thread: a single-producer,
 * single-consumer ring of nanosecond samples, so the handler never allocates,
 * locks or waits. */
#include <stdint.h>

struct ctenon_latency;

/* A recorder for a periodic timer whose n-th expiry is due at
 * first_ns + n * period_ns (CLOCK_MONOTONIC). NULL when out of memory.
 * first_ns may be UINT64_MAX (not known yet: nothing is recorded until
 * ctenon_latency_set_first gives it). */
struct ctenon_latency *ctenon_latency_create(uint64_t first_ns, uint64_t period_ns);
void ctenon_latency_set_first(struct ctenon_latency *r, uint64_t first_ns);
uint64_t ctenon_latency_first(const struct ctenon_latency *r);
void ctenon_latency_free(struct ctenon_latency *r);

/* The IRQ handler (a pipeline handler: `irq`, `dev_id` = the recorder):
 * stamps now and records now - the latest due expiry. Async-signal-safe. */
int32_t ctenon_latency_handler(uint32_t irq, void *dev_id);

/* Moves up to `max` samples (ns) into `out`; returns how many. */
uint32_t ctenon_latency_drain(struct ctenon_latency *r, uint64_t *out, uint32_t max);
/* Expiries served together with an older one by a run more than a period
 * late (that run's sample counts from the oldest), and samples lost because
 * the ring was full. */
uint64_t ctenon_latency_overruns(const struct ctenon_latency *r);
uint64_t ctenon_latency_dropped(const struct ctenon_latency *r);
uint64_t ctenon_latency_samples(const struct ctenon_latency *r);

/* The baseline: a bare thread pinned to `core`, under SCHED_FIFO `priority`
 * when > 0, owning a POSIX timer (SIGEV_THREAD_ID, TIMER_ABSTIME) whose
 * signal handler is the same recorder code, with nothing else in between.
 * Returns 0 or -errno (-EPERM when the priority is not permitted). */
struct ctenon_latency_baseline;
int ctenon_latency_baseline_start(struct ctenon_latency_baseline **out, struct ctenon_latency *r,
                                  int core, int priority, int signo);
void ctenon_latency_baseline_stop(struct ctenon_latency_baseline *b);

/* SCHED_FIFO `priority` for the calling thread: 0 or -errno. */
int ctenon_set_fifo(int priority);

#endif
