/*
 * mq.c - the bounded message queue object behind mailboxes and named queues.
 *
 * Sits on core only (cond/deadline helpers) and the proc wait queues.
 * Callers (mbox.c, queue.c) find the object and pass it here; this file
 * never touches the ipc maps.
 *
 * Storage is a ring of fixed-size slots indexed by a 64-bit sequence
 * number (slot seq & rmask; see struct mk__mq in ipc_int.h). A message is
 * copied into its slot on send and out of it on receive, so the common
 * case allocates nothing: the ring starts as the array embedded in the
 * object and only grows (doubling, up to the capacity) when more messages
 * are queued than fit. Messages longer than a slot's payload (MK__SLOT_
 * INLINE_MAX, or msg_max when smaller) keep a malloc'd copy: the slot
 * holds the pointer. This is the bounded buffer of OSTEP ch. 30
 * ("Condition Variables") with the producer/consumer buffer holding the
 * bytes themselves, as a pipe's ring does, instead of pointers to
 * allocated messages. A pub/sub queue keeps one copy of each message and
 * a cursor per subscriber, the way a log-structured broker does (Kafka's
 * per-consumer offsets over one log), and releases a message once its
 * reader count reaches zero. The slowest subscriber therefore sets the
 * back-pressure: nothing is dropped.
 *
 * Locking: q->lock guards every field except ro.refs (atomic). Waits use
 * the generic wait queues of proc/sched.h (a body is suspended and the
 * next process runs, with a timeout in virtual ticks; a host thread sleeps
 * on a condvar with a wall-time deadline): receivers in q->rwq, senders
 * blocked by a full queue in q->swq. Wakers look at the wait queue first
 * (mk__wq_empty) so a send or receive nobody waits for costs no call into
 * the scheduler. A work-queue receiver only waits on an empty queue, so a
 * send wakes at most one receiver, and only when the queue goes from
 * empty to non-empty while someone waits: a fast producer's later sends
 * find the wait queue empty and wake nobody (natural batching). A waiter
 * re-checks its condition after every wake-up, including a timeout, so a
 * wake-up consumed by a waiter whose wait timed out at the same moment is
 * never lost: that waiter takes the message (or the room) itself.
 * Repeated waits use what is left of the timeout (mk__mq_left).
 */
#include "ipc_int.h"
#include "../proc/sched.h"

#include <stdlib.h>
#include <string.h>

/* Keep the rare paths out of line so the common one stays short. */
#if defined(__GNUC__)
#define MK__COLD __attribute__((noinline, cold))
#else
#define MK__COLD
#endif

/* Start loading the object's hot cache lines (ipc_int.h) before the lock:
 * on a cold object (a random one of 10^6) the misses then overlap with the
 * lock's own miss instead of following it one by one (the locked
 * instruction orders the loads after it). */
static inline void mk__mq_prefetch(const struct mk__mq *q)
{
#if defined(__GNUC__)
    const char *p = (const char *)q;
    for (size_t off = 64; off < offsetof(struct mk__mq, first) + 160; off += 64)
        __builtin_prefetch(p + off, 1, 3);
#else
    (void)q;
#endif
}

static inline struct mk__slot *mk__mq_slot(const struct mk__mq *q, uint64_t seq)
{
    return (struct mk__slot *)(void *)(q->ring + (size_t)(seq & q->rmask) * q->stride);
}

static inline void *mk__slot_heap(const struct mk__slot *s)
{
    void *p;
    memcpy(&p, s->data, sizeof p);
    return p;
}

static inline const void *mk__slot_bytes(const struct mk__slot *s)
{
    return s->heap ? mk__slot_heap(s) : (const void *)s->data;
}

static void mk__slot_clear(struct mk__slot *s)
{
    if (s->heap) {
        free(mk__slot_heap(s));
        s->heap = 0;
    }
}

void mk__mq_drop(struct mk__mq *q)
{
    for (uint64_t s = q->base; s < q->tail; s++)
        mk__slot_clear(mk__mq_slot(q, s));
    if (q->ring != q->first)
        free(q->ring);
    q->ring = q->first;
    q->rmask = 0;
    while ((q->rmask + 1) * 2 * q->stride <= MK__MQ_FIRST)
        q->rmask = q->rmask * 2 + 1;
    q->base = q->tail = 0;
}

