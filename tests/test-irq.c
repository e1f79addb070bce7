/*
 * test-irq.c - public API of the irq module: the interrupt controller
 * (priorities, masking, nesting, software lines, the clock line), the
 * terminal (ring buffer, blocked readers) and exceptions (default kill,
 * custom handlers, memory violations), from host threads and from bodies,
 * and bad input on every call.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static mk_t *new_kernel(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    return k;
}

static mk_pid_t spawn(mk_t *k, uint32_t prio, mk_body_fn fn, void *arg)
{
    mk_proc_attr_t a;
    mk_proc_attr_init(&a);
    a.priority = prio;
    mk_pid_t pid = 0;
    ck_assert_int_eq(mk_proc_spawn(k, 0, &a, fn, arg, &pid), 0);
    return pid;
}

/* A log of handler calls: line numbers, with markers for nesting. */
struct log {
    mk_t *k;
    int n;
    int v[64];
    uint32_t raise_from[32]; /* line -> line to raise from its handler (0 = none) */
    uint32_t raise_also[32]; /* a second one */
};

static void log_put(struct log *l, int x)
{
    if (l->n < 64)
        l->v[l->n++] = x;
}

/* Logs line on entry and line + 100 on exit, raising what it is told. */
static void h_log(mk_t *k, uint32_t line, void *ctx)
{
    struct log *l = ctx;
    log_put(l, (int)line);
    if (l->raise_from[line] != 0)
        ck_assert_int_eq(mk_irq_raise(k, l->raise_from[line]), 0);
    if (l->raise_also[line] != 0)
        ck_assert_int_eq(mk_irq_raise(k, l->raise_also[line]), 0);
    log_put(l, (int)line + 100);
}

static void h_count(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    atomic_fetch_add((_Atomic int *)ctx, 1);
}

static void h_count2(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    atomic_fetch_add((_Atomic int *)ctx, 10);
}

#define LOG_EQ(l, ...)                                                       \
    do {                                                                     \
        int want_[] = {__VA_ARGS__};                                         \
        int nw_ = (int)(sizeof want_ / sizeof want_[0]);                     \
        ck_assert_int_eq((l)->n, nw_);                                       \
        for (int i_ = 0; i_ < nw_; i_++)                                     \
            ck_assert_int_eq((l)->v[i_], want_[i_]);                         \
    } while (0)

/* ---- controller ---------------------------------------------------------- */

