/* Fixture: a command whose signature does not parse. */
#include <tenon/tenon_plugin.h>
static void f(void) {}
static const tenon_command_desc_t commands[] = { { "f", "int(x)", f, "" } };
static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "badsig", "1", "", 0, 0, commands, 1, 0, 0 };
TENON_PLUGIN_ENTRY(desc)
