/*
 * test-sched.c - process bodies on the simulated CPU: spawn, mk_run,
 * getpid, yield, sleep, compute, exit, kill, wait, priorities, round
 * robin, determinism (identical traces), the THREAD backend, blocking
 * calls with tick timeouts, host threads mixed with bodies, a thousand
 * processes, and bad input on every call. Public API only.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t g_flags; /* MK_PROC_THREAD in the "thread" tcase */
/* Loop tests run once per backend: _i = 0 fibers, 1 threads. */
#define LOOP_FLAGS() (g_flags = _i ? MK_PROC_THREAD : 0)

static mk_t *mk_new(uint32_t quantum)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.quantum_ticks = quantum;
    cfg.mem_size = 1u << 20;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&cfg, &k), 0);
    return k;
}

static mk_pid_t spawn(mk_t *k, uint32_t prio, mk_body_fn fn, void *arg)
{
    mk_proc_attr_t a;
    mk_proc_attr_init(&a);
    a.priority = prio;
    a.flags = g_flags;
    mk_pid_t pid = 0;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, fn, arg, &pid), 0);
    ck_assert_uint_ne(pid, 0);
    return pid;
}

static uint32_t run_all(mk_t *k)
{
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    return why;
}

static int32_t reap(mk_t *k, mk_pid_t pid)
{
    int32_t st = 12345;
    ck_assert_int_eq(mk_wait(k, pid, MK_NO_WAIT, &st), 0);
    return st;
}

static uint32_t value_of(mk_t *k, mk_sem_t s)
{
    uint32_t v = 0xdeadbeefu;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    return v;
}

static int body_nop_sched(mk_t *k, void *arg)
{
    (void)k;
    (void)arg;
    return 0;
}

/* ---- basics ------------------------------------------------------------ */

struct log {
    char s[256];
    size_t n;
};

static void log_put(struct log *l, char c)
{
    if (l->n + 1 < sizeof l->s)
        l->s[l->n++] = c;
}

struct rec_arg {
    mk_pid_t seen;
    int ret;
};

static int body_getpid(mk_t *k, void *arg)
{
    struct rec_arg *a = arg;
    a->seen = mk_self(k);
    return a->ret;
}

START_TEST(spawn_run_getpid_status)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    ck_assert_uint_eq(mk_self(k), 0); /* host thread */
    struct rec_arg a = {0, 7}, b = {0, -3};
    mk_pid_t pa = spawn(k, 0, body_getpid, &a);
    mk_pid_t pb = spawn(k, 0, body_getpid, &b);
    uint32_t st;
    ck_assert_int_eq(mk_proc_state(k, pa, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_READY);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_uint_eq(a.seen, pa);
    ck_assert_uint_eq(b.seen, pb);
    ck_assert_int_eq(mk_proc_state(k, pa, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_ZOMBIE);
    ck_assert_int_eq(mk_proc_exists(k, pa), 0);
    ck_assert_int_eq(reap(k, pa), 7);
    ck_assert_int_eq(reap(k, pb), -3);
    ck_assert_int_eq(mk_proc_exists(k, pa), MK_ENOENT);
    uint32_t n = 99;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 0);
    /* nothing left: run returns at once */
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    mk_destroy(k);
}
END_TEST

static int body_yield(mk_t *k, void *arg)
{
    struct log *l = arg;
    char c = (char)('a' + mk_self(k) - 1);
    for (int i = 0; i < 3; i++) {
        log_put(l, c);
        ck_assert_int_eq(mk_yield(k), 0);
    }
    return 0;
}

START_TEST(yield_alternates_round_robin)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(1000);
    struct log l = {0};
    for (int i = 0; i < 3; i++)
        spawn(k, 0, body_yield, &l);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    log_put(&l, 0);
    ck_assert_str_eq(l.s, "abcabcabc");
    mk_destroy(k);
}
END_TEST

struct sleep_arg {
    uint64_t ticks, woke;
    struct log *l;
    char c;
};

static int body_sleep(mk_t *k, void *arg)
{
    struct sleep_arg *a = arg;
    uint64_t t0;
    ck_assert_int_eq(mk_clock_now(k, &t0), 0);
    ck_assert_int_eq(mk_sleep(k, a->ticks), 0);
    ck_assert_int_eq(mk_clock_now(k, &a->woke), 0);
    ck_assert_uint_ge(a->woke - t0, a->ticks);
    log_put(a->l, a->c);
    return 0;
}

START_TEST(sleep_wakes_in_tick_order_and_idle_jumps)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    struct log l = {0};
    struct sleep_arg s[3] = {{300, 0, &l, 'c'}, {100, 0, &l, 'a'}, {200, 0, &l, 'b'}};
    mk_pid_t p[3];
    for (int i = 0; i < 3; i++)
        p[i] = spawn(k, 0, body_sleep, &s[i]);
    uint32_t st;
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    log_put(&l, 0);
    ck_assert_str_eq(l.s, "abc");
    /* The idle CPU jumped straight to each timer: the clock stays small. */
    uint64_t now;
    ck_assert_int_eq(mk_clock_now(k, &now), 0);
    ck_assert_uint_ge(now, 300);
    ck_assert_uint_lt(now, 320);
    ck_assert_uint_lt(s[1].woke, s[2].woke);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mk_proc_state(k, p[i], &st), 0);
        ck_assert_uint_eq(st, MK_PROC_ZOMBIE);
        reap(k, p[i]);
    }
    mk_destroy(k);
}
END_TEST

/* Host code driving time with mk_clock_advance fires the timers it passes:
 * a sleeping body becomes ready at once, not at the next mk_run. */
