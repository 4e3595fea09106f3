#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
#include "ctenon_image.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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

/* The content fingerprint, over 8-byte little-endian words (FNV-1a's
 * offset and prime, then a fold of the high half into the low: a multiply
 * alone only carries bits upward). Byte-at-a-time FNV-1a is a chain of
 * dependent multiplies, 1.3 ns per byte: 0.9 ms for a 650 KB Swift plugin,
 * against 0.11 ms word by word. Chunks are filled to CHUNK bytes, a multiple
 * of 8, so only the file's last chunk has a byte tail. */
static uint64_t image_hash(uint64_t h, const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= w;
        h *= 0x100000001b3ULL;
        h ^= h >> 32;
    }
    for (; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int ctenon_image_copy(int src, const char *name, uint64_t cap, uint64_t *size, uint64_t *hash_out)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -errno;
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf) { close(fd); return -ENOMEM; }
    uint64_t hash = 0xcbf29ce484222325ULL, total = 0;
    int rc = 0, end = 0;
    while (!end && rc == 0) {
        /* Fill the whole chunk (a short read mid-file must not move the
         * word boundaries the hash sees). Never read more than cap + 1
         * bytes: one byte past the cap proves the file is too large without
         * reading the rest of it. */
        size_t fill = 0;
        while (fill < CHUNK) {
            uint64_t room = cap + 1 - (total + fill);
            if (room == 0) break;
            size_t want = CHUNK - fill < room ? CHUNK - fill : (size_t)room;
            ssize_t n = read(src, buf + fill, want);
            if (n < 0) {
                if (errno == EINTR) continue;
                rc = -errno;
                break;
            }
            if (n == 0) { end = 1; break; }
            fill += (size_t)n;
        }
        if (rc != 0) break;
        total += fill;
        if (total > cap) { rc = -EFBIG; break; }
        hash = image_hash(hash, buf, fill);
        if (fill > 0) rc = write_all(fd, buf, fill);
    }
    free(buf);
    if (rc == 0 && fcntl(fd, F_ADD_SEALS, SEALS) != 0) rc = -errno;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    *size = total;
    *hash_out = hash;
    return fd;
}
