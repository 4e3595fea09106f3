/*
 * smoke.c — load each plugin with a fake host, without the real Tenon host.
 * dlopen -> tenon_plugin_entry -> print descriptor -> init (request_irq
 * recorded, returns 0) -> call handlers directly (as CPU 0 and 1) -> run
 * posted in-band IRQs and queued irq_work -> call commands -> exit -> dlclose.
 *
 *   cc -std=c11 -Wall -Wextra -Iinclude -IPlugins/TestDevice Plugins/smoke/smoke.c -o /tmp/smoke -ldl
 *   /tmp/smoke .build/debug/libtenon-*.so
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tenon/tenon_plugin.h"
#include "tenon_test_device.h"

#define MAX_ACTIONS 16
static struct action { uint32_t irq; tenon_irq_handler_t fn; uint32_t flags; char name[32]; void *dev_id; int live; } actions[MAX_ACTIONS];
static uint32_t posted_inband[64]; static int nposted;
static tenon_irq_work_t *works[64]; static int nworks;
static uint32_t cur_cpu; static int in_oob;
static uint32_t next_sirq = 1000; static int64_t next_timer = 1;
static int nr_sirqs, nr_timers;

static int32_t f_request_irq(const tenon_host_t *h, uint32_t irq, tenon_irq_handler_t fn, uint32_t flags, const char *name, void *dev_id)
{
    if (fn == NULL || (irq >= h->nr_irqs && irq < 1000) || irq >= 1000 + 64) {
        printf("    request_irq(%u, flags=%#x, \"%s\") -> -EINVAL\n", irq, flags, name);
        return -EINVAL;
    }
    for (int i = 0; i < MAX_ACTIONS; i++)
        if (!actions[i].live) {
            actions[i] = (struct action){ irq, fn, flags, "", dev_id, 1 };
            snprintf(actions[i].name, sizeof actions[i].name, "%s", name);
            printf("    request_irq(%u, flags=%#x, \"%s\") -> 0\n", irq, flags, name);
            return 0;
        }
    return -ENOMEM;
}
static int32_t f_free_irq(const tenon_host_t *h, uint32_t irq, void *dev_id)
{
    (void)h;
    for (int i = 0; i < MAX_ACTIONS; i++)
        if (actions[i].live && actions[i].irq == irq && actions[i].dev_id == dev_id) {
            actions[i].live = 0;
            printf("    free_irq(%u) -> 0\n", irq);
            return 0;
        }
    printf("    free_irq(%u) -> -ENOENT\n", irq);
    return -ENOENT;
}
static uint32_t f_create(const tenon_host_t *h) { (void)h; nr_sirqs++; printf("    irq_create_direct_mapping -> %u\n", next_sirq); return next_sirq++; }
static void f_dispose(const tenon_host_t *h, uint32_t irq) { (void)h; nr_sirqs--; printf("    irq_dispose_mapping(%u)\n", irq); }
static int64_t f_timer_start(const tenon_host_t *h, uint32_t cpu, uint32_t irq, uint64_t first, uint64_t period)
{ (void)h; nr_timers++; printf("    timer_start(cpu %u, irq %u, %" PRIu64 ", %" PRIu64 ") -> %" PRId64 "\n", cpu, irq, first, period, next_timer); return next_timer++; }
static int32_t f_timer_stop(const tenon_host_t *h, int64_t id) { (void)h; (void)id; nr_timers--; return 0; }
static int32_t f_raise(const tenon_host_t *h, uint32_t irq, uint32_t cpu) { (void)h; (void)irq; (void)cpu; return 0; }
static void f_post_inband(const tenon_host_t *h, uint32_t irq) { (void)h; if (nposted < 64) posted_inband[nposted++] = irq; }
static void f_post_oob(const tenon_host_t *h, uint32_t irq) { (void)h; (void)irq; }
static int32_t f_inject(const tenon_host_t *h, uint32_t irq) { (void)h; (void)irq; return 0; }
static int32_t f_work_queue(const tenon_host_t *h, tenon_irq_work_t *w) { (void)h; if (nworks < 64) works[nworks++] = w; return 1; }
static uint64_t f_save(const tenon_host_t *h) { (void)h; return 0; }
static void f_restore(const tenon_host_t *h, uint64_t f) { (void)h; (void)f; }
static int32_t f_running_oob(const tenon_host_t *h) { (void)h; return in_oob; }
static uint32_t f_cpu(const tenon_host_t *h) { (void)h; return cur_cpu; }
static uint64_t f_clock(const tenon_host_t *h) { (void)h; return 0; }
static void f_log(const tenon_host_t *h, int32_t l, const char *m) { (void)h; printf("    log[%d] %s\n", l, m); }

static const tenon_host_t host = {
    TENON_VERSION_INIT, sizeof(tenon_host_t), NULL, "smoke", 2, 32,
    f_request_irq, f_free_irq, f_create, f_dispose, f_timer_start, f_timer_stop,
    f_raise, f_post_inband, f_post_oob, f_inject, f_work_queue,
    f_save, f_restore, f_save, f_restore, f_save, f_restore, f_running_oob,
    f_cpu, f_clock, f_log,
};

/* Run every live action of irq as CPU cpu; oob flag from TENON_IRQF_OOB. */
static void fire(uint32_t irq, uint32_t cpu)
{
    for (int i = 0; i < MAX_ACTIONS; i++)
        if (actions[i].live && actions[i].irq == irq) {
            cur_cpu = cpu;
            in_oob = (actions[i].flags & TENON_IRQF_OOB) != 0;
            actions[i].fn(irq, actions[i].dev_id);
            in_oob = 0;
            /* back in-band: replay what the oob handler deferred */
            while (nposted > 0) { uint32_t s = posted_inband[--nposted]; fire(s, cpu); }
            while (nworks > 0) { tenon_irq_work_t *w = works[--nworks]; w->func(w); }
        }
}

