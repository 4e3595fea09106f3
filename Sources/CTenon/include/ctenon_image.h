#ifndef CTENON_IMAGE_H
#define CTENON_IMAGE_H
#include <stdint.h>

/* Private plugin images (see PrivateImage.swift).
 *
 * Copies the file open on `src` into a new sealed memfd named `name`, reading
 * at most `cap` bytes: the bytes later validated and dlopen'ed are this copy,
 * never the path again, so a file rewritten or replaced meanwhile cannot
 * change what runs. While copying it computes the 64-bit FNV-1a hash of the
 * bytes. Seals: F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL.
 *
 * Returns the memfd (O_CLOEXEC), or -errno; -EFBIG when the file holds more
 * than `cap` bytes (nothing beyond cap + 1 bytes is read). */
int ctenon_image_copy(int src, const char *name, uint64_t cap, uint64_t *size, uint64_t *fnv1a);

/* The seals currently on `fd` (F_GET_SEALS), or -errno. */
int ctenon_image_seals(int fd);
/* The seals ctenon_image_copy puts on a copy. */
int ctenon_image_expected_seals(void);
#endif
