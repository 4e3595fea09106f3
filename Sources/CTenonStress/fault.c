#ifndef _GNU_SOURCE
#error "CTenonStress must be built with _GNU_SOURCE (Package.swift defines it)"
#endif
#include "CTenonStress.h"
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct range {
    _Atomic int state;     /* 0 free, 1 writing, 2 watched */
    uintptr_t start, end;
    char label[TSTRESS_LABEL];
};

static struct range ranges[TSTRESS_MAX_RANGES];
static _Atomic int installed;
static __thread int thread_cpu = -1;
static const char *slot_base;
static size_t slot_stride;
static int slot_count;

uint64_t tstress_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tstress_set_thread_cpu(int cpu) { thread_cpu = cpu; }

void tstress_set_barrier_slots(const void *slots, size_t stride, int count)
{
    slot_base = slots;
    slot_stride = stride;
    slot_count = count;
}

int tstress_watch(uintptr_t start, uintptr_t end, const char *label)
{
    for (int i = 0; i < TSTRESS_MAX_RANGES; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&ranges[i].state, &expect, 1)) {
            ranges[i].start = start;
            ranges[i].end = end;
            strncpy(ranges[i].label, label, TSTRESS_LABEL - 1);
            ranges[i].label[TSTRESS_LABEL - 1] = 0;
            atomic_store_explicit(&ranges[i].state, 2, memory_order_release);
            return i;
        }
    }
    return -1;
}

void tstress_unwatch(int index)
{
    if (index >= 0 && index < TSTRESS_MAX_RANGES)
        atomic_store_explicit(&ranges[index].state, 0, memory_order_release);
}

int tstress_poison(uintptr_t start, uintptr_t end)
{
    void *p = mmap((void *)start, end - start, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return errno;
    if ((uintptr_t)p != start) {   /* old kernels ignore NOREPLACE and pick another place */
        munmap(p, end - start);
        return EEXIST;
    }
    return 0;
}

int tstress_unmap(uintptr_t start, uintptr_t end)
{
    return munmap((void *)start, end - start) == 0 ? 0 : errno;
}

/* ---- async-signal-safe formatting ---- */

struct out { char buf[512]; size_t n; };

static void put(struct out *o, const char *s)
{
    while (*s && o->n < sizeof o->buf - 1)
        o->buf[o->n++] = *s++;
}

static void put_u(struct out *o, uint64_t v, int base)
{
    char tmp[24];
    int i = 0;
    do {
        unsigned d = (unsigned)(v % (unsigned)base);
        tmp[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= (unsigned)base;
    } while (v && i < 24);
    if (base == 16)
        put(o, "0x");
    while (i > 0 && o->n < sizeof o->buf - 1)
        o->buf[o->n++] = tmp[--i];
}

static void emit(struct out *o)
{
    size_t done = 0;
    while (done < o->n) {
        ssize_t w = write(2, o->buf + done, o->n - done);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            break;
        }
        done += (size_t)w;
    }
}

static void where(struct out *o)
{
    int cpu = thread_cpu;
    if (cpu >= 0) {
        put(o, " on CPU ");
        put_u(o, (uint64_t)cpu, 10);
        if (slot_base && cpu < slot_count) {
            const uint64_t *w = (const uint64_t *)(const void *)(slot_base + (size_t)cpu * slot_stride);
            uint64_t a = __atomic_load_n(&w[0], __ATOMIC_RELAXED), b = __atomic_load_n(&w[1], __ATOMIC_RELAXED);
            uint64_t word = (a & 0xFFFF) ? a : b;
            if (word & 0xFFFF) {
                put(o, ", IRQ ");
                put_u(o, word >> 32, 10);
            } else {
                put(o, ", IRQ ? (the CPU's barrier slot is not marked: it ran outside a read section)");
            }
        }
    } else {
        put(o, " on a non-CPU thread");
    }
    put(o, ", t=");
    put_u(o, tstress_now_ns(), 10);
    put(o, " ns");
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    uintptr_t pc = 0;
#if defined(__x86_64__)
    pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.pc;
#else
    (void)ctx;
#endif
    struct out o = { .n = 0 };
    for (int i = 0; i < TSTRESS_MAX_RANGES; i++) {
        if (atomic_load_explicit(&ranges[i].state, memory_order_acquire) != 2)
            continue;
        uintptr_t s = ranges[i].start, e = ranges[i].end;
        if ((addr >= s && addr < e) || (pc >= s && pc < e)) {
            put(&o, "\nLATE EXECUTION: ");
            put(&o, ranges[i].label);
            put(&o, " faulted at ");
            put_u(&o, addr, 16);
            put(&o, pc >= s && pc < e ? " (executing its code)" : " (its code or data, pc ");
            if (!(pc >= s && pc < e)) { put_u(&o, pc, 16); put(&o, ")"); }
            where(&o);
            put(&o, "\nFAIL: late execution in an unloaded plugin image (the quiescence barrier let a CPU run it after unload returned)\n");
            emit(&o);
            _exit(3);
        }
    }
    int marked = 0;
    if (thread_cpu >= 0 && slot_base && thread_cpu < slot_count) {
        const uint64_t *w = (const uint64_t *)(const void *)(slot_base + (size_t)thread_cpu * slot_stride);
        marked = ((__atomic_load_n(&w[0], __ATOMIC_RELAXED) | __atomic_load_n(&w[1], __ATOMIC_RELAXED)) & 0xFFFF) != 0;
    }
    if (marked && pc == addr) {
        /* A CPU dispatching an IRQ jumped to an address that is no code: the
         * handler pointer came from an action chain freed under it. */
        put(&o, "\nUSE-AFTER-FREE: jump to non-code address ");
        put_u(&o, addr, 16);
        where(&o);
        put(&o, " (a handler pointer read from a freed action chain: the barrier let a CPU use a chain after its grace period)"
                "\nFAIL: crash (use-after-free of an action chain)\n");
        emit(&o);
        _exit(4);
    }
    put(&o, marked ? "\nCRASH inside a read section: " : "\nCRASH: ");
    put(&o, sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
    put(&o, " at ");
    put_u(&o, addr, 16);
    put(&o, ", pc ");
    put_u(&o, pc, 16);
    where(&o);
    put(&o, marked ? " (outside any unloaded plugin image, while dispatching: pipeline state freed under the CPU, e.g. an action chain, or a bug in a handler)\nFAIL: crash\n"
                   : " (outside any unloaded plugin image and outside any read section)\nFAIL: crash\n");
    emit(&o);
    _exit(4);
}

void tstress_ensure_altstack(void)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return;
    stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };
    if (ss.ss_sp)
        sigaltstack(&ss, NULL);   /* leaked on purpose: lives as long as the thread */
}

void tstress_install_fault_handler(void)
{
    tstress_ensure_altstack();
    if (atomic_exchange(&installed, 1))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}
