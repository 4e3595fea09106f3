/* CTenonStress — the async-signal-safe half of `tenon stress`: a table of
 * watched (about to be unmapped, then poisoned) address ranges of unloaded
 * plugin images and the SIGSEGV/SIGBUS handler that names the plugin when a
 * CPU executes or touches one of them late. */
#ifndef CTENON_STRESS_H
#define CTENON_STRESS_H

#include <stdint.h>
#include <stddef.h>

#define TSTRESS_MAX_RANGES 4096
#define TSTRESS_LABEL 200

/* Installs the SIGSEGV/SIGBUS handler (SA_ONSTACK|SA_SIGINFO) and gives the
 * calling thread an alternate signal stack. Idempotent. */
void tstress_install_fault_handler(void);
/* Gives the calling thread a 64 KB sigaltstack if it has none. */
void tstress_ensure_altstack(void);
/* The simulated CPU the calling thread runs (for the fault report), -1 none. */
void tstress_set_thread_cpu(int cpu);
/* Barrier slots: the fault report reads the IRQ being dispatched from them
 * (bits 32-63 of the non-zero parity word). `slots` = CPU 0's slot, `stride`
 * bytes apart, two 64-bit words at offsets 0 and 8. */
void tstress_set_barrier_slots(const void *slots, size_t stride, int count);
/* Watches [start, end) under `label` ("plugin NAME (generation G, image PATH)");
 * returns the entry index or -1 if the table is full. */
int tstress_watch(uintptr_t start, uintptr_t end, const char *label);
/* Stops watching entry `index`. */
void tstress_unwatch(int index);
/* Maps PROT_NONE over [start, end) with MAP_FIXED_NOREPLACE: 0, or errno. */
int tstress_poison(uintptr_t start, uintptr_t end);
/* munmap. 0 or errno. */
int tstress_unmap(uintptr_t start, uintptr_t end);
/* Monotonic ns. */
uint64_t tstress_now_ns(void);

#endif
