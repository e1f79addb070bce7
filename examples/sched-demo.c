/*
 * sched-demo.c - a scheduled run drawn three ways: a text timeline on
 * stdout, an SVG Gantt chart and a Chrome/Perfetto trace (open the .json in
 * https://ui.perfetto.dev or chrome://tracing).
 *
 * The program (all virtual time, so every run is the same):
 *   sensor   priority 24  sleeps, then takes the "log" mutex, writes a
 *                         reading (2 ticks) and mails it to ui; three times.
 *   ui       priority 16  waits in its mailbox and shows each reading.
 *   shell    priority 20  waits for keyboard input (mk_term_read); the
 *                         keyboard is a clock-interrupt handler that types
 *                         a command at tick 30 and another at tick 60;
 *                         each command is an RPC call to cmdsrv.
 *   cmdsrv   priority 18  RPC server: receives a command, works 3 ticks,
 *                         replies to exactly that caller.
 *   worker-a priority 10  CPU-bound, equal priorities: round robin with a
 *   worker-b priority 10  quantum of 4 ticks.
 *   logger   priority 4   holds "log" for long stretches. When sensor waits
 *                         for it, logger inherits priority 24 and finishes
 *                         its stretch ahead of the workers: without priority
 *                         inheritance the workers would keep the sensor
 *                         waiting (priority inversion, Mars Pathfinder 1997).
 * The run is done twice and the two event traces compared (determinism).
 *
 * Usage: mk-sched-demo [OUTPUT_PREFIX]   (default "sched-demo": writes
 *        sched-demo.txt, sched-demo.svg and sched-demo.json)
 * Exit status 0 when the run went as described, 1 otherwise.
 */
#include <microkernel/mk.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

