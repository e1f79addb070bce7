/*
 * wq.c - generic wait queues for both kinds of caller (see sched.h).
 *
 * Sits on sched.c (suspend/ready) and core (cond/deadline helpers). A wait
 * queue is a doubly linked list of waiter nodes that live on the waiters'
 * own stacks, protected by the lock of the object that embeds the queue.
 * A waker unlinks the node and hands over a code, so exactly the chosen
 * waiter wakes (no thundering herd, no lost wake-ups: the queue-of-waiters
 * design of Linux's kernel/locking/semaphore.c and of MCS locks).
 *
 * A host thread waits on a condition variable in its node with a wall-time
 * deadline; a body is marked BLOCKED under the scheduler lock before the
 * object lock is dropped, so a wake that comes between the two finds it
 * BLOCKED and makes it READY; its timeout is a timer in virtual ticks.
 * Timer expiry and kill only make the body READY (the scheduler may not
 * take object locks: lock order is object -> scheduler); the body unlinks
 * its own node when it runs again, unless a waker got there first, in
 * which case the wake wins. A body's state and code are written under
 * both the object lock and the scheduler lock, so a woken body may read
 * them holding either (mk__wq_wait_handoff skips re-taking the object
 * lock after a hand-off).
 */
#include "proc_int.h"

#include <string.h>

void mk__wq_init(mk__wq_t *wq, uint32_t kind, uint64_t obj)
{
    memset(wq, 0, sizeof *wq);
    wq->kind = kind;
    wq->obj = obj;
}

static void mk__wq_append(mk__wq_t *wq, struct mk__wait *w)
{
    w->next = NULL;
    w->prev = wq->tail;
    if (wq->tail != NULL)
        wq->tail->next = w;
    else
        wq->head = w;
    wq->tail = w;
    wq->n++;
}

static void mk__wq_unlink(mk__wq_t *wq, struct mk__wait *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        wq->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        wq->tail = w->prev;
    w->prev = w->next = NULL;
    wq->n--;
}

/* held == NULL: always return with lock held (mk__wq_wait_prio). */
static int mk__wq_wait_impl(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                            mk_pid_t as_pid, uint32_t prio, bool *held)
{
    if (timeout_ticks == MK_NO_WAIT)
        return MK_ETIMEDOUT;
    struct mk__pcb *self = mk__self_pcb(k);
    struct mk__wait w;
    memset(&w, 0, sizeof w);
    w.prio = prio;
    if (self == NULL) {
        w.pid = as_pid;
        if (mk__cond_init(&w.cond) != 0)
            return MK_ENOMEM;
        mk__wq_append(wq, &w);
        struct timespec abs;
        bool has_deadline;
        mk__deadline(k, timeout_ticks, &abs, &has_deadline);
        int rc = 0;
        while (w.state == 0) {
            if (mk__cond_wait(&w.cond, lock, &abs, has_deadline) == MK_ETIMEDOUT &&
                w.state == 0) {
                mk__wq_unlink(wq, &w);
                rc = MK_ETIMEDOUT;
                break;
            }
        }
        pthread_cond_destroy(&w.cond);
        return w.state != 0 ? w.code : rc;
    }

    struct mk__proc *p = k->proc;
    w.pid = self->pid;
    w.body = true;
    w.pcb = self;
    mk__wq_append(wq, &w);
    pthread_mutex_lock(&p->lock);
    if (self->killed || self->ended) {
        pthread_mutex_unlock(&p->lock);
        mk__wq_unlink(wq, &w);
        return MK_EDESTROYED;
    }
    self->state = MK_PROC_BLOCKED;
    self->wait = &w;
    self->timed_out = false;
    self->timer_gen++;
    self->slice_left = 0;
    if (timeout_ticks != MK_FOREVER) {
        uint64_t now = atomic_load(&k->ticks);
        uint64_t when = now + timeout_ticks < now ? UINT64_MAX : now + timeout_ticks;
        if (mk__timer_add(p, self, when) != 0) {
            self->state = MK_PROC_RUNNING;
            self->wait = NULL;
            pthread_mutex_unlock(&p->lock);
            mk__wq_unlink(wq, &w);
            return MK_ENOMEM;
        }
    }
    mk__trace_emit(k, MK_EV_BLOCK, self->pid, wq->kind, wq->obj);
    pthread_mutex_unlock(lock);
    mk__switch_out(k, self);
    self->wait = NULL;
    self->timer_gen++;
    bool killed = self->killed;
    if (held != NULL && w.state != 0) {
        /* Handed off: the waker wrote state under the scheduler lock,
         * which we hold, and has unlinked the node. */
        pthread_mutex_unlock(&p->lock);
        *held = false;
        return w.code;
    }
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_lock(lock);
    if (w.state != 0)
        return w.code; /* the wake wins over a timeout at the same time */
    mk__wq_unlink(wq, &w);
    return killed ? MK_EDESTROYED : MK_ETIMEDOUT;
}

