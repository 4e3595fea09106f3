/* Fixture: a descriptor from a future, incompatible ABI (major + 1).
 * The host must refuse it before calling anything else. */
#include <errno.h>
#include "tenon/tenon_plugin.h"

static int32_t fixture_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    (void)host; (void)params; (void)n;
    return -EPROTO; /* never reached if the host checks the ABI */
}

static const tenon_plugin_desc_t desc = {
    .abi = { TENON_ABI_MAJOR + 1, TENON_ABI_MINOR, TENON_ABI_PATCH },
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "fixture-abi-major",
    .version = "0.0.1",
    .description = "ABI major version one above the host's",
    .init = fixture_init,
};

TENON_PLUGIN_ENTRY(desc)
