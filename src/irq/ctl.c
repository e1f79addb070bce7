/*
 * ctl.c - the interrupt controller (lines, handlers, masks, priority
 * levels, pending bits, delivery) and the irq module's set-up.
 *
 * Sits on core and on the scheduler's internal interface (proc/sched.h):
 * the scheduler calls our tick hook after every advance of the virtual
 * clock, which makes the clock a line like the others, and tells us which
 * process is running (for the trace). The model is the priority interrupt
 * controller of a single-CPU machine, as in the mini-kernel (seed 003):
 * a handler runs at its line's level and only a more urgent line can
 * interrupt it; less urgent lines wait, pending, until it returns (cf. the
 * spl levels of 4.4BSD and the i8259's in-service register).
 *
 * Delivery. One caller at a time is "the deliverer" (busy; dthread/dpid
 * say which thread and which body on it): it loops taking the most urgent deliverable line, runs
 * its handlers with the controller lock dropped, and stops when nothing
 * deliverable is left. Another thread that raises a line meanwhile only
 * sets the pending bit: the deliverer's loop sees it before it stops (the
 * pending check and the end of the loop are under the same lock). The
 * deliverer itself raising a line from a handler re-enters the loop with
 * the running level as the floor, which is how nesting happens, bounded by
 * the number of priority levels.
 *
 * Lock: struct mk__irq.lock guards everything here except the atomics
 * (slow, clock_quiet, and dthread/dpid, which are written under it). It is never held while a handler runs, nor across
 * any scheduler call that may switch (mk__sched_enter, mk__sched_clock).
 */
#include "irq_int.h"

#include <stdlib.h>
#include <string.h>

/* Who is delivering: the OS thread (the address of a thread-local, unique
 * per thread) and the pid running on it then (0 for a host thread). Both
 * are needed because fiber bodies share their OS thread: a handler that
 * makes a kernel call can be switched away from (sched.h gives no way to
 * hold preemption off), and the body that runs next on the same thread
 * must not be taken for the deliverer. Written under the lock, read
 * anywhere. */
static _Thread_local char tls_token;

static uintptr_t my_token(void)
{
    return (uintptr_t)&tls_token;
}

bool mk__irq_in_handler(mk_t *k)
{
    struct mk__irq *s = k->irq;
    return atomic_load_explicit(&s->dthread, memory_order_acquire) == my_token() &&
           atomic_load_explicit(&s->dpid, memory_order_relaxed) == mk__sched_current(k);
}

/* Kernel entry of a public call (a preemption point for a body), skipped
 * inside a handler: an interrupt handler is not preempted by the
 * scheduler it runs under. */
int mk__irq_enter(mk_t *k)
{
    return mk__irq_in_handler(k) ? 0 : mk__sched_enter(k);
}

/* Lock held. slow: a clock tick must go through the controller. The
 * scheduler's tick gate is open only when on_tick has more to do than
 * count a quiet tick: slow, or a handler running (busy: its own kernel
 * calls' ticks are not counted at all). While it is closed the scheduler
 * counts the advances itself (mk__sched_tick_skipped) and no kernel entry
 * calls on_tick. */
static void recompute_slow(mk_t *k, struct mk__irq *s)
{
    uint32_t need = s->line[MK_IRQ_CLOCK].nh != 0 || (s->masked & 1u) != 0 ||
                    (s->pending & ~s->masked) != 0;
    atomic_store_explicit(&s->slow, need, memory_order_relaxed);
    mk__sched_tick_gate(k, need || s->busy);
}

/* The most urgent deliverable line above floor, or -1. Lock held. */
static int pick(const struct mk__irq *s, uint32_t floor)
{
    uint32_t ready = s->pending & ~s->masked;
    int best = -1;
    uint32_t best_prio = floor;
    while (ready != 0) {
        int l = __builtin_ctz(ready);
        ready &= ready - 1;
        if (s->line[l].prio > best_prio) {
            best = l;
            best_prio = s->line[l].prio;
        }
    }
    return best;
}

/* Deliver every line more urgent than floor. Lock held on entry and on
 * return; dropped while handlers run. Caller is the deliverer. */
static void dispatch(mk_t *k, struct mk__irq *s, uint32_t floor)
{
    int l;
    while ((l = pick(s, floor)) >= 0) {
        struct mk__irq_line *L = &s->line[l];
        s->pending &= ~(1u << l);
        uint32_t prev = s->level;
        s->level = L->prio;
        L->running++;
        L->count++;
        struct mk__irq_h hs[MK_IRQ_HANDLERS_MAX];
        uint32_t nh = L->nh;
        memcpy(hs, L->h, nh * sizeof hs[0]);
        recompute_slow(k, s);
        pthread_mutex_unlock(&s->lock);

        /* Reserved lines count their kernel handler; a clock delivery
         * with no attached handler is not traced (every event carries
         * its tick already). */
        uint32_t calls = nh + (l == (int)MK_IRQ_TERMINAL || l == (int)MK_IRQ_CLOCK);
        if (l != (int)MK_IRQ_CLOCK || nh != 0)
            mk__trace_emit(k, MK_EV_IRQ, mk__sched_current(k), (uint64_t)l, calls);
        if (l == (int)MK_IRQ_TERMINAL)
            mk__term_deliver(k);
        for (uint32_t i = 0; i < nh; i++)
            hs[i].fn(k, (uint32_t)l, hs[i].ctx);

        pthread_mutex_lock(&s->lock);
        s->level = prev;
        if (--L->running == 0)
            pthread_cond_broadcast(&s->idle);
    }
}

