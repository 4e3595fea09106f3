#ifndef _GNU_SOURCE
#error "CTenon must be built with _GNU_SOURCE"
#endif
#include "CTenon.h"

static __thread void *current_cpu __attribute__((tls_model("initial-exec")));

void *ctenon_current_cpu(void) { return current_cpu; }
void ctenon_set_current_cpu(void *cpu) { current_cpu = cpu; }