START_TEST(default_priorities)
{
    mk_t *k = new_kernel();
    uint32_t p;
    ck_assert_int_eq(mk_irq_get_priority(k, MK_IRQ_CLOCK, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_CLOCK);
    ck_assert_int_eq(mk_irq_get_priority(k, MK_IRQ_TERMINAL, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_TERMINAL);
    ck_assert_int_eq(mk_irq_get_priority(k, 2, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_DEVICE);
    ck_assert_int_eq(mk_irq_get_priority(k, MK_IRQ_SOFT_FIRST - 1, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_DEVICE);
    ck_assert_int_eq(mk_irq_get_priority(k, MK_IRQ_SOFT_FIRST, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_SOFT);
    ck_assert_int_eq(mk_irq_get_priority(k, MK_IRQ_LINES - 1, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_SOFT);
    ck_assert_int_eq(mk_irq_set_priority(k, 7, MK_IRQ_PRIO_MAX), 0);
    ck_assert_int_eq(mk_irq_get_priority(k, 7, &p), 0);
    ck_assert_uint_eq(p, MK_IRQ_PRIO_MAX);
    uint32_t pend = 1, mask = 1;
    ck_assert_int_eq(mk_irq_pending(k, &pend, &mask), 0);
    ck_assert_uint_eq(pend, 0);
    ck_assert_uint_eq(mask, 0);
    mk_destroy(k);
}
END_TEST

START_TEST(raise_calls_handlers_in_attach_order)
{
    mk_t *k = new_kernel();
    _Atomic int c = 0;
    ck_assert_int_eq(mk_irq_attach(k, 5, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_attach(k, 5, h_count2, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 5), 0);
    ck_assert_int_eq(atomic_load(&c), 11);
    uint64_t n = 0;
    ck_assert_int_eq(mk_irq_count(k, 5, &n), 0);
    ck_assert_uint_eq(n, 1);
    /* A line with no handler is delivered and counted too. */
    ck_assert_int_eq(mk_irq_raise(k, 6), 0);
    ck_assert_int_eq(mk_irq_count(k, 6, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(mk_irq_detach(k, 5, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 5), 0);
    ck_assert_int_eq(atomic_load(&c), 21);
    ck_assert_int_eq(mk_irq_count(k, 5, &n), 0);
    ck_assert_uint_eq(n, 2);
    /* Order of attachment is the call order. */
    struct log l = {.k = k};
    ck_assert_int_eq(mk_irq_attach(k, 9, h_log, &l), 0);
    ck_assert_int_eq(mk_irq_attach(k, 9, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 9), 0);
    LOG_EQ(&l, 9, 109);
    ck_assert_int_eq(atomic_load(&c), 22);
    mk_destroy(k);
}
END_TEST

static void h_unmask_2_to_5(mk_t *k, uint32_t line, void *ctx)
{
    (void)line;
    struct log *l = ctx;
    log_put(l, 10);
    /* Deliverable at once, but less urgent than this handler: they wait. */
    for (uint32_t x = 2; x <= 5; x++)
        ck_assert_int_eq(mk_irq_unmask(k, x), 0);
    log_put(l, 110);
}

START_TEST(delivery_order_follows_priority)
{
    mk_t *k = new_kernel();
    struct log l = {.k = k};
    ck_assert_int_eq(mk_irq_set_priority(k, 10, 14), 0);
    ck_assert_int_eq(mk_irq_set_priority(k, 2, 3), 0);
    ck_assert_int_eq(mk_irq_set_priority(k, 3, 9), 0);
    ck_assert_int_eq(mk_irq_set_priority(k, 4, 6), 0);
    ck_assert_int_eq(mk_irq_set_priority(k, 5, 6), 0);
    for (uint32_t line = 2; line <= 5; line++)
        ck_assert_int_eq(mk_irq_attach(k, line, h_log, &l), 0);
    /* Four lines gather, masked; line 10's handler unmasks them all: they
     * are delivered after it, most urgent first, equal priorities in line
     * order. */
    for (uint32_t line = 2; line <= 5; line++)
        ck_assert_int_eq(mk_irq_mask(k, line), 0);
    for (uint32_t line = 5; line >= 2; line--)
        ck_assert_int_eq(mk_irq_raise(k, line), 0);
    ck_assert_int_eq(l.n, 0);
    uint32_t pend = 0;
    ck_assert_int_eq(mk_irq_pending(k, &pend, NULL), 0);
    ck_assert_uint_eq(pend, 0x3cu);
    ck_assert_int_eq(mk_irq_attach(k, 10, h_unmask_2_to_5, &l), 0);
    ck_assert_int_eq(mk_irq_raise(k, 10), 0);
    LOG_EQ(&l, 10, 110, 3, 103, 4, 104, 5, 105, 2, 102);
    /* Raised (not masked) from the urgent handler: the same rule. */
    ck_assert_int_eq(mk_irq_detach(k, 10, h_unmask_2_to_5, &l), 0);
    ck_assert_int_eq(mk_irq_attach(k, 10, h_log, &l), 0);
    l.n = 0;
    l.raise_from[10] = 2;
    l.raise_also[10] = 3;
    ck_assert_int_eq(mk_irq_raise(k, 10), 0);
    LOG_EQ(&l, 10, 110, 3, 103, 2, 102);
    ck_assert_int_eq(mk_irq_pending(k, &pend, NULL), 0);
    ck_assert_uint_eq(pend, 0);
    /* Changing priorities changes the order. */
    ck_assert_int_eq(mk_irq_set_priority(k, 2, 13), 0);
    l.n = 0;
    ck_assert_int_eq(mk_irq_raise(k, 10), 0);
    LOG_EQ(&l, 10, 110, 2, 102, 3, 103);
    mk_destroy(k);
}
END_TEST

START_TEST(masking_keeps_lines_pending)
{
    mk_t *k = new_kernel();
    _Atomic int c = 0;
    ck_assert_int_eq(mk_irq_attach(k, 12, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_mask(k, 12), 0);
    ck_assert_int_eq(mk_irq_mask(k, 12), 0); /* idempotent */
    ck_assert_int_eq(mk_irq_raise(k, 12), 0);
    ck_assert_int_eq(mk_irq_raise(k, 12), 0); /* one bit, not a counter */
    ck_assert_int_eq(atomic_load(&c), 0);
    uint32_t pend = 0, mask = 0;
    ck_assert_int_eq(mk_irq_pending(k, &pend, &mask), 0);
    ck_assert_uint_eq(pend, 1u << 12);
    ck_assert_uint_eq(mask, 1u << 12);
    uint64_t n = 9;
    ck_assert_int_eq(mk_irq_count(k, 12, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_irq_unmask(k, 12), 0);
    ck_assert_int_eq(atomic_load(&c), 1);
    ck_assert_int_eq(mk_irq_pending(k, &pend, &mask), 0);
    ck_assert_uint_eq(pend, 0);
    ck_assert_uint_eq(mask, 0);
    ck_assert_int_eq(mk_irq_unmask(k, 12), 0); /* not masked: nothing */
    ck_assert_int_eq(atomic_load(&c), 1);
    ck_assert_int_eq(mk_irq_count(k, 12, &n), 0);
    ck_assert_uint_eq(n, 1);
    mk_destroy(k);
}
END_TEST

START_TEST(nested_raises)
{
    mk_t *k = new_kernel();
    struct log l = {.k = k};
    ck_assert_int_eq(mk_irq_set_priority(k, 2, 3), 0);  /* low */
    ck_assert_int_eq(mk_irq_set_priority(k, 3, 9), 0);  /* high */
    ck_assert_int_eq(mk_irq_set_priority(k, 4, 12), 0); /* higher */
    ck_assert_int_eq(mk_irq_set_priority(k, 5, 3), 0);  /* same as low */
    for (uint32_t line = 2; line <= 5; line++)
        ck_assert_int_eq(mk_irq_attach(k, line, h_log, &l), 0);
    /* low raises high, which raises higher: two levels of nesting. */
    l.raise_from[2] = 3;
    l.raise_from[3] = 4;
    ck_assert_int_eq(mk_irq_raise(k, 2), 0);
    LOG_EQ(&l, 2, 3, 4, 104, 103, 102);
    /* high raises low: deferred until high returns. */
    l.n = 0;
    memset(l.raise_from, 0, sizeof l.raise_from);
    l.raise_from[3] = 2;
    ck_assert_int_eq(mk_irq_raise(k, 3), 0);
    LOG_EQ(&l, 3, 103, 2, 102);
    /* equal priority does not nest either. */
    l.n = 0;
    memset(l.raise_from, 0, sizeof l.raise_from);
    l.raise_from[2] = 5;
    ck_assert_int_eq(mk_irq_raise(k, 2), 0);
    LOG_EQ(&l, 2, 102, 5, 105);
    mk_destroy(k);
}
END_TEST

/* Re-raises its own line a fixed number of times. */
struct again {
    int left;
    int calls;
};

static void h_again(mk_t *k, uint32_t line, void *ctx)
{
    struct again *a = ctx;
    a->calls++;
    if (a->left-- > 0)
        ck_assert_int_eq(mk_irq_raise(k, line), 0);
}

START_TEST(handler_reraising_its_line_runs_again_after_it)
{
    mk_t *k = new_kernel();
    struct again a = {.left = 3};
    ck_assert_int_eq(mk_irq_attach(k, 8, h_again, &a), 0);
    ck_assert_int_eq(mk_irq_raise(k, 8), 0);
    ck_assert_int_eq(a.calls, 4);
    uint64_t n;
    ck_assert_int_eq(mk_irq_count(k, 8, &n), 0);
    ck_assert_uint_eq(n, 4);
    mk_destroy(k);
}
END_TEST

START_TEST(software_interrupts_run_after_hardware_handlers)
{
    mk_t *k = new_kernel();
    struct log l = {.k = k};
    uint32_t soft = MK_IRQ_SOFT_FIRST + 2;
    ck_assert_int_eq(mk_irq_attach(k, soft, h_log, &l), 0);
    ck_assert_int_eq(mk_irq_attach(k, 6, h_log, &l), 0);
    ck_assert_int_eq(mk_irq_attach(k, 7, h_log, &l), 0);
    /* Device line 6 defers work to a software line and raises device 7:
     * 7 (same level as 6) follows 6, and the software line runs last. */
    l.raise_from[6] = soft;
    l.raise_also[6] = 7;
    ck_assert_int_eq(mk_irq_raise(k, 6), 0);
    LOG_EQ(&l, 6, 106, 7, 107, (int)soft, (int)soft + 100);
    /* Raised directly (no handler running), it runs at once. */
    l.n = 0;
    memset(l.raise_from, 0, sizeof l.raise_from);
    memset(l.raise_also, 0, sizeof l.raise_also);
    ck_assert_int_eq(mk_irq_raise(k, soft), 0);
    LOG_EQ(&l, (int)soft, (int)soft + 100);
    /* A software handler is interrupted by a device line it raises. */
    l.n = 0;
    l.raise_from[soft] = 6;
    ck_assert_int_eq(mk_irq_raise(k, soft), 0);
    LOG_EQ(&l, (int)soft, 6, 106, (int)soft + 100);
    mk_destroy(k);
}
END_TEST

static void h_detach_self(mk_t *k, uint32_t line, void *ctx)
{
    atomic_fetch_add((_Atomic int *)ctx, 1);
    ck_assert_int_eq(mk_irq_detach(k, line, h_detach_self, ctx), 0);
}

START_TEST(attach_limits_and_detach_inside_handler)
{
    mk_t *k = new_kernel();
    _Atomic int c[MK_IRQ_HANDLERS_MAX + 1];
    for (uint32_t i = 0; i <= MK_IRQ_HANDLERS_MAX; i++)
        atomic_init(&c[i], 0);
    for (uint32_t i = 0; i < MK_IRQ_HANDLERS_MAX; i++)
        ck_assert_int_eq(mk_irq_attach(k, 11, h_count, (void *)&c[i]), 0);
    ck_assert_int_eq(mk_irq_attach(k, 11, h_count, (void *)&c[0]), MK_EEXIST);
    ck_assert_int_eq(mk_irq_attach(k, 11, h_count, (void *)&c[MK_IRQ_HANDLERS_MAX]),
                     MK_ENOSPC);
    ck_assert_int_eq(mk_irq_raise(k, 11), 0);
    for (uint32_t i = 0; i < MK_IRQ_HANDLERS_MAX; i++)
        ck_assert_int_eq(atomic_load(&c[i]), 1);
    ck_assert_int_eq(atomic_load(&c[MK_IRQ_HANDLERS_MAX]), 0);
    ck_assert_int_eq(mk_irq_detach(k, 11, h_count, (void *)&c[MK_IRQ_HANDLERS_MAX]),
                     MK_ENOENT);
    ck_assert_int_eq(mk_irq_detach(k, 11, h_count2, (void *)&c[0]), MK_ENOENT);
    ck_assert_int_eq(mk_irq_detach(k, 12, h_count, (void *)&c[0]), MK_ENOENT);
    ck_assert_int_eq(mk_irq_detach(k, 11, h_count, (void *)&c[1]), 0);
    ck_assert_int_eq(mk_irq_detach(k, 11, h_count, (void *)&c[1]), MK_ENOENT);
    ck_assert_int_eq(mk_irq_attach(k, 11, h_count, (void *)&c[MK_IRQ_HANDLERS_MAX]), 0);
    ck_assert_int_eq(mk_irq_raise(k, 11), 0);
    ck_assert_int_eq(atomic_load(&c[0]), 2);
    ck_assert_int_eq(atomic_load(&c[1]), 1);
    ck_assert_int_eq(atomic_load(&c[MK_IRQ_HANDLERS_MAX]), 1);

    _Atomic int d = 0;
    ck_assert_int_eq(mk_irq_attach(k, 13, h_detach_self, (void *)&d), 0);
    ck_assert_int_eq(mk_irq_raise(k, 13), 0);
    ck_assert_int_eq(mk_irq_raise(k, 13), 0);
    ck_assert_int_eq(atomic_load(&d), 1);
    mk_destroy(k);
}
END_TEST

START_TEST(irq_events_are_traced)
{
    mk_t *k = new_kernel();
    _Atomic int c = 0;
    ck_assert_int_eq(mk_trace_enable(k, 64), 0);
    ck_assert_int_eq(mk_irq_attach(k, 4, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_attach(k, 4, h_count2, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 4), 0);
    ck_assert_int_eq(mk_irq_raise(k, 20), 0);
    mk_event_t ev[16];
    size_t n = 0;
    ck_assert_int_eq(mk_trace_read(k, ev, 16, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ev[0].type, MK_EV_IRQ);
    ck_assert_uint_eq(ev[0].a, 4);
    ck_assert_uint_eq(ev[0].b, 2);
    ck_assert_uint_eq(ev[0].pid, 0);
    ck_assert_uint_eq(ev[1].type, MK_EV_IRQ);
    ck_assert_uint_eq(ev[1].a, 20);
    ck_assert_uint_eq(ev[1].b, 0);
    mk_destroy(k);
}
END_TEST

/* ---- the clock line -------------------------------------------------------- */

START_TEST(clock_line_advances_time)
{
    mk_t *k = new_kernel();
    uint64_t t0, t1, n0, n1;
    ck_assert_int_eq(mk_clock_now(k, &t0), 0);
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &n0), 0);
    ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_CLOCK), 0);
    ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_CLOCK), 0);
    ck_assert_int_eq(mk_clock_now(k, &t1), 0);
    ck_assert_uint_eq(t1, t0 + 2);
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &n1), 0);
    ck_assert_uint_eq(n1, n0 + 2);

    /* An attached handler sees each tick; masked, time still moves but
     * the handler waits, the ticks coalescing into one pending bit. */
    _Atomic int c = 0;
    ck_assert_int_eq(mk_irq_attach(k, MK_IRQ_CLOCK, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_CLOCK), 0);
    ck_assert_int_eq(atomic_load(&c), 1);
    ck_assert_int_eq(mk_irq_mask(k, MK_IRQ_CLOCK), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_CLOCK), 0);
    ck_assert_int_eq(atomic_load(&c), 1);
    ck_assert_int_eq(mk_clock_now(k, &t1), 0);
    ck_assert_uint_eq(t1, t0 + 8);
    uint32_t pend = 0;
    ck_assert_int_eq(mk_irq_pending(k, &pend, NULL), 0);
    ck_assert_uint_eq(pend, 1u << MK_IRQ_CLOCK);
    ck_assert_int_eq(mk_irq_unmask(k, MK_IRQ_CLOCK), 0);
    ck_assert_int_eq(atomic_load(&c), 2);
    ck_assert_int_eq(mk_irq_detach(k, MK_IRQ_CLOCK, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_CLOCK), 0);
    ck_assert_int_eq(atomic_load(&c), 2);
    mk_destroy(k);
}
END_TEST

static int b_sleeper(mk_t *k, void *arg)
{
    uint64_t *woke = arg;
    ck_assert_int_eq(mk_sleep(k, 20), 0);
    ck_assert_int_eq(mk_clock_now(k, woke), 0);
    return 0;
}

static void h_tick_log(mk_t *k, uint32_t line, void *ctx)
{
    (void)line;
    uint64_t *t = ctx;
    uint64_t now;
    ck_assert_int_eq(mk_clock_now(k, &now), 0);
    ck_assert_uint_gt(now, *t); /* once per advance, never twice */
    *t = now;
}

START_TEST(clock_line_under_the_scheduler)
{
    mk_t *k = new_kernel();
    uint64_t woke = 0, last = 0;
    ck_assert_int_eq(mk_irq_attach(k, MK_IRQ_CLOCK, h_tick_log, &last), 0);
    mk_pid_t pid;
    ck_assert_int_eq(mk_proc_spawn(k, 0, NULL, b_sleeper, &woke, &pid), 0);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_uint_ge(woke, 20);
    uint64_t n;
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_CLOCK, &n), 0);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_gt(last, 0);
    ck_assert_int_eq(mk_wait(k, pid, MK_NO_WAIT, NULL), 0);
    mk_destroy(k);
}
END_TEST

/* A handler making ordinary kernel calls in a body's context may be
 * switched away from (quantum of 1 tick); lines raised meanwhile wait for
 * it, and nothing is lost. */
struct semworld {
    mk_sem_t sem;
    _Atomic int inside;
    int overlap;
    int calls;
    int got;
};

static void h_post(mk_t *k, uint32_t line, void *ctx)
{
    (void)line;
    struct semworld *w = ctx;
    if (atomic_fetch_add(&w->inside, 1) != 0)
        w->overlap++;
    w->calls++;
    ck_assert_int_eq(mk_sem_post(k, w->sem), 0);
    uint64_t now;
    ck_assert_int_eq(mk_clock_now(k, &now), 0);
    atomic_fetch_sub(&w->inside, 1);
}

static int b_raiser(mk_t *k, void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(mk_irq_raise(k, 6), 0);
    return 0;
}

static int b_sem_taker(mk_t *k, void *arg)
{
    struct semworld *w = arg;
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(mk_sem_wait(k, w->sem, MK_FOREVER), 0);
        w->got++;
    }
    return 0;
}

START_TEST(handler_kernel_calls_in_body_context)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.quantum_ticks = 1;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&cfg, &k), 0);
    struct semworld w = {0};
    ck_assert_int_eq(mk_sem_create(k, "irq-sem", 0, 0, &w.sem), 0);
    ck_assert_int_eq(mk_irq_attach(k, 6, h_post, &w), 0);
    spawn(k, 0, b_sem_taker, &w);
    spawn(k, 0, b_raiser, NULL);
    spawn(k, 0, b_raiser, NULL);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_int_eq(w.overlap, 0);
    ck_assert_int_eq(w.got, 10);
    ck_assert_int_eq(w.calls, 10);
    uint32_t pend = 1;
    ck_assert_int_eq(mk_irq_pending(k, &pend, NULL), 0);
    ck_assert_uint_eq(pend, 0);
    mk_destroy(k);
}
END_TEST