static void call_command(const tenon_command_desc_t *c)
{
    if (strcmp(c->signature, "u64()") == 0)
        printf("    %s() = %" PRIu64 "\n", c->name, ((uint64_t (*)(void))c->fn)());
    else if (strcmp(c->signature, "u32()") == 0)
        printf("    %s() = %u\n", c->name, ((uint32_t (*)(void))c->fn)());
    else if (strcmp(c->signature, "u64(u32)") == 0)
        printf("    %s(0) = %" PRIu64 ", %s(1) = %" PRIu64 "\n", c->name, ((uint64_t (*)(uint32_t))c->fn)(0),
               c->name, ((uint64_t (*)(uint32_t))c->fn)(1));
    else if (strcmp(c->signature, "void()") == 0 && strcmp(c->name, "reset") != 0) {
        ((void (*)(void))c->fn)();
        printf("    %s()\n", c->name);
    } else
        printf("    %s %s (not called)\n", c->name, c->signature);
}

static void smoke(const char *path, struct tenon_test_device *dev)
{
    printf("== %s\n", path);
    void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!so) { printf("  dlopen: %s\n", dlerror()); return; }
    tenon_plugin_entry_t entry = (tenon_plugin_entry_t)dlsym(so, TENON_PLUGIN_ENTRY_SYMBOL);
    if (!entry) { printf("  no %s: %s\n", TENON_PLUGIN_ENTRY_SYMBOL, dlerror()); dlclose(so); return; }
    const tenon_plugin_desc_t *d = entry();
    if (!d) { printf("  entry returned NULL\n"); dlclose(so); return; }
    tenon_version_t hv = TENON_VERSION_INIT;
    printf("  %s %s abi %u.%u.%u size %u (host %zu): %s\n", d->name, d->version, d->abi.major, d->abi.minor,
           d->abi.patch, d->struct_size, sizeof(tenon_plugin_desc_t), d->description);
    if (!tenon_abi_compatible(d->abi, hv)) { printf("  ABI incompatible: refused\n"); dlclose(so); return; }

    tenon_param_value_t vals[8];
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->param_count && n < 8; i++, n++) {
        const tenon_param_desc_t *p = &d->params[i];
        printf("  param %s type %d default %s: %s\n", p->name, p->type, p->default_value, p->description);
        vals[n].name = p->name;
        vals[n].type = p->type;
        if (p->type == TENON_PARAM_BOOL) vals[n].value.b = strcmp(p->default_value, "true") == 0;
        else vals[n].value.u = strtoull(p->default_value, NULL, 0);
        if (strcmp(p->name, "device") == 0 && dev) vals[n].value.u = (uint64_t)(uintptr_t)dev;
        if (strcmp(p->name, "work") == 0) vals[n].value.b = 1;   /* exercise irq_work */
    }
    for (uint32_t i = 0; i < d->command_count; i++)
        printf("  command %s %s: %s\n", d->commands[i].name, d->commands[i].signature, d->commands[i].help);

    int32_t ret = d->init(&host, vals, n);
    printf("  init -> %d%s\n", ret, ret ? " (exit not called)" : "");
    if (ret == 0) {
        /* push seqs to both CPU rings, then "raise" each live IRQ 3 times per CPU */
        for (uint64_t s = 0; s < 6; s++) tenon_test_device_push(dev, (uint32_t)(s & 1), s);
        for (uint32_t i = 0; i < d->command_count; i++)   /* stuck: let its handler return */
            if (strcmp(d->commands[i].name, "release") == 0) ((void (*)(void))d->commands[i].fn)();
        uint32_t irqs[MAX_ACTIONS]; int ni = 0;
        for (int i = 0; i < MAX_ACTIONS; i++)
            if (actions[i].live && (actions[i].flags & TENON_IRQF_PERCPU) == 0) irqs[ni++] = actions[i].irq;
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < ni; k++) { fire(irqs[k], 0); fire(irqs[k], 1); }
        printf("  device: seen/handled_by =");
        for (uint64_t s = 0; s < 6; s++)
            printf(" %u/%u", tenon_test_device_seen(dev, s), tenon_test_device_handled_by(dev, s));
        printf("\n");
        for (uint32_t i = 0; i < d->command_count; i++) call_command(&d->commands[i]);
        if (d->exit) d->exit(&host);
    }
    int leftovers = 0;
    for (int i = 0; i < MAX_ACTIONS; i++) { leftovers += actions[i].live; actions[i].live = 0; }
    printf("  after: %d action(s), %d sirq(s), %d timer(s) left (host would revoke)\n", leftovers, nr_sirqs, nr_timers);
    nr_sirqs = nr_timers = 0;
    dlclose(so);
    void *again = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    printf("  dlclose: %s\n", again ? "STILL MAPPED" : "unmapped");
    if (again) dlclose(again);
}

int main(int argc, char **argv)
{
    size_t size = tenon_test_device_size(2, 64, 8);
    void *mem = aligned_alloc(64, size);
    for (int i = 1; i < argc; i++) {
        struct tenon_test_device *dev = tenon_test_device_init(mem, 2, 64, 8);
        smoke(argv[i], dev);
    }
    free(mem);
    return 0;
}
