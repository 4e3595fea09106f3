/* placeholder: replaced by the plugin ABI */
#include <stdint.h>
