/*
 * mq.c - the bounded message queue object behind mailboxes and named queues.
 *
 * Sits on core only (cond/deadline helpers). Callers (mbox.c, queue.c) look
 * the object up, hold a reference across the call, and pass it here; this
 * file never touches the ipc maps.
 *
 * Storage is a ring of message pointers indexed by a 64-bit sequence number
 * (slot[seq % cap]); see struct mk__mq in ipc_int.h. A work queue is the
 * classic bounded buffer (producer/consumer with two condition variables,
 * as in OSTEP ch. 30 "Condition Variables"); a pub/sub queue keeps one copy
 * of each message and a cursor per subscriber, the way a log-structured
 * broker does (Kafka's per-consumer offsets over one log), and releases a
 * message once its reader count reaches zero. The slowest subscriber
 * therefore sets the back-pressure: nothing is dropped.
 *
 * Locking: q->lock guards every field except refs (atomic). Waits use the
 * generic wait queues of proc/sched.h (a body is suspended and the next
 * process runs, with a timeout in virtual ticks; a host thread sleeps on a
 * condvar with a wall-time deadline): receivers in q->rwq, senders blocked
 * by a full queue in q->swq. A waiter re-checks its condition after every
 * wake-up, including a timeout, so a wake-up consumed by a waiter whose
 * wait timed out at the same moment is never lost: that waiter takes the
 * message (or the room) itself. Repeated waits use what is left of the
 * timeout (mk__mq_left).
 */
#include "ipc_int.h"
#include "../proc/sched.h"

#include <stdlib.h>
#include <string.h>

