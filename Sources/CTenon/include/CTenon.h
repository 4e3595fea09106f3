#ifndef CTENON_H
#define CTENON_H
/* Linux glue for Tenon that Swift cannot express directly.
 * Every symbol carries the ctenon_ prefix. */
#include <stdint.h>
#include <stdbool.h>

/* The current simulated CPU of this host thread (opaque to C). Initial-exec
 * TLS: reading it is one mov, no __tls_get_addr, so it is async-signal-safe. */
void *ctenon_current_cpu(void);
void ctenon_set_current_cpu(void *cpu);

#endif
