/*
 * tenon_plugin.h — the C ABI of Tenon handler plugins.
 *
 * A plugin is a shared object that exports exactly one symbol, the function
 * `tenon_plugin_entry`, which returns the plugin's `tenon_plugin_desc_t`.
 * (A function rather than a data symbol so that any language with a C calling
 * convention, Embedded Swift included, can export it.) Everything else it
 * needs from the host arrives as a `tenon_host_t` at init. Nothing beyond a C
 * compiler and this header is required:
 *
 *     cc -shared -fPIC -fvisibility=hidden -I<tenon>/include my_plugin.c -o libmy_plugin.so
 *
 * Names follow Dovetail (the interrupt pipeline behind EVL): stages are
 * "in-band" and "oob" (out-of-band); a stage whose interrupts are disabled is
 * "stalled"; "hard" interrupt state is the simulated CPU's real mask.
 *
 * ---------------------------------------------------------------------------
 * Context tags (every function below carries one or more):
 *
 *   [task]     in-band task context: the host's control thread or in-band work
 *              submitted to a CPU. May block, allocate, take locks.
 *   [inband]   in-band IRQ context: an in-band handler replayed from the log,
 *              or irq_work. Hard interrupts on, in-band stage stalled. Runs in
 *              a signal frame: must not call non-async-signal-safe services
 *              (malloc, stdio, locks shared with task code).
 *   [oob]      out-of-band IRQ context: an oob handler. Hard interrupts off,
 *              oob stage stalled and current. Runs inside the doorbell signal
 *              handler and may preempt ANY code of that CPU, in-band handlers
 *              included.
 *   [any]      any of the above.
 *   [async-signal-safe]  no allocation, no lock, no blocking, no stdio; the
 *              function itself may be called from a signal handler.
 *
 * Handlers ([oob] and [inband]) must themselves be async-signal-safe.
 *
 * Pointer ownership is stated next to every pointer: "plugin-owned" pointers
 * must stay valid until the stated point; "host-owned" pointers must not be
 * freed or kept by the plugin beyond the stated point.
 * All strings are NUL-terminated UTF-8.
 * ---------------------------------------------------------------------------
 */
#ifndef TENON_PLUGIN_H
#define TENON_PLUGIN_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TENON_EXPORT __attribute__((visibility("default")))
#else
#define TENON_EXPORT
#endif

/* ---------------------------------------------------------------------------
 * Versioning
 *
 * Compatibility rule (host side, see tenon_abi_compatible()):
 *   - plugin.major must equal the host's major;
 *   - plugin.minor must be <= the host's minor: a minor bump only appends
 *     fields at the end of structs, so an older plugin's smaller struct_size
 *     is read up to its own size, and a newer plugin whose descriptor carries
 *     fields this host does not know is refused with a specific error.
 * patch never affects compatibility.
 * `abi` and `struct_size` stay the first two fields of tenon_plugin_desc_t and
 * tenon_host_t in every version, so a host can read them before it knows the
 * layout; a struct_size below the 1.0 size is refused.
 * ------------------------------------------------------------------------- */
#define TENON_ABI_MAJOR 1u
#define TENON_ABI_MINOR 0u
#define TENON_ABI_PATCH 0u

typedef struct tenon_version {
    uint32_t major;
    uint32_t minor;
    uint32_t patch;
} tenon_version_t;

#define TENON_VERSION_INIT { TENON_ABI_MAJOR, TENON_ABI_MINOR, TENON_ABI_PATCH }

static inline int tenon_abi_compatible(tenon_version_t plugin, tenon_version_t host)
{
    return plugin.major == host.major && plugin.minor <= host.minor;
}

/* ---------------------------------------------------------------------------
 * Interrupt vocabulary (values as in Linux/Dovetail)
 * ------------------------------------------------------------------------- */
typedef int32_t tenon_irqreturn_t;
#define IRQ_NONE        0   /* not mine */
#define IRQ_HANDLED     1   /* handled */
#define IRQ_WAKE_THREAD 2   /* not allowed from oob handlers: diagnosed as bogus */