static void mk__mq_free(struct mk__robj *o)
{
    struct mk__mq *q = (struct mk__mq *)o;
    for (uint64_t s = q->base; s < q->tail; s++)
        free(q->slot[s % q->cap]);
    free(q->slot);
    free(q->subs);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

struct mk__mq *mk__mq_new(uint32_t mode, uint32_t cap, uint32_t msg_max)
{
    struct mk__mq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->slot = calloc(cap, sizeof *q->slot);
    if (q->slot == NULL)
        goto fail_q;
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        goto fail_slot;
    mk__wq_init(&q->rwq, MK__H_QUEUE, 0);
    mk__wq_init(&q->swq, MK__H_QUEUE, 0);
    mk__robj_init(&q->ro, mk__mq_free);
    q->mode = mode;
    q->cap = cap;
    q->msg_max = msg_max;
    return q;
fail_slot:
    free(q->slot);
fail_q:
    free(q);
    return NULL;
}

void mk__mq_ref(struct mk__mq *q)
{
    mk__robj_ref(&q->ro);
}

void mk__mq_unref(struct mk__mq *q)
{
    mk__robj_unref(&q->ro);
}

void mk__mq_kill(mk_t *k, struct mk__mq *q)
{
    pthread_mutex_lock(&q->lock);
    q->dead = true;
    mk__wq_wake_all(k, &q->rwq, MK_EDESTROYED);
    mk__wq_wake_all(k, &q->swq, MK_EDESTROYED);
    pthread_mutex_unlock(&q->lock);
}

/* What is left of a timeout set at `start` (virtual ticks for a body, wall
 * time converted at tick_hz for a host thread). */
struct mk__mq_dl {
    uint64_t timeout;
    uint64_t start_tick;
    struct timespec start;
};

static void mk__mq_dl_start(mk_t *k, struct mk__mq_dl *d, uint64_t timeout)
{
    d->timeout = timeout;
    d->start_tick = atomic_load(&k->ticks);
    clock_gettime(CLOCK_MONOTONIC, &d->start);
}

static uint64_t mk__mq_left(mk_t *k, const struct mk__mq_dl *d)
{
    if (d->timeout == MK_FOREVER)
        return MK_FOREVER;
    uint64_t used;
    if (mk__sched_current(k) != 0) {
        used = atomic_load(&k->ticks) - d->start_tick;
    } else {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ns = (int64_t)(now.tv_sec - d->start.tv_sec) * 1000000000LL +
                     (now.tv_nsec - d->start.tv_nsec);
        used = ns <= 0 ? 0 : (uint64_t)ns / (1000000000ull / k->cfg.tick_hz);
    }
    return used >= d->timeout ? 0 : d->timeout - used;
}

struct mk__msg *mk__msg_new(uint32_t tag, const void *data, size_t len)
{
    struct mk__msg *m = malloc(sizeof *m + len);
    if (m == NULL)
        return NULL;
    m->tag = tag;
    m->readers = 1;
    m->len = len;
    if (len > 0)
        memcpy(m->data, data, len);
    return m;
}

/* ---- subscribers (lock held) ------------------------------------------ */

static struct mk__sub *mk__mq_find_sub(struct mk__mq *q, mk_pid_t pid)
{
    for (uint32_t i = 0; i < q->nsubs; i++)
        if (q->subs[i].pid == pid)
            return &q->subs[i];
    return NULL;
}

/* Free every message at the front that no subscriber still needs; wake
 * senders if room appeared. */
static void mk__mq_release_front(mk_t *k, struct mk__mq *q)
{
    uint64_t old = q->base;
    while (q->base < q->tail && q->slot[q->base % q->cap]->readers == 0) {
        free(q->slot[q->base % q->cap]);
        q->slot[q->base % q->cap] = NULL;
        q->base++;
    }
    if (q->base != old)
        mk__wq_wake_all(k, &q->swq, 0);
}

int mk__mq_subscribe(struct mk__mq *q, mk_pid_t pid)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (q->dead) {
        rc = MK_EBADH; /* deleted between lookup and lock */
    } else if (mk__mq_find_sub(q, pid) != NULL) {
        rc = MK_EEXIST;
    } else {
        if (q->nsubs == q->subcap) {
            uint32_t ncap = q->subcap ? q->subcap * 2 : 4;
            struct mk__sub *n = realloc(q->subs, ncap * sizeof *n);
            if (n == NULL) {
                rc = MK_ENOMEM;
                goto out;
            }
            q->subs = n;
            q->subcap = ncap;
        }
        /* Receives every message sent from now on. */
        q->subs[q->nsubs].pid = pid;
        q->subs[q->nsubs].next = q->tail;
        q->nsubs++;
    }
out:
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mk__mq_unsubscribe(mk_t *k, struct mk__mq *q, mk_pid_t pid)
{
    pthread_mutex_lock(&q->lock);
    struct mk__sub *s = mk__mq_find_sub(q, pid);
    if (s == NULL) {
        pthread_mutex_unlock(&q->lock);
        return MK_ENOENT;
    }
    /* Its unread messages no longer wait for it. */
    for (uint64_t seq = s->next; seq < q->tail; seq++)
        q->slot[seq % q->cap]->readers--;
    *s = q->subs[--q->nsubs];
    mk__mq_release_front(k, q);
    /* A waiter receiving for pid finds its subscription gone. */
    mk__wq_wake_all(k, &q->rwq, 0);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

/* ---- send / receive ----------------------------------------------------- */

int mk__mq_send(mk_t *k, struct mk__mq *q, struct mk__msg *m, uint64_t timeout_ticks)
{
    struct mk__mq_dl dl;
    bool timed_out = false, started = false;
    int rc;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->dead) {
            rc = MK_EDESTROYED;
            break;
        }
        if (q->mode == MK_QUEUE_PUBSUB && q->nsubs == 0) {
            rc = 0; /* nobody subscribed: delivered to every (no) subscriber */
            free(m);
            m = NULL;
            break;
        }
        if (q->tail - q->base < q->cap) {
            m->readers = q->mode == MK_QUEUE_PUBSUB ? q->nsubs : 1;
            q->slot[q->tail % q->cap] = m;
            q->tail++;
            m = NULL;
            if (q->mode == MK_QUEUE_PUBSUB)
                mk__wq_wake_all(k, &q->rwq, 0); /* every subscriber */
            else
                mk__wq_wake_one(k, &q->rwq, 0); /* one receiver */
            rc = 0;
            break;
        }
        if (timeout_ticks == MK_NO_WAIT) {
            rc = MK_EAGAIN;
            break;
        }
        if (timed_out) {
            rc = MK_ETIMEDOUT;
            break;
        }
        if (!started) {
            mk__mq_dl_start(k, &dl, timeout_ticks);
            started = true;
        }
        uint64_t left = mk__mq_left(k, &dl);
        int w = left == 0 ? MK_ETIMEDOUT : mk__wq_wait(k, &q->swq, &q->lock, left, 0);
        if (w == MK_ETIMEDOUT)
            timed_out = true; /* re-check once more before giving up */
        else if (w != 0 && w != MK_EDESTROYED) {
            rc = w;
            break;
        } else if (w == MK_EDESTROYED && !q->dead) {
            rc = w; /* the calling body was killed */
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    free(m); /* still ours when it was not queued */
    return rc;
}

/* Locate the next message for pid. Lock held. Returns 0 with *seqp set and
 * *subp (pub/sub) set, MK_EAGAIN when there is none yet, MK_EPERM when pid
 * is not a subscriber. */
static int mk__mq_next(struct mk__mq *q, mk_pid_t pid, uint64_t *seqp, struct mk__sub **subp)
{
    if (q->mode == MK_QUEUE_PUBSUB) {
        struct mk__sub *s = mk__mq_find_sub(q, pid);
        if (s == NULL)
            return MK_EPERM;
        *subp = s;
        if (s->next == q->tail)
            return MK_EAGAIN;
        *seqp = s->next;
        return 0;
    }
    *subp = NULL;
    if (q->base == q->tail)
        return MK_EAGAIN;
    *seqp = q->base;
    return 0;
}

int mk__mq_recv(mk_t *k, struct mk__mq *q, mk_pid_t pid, uint32_t *tag, void *buf,
                size_t cap, size_t *len, uint64_t timeout_ticks)
{
    struct mk__mq_dl dl;
    bool timed_out = false, started = false, waited = false;
    struct mk__msg *taken = NULL;
    int rc;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->dead) {
            rc = MK_EDESTROYED;
            break;
        }
        uint64_t seq = 0;
        struct mk__sub *sub;
        rc = mk__mq_next(q, pid, &seq, &sub);
        if (rc == MK_EPERM && waited)
            rc = MK_EDESTROYED; /* unsubscribed (or process destroyed) meanwhile */
        if (rc == 0) {
            struct mk__msg *m = q->slot[seq % q->cap];
            if (m->len > cap) {
                rc = MK_EMSGSIZE; /* stays queued */
                /* We may have taken the one wake-up meant for this message:
                 * pass it on to a receiver with a larger buffer. */
                if (q->mode != MK_QUEUE_PUBSUB)
                    mk__wq_wake_one(k, &q->rwq, 0);
                break;
            }
            if (sub == NULL) {
                /* Work queue: take the pointer, copy outside the lock. */
                q->slot[seq % q->cap] = NULL;
                q->base++;
                taken = m;
                mk__wq_wake_one(k, &q->swq, 0);
            } else {
                /* Pub/sub: the message is shared; copy it here. */
                if (m->len > 0)
                    memcpy(buf, m->data, m->len);
                if (tag != NULL)
                    *tag = m->tag;
                if (len != NULL)
                    *len = m->len;
                sub->next++;
                m->readers--;
                mk__mq_release_front(k, q);
            }
            break;
        }
        if (rc != MK_EAGAIN)
            break;
        if (timeout_ticks == MK_NO_WAIT)
            break;
        if (timed_out) {
            rc = MK_ETIMEDOUT;
            break;
        }
        if (!started) {
            mk__mq_dl_start(k, &dl, timeout_ticks);
            started = true;
        }
        waited = true;
        uint64_t left = mk__mq_left(k, &dl);
        int w = left == 0 ? MK_ETIMEDOUT : mk__wq_wait(k, &q->rwq, &q->lock, left, pid);
        if (w == MK_ETIMEDOUT) {
            timed_out = true;
        } else if (w != 0 && !(w == MK_EDESTROYED && q->dead)) {
            rc = w; /* killed body, or no memory for a host wait */
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    if (taken != NULL) {
        if (taken->len > 0)
            memcpy(buf, taken->data, taken->len);
        if (tag != NULL)
            *tag = taken->tag;
        if (len != NULL)
            *len = taken->len;
        free(taken);
    }
    return rc;
}

int mk__mq_peek(struct mk__mq *q, mk_pid_t pid, uint32_t *tag, size_t *len)
{
    pthread_mutex_lock(&q->lock);
    uint64_t seq = 0;
    struct mk__sub *sub;
    int rc = q->dead ? MK_EBADH : mk__mq_next(q, pid, &seq, &sub);
    if (rc == 0) {
        const struct mk__msg *m = q->slot[seq % q->cap];
        if (tag != NULL)
            *tag = m->tag;
        if (len != NULL)
            *len = m->len;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mk__mq_count(struct mk__mq *q, mk_pid_t pid, uint32_t *count)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (q->dead) {
        rc = MK_EBADH;
    } else if (q->mode == MK_QUEUE_PUBSUB) {
        const struct mk__sub *s = mk__mq_find_sub(q, pid);
        if (s == NULL)
            rc = MK_EPERM;
        else
            *count = (uint32_t)(q->tail - s->next);
    } else {
        *count = (uint32_t)(q->tail - q->base);
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mk__mq_set_capacity(mk_t *k, struct mk__mq *q, uint32_t cap)
{
    pthread_mutex_lock(&q->lock);
    if (q->dead) {
        pthread_mutex_unlock(&q->lock);
        return MK_ENOENT;
    }
    if (q->tail - q->base > cap) {
        pthread_mutex_unlock(&q->lock);
        return MK_EBUSY;
    }
    struct mk__msg **ns = calloc(cap, sizeof *ns);
    if (ns == NULL) {
        pthread_mutex_unlock(&q->lock);
        return MK_ENOMEM;
    }
    /* Re-home by sequence number: slot[s % cap] keeps working unchanged. */
    for (uint64_t s = q->base; s < q->tail; s++)
        ns[s % cap] = q->slot[s % q->cap];
    free(q->slot);
    q->slot = ns;
    bool grew = cap > q->cap;
    q->cap = cap;
    if (grew)
        mk__wq_wake_all(k, &q->swq, 0);
    pthread_mutex_unlock(&q->lock);
    return 0;
}
