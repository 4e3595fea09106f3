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
 * Context-and-state tags. Every member below carries one, e.g.
 * [task; init running exit]: first WHERE it may be called (or, for a data
 * member, read), then in WHICH STATE of the plugin.
 *
 * Contexts:
 *   [task]     in-band task context: the host's control thread, which runs the
 *              entry point, init(), exit(), commands and get_extension(). May
 *              block, allocate, take locks.
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
 * States of the plugin (see the lifecycle above tenon_plugin_desc_t):
 *   entry      inside tenon_plugin_entry() (no tenon_host_t exists yet);
 *   init       inside init();
 *   running    after init() returned 0, until the unload's quiescence barrier
 *              (handlers, irq_work, commands);
 *   exit       inside exit() (after the barrier: no handler runs any more).
 * A task service called in a state its tag omits is accepted but pointless:
 * what it registers is revoked when exit() returns, and an IRQ action
 * requested from exit() is never published (the barrier is over: nothing
 * would wait for its handler before the image is unmapped).
 *
 * Handlers ([oob] and [inband]) must themselves be async-signal-safe. A task
 * service called from a handler is refused at once, without side effects
 * (the value it then returns is listed with each service).
 *
 * Pointer ownership is stated next to every pointer: "plugin-owned" pointers
 * must stay valid until the stated point; "host-owned" pointers must not be
 * freed or kept by the plugin beyond the stated point.
 * All strings are NUL-terminated UTF-8.
 *
 * Names: everything this header defines starts with TENON_ / tenon_; after
 * the prefix come Dovetail's own words (TENON_IRQF_OOB is IRQF_OOB).
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
 *   - plugin.major must equal the host's major: a plugin built for another
 *     major (older or newer) is refused with an error naming both versions;
 *   - plugin.minor must be <= the host's minor: a minor bump only appends
 *     fields at the end of structs, so an older plugin's smaller struct_size
 *     is read up to its own size, and a newer plugin whose descriptor carries
 *     fields this host does not know is refused with a specific error.
 * patch never affects compatibility.
 * `abi` and `struct_size` stay the first two fields of tenon_plugin_desc_t and
 * tenon_host_t in every version, so a host can read them before it knows the
 * layout; a struct_size below the 2.0 size is refused.
 *
 * ABI 2.0 (major bump from 1.0; a 1.x plugin is refused, rebuild it):
 *   - get_extension() on the host and on the plugin: new services arrive as
 *     extensions (string ids) instead of growing tenon_host_t;
 *   - every name prefixed: IRQ_HANDLED -> TENON_IRQ_HANDLED, IRQF_OOB ->
 *     TENON_IRQF_OOB, and so on;
 *   - TENON_HOST_HAS(); context-and-state tags; error lists that match the
 *     host; layout checks for LP64 (x86_64, aarch64).
 * ------------------------------------------------------------------------- */
#define TENON_ABI_MAJOR 2u
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
 * Interrupt vocabulary (Dovetail's names after the prefix, Linux's values)
 * ------------------------------------------------------------------------- */
typedef int32_t tenon_irqreturn_t;
#define TENON_IRQ_NONE        0   /* not mine */
#define TENON_IRQ_HANDLED     1   /* handled */
#define TENON_IRQ_WAKE_THREAD 2   /* not allowed from oob handlers: diagnosed as bogus */

#define TENON_IRQF_SHARED     0x00000080u  /* line may be shared; all actions must agree */
#define TENON_IRQF_PERCPU     0x00000400u  /* per-CPU IRQ (timers, IPIs, synthetic IRQs) */
#define TENON_IRQF_ONESHOT    0x00002000u  /* cleared when TENON_IRQF_OOB is set */
#define TENON_IRQF_NO_THREAD  0x00010000u  /* forced when TENON_IRQF_OOB is set */
#define TENON_IRQF_OOB        0x00200000u  /* run on the out-of-band stage */

/* Handler of an IRQ action. [oob; running] if requested with TENON_IRQF_OOB
 * while an oob stage is installed, else [inband; running]. Must be
 * [async-signal-safe].
 * dev_id: the plugin-owned cookie given to request_irq(), passed back as is. */
typedef tenon_irqreturn_t (*tenon_irq_handler_t)(uint32_t irq, void *dev_id);

