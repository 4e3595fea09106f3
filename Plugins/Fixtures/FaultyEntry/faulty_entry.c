/* Fixture: tenon_plugin_entry() itself dereferences NULL (fault-containment
 * tests: a crash in the entry point fails the load, the host survives). */
#include "tenon/tenon_plugin.h"

static int *volatile nowhere;

TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry(void)
{
    *nowhere = 1;
    return 0;
}