void mk__mq_setup(struct mk__mq *q, uint32_t mode, uint32_t cap, uint32_t msg_max)
{
    mk__mq_drop(q);
    q->mode = mode;
    q->cap = cap;
    q->msg_max = msg_max;
    uint32_t inl = msg_max < MK__SLOT_INLINE_MAX ? msg_max : MK__SLOT_INLINE_MAX;
    inl = (inl + 7u) & ~7u;
    if (inl < sizeof(void *))
        inl = sizeof(void *);
    q->inl = inl;
    q->stride = (uint32_t)sizeof(struct mk__slot) + inl;
    q->nsubs = 0;
    q->dead = false;
    q->gen++;
    mk__mq_drop(q); /* sizes the embedded ring for the new stride */
}

int mk__mq_init(struct mk__mq *q, uint32_t mode, uint32_t cap, uint32_t msg_max)
{
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        return MK_ENOMEM;
    mk__wq_init(&q->rwq, MK__H_QUEUE, 0);
    mk__wq_init(&q->swq, MK__H_QUEUE, 0);
    atomic_init(&q->hid, 0);
    q->subs = NULL;
    q->subcap = 0;
    q->ring = q->first;
    q->stride = MK__MQ_FIRST;
    q->base = q->tail = 0;
    mk__mq_setup(q, mode, cap, msg_max);
    return 0;
}

void mk__mq_destroy(struct mk__mq *q)
{
    mk__mq_drop(q);
    free(q->subs);
    q->subs = NULL;
    pthread_mutex_destroy(&q->lock);
}

void mk__mq_kill(mk_t *k, struct mk__mq *q, bool drop)
{
    pthread_mutex_lock(&q->lock);
    q->dead = true;
    atomic_store_explicit(&q->hid, 0, memory_order_relaxed);
    mk__wq_wake_all(k, &q->rwq, MK_EDESTROYED);
    mk__wq_wake_all(k, &q->swq, MK_EDESTROYED);
    if (drop) {
        mk__mq_drop(q);
        q->nsubs = 0;
    }
    pthread_mutex_unlock(&q->lock);
}