/* IRQ work: deferred in-band work, queued from any stage (Dovetail's
 * irq_work). The struct is plugin-owned and must stay valid until func has run
 * or the plugin's exit() returned (the host revokes pending work on unload;
 * work that comes due while an unload waits is held back, and runs if that
 * unload is cancelled). */
typedef struct tenon_irq_work {
    /* [inband; running] on the CPU that queued it. */
    void (*func)(struct tenon_irq_work *work);
    void *arg;                /* free for the plugin */
    uint64_t host_private[4]; /* host-owned, zero-initialise, never touch */
} tenon_irq_work_t;

/* ---------------------------------------------------------------------------
 * Load-time parameters (like module parameters): `key=value` on the command
 * line, typed, validated by the host before init() is called. The tables are
 * read by the host [task; entry init].
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
 * with defaults applied for keys the user did not give. [task; init] */
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
 * Commands run [task; running].
 * ------------------------------------------------------------------------- */
typedef struct tenon_command_desc {
    const char *name;        /* plugin-owned, static */
    const char *signature;   /* plugin-owned, static */
    void (*fn)(void);        /* cast to the real type by the host via libffi */
    const char *help;        /* plugin-owned, static */
} tenon_command_desc_t;

/* ---------------------------------------------------------------------------
 * Extensions (CLAP's mechanism): a service that is not a member of
 * tenon_host_t is reached through host->get_extension(host, ID), which
 * returns a host-owned, const struct of function pointers and values, or
 * NULL when the host does not offer ID. Likewise the host asks a plugin for
 * what it offers through the descriptor's get_extension.
 *
 * Ids are "tenon.NAME/N": an incompatible change makes a new id (N + 1); a
 * compatible one appends members and grows the struct's struct_size. Fetch
 * extensions in init() and keep the pointer: it stays valid until exit()
 * returns.
 * ------------------------------------------------------------------------- */

/* The per-plugin budgets this host enforces. [any; init running exit]
 * (plain values: read them anywhere once fetched). Going over one makes the
 * service concerned fail as documented below. */
#define TENON_EXT_LIMITS "tenon.limits/1"
typedef struct tenon_host_limits {
    uint32_t struct_size;          /* sizeof(tenon_host_limits_t) as the host was built */
    uint32_t max_actions;          /* request_irq successes held at once (-ENOSPC beyond) */
    uint32_t max_timers;           /* timers held at once (-EAGAIN beyond) */
    uint32_t max_synthetic_irqs;   /* irq_create_direct_mapping results held (0 beyond) */
    uint64_t min_timer_period_ns;  /* shortest periodic timer (-EINVAL below); one-shots are free */
} tenon_host_limits_t;

/* ---------------------------------------------------------------------------
 * Host services. One tenon_host_t per loaded plugin (host_data identifies the
 * plugin), host-owned, valid from init() until exit() returns. Every service
 * takes the host pointer first so the host knows which plugin calls: the host
 * records everything a plugin registers and revokes it at unload even if
 * exit() forgets.
 * Return values: 0 or a negative errno (Dovetail's convention) unless stated;
 * each service lists every errno it returns.
 * ------------------------------------------------------------------------- */
typedef struct tenon_host tenon_host_t;

struct tenon_host {
    /* Plain values [any; init running exit]. */
    tenon_version_t abi;     /* the host's ABI version */
    uint32_t struct_size;    /* sizeof(tenon_host_t) as the host was built */
    void *host_data;         /* host-owned, opaque */
    const char *host_name;   /* host-owned, e.g. "tenon 0.1.0" */
    uint32_t nr_cpus;        /* simulated CPUs of this machine */
    uint32_t nr_irqs;        /* valid IRQ numbers: 0 .. nr_irqs-1; device IRQs and
                                IPIs are the lower half, synthetic IRQs (from
                                irq_create_direct_mapping) the upper half */

    /* get_extension [task; init running exit]: the extension `id` (e.g.
     * TENON_EXT_LIMITS), host-owned and valid until exit() returns, or NULL
     * when the host does not offer it, id is NULL, or the caller is a
     * handler. */
    const void *(*get_extension)(const tenon_host_t *host, const char *id);