/* ---- concurrency ------------------------------------------------------------ */

struct conc {
    mk_t *k;
    _Atomic int inside;
    _Atomic int overlap;
    _Atomic int calls;
    int raises;
};

static void h_conc(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    struct conc *c = ctx;
    if (atomic_fetch_add(&c->inside, 1) != 0)
        atomic_fetch_add(&c->overlap, 1);
    atomic_fetch_add(&c->calls, 1);
    atomic_fetch_sub(&c->inside, 1);
}

static void *t_raiser(void *arg)
{
    struct conc *c = arg;
    for (int i = 0; i < c->raises; i++) {
        ck_assert_int_eq(mk_irq_raise(c->k, 2 + (uint32_t)(i % 4)), 0);
        if (i % 64 == 0) {
            ck_assert_int_eq(mk_irq_mask(c->k, 5), 0);
            ck_assert_int_eq(mk_irq_unmask(c->k, 5), 0);
        }
    }
    return NULL;
}

START_TEST(threads_raise_at_once_handlers_never_overlap)
{
    mk_t *k = new_kernel();
    struct conc c = {.k = k, .raises = 2000};
    for (uint32_t line = 2; line <= 5; line++)
        ck_assert_int_eq(mk_irq_attach(k, line, h_conc, &c), 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, t_raiser, &c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&c.overlap), 0);
    uint32_t pend = 1;
    ck_assert_int_eq(mk_irq_pending(k, &pend, NULL), 0);
    ck_assert_uint_eq(pend, 0); /* nothing left behind */
    uint64_t total = 0, n;
    for (uint32_t line = 2; line <= 5; line++) {
        ck_assert_int_eq(mk_irq_count(k, line, &n), 0);
        total += n;
    }
    ck_assert_uint_eq(total, (uint64_t)atomic_load(&c.calls));
    ck_assert_uint_ge(total, 4); /* every line at least once */
    ck_assert_uint_le(total, 8000);
    mk_destroy(k);
}
END_TEST

struct slow {
    _Atomic int entered;
    _Atomic int release;
    _Atomic int finished;
};

static void h_slow(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    struct slow *s = ctx;
    atomic_store(&s->entered, 1);
    while (!atomic_load(&s->release))
        usleep(100);
    usleep(20000); /* widen the window in which detach must wait */
    atomic_store(&s->finished, 1);
}

struct raise_arg {
    mk_t *k;
    uint32_t line;
};

static void *t_raise_once(void *arg)
{
    struct raise_arg *r = arg;
    ck_assert_int_eq(mk_irq_raise(r->k, r->line), 0);
    return NULL;
}

START_TEST(detach_waits_for_a_running_handler)
{
    mk_t *k = new_kernel();
    struct slow s = {0};
    ck_assert_int_eq(mk_irq_attach(k, 14, h_slow, &s), 0);
    struct raise_arg ra = {k, 14};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, t_raise_once, &ra), 0);
    while (!atomic_load(&s.entered))
        usleep(100);
    /* Another line raised meanwhile is delivered by the busy thread. */
    _Atomic int c = 0;
    ck_assert_int_eq(mk_irq_attach(k, 15, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 15), 0);
    atomic_store(&s.release, 1);
    ck_assert_int_eq(mk_irq_detach(k, 14, h_slow, &s), 0);
    ck_assert_int_eq(atomic_load(&s.finished), 1);
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&c), 1);
    mk_destroy(k);
}
END_TEST