START_TEST(clock_advance_from_host_wakes_sleepers)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    struct log l = {0};
    struct sleep_arg s = {1000, 0, &l, 'z'};
    mk_pid_t p = spawn(k, 0, body_sleep, &s);
    uint32_t reason, st;
    ck_assert_int_eq(mk_run(k, 10, &reason), 0);
    ck_assert_uint_eq(reason, MK_RUN_TICKS);
    ck_assert_int_eq(mk_proc_state(k, p, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_SLEEPING);
    ck_assert_int_eq(mk_clock_advance(k, 500), 0);
    ck_assert_int_eq(mk_proc_state(k, p, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_SLEEPING); /* not due yet */
    ck_assert_int_eq(mk_clock_advance(k, 600), 0);
    ck_assert_int_eq(mk_proc_state(k, p, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_READY);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    log_put(&l, 0);
    ck_assert_str_eq(l.s, "z");
    ck_assert_uint_ge(s.woke, 1100);
    reap(k, p);
    mk_destroy(k);
}
END_TEST

/* A post that wakes a more urgent body hands the CPU over at the poster's
 * next kernel entry, before the poster is charged for it: the waiter does
 * not wait for the poster's long computation. */
struct hand_over {
    mk_sem_t sem;
    uint64_t posted, woke;
};

static int body_urgent_waiter(mk_t *k, void *arg)
{
    struct hand_over *h = arg;
    ck_assert_int_eq(mk_sem_wait(k, h->sem, MK_FOREVER), 0);
    ck_assert_int_eq(mk_clock_now(k, &h->woke), 0);
    return 0;
}

static int body_slow_poster(mk_t *k, void *arg)
{
    struct hand_over *h = arg;
    ck_assert_int_eq(mk_compute(k, 4), 0);
    ck_assert_int_eq(mk_sem_post(k, h->sem), 0);
    ck_assert_int_eq(mk_clock_now(k, &h->posted), 0);
    ck_assert_int_eq(mk_compute(k, 20), 0);
    return 0;
}

START_TEST(wake_of_urgent_process_preempts_at_next_entry)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(100);
    struct hand_over h = {0, 0, 0};
    ck_assert_int_eq(mk_sem_create(k, "hand-over", 0, 0, &h.sem), 0);
    mk_pid_t w = spawn(k, 30, body_urgent_waiter, &h);
    mk_pid_t q = spawn(k, 2, body_slow_poster, &h);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_uint_gt(h.posted, 0);
    /* Woken within the poster's next kernel entry, not after its compute. */
    ck_assert_uint_le(h.woke, h.posted + 2);
    reap(k, w);
    reap(k, q);
    mk_destroy(k);
}
END_TEST

static int body_burn(mk_t *k, void *arg)
{
    uint64_t until = *(uint64_t *)arg;
    for (;;) {
        uint64_t now;
        ck_assert_int_eq(mk_clock_now(k, &now), 0);
        if (now >= until)
            return 0;
        ck_assert_int_eq(mk_compute(k, 1), 0);
    }
}

START_TEST(round_robin_is_fair_within_one_quantum)
{
    LOOP_FLAGS();
    const uint32_t quantum = 10;
    mk_t *k = mk_new(quantum);
    uint64_t until = 20000;
    mk_pid_t p[4];
    for (int i = 0; i < 4; i++)
        p[i] = spawn(k, 0, body_burn, &until);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    uint64_t t[4], lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(mk_proc_cpu_ticks(k, p[i], &t[i]), 0);
        lo = t[i] < lo ? t[i] : lo;
        hi = t[i] > hi ? t[i] : hi;
    }
    ck_assert_uint_ge(lo, 4000); /* each got about a quarter */
    ck_assert_uint_le(hi - lo, quantum);
    mk_destroy(k);
}
END_TEST

struct prio_arg {
    uint64_t ran_at;
    uint64_t sleep;
    struct log *l;
    char c;
};

static int body_high(mk_t *k, void *arg)
{
    struct prio_arg *a = arg;
    ck_assert_int_eq(mk_sleep(k, a->sleep), 0);
    ck_assert_int_eq(mk_clock_now(k, &a->ran_at), 0);
    log_put(a->l, a->c);
    return 0;
}

static int body_low(mk_t *k, void *arg)
{
    struct prio_arg *a = arg;
    log_put(a->l, a->c);
    ck_assert_int_eq(mk_compute(k, 1000), 0); /* one long computation */
    log_put(a->l, a->c);
    ck_assert_int_eq(mk_clock_now(k, &a->ran_at), 0);
    return 0;
}

START_TEST(higher_priority_preempts_at_its_wakeup_tick)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(10000);
    struct log l = {0};
    struct prio_arg hi = {0, 50, &l, 'H'}, lo = {0, 0, &l, 'L'};
    spawn(k, MK_PRIO_MAX, body_high, &hi);
    spawn(k, MK_PRIO_MIN, body_low, &lo);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    log_put(&l, 0);
    ck_assert_str_eq(l.s, "LHL");
    /* The compute was split at the high process's timer: it ran at tick
     * 50 + its own two kernel calls, not after the 1000-tick compute. */
    ck_assert_uint_ge(hi.ran_at, 50);
    ck_assert_uint_le(hi.ran_at, 55);
    ck_assert_uint_gt(lo.ran_at, 1000);
    mk_destroy(k);
}
END_TEST

/* ---- determinism ----------------------------------------------------------- */

struct prog {
    mk_sem_t sem;
    mk_queue_t q;
};

static int prog_producer(mk_t *k, void *arg)
{
    struct prog *g = arg;
    for (uint32_t i = 0; i < 20; i++) {
        ck_assert_int_eq(mk_queue_send(k, g->q, i, &i, sizeof i, MK_FOREVER), 0);
        ck_assert_int_eq(mk_compute(k, 3 + i % 5), 0);
        if (i % 4 == 0)
            ck_assert_int_eq(mk_sem_post(k, g->sem), 0);
    }
    return 1;
}

static int prog_consumer(mk_t *k, void *arg)
{
    struct prog *g = arg;
    for (uint32_t i = 0; i < 20; i++) {
        uint32_t tag, v;
        size_t len;
        ck_assert_int_eq(mk_queue_recv(k, g->q, 0, &tag, &v, sizeof v, &len, MK_FOREVER), 0);
        ck_assert_uint_eq(tag, i);
        ck_assert_uint_eq(v, i);
    }
    return 2;
}

static int prog_waiter(mk_t *k, void *arg)
{
    struct prog *g = arg;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(mk_sem_wait(k, g->sem, MK_FOREVER), 0);
        ck_assert_int_eq(mk_sleep(k, 7), 0);
    }
    return 3;
}

static int prog_burner(mk_t *k, void *arg)
{
    (void)arg;
    for (int i = 0; i < 30; i++)
        ck_assert_int_eq(mk_compute(k, 4), 0);
    return 4;
}