    /* --- IRQ actions -------------------------------------------------------
     * request_irq [task; init running]: Dovetail's
     *   request_irq()/__request_percpu_irq(). name is copied by the host.
     *   -EINVAL:  irq >= nr_irqs, a synthetic irq that is not mapped, NULL
     *             handler, or a flag bit other than TENON_IRQF_SHARED,
     *             TENON_IRQF_PERCPU, TENON_IRQF_ONESHOT, TENON_IRQF_NO_THREAD,
     *             TENON_IRQF_OOB (refused, not ignored)
     *   -EBUSY:   line taken and not shareable (per-CPU line, or either side
     *             lacks TENON_IRQF_SHARED), or the sharing flags (SHARED, OOB,
     *             ONESHOT, PERCPU) differ from the line's first action
     *   -ENOSPC:  the plugin already holds max_actions (32) actions
     *   -EDEADLK: called from a handler
     * free_irq [task; init running exit]: removes the plugin's action
     *   (irq, dev_id) and waits until no CPU runs it (synchronize_irq).
     *   -ENOENT:  the plugin holds no action on irq with that dev_id
     *   -EDEADLK: called from a handler
     *   -EBUSY:   a CPU stayed inside a handler for 10 s; the action is out of
     *             dispatch all the same, its memory kept until a later grace
     *             period
     *   -EIO:     the barrier's membarrier() failed; as for -EBUSY */
    int32_t (*request_irq)(const tenon_host_t *host, uint32_t irq,
                           tenon_irq_handler_t handler, uint32_t flags,
                           const char *name, void *dev_id);
    int32_t (*free_irq)(const tenon_host_t *host, uint32_t irq, void *dev_id);

    /* Synthetic (software-only, per-CPU) IRQs.
     * irq_create_direct_mapping [task; init running]: the new IRQ number, or
     *   0 when the synthetic domain is exhausted, the plugin already holds
     *   max_synthetic_irqs (16), or the caller is a handler.
     * irq_dispose_mapping [task; init running exit]: gives one back; ignored
     *   (and logged) if irq is not a synthetic IRQ of this plugin, ignored
     *   from a handler. */
    uint32_t (*irq_create_direct_mapping)(const tenon_host_t *host);
    void (*irq_dispose_mapping)(const tenon_host_t *host, uint32_t irq);

    /* Per-CPU timers on CLOCK_MONOTONIC: raise `irq` on `cpu` after first_ns,
     * then every period_ns (0 = one-shot). Timers die with the plugin at the
     * latest.
     * timer_start [task; init running]: a timer id > 0, or
     *   -EINVAL:  a period below min_timer_period_ns (100000 ns = 100 us;
     *             one-shots are not limited), cpu >= nr_cpus or irq >= nr_irqs
     *   -EAGAIN:  the plugin already holds max_timers (8) timers (a one-shot
     *             counts until timer_stop), or the system refused a timer
     *   -ENOSYS:  this host has no machine, hence no timers
     *   -EDEADLK: called from a handler
     * timer_stop [task; init running exit]: 0, or
     *   -ENOENT:  not a running timer of this plugin
     *   -ENOSYS, -EDEADLK: as for timer_start */
    int64_t (*timer_start)(const tenon_host_t *host, uint32_t cpu, uint32_t irq,
                           uint64_t first_ns, uint64_t period_ns);
    int32_t (*timer_stop)(const tenon_host_t *host, int64_t timer_id);

    /* --- Interrupt delivery [any; init running exit][async-signal-safe] -----
     * "The current CPU" is the simulated CPU the caller runs on; init(),
     * exit() and commands run on the host's control thread, which is none.
     * raise_irq: a device IRQ or IPI arriving at `cpu` (asynchronous).
     *   0, or -EINVAL for irq >= nr_irqs or cpu >= nr_cpus.
     * irq_post_inband / irq_post_oob: mark irq pending in the current CPU's
     *   log of that stage; never run a handler (hard interrupts must be off,
     *   as in any oob handler). Ignored off a CPU.
     * irq_inject_pipeline: run the pipeline for irq on the current CPU now,
     *   as if it had been raised; 0, or -EINVAL for a bad irq or off a CPU.
     * irq_work_queue: 1 if queued; 0 if not: already pending, called off a
     *   CPU, or this CPU's work queue is full (the host counts a diagnostic). */
    int32_t (*raise_irq)(const tenon_host_t *host, uint32_t irq, uint32_t cpu);
    void (*irq_post_inband)(const tenon_host_t *host, uint32_t irq);
    void (*irq_post_oob)(const tenon_host_t *host, uint32_t irq);
    int32_t (*irq_inject_pipeline)(const tenon_host_t *host, uint32_t irq);
    int32_t (*irq_work_queue)(const tenon_host_t *host, tenon_irq_work_t *work);

