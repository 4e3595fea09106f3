/* Fixture: init registers an IRQ action, a synthetic IRQ and a timer, then
 * fails with -ENODEV. The host must roll all three back and must NOT call
 * exit() (which aborts, so a wrong call is loud). If the rollback misses the
 * timer or the action, the handler runs after dlclose and the host crashes.
 *
 * Params: irq (uint, 9)
 * Init returns the first failing service's error if a registration fails,
 * else -ENODEV. */
#include <errno.h>
#include <stdlib.h>
#include "tenon/tenon_plugin.h"
#include "tenon_plugin_util.h"

static int token;

static tenon_irqreturn_t fixture_handler(uint32_t irq, void *dev_id)
{
    (void)irq; (void)dev_id;
    return TENON_IRQ_HANDLED;
}

static int32_t fixture_init(const tenon_host_t *host, const tenon_param_value_t *params, uint32_t n)
{
    const tenon_param_value_t *irq = tenon_param_find(params, n, "irq", TENON_PARAM_UINT);
    if (!irq || irq->value.u > UINT32_MAX)
        return -EINVAL;
    int32_t ret = host->request_irq(host, (uint32_t)irq->value.u, fixture_handler, TENON_IRQF_OOB,
                                    "fixture-init-fails", &token);
    if (ret != 0)
        return ret;
    uint32_t sirq = host->irq_create_direct_mapping(host);
    if (sirq == 0)
        return -ENOSPC;
    /* Every millisecond on CPU 0, the IRQ whose action we just registered. */
    int64_t timer = host->timer_start(host, 0, (uint32_t)irq->value.u, 1000000u, 1000000u);
    if (timer < 0)
        return (int32_t)timer;
    return -ENODEV;
}

static void fixture_exit(const tenon_host_t *host)
{
    (void)host;
    abort(); /* exit() after a failed init is a host bug */
}

static const tenon_param_desc_t params[] = {
    { "irq", TENON_PARAM_UINT, "9", "IRQ requested before failing" },
};

static const tenon_plugin_desc_t desc = {
    .abi = TENON_VERSION_INIT,
    .struct_size = sizeof(tenon_plugin_desc_t),
    .name = "fixture-init-fails",
    .version = "0.0.1",
    .description = "init registers an IRQ, a synthetic IRQ and a timer, then returns -ENODEV",
    .params = params,
    .param_count = TENON_ARRAY_COUNT(params),
    .init = fixture_init,
    .exit = fixture_exit,
};

TENON_PLUGIN_ENTRY(desc)
