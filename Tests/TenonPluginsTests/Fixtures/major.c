/* Fixture: built for ABI major + 1. */
#include <tenon/tenon_plugin.h>
static const tenon_plugin_desc_t desc = {
    { TENON_ABI_MAJOR + 1, 0, 0 }, sizeof desc, "major", "1", "", 0, 0, 0, 0, 0, 0 };
TENON_PLUGIN_ENTRY(desc)