/* Lock held, first look: is q still what the caller resolved? */
static inline bool mk__mq_gone(const struct mk__mq *q, uint64_t hid)
{
    return q->dead || (hid != 0 && atomic_load_explicit(&q->hid, memory_order_relaxed) != hid);
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

/* Double the ring (lock held; the caller checked that it is full and that
 * cap allows more). Messages keep their sequence numbers. */
static int mk__mq_grow(struct mk__mq *q)
{
    size_t n = ((size_t)q->rmask + 1) * 2;
    unsigned char *r = malloc(n * q->stride);
    if (r == NULL)
        return MK_ENOMEM;
    for (uint64_t s = q->base; s < q->tail; s++)
        memcpy(r + (size_t)(s & (n - 1)) * q->stride, mk__mq_slot(q, s), q->stride);
    if (q->ring != q->first)
        free(q->ring);
    q->ring = r;
    q->rmask = (uint32_t)(n - 1);
    return 0;
}

/* ---- subscribers (lock held) ------------------------------------------ */

static struct mk__sub *mk__mq_find_sub(struct mk__mq *q, mk_pid_t pid)
{
    for (uint32_t i = 0; i < q->nsubs; i++)
        if (q->subs[i].pid == pid)
            return &q->subs[i];
    return NULL;
}

/* Release every message at the front that no subscriber still needs; wake
 * senders if room appeared. */
static void mk__mq_release_front(mk_t *k, struct mk__mq *q)
{
    uint64_t old = q->base;
    while (q->base < q->tail) {
        struct mk__slot *s = mk__mq_slot(q, q->base);
        if (s->readers != 0)
            break;
        mk__slot_clear(s);
        q->base++;
    }
    if (q->base != old && !mk__wq_empty(&q->swq))
        mk__wq_wake_all(k, &q->swq, 0);
}

int mk__mq_subscribe(struct mk__mq *q, uint64_t hid, mk_pid_t pid)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (mk__mq_gone(q, hid)) {
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

int mk__mq_unsubscribe(mk_t *k, struct mk__mq *q, uint64_t hid, mk_pid_t pid)
{
    pthread_mutex_lock(&q->lock);
    if (mk__mq_gone(q, hid)) {
        pthread_mutex_unlock(&q->lock);
        return MK_EBADH;
    }
    struct mk__sub *s = mk__mq_find_sub(q, pid);
    if (s == NULL) {
        pthread_mutex_unlock(&q->lock);
        return MK_ENOENT;
    }
    /* Its unread messages no longer wait for it. */
    for (uint64_t seq = s->next; seq < q->tail; seq++)
        mk__mq_slot(q, seq)->readers--;
    *s = q->subs[--q->nsubs];
    mk__mq_release_front(k, q);
    /* A waiter receiving for pid finds its subscription gone. */
    mk__wq_wake_all(k, &q->rwq, 0);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

/* ---- send / receive ----------------------------------------------------- */

/* Everything but the common case (see mk__mq_send). Called with q->lock
 * held; returns with it released. */
MK__COLD static int mk__mq_send_slow(mk_t *k, struct mk__mq *q, uint64_t hid, int gone, uint32_t tag,
                            const void *data, size_t len, uint64_t timeout_ticks)
{
    struct mk__mq_dl dl;
    bool timed_out = false, started = false;
    void *copy = NULL;
    int rc;
    if (mk__mq_gone(q, hid)) {
        pthread_mutex_unlock(&q->lock);
        return gone;
    }
    if (len > q->msg_max) {
        pthread_mutex_unlock(&q->lock);
        return MK_EMSGSIZE;
    }
    uint64_t gen = q->gen;
    if (len > q->inl) {
        /* Longer than a slot: copy it outside the lock. */
        pthread_mutex_unlock(&q->lock);
        copy = malloc(len);
        if (copy == NULL)
            return MK_ENOMEM;
        memcpy(copy, data, len);
        pthread_mutex_lock(&q->lock);
    }
    for (;;) {
        if (q->dead || q->gen != gen) {
            rc = MK_EDESTROYED;
            break;
        }
        if (q->mode == MK_QUEUE_PUBSUB && q->nsubs == 0) {
            rc = 0; /* nobody subscribed: delivered to every (no) subscriber */
            break;
        }
        uint64_t n = q->tail - q->base;
        if (n < q->cap) {
            if (n > q->rmask && (rc = mk__mq_grow(q)) != 0)
                break;
            struct mk__slot *s = mk__mq_slot(q, q->tail);
            s->tag = tag;
            s->len = (uint32_t)len;
            if (copy != NULL) {
                s->heap = 1;
                memcpy(s->data, &copy, sizeof copy);
                copy = NULL;
            } else {
                s->heap = 0;
                if (len > 0)
                    memcpy(s->data, data, len);
            }
            q->tail++;
            if (q->mode == MK_QUEUE_PUBSUB) {
                s->readers = q->nsubs;
                if (!mk__wq_empty(&q->rwq))
                    mk__wq_wake_all(k, &q->rwq, 0); /* every subscriber */
            } else {
                s->readers = 1;
                if (!mk__wq_empty(&q->rwq))
                    mk__wq_wake_one(k, &q->rwq, 0); /* one receiver */
            }
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
            rc = w; /* the calling body was killed (or the queue reused) */
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    free(copy); /* still ours when it was not queued */
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

/* Everything but the common case (see mk__mq_recv). Called with q->lock
 * held; returns with it released. */
MK__COLD static int mk__mq_recv_slow(mk_t *k, struct mk__mq *q, uint64_t hid, int gone, mk_pid_t pid,
                            uint32_t *tag, void *buf, size_t cap, size_t *len,
                            uint64_t timeout_ticks)
{
    struct mk__mq_dl dl;
    bool timed_out = false, started = false, waited = false;
    void *taken = NULL;
    size_t taken_len = 0;
    int rc;
    if (mk__mq_gone(q, hid)) {
        pthread_mutex_unlock(&q->lock);
        return gone;
    }
    uint64_t gen = q->gen;
    for (;;) {
        if (q->dead || q->gen != gen) {
            rc = MK_EDESTROYED;
            break;
        }
        uint64_t seq = 0;
        struct mk__sub *sub;
        rc = mk__mq_next(q, pid, &seq, &sub);
        if (rc == MK_EPERM && waited)
            rc = MK_EDESTROYED; /* unsubscribed (or process destroyed) meanwhile */
        if (rc == 0) {
            struct mk__slot *s = mk__mq_slot(q, seq);
            if (s->len > cap) {
                rc = MK_EMSGSIZE; /* stays queued */
                /* We may have taken the one wake-up meant for this message:
                 * pass it on to a receiver with a larger buffer. */
                if (q->mode != MK_QUEUE_PUBSUB && !mk__wq_empty(&q->rwq))
                    mk__wq_wake_one(k, &q->rwq, 0);
                break;
            }
            if (tag != NULL)
                *tag = s->tag;
            if (len != NULL)
                *len = s->len;
            if (sub == NULL) {
                /* Work queue: copy a slot's bytes now; take a heap copy's
                 * pointer and copy it outside the lock. */
                if (s->heap) {
                    taken = mk__slot_heap(s);
                    taken_len = s->len;
                    s->heap = 0;
                } else if (s->len > 0) {
                    memcpy(buf, s->data, s->len);
                }
                q->base++;
                if (!mk__wq_empty(&q->swq))
                    mk__wq_wake_one(k, &q->swq, 0);
            } else {
                /* Pub/sub: the message is shared; copy it here. */
                if (s->len > 0)
                    memcpy(buf, mk__slot_bytes(s), s->len);
                sub->next++;
                s->readers--;
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
            rc = w; /* killed body, mailbox reborn, or no memory for a host wait */
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    if (taken != NULL) {
        memcpy(buf, taken, taken_len);
        free(taken);
    }
    return rc;
}

/* The common case in one short path: a live work queue (or mailbox) with
 * room in both the capacity and the ring, a message that fits a slot; or,
 * for receive, a message in a slot that fits the buffer. No waiting, no
 * allocation; the copy is done under the lock (at most
 * MK__SLOT_INLINE_MAX bytes). Anything else goes to the _slow versions,
 * which keep the lock. */
int mk__mq_send(mk_t *k, struct mk__mq *q, uint64_t hid, int gone, uint32_t tag,
                const void *data, size_t len, uint64_t timeout_ticks)
{
    mk__mq_prefetch(q);
    pthread_mutex_lock(&q->lock);
    uint64_t n = q->tail - q->base;
    if (!mk__mq_gone(q, hid) && q->mode == MK_QUEUE_WORK && len <= q->inl &&
        len <= q->msg_max && n < q->cap && n <= q->rmask) {
        struct mk__slot *s = mk__mq_slot(q, q->tail);
        s->tag = tag;
        s->len = (uint32_t)len;
        s->heap = 0;
        s->readers = 1;
        if (len > 0)
            memcpy(s->data, data, len);
        q->tail++;
        if (!mk__wq_empty(&q->rwq))
            mk__wq_wake_one(k, &q->rwq, 0);
        pthread_mutex_unlock(&q->lock);
        return 0;
    }
    return mk__mq_send_slow(k, q, hid, gone, tag, data, len, timeout_ticks);
}

int mk__mq_recv(mk_t *k, struct mk__mq *q, uint64_t hid, int gone, mk_pid_t pid,
                uint32_t *tag, void *buf, size_t cap, size_t *len, uint64_t timeout_ticks)
{
    mk__mq_prefetch(q);
    pthread_mutex_lock(&q->lock);
    if (!mk__mq_gone(q, hid) && q->mode == MK_QUEUE_WORK && q->base != q->tail) {
        const struct mk__slot *s = mk__mq_slot(q, q->base);
        if (!s->heap && s->len <= cap) {
            if (s->len > 0)
                memcpy(buf, s->data, s->len);
            if (tag != NULL)
                *tag = s->tag;
            if (len != NULL)
                *len = s->len;
            q->base++;
            if (!mk__wq_empty(&q->swq))
                mk__wq_wake_one(k, &q->swq, 0);
            pthread_mutex_unlock(&q->lock);
            return 0;
        }
    }
    return mk__mq_recv_slow(k, q, hid, gone, pid, tag, buf, cap, len, timeout_ticks);
}

int mk__mq_peek(struct mk__mq *q, uint64_t hid, mk_pid_t pid, uint32_t *tag, size_t *len)
{
    pthread_mutex_lock(&q->lock);
    uint64_t seq = 0;
    struct mk__sub *sub;
    int rc = mk__mq_gone(q, hid) ? MK_EBADH : mk__mq_next(q, pid, &seq, &sub);
    if (rc == 0) {
        const struct mk__slot *s = mk__mq_slot(q, seq);
        if (tag != NULL)
            *tag = s->tag;
        if (len != NULL)
            *len = s->len;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mk__mq_count(struct mk__mq *q, uint64_t hid, mk_pid_t pid, uint32_t *count)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (mk__mq_gone(q, hid)) {
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
    /* The ring is sized lazily by send (mk__mq_grow); a smaller capacity
     * keeps a larger ring, which only means room is never short. */
    bool grew = cap > q->cap;
    q->cap = cap;
    if (grew && !mk__wq_empty(&q->swq))
        mk__wq_wake_all(k, &q->swq, 0);
    pthread_mutex_unlock(&q->lock);
    return 0;
}