#define IRQF_SHARED     0x00000080u  /* line may be shared; all actions must agree */
#define IRQF_PERCPU     0x00000400u  /* per-CPU IRQ (timers, IPIs, synthetic IRQs) */
#define IRQF_ONESHOT    0x00002000u  /* cleared when IRQF_OOB is set */
#define IRQF_NO_THREAD  0x00010000u  /* forced when IRQF_OOB is set */
#define IRQF_OOB        0x00200000u  /* run on the out-of-band stage */

/* Handler of an IRQ action. [oob] if requested with IRQF_OOB while an oob
 * stage is installed, else [inband]. [async-signal-safe] required.
 * dev_id: the plugin-owned cookie given to request_irq(), passed back as is. */
typedef tenon_irqreturn_t (*tenon_irq_handler_t)(uint32_t irq, void *dev_id);

/* IRQ work: deferred in-band work, queued from any stage (Dovetail's
 * irq_work). The struct is plugin-owned and must stay valid until func has run
 * or the plugin's exit() returned (the host revokes pending work on unload;
 * work that comes due while an unload waits is held back, and runs if that
 * unload is cancelled).
 * func runs [inband] on the CPU that queued it. */
typedef struct tenon_irq_work {
    void (*func)(struct tenon_irq_work *work);
    void *arg;               /* free for the plugin */
    uint64_t host_private[4]; /* host-owned, zero-initialise, never touch */
} tenon_irq_work_t;

/* ---------------------------------------------------------------------------
 * Load-time parameters (like module parameters): `key=value` on the command
 * line, typed, validated by the host before init() is called.
 * ------------------------------------------------------------------------- */
typedef int32_t tenon_param_type_t;
#define TENON_PARAM_BOOL   1   /* true/false, 1/0, yes/no, on/off */
#define TENON_PARAM_INT    2   /* signed 64-bit, decimal or 0x-hex */
#define TENON_PARAM_UINT   3   /* unsigned 64-bit, decimal or 0x-hex */
#define TENON_PARAM_DOUBLE 4
#define TENON_PARAM_STRING 5

typedef struct tenon_param_desc {
    const char *name;          /* plugin-owned, static */
    tenon_param_type_t type;
    const char *default_value; /* plugin-owned, static; parsed like user input; NULL = required */
    const char *description;   /* plugin-owned, static */
} tenon_param_desc_t;

/* init() receives one value per declared parameter, in declaration order,
 * with defaults applied for keys the user did not give. */
typedef struct tenon_param_value {
    const char *name;          /* host-owned, valid during init() only */
    tenon_param_type_t type;
    union {
        int32_t b;             /* TENON_PARAM_BOOL: 0 or 1 */
        int64_t i;
        uint64_t u;
        double d;
        const char *s;         /* host-owned, valid during init() only: copy it */
    } value;
} tenon_param_value_t;

/* ---------------------------------------------------------------------------
 * Commands: functions the host calls on request (`tenon call PLUGIN CMD ARGS`)
 * through libffi, after checking the user's arguments against `signature`.
 *
 * Signature grammar:  RET "(" [ARG ("," ARG)*] ")"
 *   types: void (RET only), bool (C _Bool), i32, i64, u32, u64, f64, str
 *   example: "i64(u32,str)"  ->  int64_t fn(uint32_t, const char *)
 * Names of commands: [a-z0-9_-]{1,31}. A NULL `str` result prints as NULL.
 * `str` arguments are host-owned and valid during the call only; a `str`
 * return value must be plugin-owned static storage.
 * Commands run [task].
 * ------------------------------------------------------------------------- */
typedef struct tenon_command_desc {
    const char *name;        /* plugin-owned, static */
    const char *signature;   /* plugin-owned, static */
    void (*fn)(void);        /* cast to the real type by the host via libffi */
    const char *help;        /* plugin-owned, static */
} tenon_command_desc_t;

/* ---------------------------------------------------------------------------
 * Host services. One tenon_host_t per loaded plugin (host_data identifies the
 * plugin), host-owned, valid from init() until exit() returns. Every service
 * takes the host pointer first so the host knows which plugin calls: the host
 * records everything a plugin registers and revokes it at unload even if
 * exit() forgets.
 * Return values: 0 or a negative errno (Dovetail's convention) unless stated.
 * ------------------------------------------------------------------------- */
typedef struct tenon_host tenon_host_t;

