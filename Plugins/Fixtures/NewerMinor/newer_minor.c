/* Fixture: a plugin built against a newer minor ABI whose descriptor carries
 * trailing fields this host does not know (struct_size > sizeof). The host
 * must refuse it with its "newer minor" error, without touching the extras. */
#include <errno.h>
#include "tenon/tenon_plugin.h"

static int32_t fixture_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    (void)host; (void)params; (void)n;
    return -EPROTO; /* never reached if the host checks the ABI */
}

static const struct {
    tenon_plugin_desc_t base;       /* must stay first */
    uint64_t future_flags;          /* fields "from minor + 1" */
    void (*future_hook)(void);
    const char *future_text;
} desc = {
    .base = {
        .abi = { TENON_ABI_MAJOR, TENON_ABI_MINOR + 1, 0 },
        .struct_size = (uint32_t)sizeof(desc),
        .name = "fixture-newer-minor",
        .version = "0.0.1",
        .description = "ABI minor one above the host's, descriptor larger than the host's",
        .init = fixture_init,
    },
    .future_flags = 0xdeadbeefcafef00dull,
    .future_hook = 0,
    .future_text = "unknown to this host",
};

TENON_PLUGIN_ENTRY(desc.base)
