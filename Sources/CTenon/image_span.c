#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
/* The address range of a dlopen'ed object, and a cheap proof that it is gone.
 *
 * Why not /proc/self/maps after dlclose: the kernel formats every mapping of
 * the process and the reader parses them all, hundreds of microseconds for a
 * check that only needs to know whether one known range is still mapped. The
 * range is known at load (the object's program headers and load address), and
 * the kernel answers "is this page mapped" with mincore(2): ENOMEM for an
 * address no VMA covers, success for any mapped page. */
#include "ctenon_image.h"
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct span_query {
    const struct link_map *map;
    uintptr_t start, end;
    int found;
};

static int span_of(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct span_query *q = data;
    /* The link map's l_addr and l_name are what dl_iterate_phdr reports as
     * dlpi_addr and dlpi_name for the same object. */
    if (info->dlpi_addr != q->map->l_addr || !info->dlpi_name || !q->map->l_name
        || strcmp(info->dlpi_name, q->map->l_name) != 0)
        return 0;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (s < lo) lo = s;
        if (e > hi) hi = e;
    }
    if (lo >= hi)
        return 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    q->start = lo & ~(page - 1);
    q->end = (hi + page - 1) & ~(page - 1);
    q->found = 1;
    return 1;
}

int ctenon_image_span(void *handle, uintptr_t *start, uintptr_t *end)
{
    struct span_query q = { 0 };
    struct link_map *map = NULL;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map)
        return -EINVAL;
    q.map = map;
    dl_iterate_phdr(span_of, &q);
    if (!q.found)
        return -ENOENT;
    *start = q.start;
    *end = q.end;
    return 0;
}

int ctenon_range_unmapped(uintptr_t start, uintptr_t end)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (start % page || end % page || end < start)
        return -EINVAL;
    unsigned char resident;
    for (uintptr_t p = start; p < end; p += page) {
        if (mincore((void *)p, page, &resident) == 0)
            return 0;
        if (errno != ENOMEM)
            return -errno;
    }
    return 1;
}