struct tenon_host {
    tenon_version_t abi;     /* the host's ABI version */
    uint32_t struct_size;    /* sizeof(tenon_host_t) as the host was built */
    void *host_data;         /* host-owned, opaque */
    const char *host_name;   /* host-owned, e.g. "tenon 0.1.0" */
    uint32_t nr_cpus;        /* simulated CPUs of this machine */
    uint32_t nr_irqs;        /* valid IRQ numbers: 0 .. nr_irqs-1; device IRQs and
                                IPIs are the lower half, synthetic IRQs (from
                                irq_create_direct_mapping) the upper half */

    /* --- IRQ actions [task] ------------------------------------------------
     * request_irq: Dovetail's request_irq()/__request_percpu_irq().
     *   -EINVAL: irq out of range, NULL handler, bad flag combination, or a
     *            flag bit other than IRQF_SHARED, IRQF_PERCPU, IRQF_ONESHOT,
     *            IRQF_NO_THREAD, IRQF_OOB (refused, not ignored)
     *   -EBUSY:  line taken and not shareable, or flags mismatch
     *   -ENOSPC: the plugin already holds 32 actions (limit per plugin)
     *   -ENOMEM: out of action slots
     * free_irq: removes the action (irq, dev_id) and waits until no CPU runs
     *   it any more (synchronize_irq); -ENOENT if there is no such action. */
    int32_t (*request_irq)(const tenon_host_t *host, uint32_t irq,
                           tenon_irq_handler_t handler, uint32_t flags,
                           const char *name /* copied by the host */, void *dev_id);
    int32_t (*free_irq)(const tenon_host_t *host, uint32_t irq, void *dev_id);

    /* Synthetic (software-only, per-CPU) IRQs [task]. Returns the new IRQ
     * number, or 0 when the synthetic domain is exhausted or the plugin
     * already holds 16 (limit per plugin). */
    uint32_t (*irq_create_direct_mapping)(const tenon_host_t *host);
    void (*irq_dispose_mapping)(const tenon_host_t *host, uint32_t irq);

    /* Per-CPU timers on CLOCK_MONOTONIC [task]: raise `irq` on `cpu` after
     * first_ns, then every period_ns (0 = one-shot). Returns a timer id > 0 or
     * a negative errno: -EINVAL for a period below 100000 ns (100 us; one-shots
     * are not limited), -EAGAIN when the plugin already holds 8 timers (a
     * one-shot counts until timer_stop). Timers die with the plugin at the latest. */
    int64_t (*timer_start)(const tenon_host_t *host, uint32_t cpu, uint32_t irq,
                           uint64_t first_ns, uint64_t period_ns);
    int32_t (*timer_stop)(const tenon_host_t *host, int64_t timer_id);

    /* --- Interrupt delivery [any][async-signal-safe] ------------------------
     * raise_irq: a device IRQ or IPI arriving at `cpu` (asynchronous).
     * irq_post_inband / irq_post_oob: mark irq pending in the current CPU's
     *   log of that stage; never run a handler (hard interrupts must be off,
     *   as in any oob handler).
     * irq_inject_pipeline: run the pipeline for irq on the current CPU now,
     *   as if it had been raised; 0 or -EINVAL.
     * irq_work_queue: 1 if queued, 0 if it was already pending. */
    int32_t (*raise_irq)(const tenon_host_t *host, uint32_t irq, uint32_t cpu);
    void (*irq_post_inband)(const tenon_host_t *host, uint32_t irq);
    void (*irq_post_oob)(const tenon_host_t *host, uint32_t irq);
    int32_t (*irq_inject_pipeline)(const tenon_host_t *host, uint32_t irq);
    int32_t (*irq_work_queue)(const tenon_host_t *host, tenon_irq_work_t *work);

    /* --- Interrupt state of the current CPU [any][async-signal-safe] --------
     * hard_*: the CPU's real interrupt mask. oob_irq_*: the oob stall bit
     * (always paired with hard-off). local_irq_*: the in-band stage's virtual
     * interrupt flag ([task] and [inband] only). */
    uint64_t (*hard_local_irq_save)(const tenon_host_t *host);
    void (*hard_local_irq_restore)(const tenon_host_t *host, uint64_t flags);
    uint64_t (*oob_irq_save)(const tenon_host_t *host);
    void (*oob_irq_restore)(const tenon_host_t *host, uint64_t flags);
    uint64_t (*local_irq_save)(const tenon_host_t *host);
    void (*local_irq_restore)(const tenon_host_t *host, uint64_t flags);
    int32_t (*running_oob)(const tenon_host_t *host);