/* Runs the program, returns the trace (caller frees) and its length. */
static mk_event_t *run_program(uint32_t flags, size_t *n)
{
    g_flags = flags;
    mk_t *k = mk_new(5);
    ck_assert_int_eq(mk_trace_enable(k, 1u << 16), 0);
    struct prog g;
    ck_assert_int_eq(mk_sem_create(k, "s", 0, 0, &g.sem), 0);
    mk_queue_attr_t qa;
    mk_queue_attr_init(&qa);
    qa.capacity = 3;
    ck_assert_int_eq(mk_queue_create(k, "q", &qa, &g.q), 0);
    spawn(k, 10, prog_consumer, &g);
    spawn(k, 10, prog_producer, &g);
    spawn(k, 12, prog_waiter, &g);
    spawn(k, 10, prog_burner, &g);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    mk_event_t *ev = calloc(1u << 16, sizeof *ev);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(mk_trace_read(k, ev, 1u << 16, n), 0);
    uint64_t dropped = 1;
    ck_assert_int_eq(mk_trace_dropped(k, &dropped), 0);
    ck_assert_uint_eq(dropped, 0);
    mk_destroy(k);
    g_flags = 0;
    return ev;
}

static void same_trace(const mk_event_t *a, size_t na, const mk_event_t *b, size_t nb)
{
    ck_assert_uint_eq(na, nb);
    for (size_t i = 0; i < na; i++) {
        ck_assert_uint_eq(a[i].tick, b[i].tick);
        ck_assert_uint_eq(a[i].type, b[i].type);
        ck_assert_uint_eq(a[i].pid, b[i].pid);
        ck_assert_uint_eq(a[i].a, b[i].a);
        ck_assert_uint_eq(a[i].b, b[i].b);
    }
}

START_TEST(same_program_same_trace)
{
    size_t na, nb;
    mk_event_t *a = run_program(0, &na);
    mk_event_t *b = run_program(0, &nb);
    ck_assert_uint_gt(na, 100);
    same_trace(a, na, b, nb);
    /* every kind of scheduling event occurred */
    int seen[32] = {0};
    for (size_t i = 0; i < na; i++)
        seen[a[i].type & 31]++;
    ck_assert_int_gt(seen[MK_EV_SPAWN], 0);
    ck_assert_int_gt(seen[MK_EV_EXIT], 0);
    ck_assert_int_gt(seen[MK_EV_SWITCH], 0);
    ck_assert_int_gt(seen[MK_EV_PREEMPT], 0);
    ck_assert_int_gt(seen[MK_EV_BLOCK], 0);
    ck_assert_int_gt(seen[MK_EV_WAKE], 0);
    ck_assert_int_gt(seen[MK_EV_SLEEP], 0);
    ck_assert_int_gt(seen[MK_EV_MSG_SEND], 0);
    ck_assert_int_gt(seen[MK_EV_MSG_RECV], 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(thread_backend_gives_the_fiber_schedule)
{
    size_t na, nb;
    mk_event_t *a = run_program(0, &na);
    mk_event_t *b = run_program(MK_PROC_THREAD, &nb);
    same_trace(a, na, b, nb);
    free(a);
    free(b);
}
END_TEST

/* ---- exit, kill, wait ------------------------------------------------------ */

static int body_exit_early(mk_t *k, void *arg)
{
    int *reached = arg;
    ck_assert_int_eq(mk_exit(k, 42), 0); /* a THREAD body gets 0 and returns */
    if (*reached == 0)
        *reached = 1; /* only a THREAD body gets here */
    ck_assert_int_eq(mk_yield(k), MK_EDESTROYED);
    return 5;
}

START_TEST(exit_ends_the_body_with_its_status)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    int reached = 0;
    mk_pid_t p = spawn(k, 0, body_exit_early, &reached);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_int_eq(reached, g_flags & MK_PROC_THREAD ? 1 : 0);
    ck_assert_int_eq(reap(k, p), 42);
    ck_assert_int_eq(mk_exit(k, 1), MK_EPERM); /* host thread */
    mk_destroy(k);
}
END_TEST

static int body_sleep_forever(mk_t *k, void *arg)
{
    (void)arg;
    mk_sleep(k, 1000000);
    mk_sleep(k, 1000000); /* a killed fiber never gets here; a thread gets an error */
    return 0;
}

struct killer_arg {
    mk_pid_t victim;
    mk_pid_t child;
    int32_t status;
};

static int body_killer(mk_t *k, void *arg)
{
    struct killer_arg *a = arg;
    ck_assert_int_eq(mk_sleep(k, 10), 0);
    ck_assert_int_eq(mk_kill(k, a->victim), 0);
    ck_assert_int_eq(mk_kill(k, a->victim), MK_ENOENT); /* already dying */
    /* its own child: wait for it */
    a->child = spawn(k, 0, body_getpid, &(struct rec_arg){0, 9});
    ck_assert_int_eq(mk_wait(k, a->child, 100, &a->status), 0);
    return 0;
}

START_TEST(kill_wakes_a_sleeper_and_wait_reaps_children)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    mk_pid_t v = spawn(k, 0, body_sleep_forever, NULL);
    struct killer_arg a = {v, 0, 0};
    mk_pid_t kp = spawn(k, 0, body_killer, &a);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_int_eq(a.status, 9);
    ck_assert_int_eq(mk_proc_exists(k, a.child), MK_ENOENT); /* reaped */
    ck_assert_int_eq(reap(k, v), -1);
    ck_assert_int_eq(reap(k, kp), 0);
    uint64_t now;
    ck_assert_int_eq(mk_clock_now(k, &now), 0);
    ck_assert_uint_lt(now, 1000); /* the sleeper did not sleep its time */
    mk_destroy(k);
}
END_TEST

static int body_wait_child_timeout(mk_t *k, void *arg)
{
    int *rc = arg;
    mk_pid_t c = spawn(k, 0, body_sleep_forever, NULL);
    int32_t st;
    rc[0] = mk_wait(k, c, MK_NO_WAIT, &st);
    uint64_t t0, t1;
    mk_clock_now(k, &t0);
    rc[1] = mk_wait(k, c, 25, &st);
    mk_clock_now(k, &t1);
    rc[2] = (int)(t1 - t0);
    rc[3] = mk_wait(k, mk_self(k), 0, &st);
    rc[4] = mk_kill(k, c);
    rc[5] = mk_wait(k, c, MK_FOREVER, &st);
    rc[6] = st;
    return 0;
}

