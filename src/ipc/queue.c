/*
 * queue.c - named message queues: work queues and publish/subscribe.
 *
 * Sits on core (registry: handle table + name map, name check, huge-page
 * arrays) and proc (mk__proc_alive). A queue is published in the registry
 * (generation-tagged handle, so a deleted queue's handle is refused with
 * MK_EBADH; name) and, for the message path, in a lock-free table indexed
 * by the handle's slot (below). Create, open, delete and the subscription
 * calls go through the registry and hold a reference for the call; send,
 * receive, peek and count take no module-wide lock and no reference: they
 * find the object in the table and check under its lock that it still
 * carries the handle (hid). Queue objects are type-stable (ipc_int.h), so
 * mk_queue_delete can unpublish and kill the object while other threads
 * are blocked in it: they wake with MK_EDESTROYED; when the registry's
 * last reference goes the object is emptied and kept for the next create.
 *
 * Subscriptions name a pid; subscribe holds the ipc read lock while it
 * checks that the pid is alive and adds itself, and the process-exit hook
 * (mbox.c) sweeps subscriptions under the write lock, so a subscription can
 * never outlive its process.
 */
#include "ipc_int.h"
#include "../proc/proc.h"

#include <stdlib.h>
#include <string.h>

void mk_queue_attr_init(mk_queue_attr_t *a)
{
    if (a == NULL)
        return;
    memset(a, 0, sizeof *a);
    a->size = (uint32_t)sizeof *a;
}

/* ---- the lock-free handle table of the message path -------------------
 *
 * The registry (core) maps handles and names under its rwlock and counts
 * references; that is kept for create, open, delete and subscriptions. The
 * message path (send, receive, peek, count) instead indexes this table by
 * the handle's slot index (the low 32 bits: core/handle.c packs
 * type << 56 | generation << 32 | index) and compares the whole handle
 * with the object's `hid`, first without a lock and again under the
 * object's lock; queue objects are type-stable (ipc_int.h), so a stale
 * pointer read here still points to a queue object whose lock may be
 * taken. Three levels (index bits 20..30, 10..19, 0..9), published with
 * release stores under ipc->grow, never moved or freed before
 * mk__ipc_fini. If a handle is not found here (not yet published, or an
 * index this table cannot hold) the registry path answers instead. */
#define MK__QT_LEAF 1024u
#define MK__QT_MID 1024u
#define MK__QT_TOP 2048u /* 2^31 slot indexes */

struct mk__qleaf {
    _Atomic(struct mk__mq *) q[MK__QT_LEAF];
};
struct mk__qmid {
    _Atomic(struct mk__qleaf *) leaf[MK__QT_MID];
};
struct mk__qtab {
    _Atomic(struct mk__qmid *) mid[MK__QT_TOP];
};

int mk__queue_tab_init(struct mk__ipc *ipc)
{
    ipc->qt = calloc(1, sizeof *ipc->qt);
    ipc->qfree = NULL;
    return ipc->qt == NULL ? MK_ENOMEM : 0;
}

void mk__queue_tab_fini(struct mk__ipc *ipc)
{
    struct mk__mq *q;
    while ((q = ipc->qfree) != NULL) {
        ipc->qfree = q->next_free;
        mk__mq_destroy(q); /* its memory is carved: freed with the slabs */
    }
    free(ipc->qt);
    ipc->qt = NULL;
}

/* The table entry of slot index idx, creating missing levels (ipc->grow
 * held); NULL if out of range or out of memory. */
