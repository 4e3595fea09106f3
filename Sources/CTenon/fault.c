#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
/* Fault containment: recovery points, the fault handler, the oops ring, and
 * the exit()/_exit() interposers. Everything the fault handler reaches is
 * async-signal-safe: no allocation, no lock, no stdio, no dladdr (symbols are
 * looked up later, in task context). */
#include "fault_internal.h"
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

__thread struct ctenon_fault_thread ctenon_ft __attribute__((tls_model("initial-exec")));

void (*volatile ctenon_hook_snapshot)(void *cpu, uint64_t *state);
void (*volatile ctenon_hook_restore)(void *cpu, const uint64_t *state, uint32_t faulted_owner, int reenter);

void ctenon_fault_set_pipeline_hooks(void (*snapshot)(void *, uint64_t *),
                                     void (*restore)(void *, const uint64_t *, uint32_t, int))
{
    ctenon_hook_snapshot = snapshot;
    ctenon_hook_restore = restore;
}

void ctenon_fault_set_cpu(int cpu) { ctenon_ft.cpu = cpu + 1; }

static _Atomic bool recovery_enabled = true;
void ctenon_fault_set_recovery(bool enabled) { atomic_store(&recovery_enabled, enabled); }

/* ---- plugin owners ---- */
#define MAX_OWNERS 512
struct owner_entry {
    _Atomic int state; /* 0 free, 1 writing, 2 registered */
    const void *domain;
    uint32_t owner;
    char name[32];
    char version[24];
};
static struct owner_entry owners[MAX_OWNERS];

static void copy_text(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    if (src)
        for (; i + 1 < n && src[i]; i++) dst[i] = src[i];
    dst[i] = 0;
}

int ctenon_fault_register(const void *domain, uint32_t owner, const char *name, const char *version)
{
    for (int i = 0; i < MAX_OWNERS; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&owners[i].state, &expect, 1)) {
            owners[i].domain = domain;
            owners[i].owner = owner;
            copy_text(owners[i].name, sizeof owners[i].name, name);
            copy_text(owners[i].version, sizeof owners[i].version, version);
            atomic_store_explicit(&owners[i].state, 2, memory_order_release);
            return 0;
        }
    }
    return -ENOSPC;
}

void ctenon_fault_unregister(const void *domain, uint32_t owner)
{
    for (int i = 0; i < MAX_OWNERS; i++) {
        if (atomic_load_explicit(&owners[i].state, memory_order_acquire) == 2 &&
            owners[i].domain == domain && owners[i].owner == owner) {
            atomic_store_explicit(&owners[i].state, 0, memory_order_release);
            return;
        }
    }
}

static const struct owner_entry *find_owner(const void *domain, uint32_t owner)
{
    if (owner == 0) return NULL;
    for (int i = 0; i < MAX_OWNERS; i++) {
        if (atomic_load_explicit(&owners[i].state, memory_order_acquire) == 2 &&
            owners[i].domain == domain && owners[i].owner == owner)
            return &owners[i];
    }
    return NULL;
}

/* ---- the oops ring ---- */
#define RING 64
static struct ctenon_oops ring[RING];
static _Atomic uint64_t ring_next;
static _Atomic uint32_t oops_count;
static _Atomic uint64_t taint_faults;

uint32_t ctenon_oops_count(void) { return atomic_load(&oops_count); }
uint64_t ctenon_taint_faults(void) { return atomic_load(&taint_faults); }

void ctenon_oops_wait(uint32_t seen, uint64_t timeout_ns)
{
    struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000u), .tv_nsec = (long)(timeout_ns % 1000000000u) };
    syscall(SYS_futex, (uint32_t *)&oops_count, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

int ctenon_oops_read(uint64_t seq, struct ctenon_oops *out)
{
    struct ctenon_oops *e = &ring[seq % RING];
    if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) != seq) return -ENOENT;
    memcpy(out, e, sizeof *out);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != seq || out->seq != seq) return -ENOENT;
    return 0;
}

/* ---- async-signal-safe text ---- */
struct line { char buf[512]; size_t n; };

static void put(struct line *l, const char *s)
{
    while (*s && l->n < sizeof l->buf - 1) l->buf[l->n++] = *s++;
}