START_TEST(wait_times_out_in_ticks)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    int rc[7] = {0};
    spawn(k, 0, body_wait_child_timeout, rc);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_int_eq(rc[0], MK_EAGAIN);
    ck_assert_int_eq(rc[1], MK_ETIMEDOUT);
    ck_assert_int_ge(rc[2], 25);
    ck_assert_int_le(rc[2], 27);
    ck_assert_int_eq(rc[3], MK_EPERM);
    ck_assert_int_eq(rc[4], 0);
    ck_assert_int_eq(rc[5], 0);
    ck_assert_int_eq(rc[6], -1);
    mk_destroy(k);
}
END_TEST

static int body_blocked_forever(mk_t *k, void *arg)
{
    mk_sem_t s = *(mk_sem_t *)arg;
    int rc = mk_sem_wait(k, s, MK_FOREVER);
    return rc; /* a killed body ends before or here */
}

START_TEST(kill_from_host_ends_blocked_bodies)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "never", 0, 0, &s), 0);
    mk_pid_t p[3];
    for (int i = 0; i < 3; i++)
        p[i] = spawn(k, 0, body_blocked_forever, &s);
    ck_assert_uint_eq(mk_run(k, 1000, NULL), 0); /* all blocked: host must act */
    /* bodies are blocked, nothing else can run: run waits for the host... so
     * kill them first from this thread, then run again. */
    for (int i = 0; i < 3; i++) {
        uint32_t st;
        ck_assert_int_eq(mk_proc_state(k, p[i], &st), 0);
        ck_assert_uint_eq(st, MK_PROC_BLOCKED);
        ck_assert_int_eq(mk_proc_destroy(k, p[i]), MK_EBUSY);
        ck_assert_int_eq(mk_kill(k, p[i]), 0);
    }
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(reap(k, p[i]), -1);
    uint32_t v = 9;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(mk_sem_post(k, s), 0); /* the queue is empty again */
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, 1);
    mk_destroy(k);
}
END_TEST

static int body_queue_waiter(mk_t *k, void *arg)
{
    mk_queue_t q = *(mk_queue_t *)arg;
    char buf[8];
    uint32_t tag;
    size_t len;
    if (mk_self(k) % 2)
        return mk_queue_recv(k, q, 0, &tag, buf, sizeof buf, &len, MK_FOREVER);
    if (mk_self(k) % 3 == 0)
        return mk_queue_send(k, q, 1, "z", 1, MK_FOREVER); /* queue is full */
    return mk_mbox_recv(k, mk_self(k), &tag, buf, sizeof buf, &len, MK_FOREVER);
}

START_TEST(kill_bodies_waiting_in_queues_and_before_they_run)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    mk_queue_t q, full;
    mk_queue_attr_t qa;
    mk_queue_attr_init(&qa);
    qa.capacity = 1;
    ck_assert_int_eq(mk_queue_create(k, "wq", NULL, &q), 0);
    ck_assert_int_eq(mk_queue_create(k, "full", &qa, &full), 0);
    ck_assert_int_eq(mk_queue_send(k, full, 0, "f", 1, MK_NO_WAIT), 0);
    /* pids 1..6 (fresh context): odd ones receive from q, 2 and 4 from
     * their mailboxes, 6 sends to the full queue */
    mk_pid_t p[6];
    for (int i = 0; i < 6; i++) {
        p[i] = spawn(k, 0, body_queue_waiter, i == 5 ? &full : &q);
        ck_assert_uint_eq(p[i], (mk_pid_t)i + 1);
    }
    /* a process killed before it ever ran ends at once */
    mk_pid_t never = spawn(k, 0, body_nop_sched, NULL);
    ck_assert_int_eq(mk_kill(k, never), 0);
    uint32_t st;
    ck_assert_int_eq(mk_proc_state(k, never, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_ZOMBIE);
    ck_assert_int_eq(reap(k, never), -1);
    ck_assert_int_eq(mk_run(k, 50, NULL), 0);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(mk_proc_state(k, p[i], &st), 0);
        ck_assert_uint_eq(st, MK_PROC_BLOCKED);
        ck_assert_int_eq(mk_kill(k, p[i]), 0);
    }
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(reap(k, p[i]), -1);
        ck_assert_int_eq(mk_mbox_count(k, p[i], &st), MK_ENOENT); /* mailbox gone */
    }
    /* the queues hold nobody any more: traffic works as before */
    char b[4];
    uint32_t tag;
    size_t len;
    ck_assert_int_eq(mk_queue_send(k, q, 7, "ok", 2, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_queue_recv(k, q, 0, &tag, b, sizeof b, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 7);
    ck_assert_int_eq(mk_queue_recv(k, full, 0, &tag, b, sizeof b, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 0);
    ck_assert_int_eq(mk_queue_recv(k, full, 0, &tag, b, sizeof b, &len, MK_NO_WAIT), MK_EAGAIN);
    mk_destroy(k);
}
END_TEST

/* ---- run limits, stop ------------------------------------------------------- */

static int body_stopper(mk_t *k, void *arg)
{
    (void)arg;
    ck_assert_int_eq(mk_compute(k, 10), 0);
    ck_assert_int_eq(mk_stop(k), 0);
    ck_assert_int_eq(mk_compute(k, 10), 0);
    return 0;
}

START_TEST(run_stops_on_limit_and_request_and_resumes)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    uint64_t until = 500;
    mk_pid_t b = spawn(k, 0, body_burn, &until);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, 100, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_TICKS);
    uint64_t now;
    mk_clock_now(k, &now);
    ck_assert_uint_ge(now, 100);
    ck_assert_uint_le(now, 120);
    ck_assert_int_eq(mk_run(k, 0, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_TICKS);
    mk_pid_t s = spawn(k, 0, body_stopper, NULL);
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_STOPPED);
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    reap(k, b);
    reap(k, s);
    mk_destroy(k);
}
END_TEST

/* ---- blocking calls from bodies time out in ticks ---------------------------- */