/* ---- bad input -------------------------------------------------------------- */

START_TEST(irq_bad_input)
{
    mk_t *k = new_kernel();
    _Atomic int c = 0;
    uint32_t u = 0;
    uint64_t n = 0;
    ck_assert_int_eq(mk_irq_attach(NULL, 3, h_count, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_irq_attach(k, 3, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_irq_attach(k, MK_IRQ_LINES, h_count, NULL), MK_ERANGE);
    ck_assert_int_eq(mk_irq_attach(k, UINT32_MAX, h_count, NULL), MK_ERANGE);
    ck_assert_int_eq(mk_irq_detach(NULL, 3, h_count, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_irq_detach(k, 3, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_irq_detach(k, MK_IRQ_LINES, h_count, NULL), MK_ERANGE);
    ck_assert_int_eq(mk_irq_raise(NULL, 3), MK_EINVAL);
    ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_LINES), MK_ERANGE);
    ck_assert_int_eq(mk_irq_mask(NULL, 3), MK_EINVAL);
    ck_assert_int_eq(mk_irq_mask(k, MK_IRQ_LINES), MK_ERANGE);
    ck_assert_int_eq(mk_irq_unmask(NULL, 3), MK_EINVAL);
    ck_assert_int_eq(mk_irq_unmask(k, 99), MK_ERANGE);
    ck_assert_int_eq(mk_irq_set_priority(NULL, 3, 4), MK_EINVAL);
    ck_assert_int_eq(mk_irq_set_priority(k, 3, 0), MK_ERANGE);
    ck_assert_int_eq(mk_irq_set_priority(k, 3, MK_IRQ_PRIO_MAX + 1), MK_ERANGE);
    ck_assert_int_eq(mk_irq_set_priority(k, MK_IRQ_LINES, 4), MK_ERANGE);
    ck_assert_int_eq(mk_irq_get_priority(NULL, 3, &u), MK_EINVAL);
    ck_assert_int_eq(mk_irq_get_priority(k, 3, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_irq_get_priority(k, MK_IRQ_LINES, &u), MK_ERANGE);
    ck_assert_int_eq(mk_irq_pending(NULL, &u, &u), MK_EINVAL);
    ck_assert_int_eq(mk_irq_pending(k, NULL, NULL), 0);
    ck_assert_int_eq(mk_irq_count(NULL, 3, &n), MK_EINVAL);
    ck_assert_int_eq(mk_irq_count(k, 3, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_LINES, &n), MK_ERANGE);
    /* Nothing changed by the refused calls. */
    ck_assert_int_eq(mk_irq_get_priority(k, 3, &u), 0);
    ck_assert_uint_eq(u, MK_IRQ_PRIO_DEVICE);
    uint32_t pend = 1, mask = 1;
    ck_assert_int_eq(mk_irq_pending(k, &pend, &mask), 0);
    ck_assert_uint_eq(pend, 0);
    ck_assert_uint_eq(mask, 0);
    ck_assert_int_eq(mk_irq_attach(k, 3, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 3), 0);
    ck_assert_int_eq(atomic_load(&c), 1);
    mk_destroy(k);
    /* Destroyed context. */
    ck_assert_int_eq(mk_irq_attach(k, 3, h_count, NULL), MK_EBADH);
    ck_assert_int_eq(mk_irq_detach(k, 3, h_count, NULL), MK_EBADH);
    ck_assert_int_eq(mk_irq_raise(k, 3), MK_EBADH);
    ck_assert_int_eq(mk_irq_mask(k, 3), MK_EBADH);
    ck_assert_int_eq(mk_irq_unmask(k, 3), MK_EBADH);
    ck_assert_int_eq(mk_irq_set_priority(k, 3, 4), MK_EBADH);
    ck_assert_int_eq(mk_irq_get_priority(k, 3, &u), MK_EBADH);
    ck_assert_int_eq(mk_irq_pending(k, &u, &u), MK_EBADH);
    ck_assert_int_eq(mk_irq_count(k, 3, &n), MK_EBADH);
}
END_TEST

Suite *irq_suite(void);
Suite *term_suite(void);
Suite *exc_suite(void);

/* ---- terminal --------------------------------------------------------------- */

START_TEST(term_input_then_read)
{
    mk_t *k = new_kernel();
    size_t acc = 99, n = 0;
    char buf[16];
    ck_assert_int_eq(mk_term_read(k, 0, buf, sizeof buf, &n, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_term_input(k, "hello", 5, &acc), 0);
    ck_assert_uint_eq(acc, 5);
    uint32_t buffered = 0;
    uint64_t refused = 9;
    ck_assert_int_eq(mk_term_status(k, &buffered, &refused), 0);
    ck_assert_uint_eq(buffered, 5);
    ck_assert_uint_eq(refused, 0);
    ck_assert_int_eq(mk_term_read(k, 0, buf, 3, &n, MK_NO_WAIT), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(memcmp(buf, "hel", 3), 0);
    ck_assert_int_eq(mk_term_read(k, 0, buf, sizeof buf, &n, 5), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(memcmp(buf, "lo", 2), 0);
    ck_assert_int_eq(mk_term_input(k, NULL, 0, &acc), 0);
    ck_assert_uint_eq(acc, 0);
    ck_assert_int_eq(mk_term_status(k, &buffered, NULL), 0);
    ck_assert_uint_eq(buffered, 0);
    uint64_t count = 0;
    ck_assert_int_eq(mk_irq_count(k, MK_IRQ_TERMINAL, &count), 0);
    ck_assert_uint_eq(count, 1); /* one raise per accepted input */
    mk_destroy(k);
}
END_TEST

START_TEST(term_full_ring_refuses_with_exact_count)
{
    mk_t *k = new_kernel();
    unsigned char in[MK_TERM_BUF_SIZE + 44], out[MK_TERM_BUF_SIZE + 44];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)(i * 7 + 1);
    size_t acc = 0, n = 0;
    ck_assert_int_eq(mk_term_input(k, in, sizeof in, &acc), 0);
    ck_assert_uint_eq(acc, MK_TERM_BUF_SIZE);
    uint32_t buffered = 0;
    uint64_t refused = 0;
    ck_assert_int_eq(mk_term_status(k, &buffered, &refused), 0);
    ck_assert_uint_eq(buffered, MK_TERM_BUF_SIZE);
    ck_assert_uint_eq(refused, 44);
    /* Full: a further input takes nothing and counts every character. */
    ck_assert_int_eq(mk_term_input(k, "xyz", 3, &acc), 0);
    ck_assert_uint_eq(acc, 0);
    ck_assert_int_eq(mk_term_status(k, NULL, &refused), 0);
    ck_assert_uint_eq(refused, 47);
    /* Read 100, then the freed room takes exactly 100 of the rest, which
     * wraps around the ring; order is kept throughout. */
    ck_assert_int_eq(mk_term_read(k, 0, out, 100, &n, MK_NO_WAIT), 0);
    ck_assert_uint_eq(n, 100);
    ck_assert_int_eq(memcmp(out, in, 100), 0);
    ck_assert_int_eq(mk_term_input(k, in + MK_TERM_BUF_SIZE, 44, &acc), 0);
    ck_assert_uint_eq(acc, 44);
    ck_assert_int_eq(mk_term_input(k, in, 100, &acc), 0);
    ck_assert_uint_eq(acc, 56);
    ck_assert_int_eq(mk_term_status(k, &buffered, &refused), 0);
    ck_assert_uint_eq(buffered, MK_TERM_BUF_SIZE);
    ck_assert_uint_eq(refused, 47 + 44);
    size_t got = 0;
    while (got < MK_TERM_BUF_SIZE) {
        ck_assert_int_eq(mk_term_read(k, 0, out + got, 37, &n, MK_NO_WAIT), 0);
        got += n;
    }
    ck_assert_uint_eq(got, MK_TERM_BUF_SIZE);
    ck_assert_int_eq(memcmp(out, in + 100, MK_TERM_BUF_SIZE - 100), 0);
    ck_assert_int_eq(memcmp(out + MK_TERM_BUF_SIZE - 100, in + MK_TERM_BUF_SIZE, 44), 0);
    ck_assert_int_eq(memcmp(out + MK_TERM_BUF_SIZE - 56, in, 56), 0);
    ck_assert_int_eq(mk_term_read(k, 0, out, 1, &n, MK_NO_WAIT), MK_EAGAIN);
    mk_destroy(k);
}
END_TEST

struct reader {
    mk_t *k;
    mk_pid_t pid;
    size_t cap;
    uint64_t timeout;
    int rc;
    size_t n;
    char buf[32];
    uint64_t done_at;
};

static int b_reader(mk_t *k, void *arg)
{
    struct reader *r = arg;
    r->rc = mk_term_read(k, 0, r->buf, r->cap, &r->n, r->timeout);
    mk_clock_now(k, &r->done_at);
    return r->rc == 0 ? (int)r->n : r->rc;
}

struct keyboard {
    const char *text[4];
    uint64_t gap;
    bool mask_first;
    struct reader *watch; /* checked blocked while the line is masked */
};

static int b_keyboard(mk_t *k, void *arg)
{
    struct keyboard *kb = arg;
    if (kb->mask_first)
        ck_assert_int_eq(mk_irq_mask(k, MK_IRQ_TERMINAL), 0);
    for (int i = 0; i < 4 && kb->text[i] != NULL; i++) {
        ck_assert_int_eq(mk_sleep(k, kb->gap), 0);
        size_t acc = 0;
        size_t len = strlen(kb->text[i]);
        ck_assert_int_eq(mk_term_input(k, kb->text[i], len, &acc), 0);
        ck_assert_uint_eq(acc, len);
    }
    if (kb->mask_first) {
        ck_assert_int_eq(mk_sleep(k, 5), 0);
        uint32_t st = 0, buffered = 0;
        ck_assert_int_eq(mk_proc_state(k, kb->watch->pid, &st), 0);
        ck_assert_uint_eq(st, MK_PROC_BLOCKED); /* masked: not woken */
        ck_assert_int_eq(mk_term_status(k, &buffered, NULL), 0);
        ck_assert_uint_eq(buffered, 2);
        ck_assert_int_eq(mk_irq_unmask(k, MK_IRQ_TERMINAL), 0);
    }
    return 0;
}

START_TEST(term_blocked_body_readers_served_in_order)
{
    mk_t *k = new_kernel();
    struct reader r[3] = {{.cap = 2, .timeout = MK_FOREVER},
                          {.cap = 2, .timeout = MK_FOREVER},
                          {.cap = 8, .timeout = MK_FOREVER}};
    for (int i = 0; i < 3; i++)
        r[i].pid = spawn(k, 0, b_reader, &r[i]);
    struct keyboard kb = {.text = {"abc", "def"}, .gap = 10};
    spawn(k, 0, b_keyboard, &kb);
    /* Before any input every reader is blocked. */
    uint32_t why = 0, st = 0;
    ck_assert_int_eq(mk_run(k, 5, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_TICKS);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mk_proc_state(k, r[i].pid, &st), 0);
        ck_assert_uint_eq(st, MK_PROC_BLOCKED);
    }
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    /* "abc": r0 takes ab, r1 takes c; "def": r1 is done, r2 takes all. */
    ck_assert_int_eq(r[0].rc, 0);
    ck_assert_uint_eq(r[0].n, 2);
    ck_assert_int_eq(memcmp(r[0].buf, "ab", 2), 0);
    ck_assert_int_eq(r[1].rc, 0);
    ck_assert_uint_eq(r[1].n, 1);
    ck_assert_int_eq(memcmp(r[1].buf, "c", 1), 0);
    ck_assert_int_eq(r[2].rc, 0);
    ck_assert_uint_eq(r[2].n, 3);
    ck_assert_int_eq(memcmp(r[2].buf, "def", 3), 0);
    ck_assert_uint_lt(r[1].done_at, r[2].done_at);
    mk_destroy(k);
}
END_TEST

START_TEST(term_masked_line_holds_readers_back)
{
    mk_t *k = new_kernel();
    struct reader r = {.cap = 8, .timeout = MK_FOREVER};
    r.pid = spawn(k, 0, b_reader, &r);
    struct keyboard kb = {.text = {"hi"}, .gap = 3, .mask_first = true, .watch = &r};
    spawn(k, 0, b_keyboard, &kb);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_int_eq(memcmp(r.buf, "hi", 2), 0);
    mk_destroy(k);
}
END_TEST

START_TEST(term_body_read_times_out)
{
    mk_t *k = new_kernel();
    struct reader r = {.cap = 8, .timeout = 5};
    r.pid = spawn(k, 0, b_reader, &r);
    uint32_t why = 0;
    uint64_t t0;
    ck_assert_int_eq(mk_clock_now(k, &t0), 0);
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_int_eq(r.rc, MK_ETIMEDOUT);
    ck_assert_uint_ge(r.done_at, t0 + 5);
    /* Nothing was left queued: input goes to the ring. */
    size_t acc;
    ck_assert_int_eq(mk_term_input(k, "z", 1, &acc), 0);
    uint32_t buffered;
    ck_assert_int_eq(mk_term_status(k, &buffered, NULL), 0);
    ck_assert_uint_eq(buffered, 1);
    mk_destroy(k);
}
END_TEST

static void *t_host_reader(void *arg)
{
    struct reader *r = arg;
    r->rc = mk_term_read(r->k, r->pid, r->buf, r->cap, &r->n, r->timeout);
    return NULL;
}

static void *t_typist(void *arg)
{
    mk_t *k = arg;
    /* Wait until the body reader is blocked, then type. */
    uint32_t st = 0;
    for (;;) {
        ck_assert_int_eq(mk_proc_state(k, 1, &st), 0);
        if (st == MK_PROC_BLOCKED)
            break;
        usleep(200);
    }
    size_t acc;
    ck_assert_int_eq(mk_term_input(k, "typed", 5, &acc), 0);
    ck_assert_uint_eq(acc, 5);
    return NULL;
}

START_TEST(term_host_typing_reaches_blocked_readers)
{
    mk_t *k = new_kernel();
    /* A body blocked in mk_run is woken by a host thread's input. */
    struct reader r = {.cap = 16, .timeout = MK_FOREVER};
    mk_pid_t pid = 0;
    ck_assert_int_eq(mk_proc_spawn(k, 1, NULL, b_reader, &r, &pid), 0);
    r.pid = pid;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, t_typist, k), 0);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    pthread_join(t, NULL);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_uint_eq(r.n, 5);
    ck_assert_int_eq(memcmp(r.buf, "typed", 5), 0);

    /* Host-thread readers: two of them, each gets its own characters. */
    struct reader h[2] = {{.k = k, .cap = 3, .timeout = MK_FOREVER},
                          {.k = k, .cap = 3, .timeout = MK_FOREVER}};
    pthread_t ht[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&ht[i], NULL, t_host_reader, &h[i]), 0);
    size_t acc;
    ck_assert_int_eq(mk_term_input(k, "abc", 3, &acc), 0);
    usleep(5000);
    ck_assert_int_eq(mk_term_input(k, "xyz", 3, &acc), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(ht[i], NULL);
    ck_assert_int_eq(h[0].rc, 0);
    ck_assert_int_eq(h[1].rc, 0);
    char all[7] = {0};
    memcpy(all, h[0].buf, h[0].n);
    memcpy(all + h[0].n, h[1].buf, h[1].n);
    ck_assert_uint_eq(h[0].n + h[1].n, 6);
    /* Whichever reader came first took "abc" whole (arrival order). */
    ck_assert(strcmp(all, "abcxyz") == 0 || strcmp(all, "xyzabc") == 0);

    /* A host reader with a timeout. */
    struct reader to = {.k = k, .cap = 3, .timeout = 5};
    t_host_reader(&to);
    ck_assert_int_eq(to.rc, MK_ETIMEDOUT);
    mk_destroy(k);
}
END_TEST

START_TEST(term_reader_of_destroyed_process_is_woken)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 7, NULL), 0);
    ck_assert_int_eq(mk_irq_mask(k, MK_IRQ_TERMINAL), 0);
    struct reader r = {.k = k, .pid = 7, .cap = 4, .timeout = MK_FOREVER};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, t_host_reader, &r), 0);
    /* With the line masked a queued reader is not served, and a try-read
     * behind it gets MK_EAGAIN even with characters buffered: that tells
     * us the reader is queued. Before it is, the try-read takes the 'x'.
     * A reader that arrives between the input and the try-read takes the
     * 'x' itself (nobody queued yet) and returns: start another one. */
    char c;
    size_t n, acc;
    for (;;) {
        ck_assert_int_eq(mk_term_input(k, "x", 1, &acc), 0);
        int rc = mk_term_read(k, 0, &c, 1, &n, MK_NO_WAIT);
        if (rc == MK_EAGAIN) {
            uint32_t left = 0;
            ck_assert_int_eq(mk_term_status(k, &left, NULL), 0);
            if (left == 1)
                break; /* the 'x' waits behind the queued reader */
            pthread_join(t, NULL);
            ck_assert_int_eq(r.rc, 0);
            ck_assert_int_eq(pthread_create(&t, NULL, t_host_reader, &r), 0);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        usleep(200);
    }
    ck_assert_int_eq(mk_proc_destroy(k, 7), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(r.rc, MK_EDESTROYED);
    ck_assert_int_eq(mk_irq_unmask(k, MK_IRQ_TERMINAL), 0);
    uint32_t buffered = 0;
    ck_assert_int_eq(mk_term_status(k, &buffered, NULL), 0);
    ck_assert_uint_eq(buffered, 1); /* the 'x' stays for the next reader */
    ck_assert_int_eq(mk_term_read(k, 0, &c, 1, &n, MK_NO_WAIT), 0);
    ck_assert_int_eq(c, 'x');
    mk_destroy(k);
}
END_TEST

START_TEST(term_bad_input)
{
    mk_t *k = new_kernel();
    size_t acc = 0, n = 0;
    char buf[4];
    uint32_t b;
    uint64_t r;
    ck_assert_int_eq(mk_term_input(NULL, "a", 1, &acc), MK_EINVAL);
    ck_assert_int_eq(mk_term_input(k, NULL, 1, &acc), MK_EINVAL);
    ck_assert_int_eq(mk_term_input(k, "a", 1, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_term_read(NULL, 0, buf, 4, &n, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_term_read(k, 0, NULL, 4, &n, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_term_read(k, 0, buf, 0, &n, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_term_read(k, 0, buf, 4, NULL, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_term_read(k, 42, buf, 4, &n, MK_NO_WAIT), MK_ENOENT);
    ck_assert_int_eq(mk_term_read(k, MK_PID_MAX + 1u, buf, 4, &n, MK_NO_WAIT), MK_ENOENT);
    ck_assert_int_eq(mk_term_status(NULL, &b, &r), MK_EINVAL);
    /* Nothing was taken or counted by the refused calls. */
    ck_assert_int_eq(mk_term_input(k, "ab", 2, &acc), 0);
    ck_assert_int_eq(mk_term_read(k, 42, buf, 4, &n, MK_NO_WAIT), MK_ENOENT);
    ck_assert_int_eq(mk_term_status(k, &b, &r), 0);
    ck_assert_uint_eq(b, 2);
    ck_assert_uint_eq(r, 0);
    mk_destroy(k);
    ck_assert_int_eq(mk_term_input(k, "a", 1, &acc), MK_EBADH);
    ck_assert_int_eq(mk_term_read(k, 0, buf, 4, &n, MK_NO_WAIT), MK_EBADH);
    ck_assert_int_eq(mk_term_status(k, &b, &r), MK_EBADH);
}
END_TEST

Suite *term_suite(void)
{
    Suite *s = suite_create("term");
    TCase *tc = tcase_create("terminal");
    tcase_add_test(tc, term_input_then_read);
    tcase_add_test(tc, term_full_ring_refuses_with_exact_count);
    tcase_add_test(tc, term_blocked_body_readers_served_in_order);
    tcase_add_test(tc, term_masked_line_holds_readers_back);
    tcase_add_test(tc, term_body_read_times_out);
    tcase_add_test(tc, term_host_typing_reaches_blocked_readers);
    tcase_add_test(tc, term_reader_of_destroyed_process_is_woken);
    tcase_add_test(tc, term_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- exceptions ------------------------------------------------------------- */

struct seen {
    int calls;
    mk_pid_t pid;
    uint32_t exc;
    uint64_t detail;
    int verdict;
};

static int x_record(mk_t *k, mk_pid_t pid, uint32_t exc, uint64_t detail, void *ctx)
{
    (void)k;
    struct seen *s = ctx;
    s->calls++;
    s->pid = pid;
    s->exc = exc;
    s->detail = detail;
    return s->verdict;
}

static uint64_t heap_used(mk_t *k)
{
    mk_heap_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    ck_assert_int_eq(mk_heap_stats(k, MK_HEAP_DEFAULT, &st), 0);
    return st.used;
}

START_TEST(exc_default_kills_and_releases)
{
    mk_t *k = new_kernel();
    uint64_t base = heap_used(k);
    ck_assert_int_eq(mk_proc_create(k, 5, NULL), 0);
    mk_block_t b;
    ck_assert_int_eq(mk_mem_alloc(k, 5, MK_HEAP_DEFAULT, 4096, &b), 0);
    ck_assert_uint_gt(heap_used(k), base);
    ck_assert_int_eq(mk_mbox_send(k, 5, 1, "msg", 3, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_trace_enable(k, 64), 0);
    uint32_t killed = 9;
    ck_assert_int_eq(mk_exc_raise(k, 5, MK_EXC_DIVZERO, 77, &killed), 0);
    ck_assert_uint_eq(killed, 1);
    ck_assert_int_eq(mk_proc_exists(k, 5), MK_ENOENT);
    ck_assert_uint_eq(heap_used(k), base);                 /* memory released */
    ck_assert_int_eq(mk_mbox_send(k, 5, 1, "m", 1, MK_NO_WAIT), MK_ENOENT); /* mailbox gone */
    ck_assert_int_eq(mk_mem_free(k, 5, b), MK_ENOENT);
    mk_event_t ev[64];
    size_t n = 0;
    ck_assert_int_eq(mk_trace_read(k, ev, 64, &n), 0);
    int faults = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].type == MK_EV_FAULT) {
            faults++;
            ck_assert_uint_eq(ev[i].pid, 5);
            ck_assert_uint_eq(ev[i].a, MK_EXC_DIVZERO);
            ck_assert_uint_eq(ev[i].b, 77);
        }
    }
    ck_assert_int_eq(faults, 1);
    /* The pid can be reused and starts with no handler and no count. */
    ck_assert_int_eq(mk_proc_create(k, 5, NULL), 0);
    uint64_t c = 9;
    ck_assert_int_eq(mk_exc_count(k, 5, &c), 0);
    ck_assert_uint_eq(c, 0);
    mk_destroy(k);
}
END_TEST

START_TEST(exc_custom_handler_keeps_the_process)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    struct seen s = {.verdict = MK_EXC_HANDLED};
    ck_assert_int_eq(mk_exc_set_handler(k, 3, x_record, &s), 0);
    uint32_t killed = 9;
    ck_assert_int_eq(mk_exc_raise(k, 3, MK_EXC_USER + 1, 123, &killed), 0);
    ck_assert_uint_eq(killed, 0);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_uint_eq(s.pid, 3);
    ck_assert_uint_eq(s.exc, MK_EXC_USER + 1);
    ck_assert_uint_eq(s.detail, 123);
    ck_assert_int_eq(mk_proc_exists(k, 3), 0);
    ck_assert_int_eq(mk_exc_raise(k, 3, MK_EXC_BADH, 0xdead, NULL), 0);
    ck_assert_int_eq(mk_proc_exists(k, 3), 0);
    uint64_t c = 0;
    ck_assert_int_eq(mk_exc_count(k, 3, &c), 0);
    ck_assert_uint_eq(c, 2);
    /* The handler may ask for the kill. */
    s.verdict = MK_EXC_KILL;
    ck_assert_int_eq(mk_exc_raise(k, 3, MK_EXC_ILLEGAL, 0, &killed), 0);
    ck_assert_uint_eq(killed, 1);
    ck_assert_int_eq(mk_proc_exists(k, 3), MK_ENOENT);
    ck_assert_int_eq(s.calls, 3);
    /* Removing the handler restores the default. */
    ck_assert_int_eq(mk_proc_create(k, 4, NULL), 0);
    ck_assert_int_eq(mk_exc_set_handler(k, 4, x_record, &s), 0);
    ck_assert_int_eq(mk_exc_set_handler(k, 4, NULL, NULL), 0);
    ck_assert_int_eq(mk_exc_raise(k, 4, MK_EXC_DIVZERO, 0, &killed), 0);
    ck_assert_uint_eq(killed, 1);
    ck_assert_int_eq(s.calls, 3);
    mk_destroy(k);
}
END_TEST

struct fault_body {
    int after;       /* set when the body ran past the fault */
    int rc;          /* what the faulting call returned */
    uint64_t quota;  /* 0: out-of-bounds read, else allocate past it */
    bool divzero;
};

static int b_fault(mk_t *k, void *arg)
{
    struct fault_body *f = arg;
    mk_block_t b;
    ck_assert_int_eq(mk_mem_alloc(k, 0 + mk_self(k), MK_HEAP_DEFAULT, 64, &b), 0);
    if (f->divzero) {
        f->rc = mk_exc_raise(k, 0, MK_EXC_DIVZERO, 1, NULL);
    } else if (f->quota != 0) {
        ck_assert_int_eq(mk_mem_set_quota(k, mk_self(k), f->quota), 0);
        mk_block_t big;
        f->rc = mk_mem_alloc(k, mk_self(k), MK_HEAP_DEFAULT, f->quota * 2, &big);
    } else {
        char buf[8];
        f->rc = mk_mem_read(k, mk_self(k), b, 60, buf, 8);
    }
    mk_yield(k); /* a killed body ends at this kernel entry */
    f->after = 1;
    return 7;
}

START_TEST(exc_body_faults_default_kill)
{
    mk_t *k = new_kernel();
    uint64_t base = heap_used(k);
    struct fault_body f[3] = {{.divzero = true, .rc = 1}, {.quota = 0, .rc = 1},
                              {.quota = 100, .rc = 1}};
    mk_pid_t pid[3];
    for (int i = 0; i < 3; i++)
        pid[i] = spawn(k, 0, b_fault, &f[i]);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(f[i].after, 0);
        int32_t status = 0;
        ck_assert_int_eq(mk_wait(k, pid[i], MK_NO_WAIT, &status), 0);
        ck_assert_int_eq(status, -1);
    }
    /* A fiber body killed by its own fault never returns from the call. */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(f[i].rc, 1);
    ck_assert_uint_eq(heap_used(k), base); /* every body's block released */
    mk_destroy(k);
}
END_TEST

START_TEST(exc_body_faults_with_handler_survive)
{
    mk_t *k = new_kernel();
    struct fault_body f[3] = {{.divzero = true}, {.quota = 0}, {.quota = 100}};
    struct seen s[3] = {{.verdict = MK_EXC_HANDLED},
                        {.verdict = MK_EXC_HANDLED},
                        {.verdict = MK_EXC_HANDLED}};
    mk_pid_t pid[3];
    for (int i = 0; i < 3; i++) {
        pid[i] = spawn(k, 0, b_fault, &f[i]);
        ck_assert_int_eq(mk_exc_set_handler(k, pid[i], x_record, &s[i]), 0);
    }
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    uint32_t want_exc[3] = {MK_EXC_DIVZERO, MK_EXC_MEMORY, MK_EXC_QUOTA};
    uint64_t want_detail[3] = {1, (uint64_t)-MK_EFAULT, (uint64_t)-MK_EQUOTA};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(f[i].after, 1);
        ck_assert_int_eq(s[i].calls, 1);
        ck_assert_uint_eq(s[i].pid, pid[i]);
        ck_assert_uint_eq(s[i].exc, want_exc[i]);
        ck_assert_uint_eq(s[i].detail, want_detail[i]);
        int32_t status = 0;
        ck_assert_int_eq(mk_wait(k, pid[i], MK_NO_WAIT, &status), 0);
        ck_assert_int_eq(status, 7);
    }
    ck_assert_int_eq(f[0].rc, 0);
    ck_assert_int_eq(f[1].rc, MK_EFAULT);
    ck_assert_int_eq(f[2].rc, MK_EQUOTA);
    mk_destroy(k);
}
END_TEST

START_TEST(exc_host_violation_is_reported_not_fatal)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    mk_block_t b;
    ck_assert_int_eq(mk_mem_alloc(k, 2, MK_HEAP_DEFAULT, 16, &b), 0);
    char buf[32];
    ck_assert_int_eq(mk_mem_read(k, 2, b, 0, buf, 32), MK_EFAULT);
    ck_assert_int_eq(mk_proc_exists(k, 2), 0);
    uint64_t c = 0;
    ck_assert_int_eq(mk_exc_count(k, 2, &c), 0);
    ck_assert_uint_eq(c, 1);
    /* Its handler still hears of it. */
    struct seen s = {.verdict = MK_EXC_HANDLED};
    ck_assert_int_eq(mk_exc_set_handler(k, 2, x_record, &s), 0);
    ck_assert_int_eq(mk_mem_set_quota(k, 2, 64), 0);
    mk_block_t big;
    ck_assert_int_eq(mk_mem_alloc(k, 2, MK_HEAP_DEFAULT, 1000, &big), MK_EQUOTA);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_uint_eq(s.exc, MK_EXC_QUOTA);
    ck_assert_int_eq(mk_proc_exists(k, 2), 0);
    ck_assert_int_eq(mk_mem_read(k, 2, b, 0, buf, 16), 0); /* still usable */
    ck_assert_int_eq(mk_exc_count(k, 2, &c), 0);
    ck_assert_uint_eq(c, 2);
    mk_destroy(k);
}
END_TEST

START_TEST(exc_bad_input)
{
    mk_t *k = new_kernel();
    uint32_t killed = 5;
    uint64_t c = 5;
    struct seen s = {0};
    ck_assert_int_eq(mk_exc_set_handler(NULL, 1, x_record, &s), MK_EINVAL);
    ck_assert_int_eq(mk_exc_set_handler(k, 0, x_record, &s), MK_ENOENT);
    ck_assert_int_eq(mk_exc_set_handler(k, 9, x_record, &s), MK_ENOENT);
    ck_assert_int_eq(mk_exc_raise(NULL, 1, MK_EXC_DIVZERO, 0, &killed), MK_EINVAL);
    ck_assert_int_eq(mk_exc_raise(k, 0, MK_EXC_DIVZERO, 0, &killed), MK_ENOENT);
    ck_assert_int_eq(mk_exc_raise(k, 9, MK_EXC_DIVZERO, 0, &killed), MK_ENOENT);
    ck_assert_int_eq(mk_exc_count(NULL, 1, &c), MK_EINVAL);
    ck_assert_int_eq(mk_exc_count(k, 9, &c), MK_ENOENT);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_exc_count(k, 1, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_exc_raise(k, 1, 0, 0, &killed), MK_ERANGE);
    ck_assert_int_eq(mk_exc_raise(k, 1, MK_EXC_ILLEGAL + 1, 0, &killed), MK_ERANGE);
    ck_assert_int_eq(mk_exc_raise(k, 1, MK_EXC_USER - 1, 0, &killed), MK_ERANGE);
    ck_assert_int_eq(mk_exc_raise(k, 1, MK_EXC_MAX + 1, 0, &killed), MK_ERANGE);
    ck_assert_uint_eq(killed, 5); /* out-parameter untouched on failure */
    /* Nothing happened to pid 1 through the refused calls. */
    ck_assert_int_eq(mk_proc_exists(k, 1), 0);
    ck_assert_int_eq(mk_exc_count(k, 1, &c), 0);
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(mk_exc_raise(k, 1, MK_EXC_MAX, 0, NULL), 0); /* NULL killed is fine */
    ck_assert_int_eq(mk_proc_exists(k, 1), MK_ENOENT);
    mk_destroy(k);
    ck_assert_int_eq(mk_exc_set_handler(k, 1, x_record, &s), MK_EBADH);
    ck_assert_int_eq(mk_exc_raise(k, 1, MK_EXC_DIVZERO, 0, &killed), MK_EBADH);
    ck_assert_int_eq(mk_exc_count(k, 1, &c), MK_EBADH);
}
END_TEST

struct mutex_body {
    mk_mutex_t m;
    int rc;
    mk_pid_t owner_after;
};

static int b_hold_and_fault(mk_t *k, void *arg)
{
    struct mutex_body *mb = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_open(k, 0, "exc-mutex", &m), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 0, m, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_compute(k, 5), 0);
    mb->rc = mk_exc_raise(k, 0, MK_EXC_DIVZERO, 0, NULL);
    return 0; /* not reached */
}

static int b_wait_mutex(mk_t *k, void *arg)
{
    struct mutex_body *mb = arg;
    mk_mutex_t m;
    ck_assert_int_eq(mk_sleep(k, 1), 0);
    ck_assert_int_eq(mk_mutex_open(k, 0, "exc-mutex", &m), 0);
    mb->rc = mk_mutex_lock(k, 0, m, MK_FOREVER); /* blocks until the holder dies */
    ck_assert_int_eq(mk_mutex_owner(k, m, &mb->owner_after, NULL), 0);
    ck_assert_int_eq(mk_mutex_unlock(k, 0, m), 0);
    return 0;
}

START_TEST(exc_kill_releases_held_mutex_to_waiter)
{
    mk_t *k = new_kernel();
    mk_mutex_t m;
    ck_assert_int_eq(mk_mutex_create(k, "exc-mutex", 0, &m), 0);
    struct mutex_body a = {.rc = 1}, b = {.rc = 1};
    mk_pid_t pa = spawn(k, 0, b_hold_and_fault, &a);
    mk_pid_t pb = spawn(k, 0, b_wait_mutex, &b);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_int_eq(a.rc, 1); /* killed inside mk_exc_raise */
    ck_assert_int_eq(b.rc, 0);
    ck_assert_uint_eq(b.owner_after, pb);
    int32_t st = 0;
    ck_assert_int_eq(mk_wait(k, pa, MK_NO_WAIT, &st), 0);
    ck_assert_int_eq(st, -1);
    /* Host process variant: the mutex it holds is free after the kill. */
    ck_assert_int_eq(mk_proc_create(k, 40, NULL), 0);
    mk_mutex_t m40;
    ck_assert_int_eq(mk_mutex_open(k, 40, "exc-mutex", &m40), 0);
    ck_assert_int_eq(mk_mutex_lock(k, 40, m40, MK_NO_WAIT), 0);
    mk_pid_t owner = 0;
    ck_assert_int_eq(mk_mutex_owner(k, m, &owner, NULL), 0);
    ck_assert_uint_eq(owner, 40);
    ck_assert_int_eq(mk_exc_raise(k, 40, MK_EXC_BADH, m40, NULL), 0);
    ck_assert_int_eq(mk_mutex_owner(k, m, &owner, NULL), 0);
    ck_assert_uint_eq(owner, 0);
    mk_destroy(k);
}
END_TEST

/* ---- determinism --------------------------------------------------------- */

struct world {
    int clock_calls;
    int soft_calls;
    char got[8];
    size_t ngot;
};

static void h_device(mk_t *k, uint32_t line, void *ctx)
{
    (void)line;
    (void)ctx;
    size_t acc;
    ck_assert_int_eq(mk_term_input(k, "k", 1, &acc), 0);
    ck_assert_int_eq(mk_irq_raise(k, MK_IRQ_SOFT_FIRST), 0);
}

static void h_world_clock(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    ((struct world *)ctx)->clock_calls++;
}

static void h_world_soft(mk_t *k, uint32_t line, void *ctx)
{
    (void)k;
    (void)line;
    ((struct world *)ctx)->soft_calls++;
}

static int b_device(mk_t *k, void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(mk_compute(k, 3 + (uint64_t)i), 0);
        ck_assert_int_eq(mk_irq_raise(k, 9), 0);
    }
    return 0;
}

