/* Fixture: built for ABI minor + 1, whose descriptor grew a field. */
#include <tenon/tenon_plugin.h>
struct desc_1_1 { tenon_plugin_desc_t base; uint64_t new_field; };
static const struct desc_1_1 desc = {
    { { TENON_ABI_MAJOR, TENON_ABI_MINOR + 1, 0 }, sizeof desc, "minor", "1", "", 0, 0, 0, 0, 0, 0 }, 42 };
TENON_PLUGIN_ENTRY(desc.base)
