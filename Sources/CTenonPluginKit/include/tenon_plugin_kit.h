/*
 * tenon_plugin_kit.h — the C half of TenonPluginKit (the Swift plugin kit).
 *
 * Not part of the plugin ABI (that is include/tenon/tenon_plugin.h). It holds
 * what Swift cannot declare safely in a plugin image:
 *   - the descriptor and its tables, laid out by the C compiler: a statically
 *     initialised Swift global of an imported C struct with internal padding
 *     is emitted as a packed LLVM struct by Swift 6.3 (see docs/plugins.md);
 *   - the plugin state and the irq_work pool, in zero-filled static storage:
 *     no Swift lazy global (swift_once) stands between a handler and its data;
 *   - IRQReturn, a C enum so that handlers can be @convention(c) functions
 *     returning a typed value.
 * Every array has a fixed capacity; the Swift side checks every index.
 */
#ifndef TENON_PLUGIN_KIT_H
#define TENON_PLUGIN_KIT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "tenon/tenon_plugin.h"

/* What a handler returns (Dovetail's irqreturn_t; values of TENON_IRQ_NONE,
 * TENON_IRQ_HANDLED, TENON_IRQ_WAKE_THREAD). */
typedef enum __attribute__((enum_extensibility(closed))) __attribute__((swift_name("IRQReturn")))
tenon_kit_irqreturn : int32_t {
    /* Not mine (TENON_IRQ_NONE). */
    TENON_KIT_IRQ_NONE __attribute__((swift_name("none"))) = 0,
    /* Handled (TENON_IRQ_HANDLED). */
    TENON_KIT_IRQ_HANDLED __attribute__((swift_name("handled"))) = 1,
    /* TENON_IRQ_WAKE_THREAD: diagnosed as bogus when returned by an oob handler. */
    TENON_KIT_IRQ_WAKE_THREAD __attribute__((swift_name("wakeThread"))) = 2,
} tenon_kit_irqreturn_t;
_Static_assert(TENON_KIT_IRQ_NONE == TENON_IRQ_NONE && TENON_KIT_IRQ_HANDLED == TENON_IRQ_HANDLED
               && TENON_KIT_IRQ_WAKE_THREAD == TENON_IRQ_WAKE_THREAD, "IRQReturn is tenon_irqreturn_t");

/* Capacities of the static tables. */
#define TENON_KIT_MAX_PARAMS 32
#define TENON_KIT_MAX_COMMANDS 32
#define TENON_KIT_STRING_BYTES 4096    /* signatures and default values */
#define TENON_KIT_STATE_BYTES 65536    /* the plugin's state (its Swift instance) */
#define TENON_KIT_STATE_ALIGN 64
#define TENON_KIT_MAX_WORK 256         /* irq_work items */

/* The image's static storage: hidden symbols, one copy per plugin image,
 * zero-filled at dlopen (a reload starts from fresh storage). */
#define TENON_KIT_HIDDEN __attribute__((visibility("hidden")))
extern TENON_KIT_HIDDEN tenon_plugin_desc_t tenon_kit_descriptor_storage;
extern TENON_KIT_HIDDEN tenon_param_desc_t tenon_kit_param_storage[TENON_KIT_MAX_PARAMS];
extern TENON_KIT_HIDDEN tenon_command_desc_t tenon_kit_command_storage[TENON_KIT_MAX_COMMANDS];
extern TENON_KIT_HIDDEN char tenon_kit_string_storage[TENON_KIT_STRING_BYTES];
extern TENON_KIT_HIDDEN unsigned char tenon_kit_state_storage[TENON_KIT_STATE_BYTES];
extern TENON_KIT_HIDDEN tenon_irq_work_t tenon_kit_work_storage[TENON_KIT_MAX_WORK];

/* Inline accessors, so a handler reaching its state costs one address. */
static inline tenon_plugin_desc_t *tenon_kit_descriptor(void) { return &tenon_kit_descriptor_storage; }
static inline tenon_param_desc_t *tenon_kit_params(void) { return tenon_kit_param_storage; }
static inline tenon_command_desc_t *tenon_kit_commands(void) { return tenon_kit_command_storage; }
static inline char *tenon_kit_strings(void) { return tenon_kit_string_storage; }
static inline void *tenon_kit_state(void) { return tenon_kit_state_storage; }
static inline tenon_irq_work_t *tenon_kit_work(void) { return tenon_kit_work_storage; }

/* host->get_extension(host, id) when the host has it (TENON_HOST_HAS, a
 * macro Swift cannot import), else NULL. [task; init running exit] */
static inline const void *tenon_kit_get_extension(const tenon_host_t *host, const char *id)
{
    return TENON_HOST_HAS(host, get_extension) ? host->get_extension(host, id) : NULL;
}

/* TENON_EXT_LIMITS as a C string (Swift imports the macro as a String,
 * which Embedded Swift cannot pass to C without allocating). */
static inline const char *tenon_kit_ext_limits(void) { return TENON_EXT_LIMITS; }

/* Formats v into buf like "%.17g" (round-trips). Returns the length, or -1. [task] */
TENON_KIT_HIDDEN int tenon_kit_format_double(char *buf, size_t size, double v);

#endif /* TENON_PLUGIN_KIT_H */
