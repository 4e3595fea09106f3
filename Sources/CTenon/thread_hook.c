#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
/* Threads plugins start: the plugin's GOT slots for pthread_create are
 * pointed at a wrapper that records each thread with the image its start
 * routine lives in, and notes when that routine is done. Unload asks whether
 * an image still has such a thread; if so, its code must stay mapped. */
#include "CTenon.h"
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { FREE = 0, STARTING = 1, RUNNING = 2, DONE = 3 };

struct thread_record {
    int state;               /* atomic: FREE, STARTING, RUNNING, DONE */
    uintptr_t image;         /* dli_fbase of the start routine's object */
    void *(*start)(void *);
    void *arg;
};

#define MAX_RECORDS 256
static struct thread_record records[MAX_RECORDS];
static uint64_t unrecorded; /* threads started with the table full (atomic) */

static struct thread_record *claim(void)
{
    for (int i = 0; i < MAX_RECORDS; i++) {
        int s = __atomic_load_n(&records[i].state, __ATOMIC_ACQUIRE);
        if ((s == FREE || s == DONE)
            && __atomic_compare_exchange_n(&records[i].state, &s, STARTING, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return &records[i];
    }
    return NULL;
}

static void finished(void *p)
{
    __atomic_store_n(&((struct thread_record *)p)->state, DONE, __ATOMIC_RELEASE);
}

static void *trampoline(void *p)
{
    struct thread_record *r = p;
    void *result;
    /* The cleanup handler also runs on pthread_exit and cancellation. */
    pthread_cleanup_push(finished, r);
    result = r->start(r->arg);
    pthread_cleanup_pop(1);
    return result;
}

/* What a hooked plugin's pthread_create calls. */
static int recording_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                                    void *(*start)(void *), void *arg)
{
    Dl_info info;
    struct thread_record *r = start && dladdr((void *)start, &info) ? claim() : NULL;
    if (!r) {
        __atomic_fetch_add(&unrecorded, 1, __ATOMIC_RELAXED);
        return pthread_create(thread, attr, start, arg);
    }
    r->image = (uintptr_t)info.dli_fbase;
    r->start = start;
    r->arg = arg;
    __atomic_store_n(&r->state, RUNNING, __ATOMIC_RELEASE);
    int rc = pthread_create(thread, attr, trampoline, r);
    if (rc != 0) __atomic_store_n(&r->state, FREE, __ATOMIC_RELEASE);
    return rc;
}

struct relro_search { uintptr_t base; uintptr_t start, end; };

static int find_relro(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct relro_search *s = data;
    if (info->dlpi_addr != s->base) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_RELRO) {
            s->start = info->dlpi_addr + ph->p_vaddr;
            s->end = s->start + ph->p_memsz;
        }
    }
    return 1;
}

/* glibc adjusts some d_ptr values of .dynamic by the load base, some not
 * (it depends on the architecture and version): an address below the base
 * of a shared object is an unadjusted one. */
static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) v) { return v < base ? base + v : v; }

#if defined(__x86_64__)
#define R_GLOB_DAT R_X86_64_GLOB_DAT
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#elif defined(__aarch64__)
#define R_GLOB_DAT R_AARCH64_GLOB_DAT
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#endif

int ctenon_thread_hook(void *handle)
{
#if defined(R_GLOB_DAT)
    struct link_map *lm = NULL;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_ld || lm->l_addr == 0)
        return -EINVAL;
    uintptr_t base = lm->l_addr;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *tables[2] = { NULL, NULL };
    size_t sizes[2] = { 0, 0 };
    for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_STRTAB: strtab = (const char *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_JMPREL: tables[0] = (const ElfW(Rela) *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_PLTRELSZ: sizes[0] = d->d_un.d_val; break;
        case DT_RELA: tables[1] = (const ElfW(Rela) *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_RELASZ: sizes[1] = d->d_un.d_val; break;
        }
    }
    if (!symtab || !strtab) return -EINVAL;
    struct relro_search relro = { base, 0, 0 };
    dl_iterate_phdr(find_relro, &relro);
    long page = sysconf(_SC_PAGESIZE);
    int patched = 0;
    for (int t = 0; t < 2; t++) {
        if (!tables[t]) continue;
        for (size_t i = 0; i < sizes[t] / sizeof(ElfW(Rela)); i++) {
            const ElfW(Rela) *r = &tables[t][i];
            uint32_t type = (uint32_t)ELF64_R_TYPE(r->r_info);
            if (type != R_GLOB_DAT && type != R_JUMP_SLOT) continue;
            const ElfW(Sym) *sym = &symtab[ELF64_R_SYM(r->r_info)];
            if (strcmp(strtab + sym->st_name, "pthread_create") != 0) continue;
            void **slot = (void **)(base + r->r_offset);
            uintptr_t first = (uintptr_t)slot & ~(uintptr_t)(page - 1);
            int in_relro = (uintptr_t)slot >= relro.start && (uintptr_t)slot < relro.end;
            if (in_relro && mprotect((void *)first, (size_t)page, PROT_READ | PROT_WRITE) != 0) return -errno;
            __atomic_store_n(slot, (void *)recording_pthread_create, __ATOMIC_RELEASE);
            if (in_relro) mprotect((void *)first, (size_t)page, PROT_READ);
            patched++;
        }
    }
    return patched;
#else
    (void)handle;
    return -ENOSYS;
#endif
}

int ctenon_thread_live(const void *address_in_image)
{
    Dl_info info;
    if (!address_in_image || !dladdr(address_in_image, &info)) return 0;
    uintptr_t image = (uintptr_t)info.dli_fbase;
    int live = 0;
    for (int i = 0; i < MAX_RECORDS; i++) {
        int s = __atomic_load_n(&records[i].state, __ATOMIC_ACQUIRE);
        if ((s == RUNNING || s == STARTING) && records[i].image == image) live++;
    }
    return live;
}

uint64_t ctenon_thread_unrecorded(void) { return __atomic_load_n(&unrecorded, __ATOMIC_RELAXED); }
