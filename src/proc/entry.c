/*
 * entry.c - the virtual clock and the kernel entry: advancing time (timers
 * fire, the running body's slice is charged, the tick hook runs) and
 * charging each call a body makes (mk__sched_enter, mk__sched_compute),
 * where a used-up slice or a more urgent ready process preempts it.
 *
 * Sits beside sched.c (context switches: mk__switch_out) and runq.c
 * (ready queues, timers). Interface for other modules: sched.h; between
 * proc files: proc_int.h. Locking: as in sched.c, everything runs under
 * struct mk__proc.lock unless a function says otherwise; it is released
 * around the tick hook.
 */
#include "proc_int.h"

/* ---- the clock ------------------------------------------------------------- */

uint64_t mk__clock_locked(mk_t *k, uint64_t n, struct mk__pcb *charge)
{
    struct mk__proc *p = k->proc;
    uint64_t from = atomic_load(&k->ticks);
    uint64_t now = from + n;
    atomic_store_explicit(&k->ticks, now, memory_order_release); /* lock held: no fence needed */
    const struct mk__timer *t;
    while ((t = mk__timer_top(p)) != NULL && t->when <= now) {
        struct mk__pcb *pcb = mk__pcb_get(p, t->pid);
        mk__timer_pop(p);
        if (pcb->state == MK_PROC_BLOCKED)
            pcb->timed_out = true;
        mk__sched_ready_locked(k, pcb, pcb->state == MK_PROC_BLOCKED ? MK_ETIMEDOUT : 0);
    }
    if (charge != NULL) {
        charge->cpu_ticks += n;
        charge->slice_left = charge->slice_left > n ? charge->slice_left - n : 0;
        if (charge->slice_left == 0)
            p->need_resched = true;
        int top = mk__rq_top(p);
        if (top > (int)charge->prio)
            p->need_resched = true;
    }
    if (now >= p->limit)
        p->need_resched = true;
    return from;
}

/* Lock held: the hook to call for an advance of n ticks, or NULL (none
 * installed, n == 0, or its gate is closed: then the advance is only
 * counted, which costs the kernel entry no unlock/call/relock). */
static mk__tick_fn mk__tick_take(struct mk__proc *p, uint64_t n)
{
    if (p->tick_fn == NULL || n == 0)
        return NULL;
    if (atomic_load_explicit(&p->tick_quiet, memory_order_relaxed)) {
        /* single writer (the lock): no read-modify-write needed */
        uint64_t c = atomic_load_explicit(&p->tick_skipped, memory_order_relaxed);
        atomic_store_explicit(&p->tick_skipped, c + 1, memory_order_relaxed);
        return NULL;
    }
    return p->tick_fn;
}

void mk__tick_hook_run(mk_t *k, uint64_t from, uint64_t to)
{
    if (to <= from)
        return;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    mk__tick_fn fn = mk__tick_take(p, to - from);
    void *ctx = p->tick_ctx;
    pthread_mutex_unlock(&p->lock);
    if (fn != NULL)
        fn(k, from, to, ctx);
}

void mk__sched_clock(mk_t *k, uint64_t n)
{
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    uint64_t from = mk__clock_locked(k, n, mk__self_pcb(k));
    mk__tick_fn fn = mk__tick_take(p, n);
    void *ctx = p->tick_ctx;
    pthread_mutex_unlock(&p->lock);
    if (fn != NULL)
        fn(k, from, from + n, ctx);
}

void mk__sched_set_tick_hook(mk_t *k, mk__tick_fn fn, void *ctx)
{
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    p->tick_fn = fn;
    p->tick_ctx = ctx;
    atomic_store_explicit(&p->tick_quiet, 0, memory_order_relaxed);
    pthread_mutex_unlock(&p->lock);
}

void mk__sched_tick_gate(mk_t *k, bool open)
{
    atomic_store_explicit(&k->proc->tick_quiet, open ? 0u : 1u, memory_order_relaxed);
}

uint64_t mk__sched_tick_skipped(mk_t *k)
{
    return atomic_load_explicit(&k->proc->tick_skipped, memory_order_relaxed);
}