static void put_u(struct line *l, uint64_t v)
{
    char tmp[24];
    int i = 0;
    do { tmp[i++] = (char)('0' + v % 10); v /= 10; } while (v && i < 23);
    while (i && l->n < sizeof l->buf - 1) l->buf[l->n++] = tmp[--i];
}

static void put_i(struct line *l, int64_t v)
{
    if (v < 0) { put(l, "-"); put_u(l, (uint64_t)(-(v + 1)) + 1); } else put_u(l, (uint64_t)v);
}

static void put_x(struct line *l, uint64_t v)
{
    char tmp[20];
    int i = 0;
    do { tmp[i++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v && i < 19);
    put(l, "0x");
    while (i && l->n < sizeof l->buf - 1) l->buf[l->n++] = tmp[--i];
}

static void emit(struct line *l)
{
    l->buf[l->n++] = '\n';
    ssize_t w = write(2, l->buf, l->n);
    (void)w;
}

static const char *signame(int sig)
{
    switch (sig) {
    case 0: return "exit";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    default: return "signal";
    }
}

static const char *ctxname(uint32_t c)
{
    switch (c) {
    case CTENON_CTX_OOB: return "oob handler";
    case CTENON_CTX_INBAND: return "in-band handler";
    case CTENON_CTX_WORK: return "irq_work";
    case CTENON_CTX_ENTRY: return "entry point";
    case CTENON_CTX_INIT: return "init";
    case CTENON_CTX_EXIT: return "exit";
    case CTENON_CTX_COMMAND: return "command";
    case CTENON_CTX_EXTENSION: return "get_extension";
    default: return "host";
    }
}

/* ---- registers ---- */
static uint64_t uc_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
    return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uint64_t)uc->uc_mcontext.pc;
#else
    (void)uc; return 0;
#endif
}

