/* libffi comes from the system (Debian: libffi-dev). */
#include <ffi.h>
