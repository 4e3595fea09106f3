/* Fixture for the unload-order tests: reports into a HOST-owned array (param
 * `witness=0x...`, 8 uint64 words) so what happened stays readable after the
 * image is gone:
 *   w[0] handler entries          w[1] handler spins while non-zero (hold)
 *   w[2] exit() began             w[3] handler runs that saw exit() begun
 *   w[4] a command is running     w[5] the running command may return
 *   w[6] exit() began while a command was running
 */
#include <tenon/tenon_plugin.h>
#include <stdint.h>
#include <string.h>

static uint64_t *w;
static int g_dev;

static void relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

static tenon_irqreturn_t handler(uint32_t irq, void *dev)
{
    (void)irq; (void)dev;
    __atomic_fetch_add(&w[0], 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&w[2], __ATOMIC_SEQ_CST)) __atomic_fetch_add(&w[3], 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&w[1], __ATOMIC_ACQUIRE)) relax();
    if (__atomic_load_n(&w[2], __ATOMIC_SEQ_CST)) __atomic_fetch_add(&w[3], 1, __ATOMIC_SEQ_CST);
    return TENON_IRQ_HANDLED;
}

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    uint64_t irq = 7;
    for (uint32_t i = 0; i < n; i++) {
        if (!strcmp(p[i].name, "irq")) irq = p[i].value.u;
        else if (!strcmp(p[i].name, "witness")) w = (uint64_t *)(uintptr_t)p[i].value.u;
    }
    if (!w) return -22;
    return host->request_irq(host, (uint32_t)irq, handler, TENON_IRQF_OOB, "witness", &g_dev);
}

static void plugin_exit(const tenon_host_t *host)
{
    (void)host;
    if (__atomic_load_n(&w[4], __ATOMIC_SEQ_CST)) __atomic_store_n(&w[6], 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&w[2], 1, __ATOMIC_SEQ_CST);
}

/* Runs until the test sets w[5]: an unload must not get past it meanwhile. */
static uint64_t cmd_block(void)
{
    __atomic_store_n(&w[4], 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&w[5], __ATOMIC_ACQUIRE)) relax();
    uint64_t exited = __atomic_load_n(&w[2], __ATOMIC_SEQ_CST);
    __atomic_store_n(&w[4], 0, __ATOMIC_SEQ_CST);
    return exited;
}

static const tenon_param_desc_t params[] = {
    { "irq", TENON_PARAM_UINT, "7", "IRQ line (oob)" },
    { "witness", TENON_PARAM_UINT, "0", "address of 8 host-owned uint64 words" },
};

static const tenon_command_desc_t commands[] = {
    { "block", "u64()", (void (*)(void))cmd_block, "run until released; 1 if exit() began meanwhile" },
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "witness", "1.0", "reports unload ordering into host memory",
    params, 2, commands, 1, plugin_init, plugin_exit,
};

TENON_PLUGIN_ENTRY(desc)