static _Atomic(struct mk__mq *) *mk__qt_entry(struct mk__ipc *ipc, uint32_t idx)
{
    if (idx >= MK__QT_TOP * MK__QT_MID * MK__QT_LEAF)
        return NULL;
    _Atomic(struct mk__qmid *) *mp = &ipc->qt->mid[idx >> 20];
    struct mk__qmid *m = atomic_load_explicit(mp, memory_order_acquire);
    if (m == NULL) {
        if ((m = mk__ipc_carve(ipc, sizeof *m)) == NULL)
            return NULL;
        atomic_store_explicit(mp, m, memory_order_release);
    }
    _Atomic(struct mk__qleaf *) *lp = &m->leaf[(idx >> 10) & (MK__QT_MID - 1)];
    struct mk__qleaf *l = atomic_load_explicit(lp, memory_order_acquire);
    if (l == NULL) {
        if ((l = mk__ipc_carve(ipc, sizeof *l)) == NULL)
            return NULL;
        atomic_store_explicit(lp, l, memory_order_release);
    }
    return &l->q[idx & (MK__QT_LEAF - 1)];
}

/* Message path: the queue carrying handle h right now, without lock or
 * reference (validated again under its lock), or NULL. Read-only twin of
 * mk__qt_entry, inlined: three dependent loads, the first two of small
 * tables that stay in cache. */
static inline struct mk__mq *mk__queue_fast(mk_t *k, mk_queue_t h)
{
    uint32_t idx = (uint32_t)h;
    if (idx >= MK__QT_TOP * MK__QT_MID * MK__QT_LEAF)
        return NULL;
    struct mk__qmid *m = atomic_load_explicit(&k->ipc->qt->mid[idx >> 20], memory_order_acquire);
    if (m == NULL)
        return NULL;
    struct mk__qleaf *l =
        atomic_load_explicit(&m->leaf[(idx >> 10) & (MK__QT_MID - 1)], memory_order_acquire);
    if (l == NULL)
        return NULL;
    struct mk__mq *q = atomic_load_explicit(&l->q[idx & (MK__QT_LEAF - 1)], memory_order_acquire);
    if (q == NULL || atomic_load_explicit(&q->hid, memory_order_relaxed) != h)
        return NULL;
    return q;
}

/* Last registry reference gone (deleted and no call holds it, or context
 * teardown): keep the object for reuse. */
static void mk__queue_release(struct mk__robj *o)
{
    struct mk__mq *q = mk__mq_of(o);
    struct mk__ipc *ipc = q->ipc;
    pthread_mutex_lock(&q->lock);
    q->dead = true;
    atomic_store_explicit(&q->hid, 0, memory_order_relaxed);
    mk__mq_drop(q);
    q->nsubs = 0;
    pthread_mutex_unlock(&q->lock);
    pthread_mutex_lock(&ipc->grow);
    q->next_free = ipc->qfree;
    ipc->qfree = q;
    pthread_mutex_unlock(&ipc->grow);
}

/* A queue object for create: a reused one or a new one. */
static struct mk__mq *mk__queue_alloc(struct mk__ipc *ipc, uint32_t mode, uint32_t cap,
                                      uint32_t msg_max, uint64_t *gen)
{
    pthread_mutex_lock(&ipc->grow);
    struct mk__mq *q = ipc->qfree;
    if (q != NULL)
        ipc->qfree = q->next_free;
    pthread_mutex_unlock(&ipc->grow);
    if (q != NULL) {
        pthread_mutex_lock(&q->lock);
        mk__mq_setup(q, mode, cap, msg_max);
        *gen = q->gen;
        pthread_mutex_unlock(&q->lock);
    } else {
        pthread_mutex_lock(&ipc->grow);
        q = mk__ipc_carve(ipc, sizeof *q);
        pthread_mutex_unlock(&ipc->grow);
        if (q == NULL)
            return NULL;
        if (mk__mq_init(q, mode, cap, msg_max) != 0)
            return NULL; /* its carved memory stays unused: rare, bounded */
        q->ipc = ipc;
        *gen = q->gen; /* not shared yet */
    }
    mk__robj_init(&q->ro, mk__queue_release);
    return q;
}

/* Resolve a handle through the registry and take a reference; NULL if
 * stale or forged. */
static struct mk__mq *mk__queue_get(mk_t *k, mk_queue_t h)
{
    struct mk__robj *o = mk__registry_get(&k->ipc->queues, h);
    return o == NULL ? NULL : mk__mq_of(o);
}