static uint64_t uc_sp(const ucontext_t *uc)
{
#if defined(__x86_64__)
    return (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    return (uint64_t)uc->uc_mcontext.sp;
#else
    (void)uc; return 0;
#endif
}

static uint64_t uc_fp(const ucontext_t *uc)
{
#if defined(__x86_64__)
    return (uint64_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    return (uint64_t)uc->uc_mcontext.regs[29];
#else
    (void)uc; return 0;
#endif
}

/* Frame-pointer walk, reading only words between the faulting stack pointer
 * and the recovery record (which lives in the frame that set the point):
 * everything in that range is this thread's live stack. Code built without
 * frame pointers yields fewer (or no) frames, never a wild read. */
static uint32_t walk(uint64_t fp, uint64_t sp, uint64_t top, uint64_t *out)
{
    uint32_t n = 0;
    while (n < CTENON_OOPS_FRAMES && fp >= sp && fp + 16 <= top && (fp & 7) == 0) {
        const uint64_t *f = (const uint64_t *)(uintptr_t)fp;
        uint64_t ret = f[1];
        if (ret == 0) break;
        out[n++] = ret;
        if (f[0] <= fp) break;
        fp = f[0];
    }
    return n;
}

/* ---- recording ---- */
static uint64_t record(const struct owner_entry *o, const struct ctenon_marker *m, int sig, int code,
                       uint64_t addr, uint64_t pc, uint64_t fp, uint64_t sp, uint64_t top)
{
    uint64_t seq = atomic_fetch_add(&ring_next, 1) + 1;
    struct ctenon_oops *e = &ring[seq % RING];
    __atomic_store_n(&e->seq, 0, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    e->domain = m->domain;
    e->owner = m->owner;
    e->irq = m->irq;
    e->context = m->context;
    e->cpu = ctenon_ft.cpu - 1;
    e->tid = (int32_t)syscall(SYS_gettid);
    e->signo = sig;
    e->code = code;
    e->addr = addr;
    e->pc = pc;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    e->time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    e->nframes = sp ? walk(fp, sp, top, e->frames) : 0;
    memcpy(e->name, o->name, sizeof e->name);
    memcpy(e->version, o->version, sizeof e->version);
    __atomic_store_n(&e->seq, seq, __ATOMIC_RELEASE);
    atomic_fetch_add(&taint_faults, 1);

    struct line l = { .n = 0 };
    put(&l, "tenon: oops #"); put_u(&l, seq); put(&l, ": plugin ");
    put(&l, o->name); put(&l, " "); put(&l, o->version);
    put(&l, ": "); put(&l, signame(sig));
    if (sig) { put(&l, " (si_code "); put_i(&l, code); put(&l, ") at "); put_x(&l, addr); }
    else { put(&l, " ("); put_i(&l, code); put(&l, ") called"); }
    put(&l, ", pc "); put_x(&l, pc);
    put(&l, ", in "); put(&l, ctxname(m->context));
    if (ctenon_ft.cpu > 0) { put(&l, " on CPU "); put_u(&l, (uint64_t)(ctenon_ft.cpu - 1)); }
    if (m->irq != UINT32_MAX) { put(&l, ", IRQ "); put_u(&l, m->irq); }
    put(&l, "; call abandoned, plugin quarantined (`tenon log` for details)");
    emit(&l);

    atomic_fetch_add(&oops_count, 1);
    syscall(SYS_futex, (uint32_t *)&oops_count, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
    return seq;
}

/* The plugin running on this thread with a recovery point to go back to, or NULL. */
static const struct owner_entry *contained(void)
{
    struct ctenon_fault_thread *t = &ctenon_ft;
    if (!t->top || !atomic_load_explicit(&recovery_enabled, memory_order_relaxed)) return NULL;
    return find_owner(t->marker.domain, t->marker.owner);
}

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT };
#define NFAULT ((int)(sizeof fault_signals / sizeof fault_signals[0]))

/* Back to the innermost recovery point: the marker as it was there, the
 * fault signals open, and inside an entry the machine's signals blocked as
 * the trampoline expects (sigreturn restores the interrupted mask later). */
static __attribute__((noreturn)) void recover(struct ctenon_recovery *r, const sigset_t *mask_now,
                                              uint32_t owner, uint64_t seq)
{
    struct ctenon_fault_thread *t = &ctenon_ft;
    r->faulted_owner = owner;
    r->oops_seq = seq;
    t->marker = r->marker;
    t->top = r;
    sigset_t m = *mask_now;
    for (int i = 0; i < NFAULT; i++) sigdelset(&m, fault_signals[i]);
    if (r->kind == CTENON_REC_ENTRY) {
        const sigset_t *irq = ctenon_machine_sigset();
        for (int s = 1; s < _NSIG; s++)
            if (sigismember(irq, s)) sigaddset(&m, s);
    }
    pthread_sigmask(SIG_SETMASK, &m, NULL);
    _longjmp(r->env, 1);
}

/* ---- the fault handler ---- */
static struct sigaction previous[_NSIG];
static void fault_handler(int sig, siginfo_t *si, void *ucv);

static void chain(int sig, siginfo_t *si, const ucontext_t *uc)
{
    struct line l = { .n = 0 };
    put(&l, "tenon: fatal "); put(&l, signame(sig));
    put(&l, " (si_code "); put_i(&l, si->si_code); put(&l, ") at "); put_x(&l, (uint64_t)(uintptr_t)si->si_addr);
    put(&l, ", pc "); put_x(&l, uc ? uc_pc(uc) : 0);
    if (ctenon_ft.cpu > 0) { put(&l, " on CPU "); put_u(&l, (uint64_t)(ctenon_ft.cpu - 1)); }
    const struct owner_entry *o = find_owner(ctenon_ft.marker.domain, ctenon_ft.marker.owner);
    if (o && !atomic_load(&recovery_enabled)) {
        put(&l, " in plugin "); put(&l, o->name); put(&l, " "); put(&l, o->version);
        put(&l, ", but fault recovery is disabled; the host stops");
    } else if (o) {
        put(&l, " in plugin "); put(&l, o->name); put(&l, " with no recovery point on this thread; the host stops");
    } else {
        put(&l, ": not in plugin code (a host bug); the host stops");
    }
    emit(&l);
    /* The previous disposition (the Swift runtime's backtracer, or the
     * default) handles it: restore and re-raise. A synchronous fault re-runs
     * its instruction; a sent or trap signal is raised again. */
    sigaction(sig, &previous[sig], NULL);
    if (si->si_code <= 0 || sig == SIGTRAP || sig == SIGABRT)
        syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
}

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
    const ucontext_t *uc = ucv;
    const struct owner_entry *o = contained();
    if (!o) { chain(sig, si, uc); return; }
    struct ctenon_fault_thread *t = &ctenon_ft;
    struct ctenon_recovery *r = t->top;
    uint64_t seq = record(o, &t->marker, sig, si->si_code, (uint64_t)(uintptr_t)si->si_addr,
                          uc_pc(uc), uc_fp(uc), uc_sp(uc), (uint64_t)(uintptr_t)r);
    recover(r, &uc->uc_sigmask, t->marker.owner, seq);
}

static _Atomic int install_lock;

int ctenon_fault_install(void)
{
    int rc = 0;
    int expect = 0;
    while (!atomic_compare_exchange_weak(&install_lock, &expect, 1)) { expect = 0; sched_yield(); }
    for (int i = 0; i < NFAULT; i++) {
        int sig = fault_signals[i];
        struct sigaction cur;
        if (sigaction(sig, NULL, &cur) != 0) { rc = -errno; break; }
        bool ours = (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == fault_handler;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = fault_handler;
        /* ONSTACK: a stack overflow is only reportable on another stack.
         * NODEFER: the fault signal is not left blocked after the jump back.
         * The machine's signals stay blocked while the handler runs. */
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sa.sa_mask = *ctenon_machine_sigset();
        /* Ours already: refresh the mask (the machine's signals may have been
         * set since), keep the saved previous disposition. */
        if (sigaction(sig, &sa, ours ? NULL : &previous[sig]) != 0) { rc = -errno; break; }
    }
    atomic_store(&install_lock, 0);
    return rc;
}

int ctenon_fault_ensure_altstack(void)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0) return -errno;
    if (!(cur.ss_flags & SS_DISABLE) && cur.ss_size >= 32768) return 0;
    size_t size = 128 * 1024;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -errno;
    stack_t ss = { .ss_sp = p, .ss_size = size, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) { int e = errno; munmap(p, size); return -e; }
    return 0;
}

uint32_t ctenon_host_section_enter(void)
{
    uint32_t owner = ctenon_ft.marker.owner;
    ctenon_ft.marker.owner = 0;
    return owner;
}

void ctenon_host_section_leave(uint32_t owner) { ctenon_ft.marker.owner = owner; }

/* ---- calls into plugin code ---- */
int32_t ctenon_call_out(const void *domain, void *cpu, uint32_t owner, uint32_t irq, uint32_t context,
                        int32_t (*handler)(uint32_t, void *), void (*work)(void *), void *arg)
{
    struct ctenon_fault_thread *t = &ctenon_ft;
    struct ctenon_marker saved = t->marker;
    t->marker.domain = domain;
    t->marker.owner = owner;
    t->marker.irq = irq;
    t->marker.context = context;
    int32_t result = 1; /* IRQ_HANDLED */
    if (t->top && t->top->kind == CTENON_REC_ENTRY) {
        /* The entry's recovery point covers this call: no setjmp here. */
        if (handler) result = handler(irq, arg); else if (work) work(arg);
        t->marker = saved;
        return result;
    }
    struct ctenon_recovery rec;
    rec.prev = t->top;
    rec.kind = CTENON_REC_CALL;
    rec.marker = saved;
    void (*snap)(void *, uint64_t *) = ctenon_hook_snapshot;
    if (cpu && snap) snap(cpu, rec.state);
    if (_setjmp(rec.env) == 0) {
        t->top = &rec;
        if (handler) result = handler(irq, arg); else if (work) work(arg);
    } else {
        void (*restore)(void *, const uint64_t *, uint32_t, int) = ctenon_hook_restore;
        if (cpu && snap && restore) restore(cpu, rec.state, rec.faulted_owner, 0);
        result = CTENON_FAULTED;
    }
    t->top = rec.prev;
    t->marker = saved;
    return result;
}

uint64_t ctenon_guarded_call(const void *domain, uint32_t owner, uint32_t context,
                             void (*invoke)(void *, void *, void *, void **),
                             void *cif, void *fn, void *rvalue, void **avalues)
{
    ctenon_fault_ensure_altstack();
    struct ctenon_fault_thread *t = &ctenon_ft;
    struct ctenon_recovery rec;
    rec.prev = t->top;
    rec.kind = CTENON_REC_TASK;
    rec.marker = t->marker;
    rec.oops_seq = 0;
    void *cpu = ctenon_current_cpu();
    void (*snap)(void *, uint64_t *) = ctenon_hook_snapshot;
    if (cpu && snap) snap(cpu, rec.state);
    uint64_t result = 0;
    if (_setjmp(rec.env) == 0) {
        t->top = &rec;
        t->marker.domain = domain;
        t->marker.owner = owner;
        t->marker.irq = UINT32_MAX;
        t->marker.context = context;
        invoke(cif, fn, rvalue, avalues);
    } else {
        void (*restore)(void *, const uint64_t *, uint32_t, int) = ctenon_hook_restore;
        if (cpu && snap && restore) restore(cpu, rec.state, rec.faulted_owner, 0);
        result = rec.oops_seq;
    }
    t->top = rec.prev;
    t->marker = rec.marker;
    return result;
}

/* ---- exit() and _exit() from plugin code ----
 * The executable exports these (see Package.swift), so a plugin's calls bind
 * here before libc. Inside plugin code with a recovery point they become a
 * fault of that plugin; anywhere else they forward to libc. */
static __attribute__((noreturn)) void plugin_exit(int status, int underscore)
{
    const struct owner_entry *o = contained();
    struct ctenon_fault_thread *t = &ctenon_ft;
    if (o) {
        sigset_t now;
        pthread_sigmask(SIG_SETMASK, NULL, &now);
        uint64_t fp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
        uint64_t seq = record(o, &t->marker, 0, status, 0, (uint64_t)(uintptr_t)__builtin_return_address(0),
                              fp, fp, (uint64_t)(uintptr_t)t->top);
        recover(t->top, &now, t->marker.owner, seq);
    }
    if (t->marker.owner != 0 && find_owner(t->marker.domain, t->marker.owner)) {
        /* Plugin code without a way back (recovery disabled): never a silent 0. */
        struct line l = { .n = 0 };
        put(&l, "tenon: plugin code called exit("); put_i(&l, status);
        put(&l, ") and fault recovery is disabled; the host exits with status 70");
        emit(&l);
        status = 70;
    }
    void (*real)(int) = (void (*)(int))dlsym(RTLD_NEXT, underscore ? "_exit" : "exit");
    if (real) real(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

void exit(int status) { plugin_exit(status, 0); }
void _exit(int status) { plugin_exit(status, 1); }

/* dladdr for Swift (a GNU extension Glibc's module does not show). Takes the
 * loader lock: task context only, never from the fault handler. */
int ctenon_dladdr(const void *addr, const char **fname, uintptr_t *fbase, const char **sname, uintptr_t *saddr)
{
    Dl_info info;
    if (!dladdr(addr, &info)) return 0;
    *fname = info.dli_fname;
    *fbase = (uintptr_t)info.dli_fbase;
    *sname = info.dli_sname;
    *saddr = (uintptr_t)info.dli_saddr;
    return 1;
}

/* `tenon bench`: one pipeline entry's recovery point (snapshot, _setjmp, push,
 * pop) plus one marked handler call, as a signal trampoline pays them. */
int32_t ctenon_bench_recovery_entry(void *cpu, const void *domain, int32_t (*handler)(uint32_t, void *), uint32_t irq)
{
    struct ctenon_fault_thread *t = &ctenon_ft;
    struct ctenon_recovery rec;
    rec.prev = t->top;
    rec.kind = CTENON_REC_ENTRY;
    rec.marker = t->marker;
    void (*snap)(void *, uint64_t *) = ctenon_hook_snapshot;
    if (snap && cpu) snap(cpu, rec.state);
    volatile int32_t r = 0;
    if (_setjmp(rec.env) == 0) {
        t->top = &rec;
        r = ctenon_call_out(domain, cpu, 1, irq, CTENON_CTX_OOB, handler, NULL, NULL);
    }
    t->top = rec.prev;
    return r;
}
