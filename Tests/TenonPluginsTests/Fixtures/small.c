/* Fixture: struct_size smaller than the ABI 1.0 descriptor. */
#include <tenon/tenon_plugin.h>
static const tenon_plugin_desc_t desc = { TENON_VERSION_INIT, 16, "small", "1", "", 0, 0, 0, 0, 0, 0 };
TENON_PLUGIN_ENTRY(desc)