/* pid 0 is host code; any other pid must be a live process. */
static int mk__queue_pid_check(mk_t *k, mk_pid_t pid)
{
    return pid == MK_PID_KERNEL ? 0 : mk__proc_alive(k, pid);
}

int mk_queue_create(mk_t *k, const char *name, const mk_queue_attr_t *attr, mk_queue_t *out)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (out == NULL)
        return MK_EINVAL;
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    mk_queue_attr_t a;
    mk_queue_attr_init(&a);
    if (attr != NULL) {
        if (attr->size < sizeof a)
            return MK_EINVAL; /* 1.0 is the first layout */
        memcpy(&a, attr, sizeof a);
    }
    if (a.mode != MK_QUEUE_WORK && a.mode != MK_QUEUE_PUBSUB)
        return MK_EINVAL;
    if (a.capacity == 0)
        a.capacity = MK_MBOX_CAPACITY_DEFAULT;
    if (a.msg_max == 0)
        a.msg_max = MK_MSG_MAX_DEFAULT;
    if (a.capacity > MK_QUEUE_CAPACITY_MAX || a.msg_max > MK_MSG_MAX_LIMIT)
        return MK_ERANGE;

    struct mk__ipc *ipc = k->ipc;
    uint64_t gen;
    struct mk__mq *q = mk__queue_alloc(ipc, a.mode, a.capacity, a.msg_max, &gen);
    if (q == NULL)
        return MK_ENOMEM;
    rc = mk__registry_add(&ipc->queues, &q->ro, name);
    if (rc != 0) {
        mk__robj_unref(&q->ro); /* back to the free list */
        return rc;
    }
    mk_queue_t h = q->ro.handle;
    pthread_mutex_lock(&q->lock);
    q->rwq.obj = q->swq.obj = h; /* what MK_EV_BLOCK reports */
    if (!q->dead && q->gen == gen) /* not deleted already by a thread that opened it */
        atomic_store_explicit(&q->hid, h, memory_order_relaxed);
    pthread_mutex_unlock(&q->lock);
    /* Publish for the message path; until then it goes through the
     * registry. Best effort: without memory it stays there. */
    pthread_mutex_lock(&ipc->grow);
    _Atomic(struct mk__mq *) *e = mk__qt_entry(ipc, (uint32_t)h);
    if (e != NULL)
        atomic_store_explicit(e, q, memory_order_release);
    pthread_mutex_unlock(&ipc->grow);
    *out = h;
    return 0;
}

int mk_queue_open(mk_t *k, const char *name, mk_queue_t *out)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (out == NULL)
        return MK_EINVAL;
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    struct mk__robj *o = mk__registry_find(&k->ipc->queues, name);
    if (o == NULL)
        return MK_ENOENT;
    *out = o->handle;
    mk__robj_unref(o);
    return 0;
}

int mk_queue_delete(mk_t *k, mk_queue_t h)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__robj *o = mk__registry_remove(&k->ipc->queues, h);
    if (o == NULL)
        return MK_EBADH;
    struct mk__mq *q = mk__mq_of(o);
    mk__mq_kill(k, q, false); /* hid = 0: the message path refuses h now */
    mk__robj_unref(&q->ro);   /* the registry's reference */
    return 0;
}

/* The message calls below resolve h through the lock-free table (no
 * reference: mk__mq_* re-check hid under the lock, MK_EBADH if the queue
 * was deleted meanwhile) and fall back to the registry (a reference held
 * for the call) only when the table does not have it. */

int mk_queue_send(mk_t *k, mk_queue_t h, uint32_t tag, const void *data, size_t len,
                  uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (data == NULL && len > 0)
        return MK_EINVAL;
    int rc;
    struct mk__mq *q = mk__queue_fast(k, h);
    if (q != NULL) {
        rc = mk__mq_send(k, q, h, MK_EBADH, tag, data, len, timeout_ticks);
    } else {
        if ((q = mk__queue_get(k, h)) == NULL)
            return MK_EBADH;
        rc = mk__mq_send(k, q, 0, MK_EDESTROYED, tag, data, len, timeout_ticks);
        mk__robj_unref(&q->ro);
    }
    if (rc == 0)
        mk__trace_self(k, MK_EV_MSG_SEND, h, len);
    return rc;
}

