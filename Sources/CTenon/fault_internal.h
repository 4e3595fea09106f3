#ifndef CTENON_FAULT_INTERNAL_H
#define CTENON_FAULT_INTERNAL_H
/* Private to CTenon: the recovery record and the per-thread fault state
 * shared by fault.c and machine.c's trampolines. */
#include "CTenon.h"
#include <setjmp.h>
#include <signal.h>

/* What a recovery point guards. */
enum ctenon_recovery_kind {
    /* A pipeline entry taken by a signal trampoline: the entry's whole frame
     * chain (all @_noLocks, no Swift reference held) is abandoned. */
    CTENON_REC_ENTRY = 1,
    /* One handler call made outside any entry (task-context sync loop):
     * only the plugin's own frames are abandoned. */
    CTENON_REC_CALL = 2,
    /* One task-context plugin call (init, exit, entry point, command). */
    CTENON_REC_TASK = 3,
};

/* "This thread runs plugin code": who, for which IRQ, in which context. */
struct ctenon_marker {
    const void *domain;
    uint32_t owner;
    uint32_t irq;
    uint32_t context;
};

struct ctenon_recovery {
    jmp_buf env;
    struct ctenon_recovery *prev;
    int kind;
    /* The marker in force when the point was set, put back on recovery. */
    struct ctenon_marker marker;
    /* Set by the fault handler before it jumps back. */
    uint32_t faulted_owner;
    uint64_t oops_seq;
    /* Pipeline state saved at the point (see ctenon_fault_set_pipeline_hooks). */
    uint64_t state[CTENON_STATE_WORDS];
};

struct ctenon_fault_thread {
    struct ctenon_recovery *top;
    struct ctenon_marker marker;
    int cpu; /* simulated CPU index, -1: none */
};

extern __thread struct ctenon_fault_thread ctenon_ft __attribute__((tls_model("initial-exec")));

/* The pipeline's state hooks (NULL until a pipeline registered them). */
extern void (*volatile ctenon_hook_snapshot)(void *cpu, uint64_t *state);
extern void (*volatile ctenon_hook_restore)(void *cpu, const uint64_t *state, uint32_t faulted_owner, int reenter);

/* The machine's signals, blocked again after a recovery inside an entry. */
const sigset_t *ctenon_machine_sigset(void);
#endif
