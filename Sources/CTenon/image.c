#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
#include "ctenon_image.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

int ctenon_image_expected_seals(void) { return SEALS; }

int ctenon_image_seals(int fd)
{
    int s = fcntl(fd, F_GET_SEALS);
    return s < 0 ? -errno : s;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ctenon_image_copy(int src, const char *name, uint64_t cap, uint64_t *size, uint64_t *fnv1a)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -errno;
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf) { close(fd); return -ENOMEM; }
    uint64_t hash = 0xcbf29ce484222325ULL, total = 0;
    int rc = 0;
    for (;;) {
        /* Never read more than cap + 1 bytes: one byte past the cap proves
         * the file is too large without reading the rest of it. */
        uint64_t room = cap + 1 - total;
        size_t want = room < CHUNK ? (size_t)room : CHUNK;
        ssize_t n = read(src, buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = -errno;
            break;
        }
        if (n == 0) break;
        total += (uint64_t)n;
        if (total > cap) { rc = -EFBIG; break; }
        for (ssize_t i = 0; i < n; i++) {
            hash ^= buf[i];
            hash *= 0x100000001b3ULL;
        }
        if ((rc = write_all(fd, buf, (size_t)n)) != 0) break;
    }
    free(buf);
    if (rc == 0 && fcntl(fd, F_ADD_SEALS, SEALS) != 0) rc = -errno;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    *size = total;
    *fnv1a = hash;
    return fd;
}