static int b_world_reader(mk_t *k, void *arg)
{
    struct world *w = arg;
    while (w->ngot < 4) {
        size_t n = 0;
        ck_assert_int_eq(mk_term_read(k, 0, w->got + w->ngot, 1, &n, MK_FOREVER), 0);
        w->ngot += n;
    }
    return 0;
}

static size_t run_world(mk_event_t *ev, size_t cap, struct world *w)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_trace_enable(k, (uint32_t)cap), 0);
    ck_assert_int_eq(mk_irq_attach(k, 9, h_device, NULL), 0);
    ck_assert_int_eq(mk_irq_attach(k, MK_IRQ_CLOCK, h_world_clock, w), 0);
    ck_assert_int_eq(mk_irq_attach(k, MK_IRQ_SOFT_FIRST, h_world_soft, w), 0);
    spawn(k, 0, b_world_reader, w);
    spawn(k, 0, b_device, NULL);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, 200, &why), 0);
    size_t n = 0;
    ck_assert_int_eq(mk_trace_read(k, ev, cap, &n), 0);
    uint64_t dropped = 1;
    ck_assert_int_eq(mk_trace_dropped(k, &dropped), 0);
    ck_assert_uint_eq(dropped, 0);
    mk_destroy(k);
    return n;
}

START_TEST(same_program_same_trace)
{
    enum { CAP = 4096 };
    mk_event_t *a = calloc(CAP, sizeof *a), *b = calloc(CAP, sizeof *b);
    struct world wa = {0}, wb = {0};
    size_t na = run_world(a, CAP, &wa);
    size_t nb = run_world(b, CAP, &wb);
    ck_assert_uint_gt(na, 10);
    ck_assert_uint_eq(na, nb);
    ck_assert_int_eq(memcmp(a, b, na * sizeof *a), 0);
    ck_assert_int_eq(wa.soft_calls, 4);
    ck_assert_int_eq(wa.clock_calls, wb.clock_calls);
    ck_assert_int_gt(wa.clock_calls, 0);
    int irqs = 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].type == MK_EV_IRQ && a[i].a == 9)
            irqs++;
    ck_assert_int_eq(irqs, 4);
    free(a);
    free(b);
}
END_TEST