    /* --- Interrupt state of the current CPU [async-signal-safe] -------------
     * hard_*: the CPU's real interrupt mask; oob_irq_*: the oob stall bit
     * (always paired with hard-off): [any; init running exit].
     * local_irq_*: the in-band stage's virtual interrupt flag:
     * [task][inband; init running exit].
     * The *_save calls return the previous state (1 = disabled/stalled,
     * 0 = enabled), to be given back to the matching *_restore; off a CPU
     * they return 1 and the restores do nothing.
     * running_oob [any; init running exit]: 1 on the oob stage, else 0. */
    uint64_t (*hard_local_irq_save)(const tenon_host_t *host);
    void (*hard_local_irq_restore)(const tenon_host_t *host, uint64_t flags);
    uint64_t (*oob_irq_save)(const tenon_host_t *host);
    void (*oob_irq_restore)(const tenon_host_t *host, uint64_t flags);
    uint64_t (*local_irq_save)(const tenon_host_t *host);
    void (*local_irq_restore)(const tenon_host_t *host, uint64_t flags);
    int32_t (*running_oob)(const tenon_host_t *host);

    /* [any; init running exit][async-signal-safe]
     * smp_processor_id: the current CPU, UINT32_MAX off a CPU.
     * clock_ns: CLOCK_MONOTONIC in nanoseconds. */
    uint32_t (*smp_processor_id)(const tenon_host_t *host);
    uint64_t (*clock_ns)(const tenon_host_t *host);

    /* log [task; init running exit], never from a handler (ignored there):
     * message goes to the host's log, cut at 512 bytes; NULL logs "(null)".
     * level: 0 debug, 1 info, 2 warning, 3 error. */
    void (*log)(const tenon_host_t *host, int32_t level, const char *message);
};

/* Whether `host` has the service `member` (a function pointer) and it is
 * set: true for every service of the ABI the plugin was built against when
 * the host is of the same major and at least that minor; the check to make
 * before calling a service that a later minor appended. [any; init running
 * exit] */
#define TENON_HOST_HAS(host, member)                                              \
    ((host)->struct_size >= offsetof(tenon_host_t, member) + sizeof((host)->member) \
     && (host)->member != NULL)

/* ---------------------------------------------------------------------------
 * The plugin descriptor, returned by the one exported symbol. Its fields are
 * read by the host [task; entry] (checked before init) and its functions
 * called as tagged.
 *
 * Lifecycle:
 *   dlopen -> tenon_plugin_entry() -> descriptor checks -> parameters parsed
 *   -> init() -> (handlers run, commands called, get_extension asked) ->
 *   unload: every action unpublished -> quiescence barrier (no CPU runs the
 *   plugin's code any more) -> exit() -> pending deferred work revoked ->
 *   dlclose (the plugin's mappings vanish).
 *
 * init [task; init]: register IRQs/timers through host; return 0, or a
 *   negative errno to refuse loading (a positive value is a bug and fails the
 *   load too). On failure the host revokes everything init registered and
 *   closes the image; exit() is NOT called. May be NULL.
 * exit [task; exit]: called once, after the barrier: no handler of this
 *   plugin is running or will run again. Free resources, stop and join every
 *   thread the plugin started: if one still runs when exit returns, the host
 *   never unmaps the image (unload reports it "retired" and why). Anything
 *   still registered is revoked by the host afterwards. May be NULL.
 * get_extension [task; running]: the plugin's extension `id` (plugin-owned,
 *   valid until exit() returns), or NULL when it does not offer it. May be
 *   NULL (no extensions). No extension ids are defined for plugins yet:
 *   return NULL for any id you do not know.
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
    const void *(*get_extension)(const tenon_host_t *host, const char *id);
} tenon_plugin_desc_t;

/* The entry point [task; entry]: called once, right after dlopen, before
 * anything else. Returns a plugin-owned descriptor that stays valid until
 * dlclose (normally a static const), or NULL to refuse loading. */
typedef const tenon_plugin_desc_t *(*tenon_plugin_entry_t)(void);
const tenon_plugin_desc_t *tenon_plugin_entry(void);
#define TENON_PLUGIN_ENTRY_SYMBOL "tenon_plugin_entry"

