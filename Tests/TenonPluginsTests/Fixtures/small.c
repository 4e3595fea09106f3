/* Fixture: struct_size smaller than the descriptor of the ABI major.0. */
#include <tenon/tenon_plugin.h>
static const tenon_plugin_desc_t desc = { TENON_VERSION_INIT, 16, "small", "1", "", 0, 0, 0, 0, 0, 0 };
TENON_PLUGIN_ENTRY(desc)
