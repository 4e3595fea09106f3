/* Static storage of a Swift plugin image: see tenon_plugin_kit.h. */
#include <stdio.h>
#include "tenon_plugin_kit.h"

tenon_plugin_desc_t tenon_kit_descriptor_storage;
tenon_param_desc_t tenon_kit_param_storage[TENON_KIT_MAX_PARAMS];
tenon_command_desc_t tenon_kit_command_storage[TENON_KIT_MAX_COMMANDS];
char tenon_kit_string_storage[TENON_KIT_STRING_BYTES];
_Alignas(TENON_KIT_STATE_ALIGN) unsigned char tenon_kit_state_storage[TENON_KIT_STATE_BYTES];
tenon_irq_work_t tenon_kit_work_storage[TENON_KIT_MAX_WORK];

int tenon_kit_format_double(char *buf, size_t size, double v)
{
    int n = snprintf(buf, size, "%.17g", v);
    return n < 0 || (size_t)n >= size ? -1 : n;
}
