/* Fixture: a well-formed shared object that exports a near-miss symbol,
 * `tenon_plugin_entry_v0`, but no `tenon_plugin_entry`. */
#include "tenon/tenon_plugin.h"

static const tenon_plugin_desc_t desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "fixture-no-entry",
    .version = "0.0.1",
    .description = "exports tenon_plugin_entry_v0 instead of tenon_plugin_entry",
};

TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry_v0(void);
TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry_v0(void)
{
    return &desc;
}