static int body_timeouts(mk_t *k, void *arg)
{
    int *rc = arg;
    mk_sem_t s;
    mk_queue_t q;
    mk_queue_attr_t qa;
    mk_queue_attr_init(&qa);
    qa.capacity = 1;
    ck_assert_int_eq(mk_sem_create(k, "t", 0, 0, &s), 0);
    ck_assert_int_eq(mk_queue_create(k, "tq", &qa, &q), 0);
    uint64_t t0, t1;
    char buf[8];
    size_t len;
    uint32_t tag;
    int i = 0;
    /* each: result, then ticks it took */
    mk_clock_now(k, &t0);
    rc[i++] = mk_sem_wait(k, s, 40);
    mk_clock_now(k, &t1);
    rc[i++] = (int)(t1 - t0);
    mk_clock_now(k, &t0);
    rc[i++] = mk_queue_recv(k, q, 0, &tag, buf, sizeof buf, &len, 30);
    mk_clock_now(k, &t1);
    rc[i++] = (int)(t1 - t0);
    ck_assert_int_eq(mk_queue_send(k, q, 1, "x", 1, MK_NO_WAIT), 0);
    mk_clock_now(k, &t0);
    rc[i++] = mk_queue_send(k, q, 2, "y", 1, 20); /* full */
    mk_clock_now(k, &t1);
    rc[i++] = (int)(t1 - t0);
    mk_clock_now(k, &t0);
    rc[i++] = mk_mbox_recv(k, mk_self(k), &tag, buf, sizeof buf, &len, 50);
    mk_clock_now(k, &t1);
    rc[i++] = (int)(t1 - t0);
    rc[i++] = mk_sem_wait(k, s, MK_NO_WAIT);
    rc[i++] = mk_queue_send(k, q, 2, "y", 1, MK_NO_WAIT);
    return 0;
}

START_TEST(blocking_calls_time_out_in_ticks)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    int rc[10];
    spawn(k, 0, body_timeouts, rc);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    int want[4] = {40, 30, 20, 50};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(rc[2 * i], MK_ETIMEDOUT);
        ck_assert_int_ge(rc[2 * i + 1], want[i]);
        ck_assert_int_le(rc[2 * i + 1], want[i] + 3); /* + kernel-call cost */
    }
    ck_assert_int_eq(rc[8], MK_EAGAIN);
    ck_assert_int_eq(rc[9], MK_EAGAIN);
    mk_destroy(k);
}
END_TEST

/* ---- host threads and bodies -------------------------------------------------- */

struct mix {
    mk_t *k;
    mk_sem_t s;
    int got;
};

static int body_wait_host(mk_t *k, void *arg)
{
    struct mix *m = arg;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(mk_sem_wait(k, m->s, MK_FOREVER), 0);
    m->got = 5;
    return 0;
}

static void *host_poster(void *arg)
{
    struct mix *m = arg;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(mk_sem_post(m->k, m->s), 0);
        ck_assert_int_eq(mk_sleep(m->k, 1), 0); /* host sleep: wall time */
    }
    return NULL;
}

START_TEST(host_thread_posts_what_a_body_waits_for)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    struct mix m = {k, 0, 0};
    ck_assert_int_eq(mk_sem_create(k, "hs", 0, 0, &m.s), 0);
    mk_pid_t p = spawn(k, 0, body_wait_host, &m);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, host_poster, &m), 0);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE); /* waits for the host posts */
    pthread_join(t, NULL);
    ck_assert_int_eq(m.got, 5);
    reap(k, p);
    mk_destroy(k);
}
END_TEST

struct hostwait {
    mk_t *k;
    mk_pid_t child;
    int rc;
    int32_t st;
};

static void *host_waits_child(void *arg)
{
    struct hostwait *h = arg;
    h->rc = mk_wait(h->k, h->child, MK_FOREVER, &h->st);
    return NULL;
}

static void *host_runs(void *arg)
{
    mk_t *k = arg;
    uint32_t why;
    mk_run(k, MK_FOREVER, &why);
    return NULL;
}

START_TEST(host_thread_waits_for_a_body)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    uint64_t until = 300;
    struct hostwait h = {k, 0, 1, 0};
    h.child = spawn(k, 0, body_burn, &until);
    pthread_t w, r;
    ck_assert_int_eq(pthread_create(&w, NULL, host_waits_child, &h), 0);
    ck_assert_int_eq(pthread_create(&r, NULL, host_runs, k), 0);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    ck_assert_int_eq(h.rc, 0);
    ck_assert_int_eq(h.st, 0);
    ck_assert_int_eq(mk_proc_exists(k, h.child), MK_ENOENT);
    mk_destroy(k);
}
END_TEST

/* ---- scale -------------------------------------------------------------------- */

static int body_small(mk_t *k, void *arg)
{
    mk_sem_t s = *(mk_sem_t *)arg;
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_int_eq(mk_sleep(k, 1 + mk_self(k) % 7), 0);
    ck_assert_int_eq(mk_yield(k), 0);
    return (int)(mk_self(k) % 100);
}

START_TEST(a_thousand_processes)
{
    mk_t *k = mk_new(0);
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "cnt", 0, 0, &s), 0);
    enum { N = 1000 };
    mk_pid_t *p = malloc(N * sizeof *p);
    for (int i = 0; i < N; i++) {
        mk_proc_attr_t a;
        mk_proc_attr_init(&a);
        a.stack_size = MK_PROC_STACK_MIN;
        a.priority = 1 + (uint32_t)i % MK_PRIO_MAX;
        ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_small, &s, &p[i]), 0);
    }
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    uint32_t v;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    ck_assert_uint_eq(v, N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(reap(k, p[i]), (int)(p[i] % 100));
    free(p);
    mk_destroy(k);
}
END_TEST

/* ---- priorities ----------------------------------------------------------------- */

static int body_prio(mk_t *k, void *arg)
{
    uint32_t *out = arg;
    ck_assert_int_eq(mk_proc_priority(k, 0, &out[0], &out[1]), 0);
    ck_assert_int_eq(mk_proc_set_priority(k, 0, 3), 0);
    ck_assert_int_eq(mk_proc_priority(k, 0, &out[2], NULL), 0);
    return 0;
}

