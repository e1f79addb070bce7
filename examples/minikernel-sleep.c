/*
 * minikernel-sleep.c - the mini-kernel's sleep exercise: a process sleeps
 * for a number of clock ticks, off the ready queue, and the clock interrupt
 * wakes it when its time is up.
 *
 * Three processes sleep 30, 10 and 20 ticks. The host stops the CPU after
 * 5 ticks to show all three asleep (MK_PROC_SLEEPING), then lets it run to
 * the end. Each sleeper records when it asked and when it woke: it must
 * wake no earlier than asked + ticks, and they must wake in deadline
 * order. A text timeline of the run is printed. Exit status 0 when so.
 */
#include <microkernel/mk.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "timeline.h"

#define TRY(call)                                                                       \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != 0) {                                                                 \
            fprintf(stderr, "minikernel-sleep: %s: %s\n", #call, mk_err_name(rc_));    \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define NPROC 3

struct sleeper {
    uint64_t ticks, asked, woke;
    int order; /* 1 = first to wake */
};

static int wake_count;

static uint64_t now(mk_t *k)
{
    uint64_t t = 0;
    (void)mk_clock_now(k, &t);
    return t;
}

static int sleeper_body(mk_t *k, void *arg)
{
    struct sleeper *s = arg;
    s->asked = now(k);
    TRY(mk_sleep(k, s->ticks));
    s->woke = now(k);
    s->order = ++wake_count;
    TRY(mk_compute(k, 2)); /* some work after waking */
    return 0;
}

int main(void)
{
    mk_t *k;
    TRY(mk_create(NULL, &k));
    TRY(mk_trace_enable(k, 4096));
    struct sleeper s[NPROC] = {{.ticks = 30}, {.ticks = 10}, {.ticks = 20}};
    static const char *const names[NPROC] = {"sleep-30", "sleep-10", "sleep-20"};
    for (mk_pid_t i = 0; i < NPROC; i++)
        TRY(mk_proc_spawn(k, i + 1, NULL, sleeper_body, &s[i], NULL));

    uint32_t reason;
    TRY(mk_run(k, 5, &reason));
    int ok = reason == MK_RUN_TICKS;
    printf("after 5 ticks:\n");
    for (mk_pid_t i = 0; i < NPROC; i++) {
        uint32_t st;
        TRY(mk_proc_state(k, i + 1, &st));
        printf("  pid %" PRIu32 " (%s) is %s\n", i + 1, names[i],
               st == MK_PROC_SLEEPING ? "sleeping" : "NOT sleeping");
        ok = ok && st == MK_PROC_SLEEPING;
    }
    TRY(mk_run(k, MK_FOREVER, &reason));
    ok = ok && reason == MK_RUN_DONE;
    uint64_t end = now(k);

    printf("wake-ups:\n");
    for (int i = 0; i < NPROC; i++) {
        printf("  %s asked at tick %" PRIu64 ", woke at tick %" PRIu64 " (slept %" PRIu64
               " ticks), woke #%d\n",
               names[i], s[i].asked, s[i].woke, s[i].woke - s[i].asked, s[i].order);
        ok = ok && s[i].woke >= s[i].asked + s[i].ticks;
    }
    ok = ok && s[1].order == 1 && s[2].order == 2 && s[0].order == 3;

    static mk_event_t ev[4096];
    size_t n;
    TRY(mk_trace_read(k, ev, 4096, &n));
    tl_t *tl = tl_new(1000);
    if (tl == NULL)
        return 1;
    for (mk_pid_t i = 0; i < NPROC; i++)
        tl_name(tl, i + 1, names[i]);
    if (tl_feed(tl, ev, n) != 0)
        ok = 0;
    tl_finish(tl, end);
    printf("\n");
    tl_write_text(tl, stdout, 100);
    tl_free(tl);
    for (mk_pid_t i = 0; i < NPROC; i++)
        TRY(mk_wait(k, i + 1, MK_NO_WAIT, NULL));
    TRY(mk_destroy(k));
    printf("%s: each sleeper woke after its ticks, in deadline order\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