int mk__wq_wait_prio(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                     mk_pid_t as_pid, uint32_t prio)
{
    return mk__wq_wait_impl(k, wq, lock, timeout_ticks, as_pid, prio, NULL);
}

int mk__wq_wait(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                mk_pid_t as_pid)
{
    return mk__wq_wait_impl(k, wq, lock, timeout_ticks, as_pid, 0, NULL);
}

int mk__wq_wait_handoff(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                        mk_pid_t as_pid, bool *held)
{
    *held = true;
    return mk__wq_wait_impl(k, wq, lock, timeout_ticks, as_pid, 0, held);
}

static void mk__wq_wake_node(mk_t *k, mk__wq_t *wq, struct mk__wait *w, int code)
{
    mk__wq_unlink(wq, w);
    if (!w->body) {
        w->state = 1;
        w->code = code;
        pthread_cond_signal(&w->cond);
        return;
    }
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    /* Under both locks for a body: mk__wq_wait_handoff reads it holding
     * only the scheduler lock. */
    w->state = 1;
    w->code = code;
    /* A queued body cannot have been reaped: it unlinks its node itself
     * before it can end (wq_wait), so w->pcb is alive. */
    struct mk__pcb *pcb = w->pcb;
    if (pcb->wait == w)
        mk__sched_ready_locked(k, pcb, code);
    pthread_mutex_unlock(&p->lock);
}

int64_t mk__wq_wake_one(mk_t *k, mk__wq_t *wq, int code)
{
    struct mk__wait *w = wq->head;
    if (w == NULL)
        return -1;
    mk_pid_t pid = w->pid;
    mk__wq_wake_node(k, wq, w, code);
    return pid;
}

int64_t mk__wq_wake_best(mk_t *k, mk__wq_t *wq, int code)
{
    struct mk__wait *best = wq->head;
    if (best == NULL)
        return -1;
    for (struct mk__wait *w = best->next; w != NULL; w = w->next)
        if (w->prio > best->prio)
            best = w;
    mk_pid_t pid = best->pid;
    mk__wq_wake_node(k, wq, best, code);
    return pid;
}

uint32_t mk__wq_wake_all(mk_t *k, mk__wq_t *wq, int code)
{
    uint32_t n = 0;
    while (wq->head != NULL) {
        mk__wq_wake_node(k, wq, wq->head, code);
        n++;
    }
    return n;
}

uint32_t mk__wq_wake_pid(mk_t *k, mk__wq_t *wq, mk_pid_t pid, int code)
{
    uint32_t n = 0;
    struct mk__wait *w = wq->head;
    while (w != NULL) {
        struct mk__wait *next = w->next;
        if (w->pid == pid) {
            mk__wq_wake_node(k, wq, w, code);
            n++;
        }
        w = next;
    }
    return n;
}

struct mk__wait *mk__wq_find(mk__wq_t *wq, mk_pid_t pid)
{
    for (struct mk__wait *w = wq->head; w != NULL; w = w->next)
        if (w->pid == pid)
            return w;
    return NULL;
}