/* ---- kernel entry ------------------------------------------------------------ */

/* A killed or exited body at a kernel entry (lock held): a fiber ends here;
 * a THREAD body's call fails. Returns with the lock released. */
static int mk__entry_dead(mk_t *k, struct mk__pcb *self)
{
    mk__body_die(k, self, -1); /* fibers do not return */
    pthread_mutex_unlock(&k->proc->lock);
    return MK_EDESTROYED;
}

/* mk__sched_compute for a body, lock held on entry; released on return. */
static int mk__compute_locked(mk_t *k, struct mk__pcb *self, uint64_t n)
{
    struct mk__proc *p = k->proc;
    if (self->killed || self->ended)
        return mk__entry_dead(k, self);
    /* The resched check comes first: a more urgent process made ready by
     * this body's previous call (a post, an unlock that dropped inherited
     * priority) runs now, before this body is charged for anything. */
    for (;;) {
        if (p->need_resched || p->stop) {
            bool slice_end = self->slice_left == 0;
            if (slice_end)
                mk__trace_emit(k, MK_EV_PREEMPT, self->pid, k->cfg.quantum_ticks, 0);
            self->state = MK_PROC_READY;
            mk__rq_push(p, self, !slice_end);
            mk__switch_out(k, self);
            if (self->killed)
                return mk__entry_dead(k, self);
        }
        if (n == 0)
            break;
        uint64_t step = n;
        if (self->slice_left > 0 && step > self->slice_left)
            step = self->slice_left;
        uint64_t now = atomic_load(&k->ticks);
        const struct mk__timer *t = mk__timer_top(p);
        if (t != NULL && t->when > now && step > t->when - now)
            step = t->when - now;
        uint64_t from = mk__clock_locked(k, step, self);
        n -= step;
        mk__tick_fn fn = mk__tick_take(p, step);
        if (fn != NULL) {
            void *ctx = p->tick_ctx;
            pthread_mutex_unlock(&p->lock);
            fn(k, from, from + step, ctx);
            pthread_mutex_lock(&p->lock);
        }
        if (self->killed)
            return mk__entry_dead(k, self);
    }
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int mk__sched_compute(mk_t *k, uint64_t n)
{
    struct mk__pcb *self = mk__self_pcb(k);
    if (self == NULL) {
        if (n > 0)
            mk__sched_clock(k, n);
        return 0;
    }
    pthread_mutex_lock(&k->proc->lock);
    return mk__compute_locked(k, self, n);
}

int mk__sched_enter(mk_t *k)
{
    struct mk__pcb *self = mk__self_pcb(k);
    if (self == NULL)
        return 0; /* host thread: nothing to charge */
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    /* The common case, decided without the general loop: nothing to
     * switch for before or after charging the call's tick (no resched,
     * the slice does not end, no timer falls due, the run's limit is not
     * reached, nobody more urgent is ready) and no tick hook to call. It
     * does exactly what mk__compute_locked does then: same clock, same
     * charge, same (absent) events. Anything else takes the loop. */
    uint64_t now = atomic_load_explicit(&k->ticks, memory_order_relaxed) + MK__SCHED_CALL_COST;
    if (!self->killed && !self->ended && !p->need_resched && !p->stop &&
        self->slice_left > MK__SCHED_CALL_COST && now < p->limit &&
        (p->ntimers == 0 || p->timers[0].when > now) &&
        (p->bitmap & ~((2u << self->prio) - 1u)) == 0 &&
        (p->tick_fn == NULL || atomic_load_explicit(&p->tick_quiet, memory_order_relaxed))) {
        atomic_store_explicit(&k->ticks, now, memory_order_release);
        self->cpu_ticks += MK__SCHED_CALL_COST;
        self->slice_left -= MK__SCHED_CALL_COST;
        (void)mk__tick_take(p, MK__SCHED_CALL_COST); /* counts the skipped advance */
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    return mk__compute_locked(k, self, MK__SCHED_CALL_COST);
}