/* A handler running in a body's context faults for that body: the kill
 * waits until the delivery is over, and the controller stays usable. */
struct oob {
    mk_block_t b;
    int rc;
    int handler_done;
    int after;
};

static void h_oob(mk_t *k, uint32_t line, void *ctx)
{
    (void)line;
    struct oob *o = ctx;
    char buf[32];
    o->rc = mk_mem_read(k, mk_self(k), o->b, 0, buf, sizeof buf);
    o->handler_done = 1;
}

static int b_faulty_device(mk_t *k, void *arg)
{
    struct oob *o = arg;
    ck_assert_int_eq(mk_mem_alloc(k, mk_self(k), MK_HEAP_DEFAULT, 16, &o->b), 0);
    mk_irq_raise(k, 16);
    o->after = 1;
    return 0;
}

START_TEST(exc_in_handler_kills_after_the_delivery)
{
    mk_t *k = new_kernel();
    struct oob o = {.rc = 1};
    ck_assert_int_eq(mk_irq_attach(k, 16, h_oob, &o), 0);
    mk_pid_t pid = spawn(k, 0, b_faulty_device, &o);
    uint32_t why = 0;
    ck_assert_int_eq(mk_run(k, MK_FOREVER, &why), 0);
    ck_assert_uint_eq(why, MK_RUN_DONE);
    ck_assert_int_eq(o.rc, MK_EFAULT);
    ck_assert_int_eq(o.handler_done, 1);
    ck_assert_int_eq(o.after, 0);
    int32_t st = 0;
    ck_assert_int_eq(mk_wait(k, pid, MK_NO_WAIT, &st), 0);
    ck_assert_int_eq(st, -1);
    _Atomic int c = 0;
    ck_assert_int_eq(mk_irq_attach(k, 17, h_count, (void *)&c), 0);
    ck_assert_int_eq(mk_irq_raise(k, 17), 0);
    ck_assert_int_eq(atomic_load(&c), 1);
    uint32_t pend = 1;
    ck_assert_int_eq(mk_irq_pending(k, &pend, NULL), 0);
    ck_assert_uint_eq(pend, 0);
    mk_destroy(k);
}
END_TEST