/* Export a static descriptor from a C plugin:
 *     static const tenon_plugin_desc_t desc = { TENON_VERSION_INIT, sizeof desc, ... };
 *     TENON_PLUGIN_ENTRY(desc)
 */
#define TENON_PLUGIN_ENTRY(desc) \
    TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry(void) { return &(desc); }

/* ---------------------------------------------------------------------------
 * Layout checks: the ABI is these offsets and sizes on LP64 Linux (x86_64 and
 * aarch64 agree); a change here is an ABI break, hence a major bump.
 * ------------------------------------------------------------------------- */
#if defined(__LP64__) && (defined(__x86_64__) || defined(__aarch64__))
#ifdef __cplusplus
#define TENON_LAYOUT(cond, what) static_assert(cond, what)
#else
#define TENON_LAYOUT(cond, what) _Static_assert(cond, what)
#endif
TENON_LAYOUT(sizeof(tenon_version_t) == 12, "tenon_version_t size");
TENON_LAYOUT(sizeof(tenon_irq_work_t) == 48, "tenon_irq_work_t size");
TENON_LAYOUT(offsetof(tenon_irq_work_t, host_private) == 16, "tenon_irq_work_t.host_private");
TENON_LAYOUT(sizeof(tenon_param_desc_t) == 32, "tenon_param_desc_t size");
TENON_LAYOUT(offsetof(tenon_param_desc_t, default_value) == 16, "tenon_param_desc_t.default_value");
TENON_LAYOUT(sizeof(tenon_param_value_t) == 24, "tenon_param_value_t size");
TENON_LAYOUT(offsetof(tenon_param_value_t, value) == 16, "tenon_param_value_t.value");
TENON_LAYOUT(sizeof(tenon_command_desc_t) == 32, "tenon_command_desc_t size");
TENON_LAYOUT(offsetof(tenon_command_desc_t, help) == 24, "tenon_command_desc_t.help");
TENON_LAYOUT(sizeof(tenon_host_limits_t) == 24, "tenon_host_limits_t size");
TENON_LAYOUT(offsetof(tenon_host_limits_t, min_timer_period_ns) == 16, "tenon_host_limits_t.min_timer_period_ns");
TENON_LAYOUT(offsetof(tenon_host_t, struct_size) == 12, "tenon_host_t.struct_size");
TENON_LAYOUT(offsetof(tenon_host_t, host_data) == 16, "tenon_host_t.host_data");
TENON_LAYOUT(offsetof(tenon_host_t, nr_irqs) == 36, "tenon_host_t.nr_irqs");
TENON_LAYOUT(offsetof(tenon_host_t, get_extension) == 40, "tenon_host_t.get_extension");
TENON_LAYOUT(offsetof(tenon_host_t, request_irq) == 48, "tenon_host_t.request_irq");
TENON_LAYOUT(offsetof(tenon_host_t, raise_irq) == 96, "tenon_host_t.raise_irq");
TENON_LAYOUT(offsetof(tenon_host_t, hard_local_irq_save) == 136, "tenon_host_t.hard_local_irq_save");
TENON_LAYOUT(offsetof(tenon_host_t, smp_processor_id) == 192, "tenon_host_t.smp_processor_id");
TENON_LAYOUT(offsetof(tenon_host_t, log) == 208, "tenon_host_t.log");
TENON_LAYOUT(sizeof(tenon_host_t) == 216, "tenon_host_t size");
TENON_LAYOUT(offsetof(tenon_plugin_desc_t, struct_size) == 12, "tenon_plugin_desc_t.struct_size");
TENON_LAYOUT(offsetof(tenon_plugin_desc_t, name) == 16, "tenon_plugin_desc_t.name");
TENON_LAYOUT(offsetof(tenon_plugin_desc_t, params) == 40, "tenon_plugin_desc_t.params");
TENON_LAYOUT(offsetof(tenon_plugin_desc_t, commands) == 56, "tenon_plugin_desc_t.commands");
TENON_LAYOUT(offsetof(tenon_plugin_desc_t, init) == 72, "tenon_plugin_desc_t.init");
TENON_LAYOUT(offsetof(tenon_plugin_desc_t, get_extension) == 88, "tenon_plugin_desc_t.get_extension");
TENON_LAYOUT(sizeof(tenon_plugin_desc_t) == 96, "tenon_plugin_desc_t size");
#undef TENON_LAYOUT
#endif

#ifdef __cplusplus
}
#endif

#endif /* TENON_PLUGIN_H */
