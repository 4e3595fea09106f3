/*
 * tenon_plugin_util.h — small helpers shared by the example and fixture
 * plugins. Header-only; nothing here is part of the ABI.
 */
#ifndef TENON_PLUGIN_UTIL_H
#define TENON_PLUGIN_UTIL_H

#include <stdint.h>
#include <string.h>
#include "tenon/tenon_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-CPU tables in the examples are this big; init() refuses larger hosts. */
#define TENON_EXAMPLE_MAX_CPUS 64u

/* A command's function as stored in tenon_command_desc_t.fn. */
#define TENON_COMMAND_FN(fn) ((void (*)(void))(fn))

#define TENON_ARRAY_COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* The value of parameter `name` if the host passed it with type `type`, else
 * NULL. [task] (init only: the values are host-owned and die with init). */
static inline const tenon_param_value_t *
tenon_param_find(const tenon_param_value_t *params, uint32_t count, const char *name,
                 tenon_param_type_t type)
{
    for (uint32_t i = 0; i < count; i++)
        if (params[i].name != NULL && strcmp(params[i].name, name) == 0)
            return params[i].type == type ? &params[i] : NULL;
    return NULL;
}

/* Busy-wait hint for spin loops. [any][async-signal-safe] */
static inline void tenon_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* TENON_PLUGIN_UTIL_H */