    /* [any][async-signal-safe] */
    uint32_t (*smp_processor_id)(const tenon_host_t *host);
    uint64_t (*clock_ns)(const tenon_host_t *host); /* CLOCK_MONOTONIC */

    /* [task] only, never from a handler: messages go to the host's log.
     * level: 0 debug, 1 info, 2 warning, 3 error. */
    void (*log)(const tenon_host_t *host, int32_t level, const char *message);
};

/* ---------------------------------------------------------------------------
 * The plugin descriptor, returned by the one exported symbol.
 *
 * Lifecycle:
 *   dlopen -> descriptor checks -> parameters parsed -> init()
 *   -> (handlers run, commands called) ->
 *   unload: every action unpublished -> quiescence barrier (no CPU runs the
 *   plugin's code any more) -> exit() -> pending deferred work revoked ->
 *   dlclose (the plugin's mappings vanish).
 *
 * init [task]: register IRQs/timers through host; return 0, or a negative
 *   errno to refuse loading (a positive value is a bug and fails the load
 *   too). On failure the host revokes everything init registered and closes
 *   the image; exit() is NOT called.
 * exit [task]: called once, after the barrier: no handler of this plugin is
 *   running or will run again. Free resources, stop and join every thread the
 *   plugin started: if one still runs when exit returns, the host never
 *   unmaps the image (unload reports it "retired" and why). Anything still
 *   registered is revoked by the host afterwards. May be NULL.
 * Host signals: the host owns SIGRTMIN+2 (doorbell), SIGRTMIN+3 (timer IRQs)
 *   and SIGRTMIN+4 (fd IRQs). Never change their disposition or block them.
 *   After every task-context call the host undoes such a change and logs it
 *   naming the plugin; a changed disposition also quarantines the plugin
 *   (unpublished, kept mapped, "quarantined" in `tenon list`). A handler that
 *   leaves them blocked is caught on the way out of the IRQ entry and named.
 * A non-shared device IRQ raised with raise_irq(irq, cpu) runs its handler on
 *   that cpu; commands run on the host's control thread, concurrently with
 *   handlers (share state through C11 atomics).
 * ------------------------------------------------------------------------- */
typedef struct tenon_plugin_desc {
    tenon_version_t abi;        /* TENON_VERSION_INIT at build time */
    uint32_t struct_size;       /* sizeof(tenon_plugin_desc_t) at build time */
    const char *name;           /* unique among loaded plugins; [a-z0-9_-]{1,31} */
    const char *version;        /* free text, e.g. "1.2.0" */
    const char *description;

    const tenon_param_desc_t *params;   /* plugin-owned, static; may be NULL */
    uint32_t param_count;
    const tenon_command_desc_t *commands; /* plugin-owned, static; may be NULL */
    uint32_t command_count;

    int32_t (*init)(const tenon_host_t *host,
                    const tenon_param_value_t *params, uint32_t param_count);
    void (*exit)(const tenon_host_t *host);
} tenon_plugin_desc_t;

/* The entry point [task]: called once, right after dlopen, before anything
 * else. Returns a plugin-owned descriptor that stays valid until dlclose
 * (normally a static const), or NULL to refuse loading. */
typedef const tenon_plugin_desc_t *(*tenon_plugin_entry_t)(void);
const tenon_plugin_desc_t *tenon_plugin_entry(void);
#define TENON_PLUGIN_ENTRY_SYMBOL "tenon_plugin_entry"

/* Export a static descriptor from a C plugin:
 *     static const tenon_plugin_desc_t desc = { TENON_VERSION_INIT, sizeof desc, ... };
 *     TENON_PLUGIN_ENTRY(desc)
 */
#define TENON_PLUGIN_ENTRY(desc) \
    TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry(void) { return &(desc); }

#ifdef __cplusplus
}
#endif

#endif /* TENON_PLUGIN_H */