START_TEST(priorities_read_and_set)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    uint32_t out[3] = {0};
    mk_pid_t p = spawn(k, 20, body_prio, out);
    uint32_t b, e;
    ck_assert_int_eq(mk_proc_priority(k, p, &b, &e), 0);
    ck_assert_uint_eq(b, 20);
    ck_assert_uint_eq(e, 20);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_uint_eq(out[0], 20);
    ck_assert_uint_eq(out[1], 20);
    ck_assert_uint_eq(out[2], 3);
    mk_pid_t plain;
    ck_assert_int_eq(mk_proc_create(k, 0, &plain), 0);
    ck_assert_int_eq(mk_proc_priority(k, plain, &b, NULL), 0);
    ck_assert_uint_eq(b, MK_PRIO_DEFAULT);
    ck_assert_int_eq(mk_proc_set_priority(k, plain, MK_PRIO_MAX + 1), MK_ERANGE);
    ck_assert_int_eq(mk_proc_set_priority(k, plain, 0), MK_ERANGE);
    ck_assert_int_eq(mk_proc_set_priority(k, 0, 5), MK_ENOENT); /* host: no self */
    ck_assert_int_eq(mk_proc_set_priority(k, 777, 5), MK_ENOENT);
    ck_assert_int_eq(mk_proc_priority(k, 777, &b, &e), MK_ENOENT);
    ck_assert_int_eq(mk_kill(k, plain), 0); /* a body-less process is destroyed */
    ck_assert_int_eq(mk_proc_exists(k, plain), MK_ENOENT);
    reap(k, p);
    mk_destroy(k);
}
END_TEST

/* ---- bad input -------------------------------------------------------------------- */

static int body_nop(mk_t *k, void *arg)
{
    (void)k;
    (void)arg;
    return 0;
}

static int body_run_inside(mk_t *k, void *arg)
{
    int *rc = arg;
    rc[0] = mk_run(k, 10, NULL);
    return 0;
}

