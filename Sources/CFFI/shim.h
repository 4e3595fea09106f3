/* libffi comes from the system (Debian: libffi-dev). */
#include <ffi.h>

/* ffi_call with untyped pointers: the shape CTenon's ctenon_guarded_call
 * invokes (CTenon itself does not depend on libffi). */
static inline void tenon_ffi_invoke(void *cif, void *fn, void *rvalue, void **avalues)
{
    ffi_call((ffi_cif *)cif, (void (*)(void))fn, rvalue, avalues);
}