/* A delivery point: deliver what the rules allow. Lock held. Returns the
 * pid of a body that a handler killed in its own context (exc.c defers
 * that kill: ending the body inside the handler would leave the
 * controller busy forever), for the caller to kill once it has dropped
 * the lock; 0 if none. */
static mk_pid_t deliver(mk_t *k, struct mk__irq *s)
{
    mk_pid_t kill = 0;
    if (s->busy && mk__irq_in_handler(k)) { /* nested: from a handler of ours */
        dispatch(k, s, s->level);
    } else if (!s->busy) {
        s->busy = true;
        atomic_store_explicit(&s->dpid, mk__sched_current(k), memory_order_relaxed);
        atomic_store_explicit(&s->dthread, my_token(), memory_order_release);
        dispatch(k, s, 0);
        atomic_store_explicit(&s->dthread, 0, memory_order_release);
        s->busy = false;
        kill = s->deferred_kill;
        s->deferred_kill = 0;
    }
    /* else: the deliverer's loop takes it before it stops */
    recompute_slow(k, s);
    return kill;
}

/* After a top-level delivery, lock dropped: the deferred kill, if any. A
 * body killing itself does not come back from here (a fiber). */
static void deliver_done(mk_t *k, mk_pid_t kill)
{
    if (kill != 0)
        (void)mk__sched_kill(k, kill, -1);
}

void mk__irq_defer_kill(mk_t *k, mk_pid_t pid)
{
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    s->deferred_kill = pid;
    pthread_mutex_unlock(&s->lock);
}

void mk__irq_raise_line(mk_t *k, uint32_t line)
{
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    s->pending |= 1u << line;
    mk_pid_t kill = deliver(k, s);
    pthread_mutex_unlock(&s->lock);
    deliver_done(k, kill);
}

/* Called by the scheduler after an advance of the clock while the gate is
 * open (see recompute_slow), no lock held. */
static void on_tick(mk_t *k, uint64_t from, uint64_t to, void *ctx)
{
    (void)from;
    (void)to;
    struct mk__irq *s = ctx;
    if (mk__irq_in_handler(k))
        return; /* time used by a handler's own kernel calls: no storm */
    if (!atomic_load_explicit(&s->slow, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&s->clock_quiet, 1, memory_order_relaxed);
        return;
    }
    mk__irq_raise_line(k, MK_IRQ_CLOCK);
}

/* ---- public calls ------------------------------------------------------- */

#define LINE_CHECK(line)                                                     \
    do {                                                                     \
        if ((line) >= MK_IRQ_LINES)                                          \
            return MK_ERANGE;                                                \
    } while (0)

