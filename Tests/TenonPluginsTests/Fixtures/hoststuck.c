/* Fixture: an oob handler that spins until the `release` command, for the
 * busy-unload tests (livepatch's busymod idea). */
#include <tenon/tenon_plugin.h>
#include <stdint.h>
#include <string.h>

static uint32_t g_released;
static uint64_t g_entered;
static uint64_t g_left;
static int g_dev;

static tenon_irqreturn_t handler(uint32_t irq, void *dev)
{
    (void)irq; (void)dev;
    __atomic_fetch_add(&g_entered, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&g_released, __ATOMIC_ACQUIRE)) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
    }
    __atomic_fetch_add(&g_left, 1, __ATOMIC_SEQ_CST);
    return TENON_IRQ_HANDLED;
}

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    uint64_t irq = 7;
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(p[i].name, "irq")) irq = p[i].value.u;
    return host->request_irq(host, (uint32_t)irq, handler, TENON_IRQF_OOB, "stuck", &g_dev);
}

static void cmd_release(void) { __atomic_store_n(&g_released, 1, __ATOMIC_RELEASE); }
static void cmd_arm(void) { __atomic_store_n(&g_released, 0, __ATOMIC_RELEASE); }
static uint64_t cmd_entered(void) { return __atomic_load_n(&g_entered, __ATOMIC_SEQ_CST); }
static uint64_t cmd_left(void) { return __atomic_load_n(&g_left, __ATOMIC_SEQ_CST); }

static const tenon_param_desc_t params[] = {
    { "irq", TENON_PARAM_UINT, "7", "IRQ line (oob)" },
};

static const tenon_command_desc_t commands[] = {
    { "release", "void()", (void (*)(void))cmd_release, "let the handler return" },
    { "arm", "void()", (void (*)(void))cmd_arm, "make the next run spin again" },
    { "entered", "u64()", (void (*)(void))cmd_entered, "handler entries" },
    { "left", "u64()", (void (*)(void))cmd_left, "handler exits" },
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "stuck", "1.0", "spins until released",
    params, 1, commands, 4, plugin_init, NULL,
};

TENON_PLUGIN_ENTRY(desc)
