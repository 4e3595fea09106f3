/* Fixture: both sides of get_extension (ABI 2). init asks the host for
 * TENON_EXT_LIMITS, an unknown id and a NULL id; commands report what it
 * got. The plugin offers one extension of its own, "tenon.test.answer/1". */
#include <errno.h>
#include <string.h>
#include <tenon/tenon_plugin.h>

typedef struct { uint32_t struct_size; uint32_t answer; } answer_ext_t;
static const answer_ext_t answer = { sizeof answer, 42 };

static const tenon_host_limits_t *limits;
static int32_t probes;

static const void *plugin_extension(const tenon_host_t *host, const char *id)
{
    (void)host;
    return id != NULL && strcmp(id, "tenon.test.answer/1") == 0 ? &answer : NULL;
}

static int32_t plugin_init(const tenon_host_t *h, const tenon_param_value_t *p, uint32_t n)
{
    (void)p; (void)n;
    if (!TENON_HOST_HAS(h, get_extension))
        return -ENOSYS;
    limits = h->get_extension(h, TENON_EXT_LIMITS);
    probes = (h->get_extension(h, "tenon.no-such-extension/1") == NULL)
           | (h->get_extension(h, NULL) == NULL) << 1
           | TENON_HOST_HAS(h, log) << 2;
    return limits != NULL ? 0 : -ENOENT;
}

/* 0 struct_size, 1 max_actions, 2 max_timers, 3 max_synthetic_irqs, 4 min_timer_period_ns */
static uint64_t limit(uint32_t which)
{
    switch (which) {
    case 0: return limits->struct_size;
    case 1: return limits->max_actions;
    case 2: return limits->max_timers;
    case 3: return limits->max_synthetic_irqs;
    case 4: return limits->min_timer_period_ns;
    default: return UINT64_MAX;
    }
}

static int32_t probe(void) { return probes; }

static const tenon_command_desc_t commands[] = {
    { "limit", "u64(u32)", (void (*)(void))limit, "a field of the host's TENON_EXT_LIMITS" },
    { "probe", "i32()", (void (*)(void))probe, "bit 0 unknown id NULL, 1 NULL id NULL, 2 TENON_HOST_HAS(log)" },
};

static const tenon_plugin_desc_t desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "extension",
    .version = "1",
    .description = "get_extension on both sides",
    .commands = commands,
    .command_count = sizeof commands / sizeof commands[0],
    .init = plugin_init,
    .get_extension = plugin_extension,
};

TENON_PLUGIN_ENTRY(desc)