int mk_irq_attach(mk_t *k, uint32_t line, mk_irq_fn fn, void *ctx)
{
    MK__CHECK(k);
    if (fn == NULL)
        return MK_EINVAL;
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    struct mk__irq_line *L = &s->line[line];
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < L->nh; i++)
        if (L->h[i].fn == fn && L->h[i].ctx == ctx)
            rc = MK_EEXIST;
    if (rc == 0 && L->nh == MK_IRQ_HANDLERS_MAX)
        rc = MK_ENOSPC;
    if (rc == 0) {
        L->h[L->nh].fn = fn;
        L->h[L->nh].ctx = ctx;
        L->nh++;
        recompute_slow(k, s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int mk_irq_detach(mk_t *k, uint32_t line, mk_irq_fn fn, void *ctx)
{
    MK__CHECK(k);
    if (fn == NULL)
        return MK_EINVAL;
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    struct mk__irq_line *L = &s->line[line];
    pthread_mutex_lock(&s->lock);
    rc = MK_ENOENT;
    for (uint32_t i = 0; i < L->nh; i++) {
        if (L->h[i].fn == fn && L->h[i].ctx == ctx) {
            memmove(&L->h[i], &L->h[i + 1], (L->nh - i - 1) * sizeof L->h[0]);
            L->nh--;
            rc = 0;
            break;
        }
    }
    recompute_slow(k, s);
    /* Once we return, fn must not be running. The deliverer cannot wait
     * for its own handlers, nor can a body (it would stop the simulated
     * CPU, on which the handler may be waiting to resume); every host
     * thread waits (handlers do not block, so this is short). */
    if (rc == 0 && !mk__irq_in_handler(k) && mk__sched_current(k) == MK_PID_KERNEL)
        while (L->running != 0)
            pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int mk_irq_raise(mk_t *k, uint32_t line)
{
    MK__CHECK(k);
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    if (line == MK_IRQ_CLOCK) {
        /* The timer fires: one tick. The scheduler fires expired timers
         * and charges the slice, then calls on_tick, which delivers the
         * line (inside a handler the tick passes silently, see on_tick). */
        mk__sched_clock(k, 1);
        return 0;
    }
    mk__irq_raise_line(k, line);
    return 0;
}

int mk_irq_mask(mk_t *k, uint32_t line)
{
    MK__CHECK(k);
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    s->masked |= 1u << line;
    recompute_slow(k, s);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int mk_irq_unmask(mk_t *k, uint32_t line)
{
    MK__CHECK(k);
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    s->masked &= ~(1u << line);
    mk_pid_t kill = deliver(k, s);
    pthread_mutex_unlock(&s->lock);
    deliver_done(k, kill);
    return 0;
}

int mk_irq_set_priority(mk_t *k, uint32_t line, uint32_t prio)
{
    MK__CHECK(k);
    LINE_CHECK(line);
    if (prio < MK_IRQ_PRIO_MIN || prio > MK_IRQ_PRIO_MAX)
        return MK_ERANGE;
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    s->line[line].prio = prio;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int mk_irq_get_priority(mk_t *k, uint32_t line, uint32_t *prio)
{
    MK__CHECK(k);
    if (prio == NULL)
        return MK_EINVAL;
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    *prio = s->line[line].prio;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int mk_irq_pending(mk_t *k, uint32_t *pending, uint32_t *masked)
{
    MK__CHECK(k);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    if (pending != NULL)
        *pending = s->pending;
    if (masked != NULL)
        *masked = s->masked;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int mk_irq_count(mk_t *k, uint32_t line, uint64_t *count)
{
    MK__CHECK(k);
    if (count == NULL)
        return MK_EINVAL;
    LINE_CHECK(line);
    int rc = mk__irq_enter(k);
    if (rc != 0)
        return rc;
    struct mk__irq *s = k->irq;
    pthread_mutex_lock(&s->lock);
    uint64_t c = s->line[line].count;
    if (line == MK_IRQ_CLOCK)
        c += atomic_load_explicit(&s->clock_quiet, memory_order_relaxed) +
             mk__sched_tick_skipped(k);
    pthread_mutex_unlock(&s->lock);
    *count = c;
    return 0;
}

/* ---- module assembly ---------------------------------------------------- */

static int on_create(mk_t *k, mk_pid_t pid)
{
    return mk__exc_on_create(k, pid);
}

static void on_exit_(mk_t *k, mk_pid_t pid)
{
    mk__term_on_exit(k, pid);
    mk__exc_on_exit(k, pid);
}

int mk__irq_init(mk_t *k)
{
    struct mk__irq *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        goto fail0;
    if (pthread_cond_init(&s->idle, NULL) != 0)
        goto fail1;
    if (pthread_mutex_init(&s->tlock, NULL) != 0)
        goto fail2;
    if (pthread_mutex_init(&s->xlock, NULL) != 0)
        goto fail3;
    for (uint32_t l = 0; l < MK_IRQ_LINES; l++)
        s->line[l].prio = l >= MK_IRQ_SOFT_FIRST ? MK_IRQ_PRIO_SOFT : MK_IRQ_PRIO_DEVICE;
    s->line[MK_IRQ_CLOCK].prio = MK_IRQ_PRIO_CLOCK;
    s->line[MK_IRQ_TERMINAL].prio = MK_IRQ_PRIO_TERMINAL;
    mk__hmap_init(&s->exc);
    k->irq = s;
    int rc = mk__hook_register(k, on_create, on_exit_);
    if (rc != 0) {
        mk__irq_fini(k);
        return rc;
    }
    mk__exc_init(k);
    mk__sched_set_tick_hook(k, on_tick, s);
    pthread_mutex_lock(&s->lock);
    recompute_slow(k, s); /* nothing attached yet: closes the gate */
    pthread_mutex_unlock(&s->lock);
    return 0;
fail3:
    pthread_mutex_destroy(&s->tlock);
fail2:
    pthread_cond_destroy(&s->idle);
fail1:
    pthread_mutex_destroy(&s->lock);
fail0:
    free(s);
    return MK_ENOMEM;
}

/* No caller is left (mk_destroy's contract): no handler runs, no reader
 * waits. */
void mk__irq_fini(mk_t *k)
{
    struct mk__irq *s = k->irq;
    if (s == NULL)
        return;
    if (k->proc != NULL)
        mk__sched_set_tick_hook(k, NULL, NULL);
    mk__exc_fini(k);
    mk__hmap_fini(&s->exc);
    pthread_mutex_destroy(&s->xlock);
    pthread_mutex_destroy(&s->tlock);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    free(s);
    k->irq = NULL;
}