START_TEST(bad_input_on_every_call)
{
    mk_t *k = mk_new(0);
    mk_pid_t p;
    mk_proc_attr_t a;
    mk_proc_attr_init(&a);
    mk_proc_attr_init(NULL); /* ignored */
    ck_assert_uint_eq(a.size, sizeof a);
    /* spawn */
    ck_assert_int_eq(mk_proc_spawn(NULL, 0, NULL, body_nop, NULL, &p), MK_EINVAL);
    ck_assert_int_eq(mk_proc_spawn(k, 0, NULL, NULL, NULL, &p), MK_EINVAL);
    ck_assert_int_eq(mk_proc_spawn(k, 0, NULL, body_nop, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_proc_spawn(k, MK_PID_MAX + 1u, NULL, body_nop, NULL, &p), MK_EINVAL);
    a.size = 4;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_nop, NULL, &p), MK_EINVAL);
    mk_proc_attr_init(&a);
    a.flags = 0x80;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_nop, NULL, &p), MK_EINVAL);
    mk_proc_attr_init(&a);
    a.reserved = 1;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_nop, NULL, &p), MK_EINVAL);
    mk_proc_attr_init(&a);
    a.priority = MK_PRIO_MAX + 1;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_nop, NULL, &p), MK_ERANGE);
    mk_proc_attr_init(&a);
    a.stack_size = MK_PROC_STACK_MIN - 1;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_nop, NULL, &p), MK_ERANGE);
    a.stack_size = MK_PROC_STACK_MAX + 1;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, body_nop, NULL, &p), MK_ERANGE);
    ck_assert_int_eq(mk_proc_spawn(k, 5, NULL, body_nop, NULL, NULL), 0);
    ck_assert_int_eq(mk_proc_spawn(k, 5, NULL, body_nop, NULL, &p), MK_EEXIST);
    uint32_t n;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 1); /* nothing leaked from the refusals */
    /* run / stop */
    ck_assert_int_eq(mk_run(NULL, 1, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_stop(NULL), MK_EINVAL);
    int rc[1] = {1};
    spawn(k, 0, body_run_inside, rc);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_int_eq(rc[0], MK_EBUSY);
    /* self, yield, sleep, compute, exit, kill, wait from the host */
    ck_assert_uint_eq(mk_self(NULL), 0);
    ck_assert_int_eq(mk_yield(NULL), MK_EINVAL);
    ck_assert_int_eq(mk_yield(k), 0);
    ck_assert_int_eq(mk_sleep(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_sleep(k, ((uint64_t)1 << 62) + 1), MK_EINVAL);
    ck_assert_int_eq(mk_sleep(k, 0), 0);
    ck_assert_int_eq(mk_compute(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_compute(k, ((uint64_t)1 << 62) + 1), MK_EINVAL);
    uint64_t t0, t1;
    mk_clock_now(k, &t0);
    ck_assert_int_eq(mk_compute(k, 5), 0); /* host: advances the clock */
    mk_clock_now(k, &t1);
    ck_assert_uint_eq(t1 - t0, 5);
    ck_assert_int_eq(mk_exit(NULL, 0), MK_EINVAL);
    ck_assert_int_eq(mk_kill(NULL, 5), MK_EINVAL);
    ck_assert_int_eq(mk_kill(k, 0), MK_EPERM);
    ck_assert_int_eq(mk_kill(k, 4242), MK_ENOENT);
    ck_assert_int_eq(mk_kill(k, 5), MK_ENOENT); /* zombie: already ended */
    int32_t st;
    ck_assert_int_eq(mk_wait(NULL, 5, 0, &st), MK_EINVAL);
    ck_assert_int_eq(mk_wait(k, 0, 0, &st), MK_ENOENT);
    ck_assert_int_eq(mk_wait(k, 4242, 0, &st), MK_ENOENT);
    mk_pid_t plain;
    ck_assert_int_eq(mk_proc_create(k, 0, &plain), 0);
    ck_assert_int_eq(mk_wait(k, plain, 0, &st), MK_ENOENT); /* no body */
    ck_assert_int_eq(mk_wait(k, 5, 0, NULL), 0);
    ck_assert_int_eq(mk_wait(k, 5, 0, &st), MK_ENOENT); /* reaped */
    ck_assert_int_eq(mk_proc_cpu_ticks(k, plain, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_proc_cpu_ticks(NULL, plain, &t0), MK_EINVAL);
    ck_assert_int_eq(mk_proc_cpu_ticks(k, 0, &t0), MK_ENOENT);
    ck_assert_int_eq(mk_proc_cpu_ticks(k, plain, &t0), 0);
    ck_assert_uint_eq(t0, 0);
    ck_assert_int_eq(mk_proc_priority(NULL, plain, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_proc_set_priority(NULL, plain, 3), MK_EINVAL);
    mk_destroy(k);
    /* destroyed context */
    ck_assert_int_eq(mk_proc_spawn(k, 0, NULL, body_nop, NULL, &p), MK_EBADH);
    ck_assert_int_eq(mk_run(k, 1, NULL), MK_EBADH);
    ck_assert_int_eq(mk_stop(k), MK_EBADH);
    ck_assert_uint_eq(mk_self(k), 0);
    ck_assert_int_eq(mk_yield(k), MK_EBADH);
    ck_assert_int_eq(mk_sleep(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_compute(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_exit(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_kill(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_wait(k, 1, 0, &st), MK_EBADH);
    ck_assert_int_eq(mk_proc_priority(k, 1, NULL, NULL), MK_EBADH);
    ck_assert_int_eq(mk_proc_set_priority(k, 1, 3), MK_EBADH);
    ck_assert_int_eq(mk_proc_cpu_ticks(k, 1, &t0), MK_EBADH);
}
END_TEST

static int body_spin_until_killed(mk_t *k, void *arg)
{
    (void)arg;
    for (;;)
        if (mk_compute(k, 1) != 0)
            return 0; /* THREAD backend: killed */
}

START_TEST(destroy_with_bodies_left)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(0);
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "x", 0, 0, &s), 0);
    spawn(k, 0, body_blocked_forever, &s);
    spawn(k, 0, body_spin_until_killed, NULL);
    spawn(k, 0, body_nop, NULL);
    ck_assert_int_eq(mk_run(k, 100, NULL), 0);
    ck_assert_int_eq(mk_destroy(k), 0); /* suspended bodies are dropped */
}
END_TEST

/* The clock line with no handler attached: the scheduler does not call
 * the interrupt controller on each kernel entry any more (its gate is
 * closed) but every advance still counts as a clock interrupt; with a
 * handler attached the controller sees every advance again. */
static int body_calls(mk_t *k, void *arg)
{
    mk_sem_t s = *(mk_sem_t *)arg;
    for (int i = 0; i < 30; i++)
        if (mk_sem_post(k, s) != 0 || mk_sem_wait(k, s, MK_FOREVER) != 0)
            return 1;
    return 0;
}

static void on_clock(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    (*(uint64_t *)ctx)++;
}

START_TEST(clock_line_counts_every_advance_with_or_without_handler)
{
    LOOP_FLAGS();
    mk_t *k = mk_new(1000);
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "c", 0, 0, &s), 0);
    uint64_t handled = 0;
    for (int phase = 0; phase < 3; phase++) {
        if (phase == 1)
            ck_assert_int_eq(mk_irq_attach(k, MK_IRQ_CLOCK, on_clock, &handled), 0);
        if (phase == 2)
            ck_assert_int_eq(mk_irq_detach(k, MK_IRQ_CLOCK, on_clock, &handled), 0);
        uint64_t t0, t1, c0, c1, h0 = handled;
        ck_assert_int_eq(mk_clock_now(k, &t0), 0);
        ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &c0), 0);
        mk_pid_t pid = spawn(k, 0, body_calls, &s);
        ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
        ck_assert_int_eq(reap(k, pid), 0);
        ck_assert_int_eq(mk_clock_now(k, &t1), 0);
        ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &c1), 0);
        ck_assert_uint_ge(t1 - t0, 60); /* one tick per kernel call */
        ck_assert_uint_eq(c1 - c0, t1 - t0);
        ck_assert_uint_eq(handled - h0, phase == 1 ? t1 - t0 : 0);
    }
    /* a host-side advance counts too */
    uint64_t c0, c1;
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &c0), 0);
    ck_assert_int_eq(mk_clock_advance(k, 5), 0);
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &c1), 0);
    ck_assert_uint_eq(c1 - c0, 1);
    ck_assert_uint_eq(value_of(k, s), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* Two bodies handing the CPU back and forth through a pair of semaphores
 * (the fast switch path: lock handed across the fiber switch, wait hand-
 * off without re-locking): strictly alternating switches, and the same
 * trace every time. */
struct pp {
    mk_sem_t mine, theirs;
    int first, rounds;
};

static int body_pingpong(mk_t *k, void *arg)
{
    struct pp *p = arg;
    for (int i = 0; i < p->rounds; i++) {
        if (p->first && mk_sem_post(k, p->theirs) != 0)
            return 1;
        if (mk_sem_wait(k, p->mine, MK_FOREVER) != 0)
            return 2;
        if (!p->first && mk_sem_post(k, p->theirs) != 0)
            return 3;
    }
    return 0;
}

static mk_event_t *run_pingpong(size_t *n)
{
    mk_t *k = mk_new(1000);
    ck_assert_int_eq(mk_trace_enable(k, 1u << 14), 0);
    mk_sem_t a, b;
    ck_assert_int_eq(mk_sem_create(k, "ping", 0, 1, &a), 0);
    ck_assert_int_eq(mk_sem_create(k, "pong", 0, 1, &b), 0);
    struct pp x = {a, b, 1, 200}, y = {b, a, 0, 200};
    mk_pid_t px = spawn(k, 0, body_pingpong, &x);
    mk_pid_t py = spawn(k, 0, body_pingpong, &y);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_int_eq(reap(k, px), 0);
    ck_assert_int_eq(reap(k, py), 0);
    ck_assert_uint_eq(value_of(k, a), 0);
    ck_assert_uint_eq(value_of(k, b), 0);
    mk_event_t *ev = calloc(1u << 14, sizeof *ev);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(mk_trace_read(k, ev, 1u << 14, n), 0);
    mk_destroy(k);
    return ev;
}

START_TEST(semaphore_pingpong_alternates_and_repeats)
{
    LOOP_FLAGS();
    size_t na, nb;
    mk_event_t *a = run_pingpong(&na);
    mk_event_t *b = run_pingpong(&nb);
    same_trace(a, na, b, nb);
    size_t switches = 0;
    mk_pid_t last = 0;
    for (size_t i = 0; i < na; i++) {
        if (a[i].type != MK_EV_SWITCH)
            continue;
        ck_assert_uint_ne(a[i].pid, last); /* never the same body twice */
        last = a[i].pid;
        switches++;
    }
    ck_assert_uint_ge(switches, 400);
    free(a);
    free(b);
    g_flags = 0;
}
END_TEST

/* ---- calls of every module are kernel entries ------------------------ */

struct entry_arg {
    struct log *l;
    mk_dev_t dev;
    int rounds;
};

/* Each round makes three calls that never block (memory, block device,
 * file system), nothing else: they alone must charge ticks and end slices. */
static int body_module_calls(mk_t *k, void *arg)
{
    struct entry_arg *a = arg;
    char c = (char)('a' + mk_self(k) - 1);
    for (int i = 0; i < a->rounds; i++) {
        log_put(a->l, c);
        mk_heap_stats_t hs;
        memset(&hs, 0, sizeof hs);
        hs.size = sizeof hs;
        ck_assert_int_eq(mk_heap_stats(k, MK_HEAP_DEFAULT, &hs), 0);
        char b[16];
        ck_assert_int_eq(mk_blk_read(k, a->dev, 0, 0, b, sizeof b), 0);
        mk_stat_t st;
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        ck_assert_int_eq(mk_vfs_stat(k, "/d", &st), 0);
    }
    return 0;
}

static uint64_t run_module_calls(uint32_t quantum, struct log *l)
{
    mk_t *k = mk_new(quantum);
    struct entry_arg a = {l, 0, 6};
    ck_assert_int_eq(mk_blk_create_ram(k, "r", 512, 256, &a.dev), 0);
    ck_assert_int_eq(mk_fs_mkfs(k, a.dev, NULL), 0);
    ck_assert_int_eq(mk_vfs_mount(k, a.dev, "/d", 0), 0);
    uint64_t t0 = 0, t1 = 0;
    ck_assert_int_eq(mk_clock_now(k, &t0), 0);
    spawn(k, 0, body_module_calls, &a);
    spawn(k, 0, body_module_calls, &a);
    ck_assert_uint_eq(run_all(k), MK_RUN_DONE);
    ck_assert_int_eq(mk_clock_now(k, &t1), 0);
    log_put(l, 0);
    mk_destroy(k);
    return t1 - t0;
}

START_TEST(memory_block_and_file_calls_are_kernel_entries)
{
    LOOP_FLAGS();
    /* long slices: each body runs its six rounds through; the clock still
     * moves by at least one tick per call (2 bodies x 6 rounds x 3 calls) */
    struct log l = {0};
    uint64_t used = run_module_calls(1000, &l);
    ck_assert_str_eq(l.s, "aaaaaabbbbbb");
    ck_assert_uint_ge(used, 2 * 6 * 3);
    /* a 4-tick slice ends inside the loop: the bodies alternate, and do so
     * the same way every run */
    struct log l1 = {0}, l2 = {0};
    run_module_calls(4, &l1);
    run_module_calls(4, &l2);
    ck_assert_str_ne(l1.s, "aaaaaabbbbbb");
    ck_assert_ptr_nonnull(strstr(l1.s, "ab"));
    ck_assert_ptr_nonnull(strstr(l1.s, "ba"));
    ck_assert_str_eq(l1.s, l2.s);
}
END_TEST

static Suite *sched_suite(void)
{
    Suite *s = suite_create("sched");
    const char *names[2] = {"fiber", "thread"};
    for (int i = 0; i < 2; i++) {
        TCase *tc = tcase_create(names[i]);
        tcase_set_timeout(tc, 120);
        tcase_add_loop_test(tc, spawn_run_getpid_status, i, i + 1);
        tcase_add_loop_test(tc, yield_alternates_round_robin, i, i + 1);
        tcase_add_loop_test(tc, sleep_wakes_in_tick_order_and_idle_jumps, i, i + 1);
        tcase_add_loop_test(tc, clock_advance_from_host_wakes_sleepers, i, i + 1);
        tcase_add_loop_test(tc, wake_of_urgent_process_preempts_at_next_entry, i, i + 1);
        tcase_add_loop_test(tc, round_robin_is_fair_within_one_quantum, i, i + 1);
        tcase_add_loop_test(tc, higher_priority_preempts_at_its_wakeup_tick, i, i + 1);
        tcase_add_loop_test(tc, exit_ends_the_body_with_its_status, i, i + 1);
        tcase_add_loop_test(tc, kill_wakes_a_sleeper_and_wait_reaps_children, i, i + 1);
        tcase_add_loop_test(tc, wait_times_out_in_ticks, i, i + 1);
        tcase_add_loop_test(tc, kill_from_host_ends_blocked_bodies, i, i + 1);
        tcase_add_loop_test(tc, kill_bodies_waiting_in_queues_and_before_they_run, i, i + 1);
        tcase_add_loop_test(tc, run_stops_on_limit_and_request_and_resumes, i, i + 1);
        tcase_add_loop_test(tc, blocking_calls_time_out_in_ticks, i, i + 1);
        tcase_add_loop_test(tc, host_thread_posts_what_a_body_waits_for, i, i + 1);
        tcase_add_loop_test(tc, host_thread_waits_for_a_body, i, i + 1);
        tcase_add_loop_test(tc, priorities_read_and_set, i, i + 1);
        tcase_add_loop_test(tc, destroy_with_bodies_left, i, i + 1);
        tcase_add_loop_test(tc, clock_line_counts_every_advance_with_or_without_handler, i,
                            i + 1);
        tcase_add_loop_test(tc, semaphore_pingpong_alternates_and_repeats, i, i + 1);
        tcase_add_loop_test(tc, memory_block_and_file_calls_are_kernel_entries, i, i + 1);
        suite_add_tcase(s, tc);
    }
    TCase *tc = tcase_create("whole");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, same_program_same_trace);
    tcase_add_test(tc, thread_backend_gives_the_fiber_schedule);
    tcase_add_test(tc, a_thousand_processes);
    tcase_add_test(tc, bad_input_on_every_call);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sched_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
