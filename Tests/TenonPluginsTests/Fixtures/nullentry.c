/* Fixture: the entry point refuses to load. */
#include <tenon/tenon_plugin.h>
TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry(void) { return NULL; }
