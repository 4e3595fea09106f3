/* Fixture for the signal guard and the thread census: a plugin that does to
 * the host's signals what a careless plugin might (SIG_IGN, its own handler,
 * a blocked mask, in init, in a command or in its handler) and can start a
 * thread it never joins. */
#include <tenon/tenon_plugin.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static uint64_t *g_counter;   /* host memory: bumped per handler run */
static uint64_t *g_stop;      /* host memory: the thread ends once it is non-zero */
static int g_signo;
static int g_in_handler;      /* the handler blocks g_signo */
static int g_join;
static int g_dev;
static pthread_t g_thread;
static int g_have_thread;
static volatile uint64_t g_stolen;

static void thief(int sig) { (void)sig; g_stolen++; }

static int32_t act(const char *what, int signo)
{
    if (!strcmp(what, "ignore")) return signal(signo, SIG_IGN) == SIG_ERR ? -1 : 0;
    if (!strcmp(what, "steal")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = thief;
        return sigaction(signo, &sa, NULL);
    }
    if (!strcmp(what, "block")) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, signo);
        return pthread_sigmask(SIG_BLOCK, &s, NULL);
    }
    return 0;
}

static tenon_irqreturn_t handler(uint32_t irq, void *dev)
{
    (void)irq; (void)dev;
    if (g_in_handler) act("block", g_signo);
    if (g_counter) __atomic_fetch_add(g_counter, 1, __ATOMIC_RELAXED);
    return TENON_IRQ_HANDLED;
}

static void *loiter(void *arg)
{
    (void)arg;
    struct timespec ms = { 0, 1000000 };
    while (!(g_stop && __atomic_load_n(g_stop, __ATOMIC_ACQUIRE)))
        nanosleep(&ms, NULL);
    return NULL;
}

static int32_t cmd_ignore(int32_t signo) { return act("ignore", signo); }
static int32_t cmd_steal(int32_t signo) { return act("steal", signo); }

static int32_t plugin_init(const tenon_host_t *host, const tenon_param_value_t *p, uint32_t n)
{
    const char *init_action = "";
    uint64_t irq = 5, raise_after = UINT64_MAX;
    uint64_t *mark = NULL, *hold = NULL;
    int thread = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!strcmp(p[i].name, "counter")) g_counter = (uint64_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "stop")) g_stop = (uint64_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "signo")) g_signo = (int)p[i].value.i;
        else if (!strcmp(p[i].name, "irq")) irq = p[i].value.u;
        else if (!strcmp(p[i].name, "init")) init_action = p[i].value.s;
        else if (!strcmp(p[i].name, "in_handler")) g_in_handler = p[i].value.b;
        else if (!strcmp(p[i].name, "thread")) thread = p[i].value.b;
        else if (!strcmp(p[i].name, "join")) g_join = p[i].value.b;
        else if (!strcmp(p[i].name, "raise_after")) raise_after = p[i].value.u;
        else if (!strcmp(p[i].name, "mark")) mark = (uint64_t *)(uintptr_t)p[i].value.u;
        else if (!strcmp(p[i].name, "hold")) hold = (uint64_t *)(uintptr_t)p[i].value.u;
    }
    if (thread) {
        if (pthread_create(&g_thread, NULL, loiter, NULL) != 0) return -1;
        g_have_thread = 1;
    }
    act(init_action, g_signo);
    if (raise_after != UINT64_MAX) {
        /* Raised while the signal is misused: its doorbell is lost. */
        for (uint32_t cpu = 0; cpu < host->nr_cpus; cpu++)
            host->raise_irq(host, (uint32_t)raise_after, cpu);
        struct timespec ms = { 0, 20000000 };
        nanosleep(&ms, NULL);
    }
    if (mark) __atomic_store_n(mark, 1, __ATOMIC_RELEASE);
    /* The host does what it wants done while the signal is misused. */
    for (int ms = 0; hold && !__atomic_load_n(hold, __ATOMIC_ACQUIRE) && ms < 10000; ms++) {
        struct timespec one = { 0, 1000000 };
        nanosleep(&one, NULL);
    }
    return host->request_irq(host, (uint32_t)irq, handler, TENON_IRQF_OOB, "rogue", &g_dev);
}

static void plugin_exit(const tenon_host_t *host)
{
    (void)host;
    if (g_have_thread && g_join) {
        __atomic_store_n(g_stop, 1, __ATOMIC_RELEASE);
        pthread_join(g_thread, NULL);
    }
}

static const tenon_param_desc_t params[] = {
    { "counter", TENON_PARAM_UINT, "0", "address of a host uint64_t bumped per handler run" },
    { "stop", TENON_PARAM_UINT, "0", "address of a host uint64_t that ends the thread" },
    { "signo", TENON_PARAM_INT, "0", "the signal to misuse" },
    { "irq", TENON_PARAM_UINT, "5", "IRQ line (oob)" },
    { "init", TENON_PARAM_STRING, "", "what init does to signo: ignore, steal, block" },
    { "in_handler", TENON_PARAM_BOOL, "false", "the handler blocks signo" },
    { "thread", TENON_PARAM_BOOL, "false", "init starts a thread" },
    { "join", TENON_PARAM_BOOL, "false", "exit stops and joins the thread" },
    { "raise_after", TENON_PARAM_UINT, "0xffffffffffffffff", "init raises this IRQ on every CPU after misusing signo" },
    { "mark", TENON_PARAM_UINT, "0", "address of a host uint64_t init sets to 1 after misusing signo" },
    { "hold", TENON_PARAM_UINT, "0", "address of a host uint64_t init then waits for (at most 10 s)" },
};

static const tenon_command_desc_t commands[] = {
    { "ignore", "i32(i32)", (void (*)(void))cmd_ignore, "SIG_IGN on a signal" },
    { "steal", "i32(i32)", (void (*)(void))cmd_steal, "own handler on a signal" },
};

static const tenon_plugin_desc_t desc = {
    TENON_VERSION_INIT, sizeof desc, "rogue", "1.0", "signal guard and thread census fixture",
    params, sizeof params / sizeof params[0], commands, 2, plugin_init, plugin_exit,
};

TENON_PLUGIN_ENTRY(desc)
