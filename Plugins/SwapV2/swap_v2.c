/* swap plugin, build 2: see ../Swap/swap_plugin.inc */
#define SWAP_MAJOR 2
#include "../Swap/swap_plugin.inc"
