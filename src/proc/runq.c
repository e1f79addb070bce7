/*
 * runq.c - the scheduler's data structures: the ready queues (one FIFO per
 * priority level plus a bitmap of non-empty levels, so the next process is
 * found in O(1) as in Linux 2.6's O(1) scheduler), the timer heap (a binary
 * min-heap on (when, seq), so equal deadlines fire in the order they were
 * set and runs stay deterministic) and effective priorities (base raised by
 * inheritance).
 *
 * Sits on proc_int.h. Every function runs under struct mk__proc.lock; none
 * switches context or calls out of the module.
 */
#include "proc_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- ready queues ------------------------------------------------------ */

void mk__rq_push(struct mk__proc *p, struct mk__pcb *pcb, bool front)
{
    if (pcb->on_rq)
        return;
    uint32_t l = pcb->prio;
    pcb->on_rq = true;
    if (p->rq[l].head == NULL) {
        pcb->rq_prev = pcb->rq_next = NULL;
        p->rq[l].head = p->rq[l].tail = pcb;
    } else if (front) {
        pcb->rq_prev = NULL;
        pcb->rq_next = p->rq[l].head;
        p->rq[l].head->rq_prev = pcb;
        p->rq[l].head = pcb;
    } else {
        pcb->rq_next = NULL;
        pcb->rq_prev = p->rq[l].tail;
        p->rq[l].tail->rq_next = pcb;
        p->rq[l].tail = pcb;
    }
    p->bitmap |= 1u << l;
}

void mk__rq_remove(struct mk__proc *p, struct mk__pcb *pcb)
{
    if (!pcb->on_rq)
        return;
    uint32_t l = pcb->prio;
    if (pcb->rq_prev != NULL)
        pcb->rq_prev->rq_next = pcb->rq_next;
    else
        p->rq[l].head = pcb->rq_next;
    if (pcb->rq_next != NULL)
        pcb->rq_next->rq_prev = pcb->rq_prev;
    else
        p->rq[l].tail = pcb->rq_prev;
    pcb->rq_next = pcb->rq_prev = NULL;
    pcb->on_rq = false;
    if (p->rq[l].head == NULL)
        p->bitmap &= ~(1u << l);
}

/* Highest non-empty level, O(1): the most significant set bit. */
int mk__rq_top(const struct mk__proc *p)
{
    return p->bitmap == 0 ? -1 : 31 - __builtin_clz(p->bitmap);
}

struct mk__pcb *mk__rq_pick(struct mk__proc *p)
{
    int l = mk__rq_top(p);
    if (l < 0)
        return NULL;
    struct mk__pcb *pcb = p->rq[l].head;
    mk__rq_remove(p, pcb);
    return pcb;
}

/* ---- timers: binary min-heap on (when, seq) ----------------------------- */

static bool mk__tless(const struct mk__timer *a, const struct mk__timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

int mk__timer_add(struct mk__proc *p, struct mk__pcb *pcb, uint64_t when)
{
    if (p->ntimers == p->timercap) {
        size_t ncap = p->timercap ? p->timercap * 2 : 64;
        struct mk__timer *n = realloc(p->timers, ncap * sizeof *n);
        if (n == NULL)
            return MK_ENOMEM;
        p->timers = n;
        p->timercap = ncap;
    }
    size_t i = p->ntimers++;
    struct mk__timer t = {.when = when, .seq = ++p->timer_seq, .pid = pcb->pid,
                          .gen = pcb->timer_gen};
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!mk__tless(&t, &p->timers[up]))
            break;
        p->timers[i] = p->timers[up];
        i = up;
    }
    p->timers[i] = t;
    return 0;
}

void mk__timer_pop(struct mk__proc *p)
{
    struct mk__timer last = p->timers[--p->ntimers];
    size_t i = 0, n = p->ntimers;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && mk__tless(&p->timers[c + 1], &p->timers[c]))
            c++;
        if (!mk__tless(&p->timers[c], &last))
            break;
        p->timers[i] = p->timers[c];
        i = c;
    }
    if (n > 0)
        p->timers[i] = last;
}

/* The earliest live timer (stale entries dropped), or NULL. */
const struct mk__timer *mk__timer_top(struct mk__proc *p)
{
    while (p->ntimers > 0) {
        const struct mk__timer *t = &p->timers[0];
        const struct mk__pcb *pcb = mk__pcb_get(p, t->pid);
        if (pcb != NULL && pcb->timer_gen == t->gen &&
            (pcb->state == MK_PROC_SLEEPING || pcb->state == MK_PROC_BLOCKED))
            return t;
        mk__timer_pop(p);
    }
    return NULL;
}

/* ---- priorities ---------------------------------------------------------------- */

uint32_t mk__sched_prio(mk_t *k, mk_pid_t pid)
{
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = pid ? mk__pcb_get(p, pid) : NULL;
    uint32_t r = pcb != NULL ? pcb->prio : MK_PRIO_DEFAULT;
    pthread_mutex_unlock(&p->lock);
    return r;
}

uint32_t mk__sched_base_prio(mk_t *k, mk_pid_t pid)
{
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    const struct mk__pcb *pcb = pid ? mk__pcb_get(p, pid) : NULL;
    uint32_t r = pcb != NULL ? pcb->base_prio : MK_PRIO_DEFAULT;
    pthread_mutex_unlock(&p->lock);
    return r;
}

/* Recompute the effective priority (lock held). */
void mk__prio_update(mk_t *k, struct mk__pcb *pcb)
{
    struct mk__proc *p = k->proc;
    uint32_t np = pcb->inh_prio > pcb->base_prio ? pcb->inh_prio : pcb->base_prio;
    if (np == pcb->prio)
        return;
    uint32_t old = pcb->prio;
    bool q = pcb->on_rq;
    if (q)
        mk__rq_remove(p, pcb);
    pcb->prio = np;
    if (q)
        mk__rq_push(p, pcb, false);
    mk__trace_emit(k, MK_EV_PRIO, pcb->pid, old, np);
    if (p->current != NULL && mk__rq_top(p) > (int)p->current->prio)
        p->need_resched = true;
}

int mk__sched_set_inherited(mk_t *k, mk_pid_t pid, uint32_t inherited)
{
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    struct mk__pcb *pcb = pid ? mk__pcb_get(p, pid) : NULL;
    if (pcb == NULL) {
        pthread_mutex_unlock(&p->lock);
        return MK_ENOENT;
    }
    pcb->inh_prio = inherited;
    mk__prio_update(k, pcb);
    pthread_mutex_unlock(&p->lock);
    return 0;
}
