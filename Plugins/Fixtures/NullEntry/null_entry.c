/* Fixture: the entry point exists but refuses loading by returning NULL. */
#include <stddef.h>
#include "tenon/tenon_plugin.h"

TENON_EXPORT const tenon_plugin_desc_t *tenon_plugin_entry(void)
{
    return NULL;
}
