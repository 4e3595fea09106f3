#ifndef CTENON_H
#define CTENON_H
/* Linux glue for Tenon that Swift cannot express directly.
 * Every symbol carries the ctenon_ prefix. */
#include <stdint.h>
#include <stdbool.h>

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
#endif
