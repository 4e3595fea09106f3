/* Fixture: init requests IRQ nr_irqs + 10 (out of range) and returns what
 * request_irq returned (the host should say -EINVAL and unload cleanly). */
#include "tenon/tenon_plugin.h"

static int token;

static tenon_irqreturn_t fixture_handler(uint32_t irq, void *dev_id)
{
    (void)irq; (void)dev_id;
    return TENON_IRQ_HANDLED;
}

static int32_t fixture_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    (void)params; (void)n;
    return host->request_irq(host, host->nr_irqs + 10, fixture_handler, TENON_IRQF_OOB,
                             "fixture-bad-irq", &token);
}

static void fixture_exit(const tenon_host_t *host)
{
    (void)host; /* only reached if the host accepted the IRQ */
}

static const tenon_plugin_desc_t desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "fixture-bad-irq",
    .version = "0.0.1",
    .description = "init requests IRQ nr_irqs + 10",
    .init = fixture_init,
    .exit = fixture_exit,
};

TENON_PLUGIN_ENTRY(desc)