Suite *exc_suite(void)
{
    Suite *s = suite_create("exc");
    TCase *tc = tcase_create("exceptions");
    tcase_add_test(tc, exc_default_kills_and_releases);
    tcase_add_test(tc, exc_custom_handler_keeps_the_process);
    tcase_add_test(tc, exc_body_faults_default_kill);
    tcase_add_test(tc, exc_body_faults_with_handler_survive);
    tcase_add_test(tc, exc_host_violation_is_reported_not_fatal);
    tcase_add_test(tc, exc_kill_releases_held_mutex_to_waiter);
    tcase_add_test(tc, exc_in_handler_kills_after_the_delivery);
    tcase_add_test(tc, exc_bad_input);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("determinism");
    tcase_add_test(td, same_program_same_trace);
    suite_add_tcase(s, td);
    return s;
}


Suite *irq_suite(void)
{
    Suite *s = suite_create("irq");
    TCase *tc = tcase_create("controller");
    tcase_add_test(tc, default_priorities);
    tcase_add_test(tc, raise_calls_handlers_in_attach_order);
    tcase_add_test(tc, delivery_order_follows_priority);
    tcase_add_test(tc, masking_keeps_lines_pending);
    tcase_add_test(tc, nested_raises);
    tcase_add_test(tc, handler_reraising_its_line_runs_again_after_it);
    tcase_add_test(tc, software_interrupts_run_after_hardware_handlers);
    tcase_add_test(tc, attach_limits_and_detach_inside_handler);
    tcase_add_test(tc, irq_events_are_traced);
    tcase_add_test(tc, clock_line_advances_time);
    tcase_add_test(tc, clock_line_under_the_scheduler);
    tcase_add_test(tc, handler_kernel_calls_in_body_context);
    tcase_add_test(tc, threads_raise_at_once_handlers_never_overlap);
    tcase_add_test(tc, detach_waits_for_a_running_handler);
    tcase_add_test(tc, irq_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(irq_suite());
    srunner_add_suite(sr, term_suite());
    srunner_add_suite(sr, exc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