#define TRY(call)                                                                    \
    do {                                                                             \
        int rc_ = (call);                                                            \
        if (rc_ != 0) {                                                              \
            fprintf(stderr, "sched-demo: %s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
                    mk_err_name(rc_));                                               \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

enum { P_SENSOR = 1, P_UI, P_SHELL, P_CMDSRV, P_WORKER_A, P_WORKER_B, P_LOGGER, NPROC };
static const char *const pname[NPROC] = {"", "sensor", "ui", "shell", "cmdsrv", "worker-a",
                                        "worker-b", "logger"};
static const uint32_t pprio[NPROC] = {0, 24, 16, 20, 18, 10, 10, 4};

#define READINGS 3
#define TRACE_CAP (1u << 16)

struct demo {
    int narrate;             /* print what happens (first run only) */
    unsigned keys_typed;     /* commands the keyboard has typed */
    uint64_t sensor_waited;  /* ticks sensor waited for the mutex, total */
    uint32_t max_logger_prio;
    char shell_line[128];
    char replies[128];
};

static uint64_t now(mk_t *k)
{
    uint64_t t = 0;
    (void)mk_clock_now(k, &t);
    return t;
}

/* Narration (first run only). The clock is read on every run so that both
 * runs make the same kernel calls. */
#define SAY(d, k, ...)                                                  \
    do {                                                                \
        uint64_t t_ = now(k);                                           \
        if ((d)->narrate) {                                             \
            printf("  [tick %3" PRIu64 "] ", t_);                       \
            printf(__VA_ARGS__);                                        \
            putchar('\n');                                              \
        }                                                               \
    } while (0)

static int sensor(mk_t *k, void *arg)
{
    struct demo *d = arg;
    mk_mutex_t log;
    TRY(mk_mutex_open(k, 0, "log", &log));
    for (uint32_t i = 1; i <= READINGS; i++) {
        TRY(mk_sleep(k, i == 1 ? 5 : 14));
        uint64_t asked = now(k);
        TRY(mk_mutex_lock(k, 0, log, MK_FOREVER));
        d->sensor_waited += now(k) - asked;
        SAY(d, k, "sensor: got \"log\" after %" PRIu64 " tick(s)", now(k) - asked);
        TRY(mk_compute(k, 2));
        TRY(mk_mutex_unlock(k, 0, log));
        char msg[32];
        int n = snprintf(msg, sizeof msg, "reading %" PRIu32 " = %" PRIu32, i, 20 + i * 3);
        TRY(mk_mbox_send(k, P_UI, i, msg, (size_t)n + 1, MK_NO_WAIT));
    }
    TRY(mk_mutex_close(k, 0, log));
    return 0;
}

static int ui(mk_t *k, void *arg)
{
    struct demo *d = arg;
    for (int i = 0; i < READINGS; i++) {
        char buf[64];
        uint32_t tag;
        size_t len;
        TRY(mk_mbox_recv(k, mk_self(k), &tag, buf, sizeof buf, &len, MK_FOREVER));
        TRY(mk_compute(k, 1));
        SAY(d, k, "ui: shows \"%s\"", buf);
    }
    return 0;
}

static int shell(mk_t *k, void *arg)
{
    struct demo *d = arg;
    size_t used = 0;
    for (int lines = 0; lines < 2;) {
        char buf[32];
        size_t n;
        TRY(mk_term_read(k, mk_self(k), buf, sizeof buf - 1, &n, MK_FOREVER));
        TRY(mk_compute(k, 1)); /* echo */
        for (size_t i = 0; i < n && used + 1 < sizeof d->shell_line; i++) {
            d->shell_line[used++] = buf[i] == '\n' ? ';' : buf[i];
            lines += buf[i] == '\n';
        }
        d->shell_line[used] = '\0';
        SAY(d, k, "shell: read %zu character(s)", n);
        /* Run the command: a synchronous call to the command server. */
        char reply[32];
        size_t rlen;
        while (n > 0 && buf[n - 1] == '\n')
            n--;
        TRY(mk_rpc_call(k, 0, P_CMDSRV, buf, n, reply, sizeof reply - 1, &rlen, MK_FOREVER));
        reply[rlen] = '\0';
        strncat(d->replies, reply, sizeof d->replies - strlen(d->replies) - 2);
        strcat(d->replies, ";");
        SAY(d, k, "shell: cmdsrv answered \"%s\"", reply);
    }
    return 0;
}

static int cmdsrv(mk_t *k, void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        uint64_t call;
        mk_pid_t client;
        char req[32], rep[32];
        size_t len;
        TRY(mk_rpc_receive(k, 0, &call, &client, req, sizeof req, &len, MK_FOREVER));
        TRY(mk_compute(k, 3));
        int n = snprintf(rep, sizeof rep, "%.*s: done", (int)len, req);
        TRY(mk_rpc_reply(k, 0, call, rep, (size_t)n));
    }
    return 0;
}

static int worker(mk_t *k, void *arg)
{
    (void)arg;
    TRY(mk_sleep(k, 6)); /* starts a little later than logger */
    for (int i = 0; i < 6; i++)
        TRY(mk_compute(k, 3));
    return 0;
}

static int logger(mk_t *k, void *arg)
{
    struct demo *d = arg;
    mk_mutex_t log;
    TRY(mk_mutex_open(k, 0, "log", &log));
    for (int i = 0; i < 2; i++) {
        TRY(mk_mutex_lock(k, 0, log, MK_FOREVER));
        for (int j = 0; j < 4; j++) {
            uint32_t eff;
            TRY(mk_compute(k, 2));
            TRY(mk_proc_priority(k, 0, NULL, &eff));
            if (eff > d->max_logger_prio)
                d->max_logger_prio = eff;
        }
        TRY(mk_mutex_unlock(k, 0, log));
        TRY(mk_compute(k, 2));
    }
    TRY(mk_mutex_close(k, 0, log));
    return 0;
}

/* The keyboard: a handler on the clock line types a command when the clock
 * passes tick 30 and tick 60 (raising the terminal interrupt). */
static void keyboard(mk_t *k, uint32_t line, void *ctx)
{
    (void)line;
    struct demo *d = ctx;
    static const char *const cmd[] = {"ls\n", "date\n"};
    if (d->keys_typed < 2 && now(k) >= 30u * (d->keys_typed + 1)) {
        size_t got;
        if (mk_term_input(k, cmd[d->keys_typed], strlen(cmd[d->keys_typed]), &got) == 0)
            d->keys_typed++;
    }
}

static mk_body_fn const body[NPROC] = {NULL, sensor, ui, shell, cmdsrv, worker, worker, logger};

/* One run; returns its events (malloc'd) and end tick. */
static mk_event_t *run_once(struct demo *d, size_t *nev, uint64_t *end)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.quantum_ticks = 4;
    mk_t *k;
    TRY(mk_create(&cfg, &k));
    TRY(mk_trace_enable(k, TRACE_CAP));
    mk_mutex_t log;
    TRY(mk_mutex_create(k, "log", 0, &log));
    TRY(mk_irq_attach(k, MK_IRQ_CLOCK, keyboard, d));
    for (mk_pid_t p = 1; p < NPROC; p++) {
        mk_proc_attr_t attr;
        mk_proc_attr_init(&attr);
        attr.priority = pprio[p];
        TRY(mk_proc_spawn(k, p, &attr, body[p], d, NULL));
    }
    uint32_t reason;
    TRY(mk_run(k, 1000, &reason));
    if (reason != MK_RUN_DONE) {
        fprintf(stderr, "sched-demo: the run did not finish (reason %" PRIu32 ")\n", reason);
        exit(1);
    }
    for (mk_pid_t p = 1; p < NPROC; p++) {
        int32_t status;
        TRY(mk_wait(k, p, MK_NO_WAIT, &status));
        if (status != 0) {
            fprintf(stderr, "sched-demo: %s ended with status %" PRId32 "\n", pname[p], status);
            exit(1);
        }
    }
    *end = now(k);
    mk_event_t *ev = malloc(TRACE_CAP * sizeof *ev);
    if (ev == NULL)
        exit(1);
    uint64_t dropped;
    TRY(mk_trace_read(k, ev, TRACE_CAP, nev));
    TRY(mk_trace_dropped(k, &dropped));
    if (dropped != 0) {
        fprintf(stderr, "sched-demo: %" PRIu64 " events dropped\n", dropped);
        exit(1);
    }
    TRY(mk_irq_detach(k, MK_IRQ_CLOCK, keyboard, d));
    TRY(mk_mutex_close(k, 0, log));
    TRY(mk_destroy(k));
    return ev;
}

