/* Fixture: a constructor that creates the file named by $TENON_TEST_CTOR_MARKER,
 * so a test can tell whether the host ran any of the image's code. Without
 * -DWITH_ENTRY it exports only a near-miss of the entry name (the host must
 * refuse it before dlopen, so the constructor never runs); with it, a valid
 * plugin (the control: the constructor does run when loaded). */
#include <tenon/tenon_plugin.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void marker(void)
{
    const char *path = getenv("TENON_TEST_CTOR_MARKER");
    if (path) {
        FILE *f = fopen(path, "w");
        if (f) fclose(f);
    }
}

#ifdef WITH_ENTRY
static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "ctormarker", "1", "constructor fixture",
    NULL, 0, NULL, 0, NULL, NULL,
};
TENON_PLUGIN_ENTRY(desc)
#else
TENON_EXPORT int tenon_plugin_entry_(void) { return 0; }
#endif
