/* Fixture: the same parameter name declared twice. */
#include <tenon/tenon_plugin.h>
static const tenon_param_desc_t params[] = {
    { "rate", TENON_PARAM_UINT, "100", "" },
    { "rate", TENON_PARAM_INT, "1", "" },
};
static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "dupparam", "1", "", params, 2, 0, 0, 0, 0 };
TENON_PLUGIN_ENTRY(desc)