int main(int argc, char **argv)
{
    const char *prefix = argc > 1 ? argv[1] : "sched-demo";
    struct demo d1 = {.narrate = 1}, d2 = {0};
    size_t n1, n2;
    uint64_t end1, end2;

    printf("libmk scheduling demo: %d processes, quantum 4 ticks\n", NPROC - 1);
    for (mk_pid_t p = 1; p < NPROC; p++)
        printf("  pid %" PRIu32 "  %-9s priority %2" PRIu32 "\n", p, pname[p], pprio[p]);
    printf("what happened:\n");
    mk_event_t *e1 = run_once(&d1, &n1, &end1);
    mk_event_t *e2 = run_once(&d2, &n2, &end2);
    int same = n1 == n2 && end1 == end2 && memcmp(e1, e2, n1 * sizeof *e1) == 0;

    tl_t *tl = tl_new(1000);
    if (tl == NULL)
        return 1;
    for (mk_pid_t p = 1; p < NPROC; p++)
        tl_name(tl, p, pname[p]);
    if (tl_feed(tl, e1, n1) != 0)
        return 1;
    tl_finish(tl, end1);

    printf("\ntimeline (%zu events, ticks 0-%" PRIu64 "):\n", n1, end1);
    if (tl_write_text(tl, stdout, 120) != 0)
        return 1;
    if (tl_write_files(tl, prefix, "libmk: priorities, round robin, priority inheritance, "
                                   "messages, keyboard input and RPC", 120) != 0) {
        perror("sched-demo: writing the pictures");
        return 1;
    }
    printf("\nshell read: \"%s\"; cmdsrv answered: \"%s\"\n", d1.shell_line, d1.replies);
    printf("logger's highest effective priority: %" PRIu32 " (inherited from sensor)\n",
           d1.max_logger_prio);
    printf("sensor waited %" PRIu64 " tick(s) in total for the \"log\" mutex\n",
           d1.sensor_waited);
    printf("second run: %s\n", same ? "same trace on both runs (deterministic)"
                                    : "TRACES DIFFER");
    printf("wrote %s.txt, %s.svg (Gantt chart) and %s.json (open in ui.perfetto.dev)\n", prefix,
           prefix, prefix);

    int ok = same && d1.max_logger_prio == pprio[P_SENSOR] &&
             strcmp(d1.shell_line, "ls;date;") == 0 &&
             strcmp(d1.replies, "ls: done;date: done;") == 0;
    for (mk_pid_t p = 1; p < NPROC; p++)
        ok = ok && tl_ran(tl, p) > 0;
    tl_free(tl);
    free(e1);
    free(e2);
    if (!ok)
        fprintf(stderr, "sched-demo: the run did not go as described\n");
    return ok ? 0 : 1;
}