int mk_queue_recv(mk_t *k, mk_queue_t h, mk_pid_t pid, uint32_t *tag, void *buf, size_t cap,
                  size_t *len, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (buf == NULL && cap > 0)
        return MK_EINVAL;
    size_t got = 0;
    int rc;
    struct mk__mq *q = mk__queue_fast(k, h);
    if (q != NULL) {
        rc = mk__queue_pid_check(k, pid);
        if (rc == 0)
            rc = mk__mq_recv(k, q, h, MK_EBADH, pid, tag, buf, cap, &got, timeout_ticks);
    } else {
        if ((q = mk__queue_get(k, h)) == NULL)
            return MK_EBADH;
        rc = mk__queue_pid_check(k, pid);
        if (rc == 0)
            rc = mk__mq_recv(k, q, 0, MK_EDESTROYED, pid, tag, buf, cap, &got, timeout_ticks);
        mk__robj_unref(&q->ro);
    }
    if (rc == 0) {
        mk__trace_self(k, MK_EV_MSG_RECV, h, got);
        if (len != NULL)
            *len = got;
    }
    return rc;
}

int mk_queue_peek(mk_t *k, mk_queue_t h, mk_pid_t pid, uint32_t *tag, size_t *len)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    int rc;
    struct mk__mq *q = mk__queue_fast(k, h);
    if (q != NULL) {
        rc = mk__queue_pid_check(k, pid);
        if (rc == 0)
            rc = mk__mq_peek(q, h, pid, tag, len);
    } else {
        if ((q = mk__queue_get(k, h)) == NULL)
            return MK_EBADH;
        rc = mk__queue_pid_check(k, pid);
        if (rc == 0)
            rc = mk__mq_peek(q, 0, pid, tag, len);
        mk__robj_unref(&q->ro);
    }
    return rc;
}

int mk_queue_count(mk_t *k, mk_queue_t h, mk_pid_t pid, uint32_t *count)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (count == NULL)
        return MK_EINVAL;
    int rc;
    struct mk__mq *q = mk__queue_fast(k, h);
    if (q != NULL) {
        rc = mk__queue_pid_check(k, pid);
        if (rc == 0)
            rc = mk__mq_count(q, h, pid, count);
    } else {
        if ((q = mk__queue_get(k, h)) == NULL)
            return MK_EBADH;
        rc = mk__queue_pid_check(k, pid);
        if (rc == 0)
            rc = mk__mq_count(q, 0, pid, count);
        mk__robj_unref(&q->ro);
    }
    return rc;
}

int mk_queue_subscribe(mk_t *k, mk_queue_t h, mk_pid_t pid)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__ipc *ipc = k->ipc;
    int rc;
    /* Mailbox-map read lock held throughout: see the file comment. */
    pthread_rwlock_rdlock(&ipc->lock);
    struct mk__mq *q = mk__queue_get(k, h);
    if (q == NULL)
        rc = MK_EBADH;
    else if (q->mode != MK_QUEUE_PUBSUB)
        rc = MK_ENOTSUP;
    else if (pid != MK_PID_KERNEL &&
             (pid > MK_PID_MAX || !mk__mbox_alive(k, pid) || mk__proc_alive(k, pid) != 0))
        rc = MK_ENOENT;
    else
        rc = mk__mq_subscribe(q, pid);
    pthread_rwlock_unlock(&ipc->lock);
    if (q != NULL)
        mk__robj_unref(&q->ro);
    return rc;
}

int mk_queue_unsubscribe(mk_t *k, mk_queue_t h, mk_pid_t pid)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__mq *q = mk__queue_get(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = q->mode != MK_QUEUE_PUBSUB ? MK_ENOTSUP : mk__mq_unsubscribe(k, q, pid);
    mk__robj_unref(&q->ro);
    return rc;
}
