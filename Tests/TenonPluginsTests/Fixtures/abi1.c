/* Fixture: a plugin as ABI 1.0 built it. Only the leading `abi` and
 * `struct_size` matter: the host must refuse it on the version alone,
 * naming both versions, before it reads anything else. */
#include <tenon/tenon_plugin.h>
static const struct {
    tenon_version_t abi;
    uint32_t struct_size;
    const char *name;
} desc = { { 1, 0, 0 }, 88, "abi1" };
TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry(void) { return (const tenon_plugin_desc_t *)&desc; }
