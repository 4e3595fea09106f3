#ifndef CTENON_IMAGE_H
#define CTENON_IMAGE_H
#include <stdint.h>

/* Private plugin images (see PrivateImage.swift).
 *
 * Copies the file open on `src` into a new sealed memfd named `name`, reading
 * at most `cap` bytes: the bytes later validated and dlopen'ed are this copy,
 * never the path again, so a file rewritten or replaced meanwhile cannot
 * change what runs. While copying it computes a 64-bit fingerprint of the
 * bytes (FNV-1a's constants over 8-byte words, see image.c).
 * Seals: F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL.
 *
 * Returns the memfd (O_CLOEXEC), or -errno; -EFBIG when the file holds more
 * than `cap` bytes (nothing beyond cap + 1 bytes is read). */
int ctenon_image_copy(int src, const char *name, uint64_t cap, uint64_t *size, uint64_t *hash);

/* The seals currently on `fd` (F_GET_SEALS), or -errno. */
int ctenon_image_seals(int fd);
/* The seals ctenon_image_copy puts on a copy. */
int ctenon_image_expected_seals(void);

/* Where the loader mapped an object (see image_span.c): the page-aligned
 * range [*start, *end) from the lowest to the highest PT_LOAD segment of the
 * object behind the dlopen handle `handle`, gaps included (glibc reserves the
 * whole span at load and unmaps it with one munmap at dlclose). 0, or -errno
 * (-ENOENT: the loader lists no such object). */
int ctenon_image_span(void *handle, uintptr_t *start, uintptr_t *end);

/* Whether nothing is mapped in the page-aligned range [start, end): one
 * mincore(2) per page, which fails with ENOMEM exactly for a page no mapping
 * covers (whatever its protection, PROT_NONE included). 1: every page is
 * unmapped; 0: some page is mapped (the object's or, reused meanwhile,
 * another's); -errno for any other failure. */
int ctenon_range_unmapped(uintptr_t start, uintptr_t end);
#endif
