/* Fixture: exports a descriptor under the wrong name. */
#include <tenon/tenon_plugin.h>
static const tenon_plugin_desc_t desc = { TENON_VERSION_INIT, sizeof desc, "noentry", "1", "", 0, 0, 0, 0, 0, 0 };
TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry_v2(void) { return &desc; }
