/* Fixture: a name outside [a-z0-9_-]{1,31}. */
#include <tenon/tenon_plugin.h>
static const tenon_plugin_desc_t desc = { TENON_VERSION_INIT, sizeof desc, "Bad Name!", "1", "", 0, 0, 0, 0, 0, 0 };
TENON_PLUGIN_ENTRY(desc)
