/* Fixture: a well-formed plugin with one parameter of each type and commands
 * of every signature type. Results are computed from the arguments, so a
 * marshalling mistake (wrong width, sign, register) changes the value. */
#include <tenon/tenon_plugin.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int32_t g_verbose = -1;
static int64_t g_offset;
static uint64_t g_mask;
static double g_scale;
static char g_label[64] = "(unset)";
static uint32_t g_bumps;
static char g_summary[256];

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    (void)host;
    for (uint32_t i = 0; i < n; i++) {
        if (!strcmp(p[i].name, "verbose") && p[i].type == TENON_PARAM_BOOL) g_verbose = p[i].value.b;
        else if (!strcmp(p[i].name, "offset") && p[i].type == TENON_PARAM_INT) g_offset = p[i].value.i;
        else if (!strcmp(p[i].name, "mask") && p[i].type == TENON_PARAM_UINT) g_mask = p[i].value.u;
        else if (!strcmp(p[i].name, "scale") && p[i].type == TENON_PARAM_DOUBLE) g_scale = p[i].value.d;
        else if (!strcmp(p[i].name, "label") && p[i].type == TENON_PARAM_STRING) {
            if (!strcmp(p[i].value.s, "fail")) return -EADDRINUSE;
            snprintf(g_label, sizeof g_label, "%s", p[i].value.s); /* copy: host-owned */
        } else return -EINVAL;
    }
    snprintf(g_summary, sizeof g_summary, "n=%u verbose=%d offset=%lld mask=%llu scale=%g label=%s",
             n, g_verbose, (long long)g_offset, (unsigned long long)g_mask, g_scale, g_label);
    return 0;
}

static void plugin_exit(const tenon_host_t *host) { (void)host; }

static uint64_t cmd_mix(uint32_t a, const char *s) { return ((uint64_t)a << 20) + strlen(s) * 7 + (unsigned char)s[0]; }
static int32_t cmd_neg(int32_t x) { return -3 * x - 1; }
static double cmd_half(double x) { return x / 2 + 0.25; }
static const char *cmd_summary(void) { return g_summary; }
static void cmd_bump(void) { g_bumps++; }
static uint32_t cmd_bumps(void) { return g_bumps; }
static bool cmd_not(bool b) { return !b; }
static int64_t cmd_twice(int64_t x) { return x * 2; }
static uint32_t cmd_inv(uint32_t x) { return ~x; }
static const char *cmd_null(void) { return NULL; }
static double cmd_sum(int32_t a, int64_t b, uint32_t c, uint64_t d, double e, bool f)
{
    return (double)a + (double)b + (double)c + (double)d + e + (f ? 1000 : 0);
}

static const tenon_param_desc_t params[] = {
    { "verbose", TENON_PARAM_BOOL, "false", "log more" },
    { "offset", TENON_PARAM_INT, "-5", "signed offset" },
    { "mask", TENON_PARAM_UINT, "0x10", "bit mask" },
    { "scale", TENON_PARAM_DOUBLE, "1.5", "factor" },
    { "label", TENON_PARAM_STRING, NULL, "required label" },
};

#define CMD(n, sig, f, h) { n, sig, (void (*)(void))(f), h }
static const tenon_command_desc_t commands[] = {
    CMD("mix", "u64(u32,str)", cmd_mix, "(a << 20) + 7*strlen(s) + s[0]"),
    CMD("neg", "i32(i32)", cmd_neg, "-3x-1"),
    CMD("half", "f64(f64)", cmd_half, "x/2 + 0.25"),
    CMD("summary", "str()", cmd_summary, "parameters seen by init"),
    CMD("bump", "void()", cmd_bump, "count a call"),
    CMD("bumps", "u32()", cmd_bumps, "calls of bump"),
    CMD("not", "bool(bool)", cmd_not, "!b"),
    CMD("twice", "i64(i64)", cmd_twice, "2x"),
    CMD("inv", "u32(u32)", cmd_inv, "~x"),
    CMD("null", "str()", cmd_null, "returns NULL"),
    CMD("sum", "f64(i32, i64, u32, u64, f64, bool)", cmd_sum, "sum, +1000 if f"),
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "good-fixture_1", "1.2.3", "test fixture",
    params, sizeof params / sizeof params[0],
    commands, sizeof commands / sizeof commands[0],
    plugin_init, plugin_exit,
};
TENON_PLUGIN_ENTRY(desc)
