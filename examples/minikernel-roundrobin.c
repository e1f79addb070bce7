/*
 * minikernel-roundrobin.c - the mini-kernel's round-robin exercise: CPU-bound
 * processes of one priority share the CPU in time slices (quantum) of a
 * fixed number of ticks; a process whose slice runs out goes to the back of
 * the ready queue at its next kernel entry.
 *
 * Four CPU-bound processes of equal priority each compute 120 ticks in
 * small steps, with a quantum of 5 ticks. The host runs the CPU 37 ticks
 * at a time and prints how much CPU time each process has had so far:
 * fairness means that at every checkpoint no process is more than one
 * quantum (plus one kernel call) ahead of another. A text timeline of the
 * first 60 ticks shows the slices. Exit status 0 when fair.
 */
#include <microkernel/mk.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "timeline.h"

#define TRY(call)                                                                          \
    do {                                                                                   \
        int rc_ = (call);                                                                  \
        if (rc_ != 0) {                                                                    \
            fprintf(stderr, "minikernel-roundrobin: %s: %s\n", #call, mk_err_name(rc_));  \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define NPROC 4
#define QUANTUM 5
#define WORK 120

static int cruncher(mk_t *k, void *arg)
{
    (void)arg;
    for (int i = 0; i < WORK / 3; i++)
        TRY(mk_compute(k, 3)); /* each call also costs MK_CALL_TICKS */
    return 0;
}

int main(void)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.quantum_ticks = QUANTUM;
    mk_t *k;
    TRY(mk_create(&cfg, &k));
    TRY(mk_trace_enable(k, 1u << 16));
    for (mk_pid_t p = 1; p <= NPROC; p++)
        TRY(mk_proc_spawn(k, p, NULL, cruncher, NULL, NULL));

    int ok = 1;
    uint64_t worst = 0, last = UINT64_MAX;
    uint32_t reason = 0;
    printf("quantum %u ticks; CPU ticks used per process at each checkpoint:\n", QUANTUM);
    printf("  %6s %8s %8s %8s %8s %8s\n", "tick", "p1", "p2", "p3", "p4", "spread");
    while (reason != MK_RUN_DONE) {
        TRY(mk_run(k, 37, &reason)); /* not a multiple of a round */
        uint64_t t, used[NPROC], lo = UINT64_MAX, hi = 0;
        TRY(mk_clock_now(k, &t));
        for (mk_pid_t p = 1; p <= NPROC; p++) {
            TRY(mk_proc_cpu_ticks(k, p, &used[p - 1]));
            lo = used[p - 1] < lo ? used[p - 1] : lo;
            hi = used[p - 1] > hi ? used[p - 1] : hi;
        }
        if (t != last)
            printf("  %6" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
                   t, used[0], used[1], used[2], used[3], hi - lo);
        last = t;
        /* While all four still run, nobody is more than a slice ahead. */
        if (reason != MK_RUN_DONE && hi - lo > worst)
            worst = hi - lo;
    }
    ok = worst <= QUANTUM + MK_CALL_TICKS;
    uint64_t total[NPROC];
    for (mk_pid_t p = 1; p <= NPROC; p++) {
        TRY(mk_proc_cpu_ticks(k, p, &total[p - 1]));
        ok = ok && total[p - 1] == total[0];
    }
    printf("largest spread while all ran: %" PRIu64 " tick(s) (limit: quantum %u + %u)\n", worst,
           QUANTUM, MK_CALL_TICKS);
    printf("total CPU ticks: %" PRIu64 " each\n", total[0]);

    static mk_event_t ev[1u << 16];
    size_t n;
    TRY(mk_trace_read(k, ev, 1u << 16, &n));
    tl_t *tl = tl_new(1000);
    if (tl == NULL)
        return 1;
    for (mk_pid_t p = 1; p <= NPROC; p++) {
        char name[16];
        snprintf(name, sizeof name, "cpu-%" PRIu32, p);
        tl_name(tl, p, name);
    }
    size_t upto = 0;
    while (upto < n && ev[upto].tick < 60)
        upto++;
    if (tl_feed(tl, ev, upto) != 0)
        ok = 0;
    tl_finish(tl, 60);
    printf("\nfirst 60 ticks:\n");
    tl_write_text(tl, stdout, 100);
    tl_free(tl);
    for (mk_pid_t p = 1; p <= NPROC; p++)
        TRY(mk_wait(k, p, MK_NO_WAIT, NULL));
    TRY(mk_destroy(k));
    printf("%s: equal priorities share the CPU in turns\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
