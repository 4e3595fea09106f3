#ifndef CTENON_SYSTEM_H
#define CTENON_SYSTEM_H

#include <stddef.h>

/* glibc declares the thread-name calls under _GNU_SOURCE only, which Swift's
 * Glibc module does not define: these are them, for the calling thread. */
int ctenon_thread_set_name(const char *name);
int ctenon_thread_get_name(char *buffer, size_t size);

#endif
