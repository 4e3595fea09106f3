/* swap plugin, build 1: see ../Swap/swap_plugin.inc */
#define SWAP_MAJOR 1
#include "../Swap/swap_plugin.inc"
