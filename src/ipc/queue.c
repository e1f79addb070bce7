/*
 * queue.c - named message queues: work queues and publish/subscribe.
 *
 * Sits on core (registry: handle allocation + name map + reference
 * counts, name check) and proc (mk__proc_alive). A queue is a registry
 * record (generation-tagged handle, so a deleted queue's handle is refused
 * with MK_EBADH; name) pointing at a type-stable object kept in a
 * lock-free table indexed by the handle's slot (below). Create, open and
 * delete go through the registry; every other call finds the object
 * without any module-wide lock or reference and checks under the object's
 * lock that it still carries the handle (hid). mk_queue_delete unpublishes
 * the record and kills the object while other threads may be blocked in
 * it: they wake with MK_EDESTROYED; the object stays, dead, for the next
 * queue that gets the same slot.
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

/* ---- objects and lookup -------------------------------------------------
 *
 * The registry (core) allocates handles, maps names and counts references;
 * what it publishes is a small record (struct mk__qrec) pointing at the
 * queue object. The objects themselves live in ipc->qt, a lock-free table
 * (ipc_int.h, struct mk__otab) indexed by the handle's slot index (the low
 * 32 bits: core/handle.c packs type << 56 | generation << 32 | index), so
 * the message path goes from a handle to its object with two reads of
 * small, cache-resident levels and lands on the object: one cache miss for
 * a random queue among 10^6. Every operation checks under the object's
 * lock that it still carries the handle (`hid`): a deleted queue's object
 * is dead and gets a new handle when the slot is handed out again. Create
 * holds ipc->grow from publishing the record to setting the object up, so
 * a caller that finds the handle published but the object not yet carrying
 * it waits for ipc->grow and looks again. */
struct mk__qrec {
    struct mk__robj ro;
    struct mk__mq *_Atomic q; /* set once the object carries ro.handle */
};

static void mk__qrec_free(struct mk__robj *o)
{
    free(o); /* ro is the first member */
}

struct mk__mq *mk__queue_of(struct mk__robj *o)
{
    return atomic_load_explicit(&((struct mk__qrec *)(void *)o)->q, memory_order_acquire);
}

/* The object carrying handle h right now, or NULL (stale, forged, never
 * published, or published a moment ago by a create that is still setting
 * it up: see mk__queue_find). Lock-free; valid until the caller checks hid
 * under the object's lock. */
static inline struct mk__mq *mk__queue_fast(mk_t *k, mk_queue_t h)
{
    struct mk__mq *q = mk__otab_get(k->ipc->qt, (uint32_t)h);
    if (q == NULL || atomic_load_explicit(&q->hid, memory_order_relaxed) != h)
        return NULL;
    return q;
}

/* mk__queue_find's rare path: is h published by a create still setting up
 * its object? Then wait for it (it holds ipc->grow) and look again. */
static struct mk__mq *mk__queue_find_slow(mk_t *k, mk_queue_t h)
{
    struct mk__ipc *ipc = k->ipc;
    struct mk__robj *o = mk__registry_get(&ipc->queues, h);
    if (o == NULL)
        return NULL; /* stale or forged */
    mk__robj_unref(o);
    pthread_mutex_lock(&ipc->grow);
    pthread_mutex_unlock(&ipc->grow);
    return mk__queue_fast(k, h);
}

/* As mk__queue_fast, waiting for a create in progress to finish. */
static inline struct mk__mq *mk__queue_find(mk_t *k, mk_queue_t h)
{
    struct mk__mq *q = mk__queue_fast(k, h);
    return q != NULL ? q : mk__queue_find_slow(k, h);
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
    struct mk__qrec *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MK_ENOMEM;
    mk__robj_init(&r->ro, mk__qrec_free);
    pthread_mutex_lock(&ipc->grow);
    rc = mk__registry_add(&ipc->queues, &r->ro, name);
    if (rc != 0) {
        pthread_mutex_unlock(&ipc->grow);
        mk__robj_unref(&r->ro);
        return rc;
    }
    mk_queue_t h = r->ro.handle;
    struct mk__mq *q = mk__otab_make(ipc, ipc->qt, (uint32_t)h);
    bool ok = false;
    if (q != NULL) {
        pthread_mutex_lock(&q->lock);
        if (q->dead) { /* else: slot index in use, impossible with core's handles */
            mk__mq_setup(q, a.mode, a.capacity, a.msg_max);
            q->rwq.obj = q->swq.obj = h; /* what MK_EV_BLOCK reports */
            atomic_store_explicit(&q->hid, h, memory_order_relaxed);
            ok = true;
        }
        pthread_mutex_unlock(&q->lock);
    }
    if (!ok) {
        pthread_mutex_unlock(&ipc->grow);
        struct mk__robj *o = mk__registry_remove(&ipc->queues, h);
        if (o != NULL)
            mk__robj_unref(o);
        return MK_ENOMEM;
    }
    atomic_store_explicit(&r->q, q, memory_order_release);
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
    struct mk__ipc *ipc = k->ipc;
    /* ipc->grow: not while a create of this handle is still setting up. */
    pthread_mutex_lock(&ipc->grow);
    struct mk__robj *o = mk__registry_remove(&ipc->queues, h);
    pthread_mutex_unlock(&ipc->grow);
    if (o == NULL)
        return MK_EBADH;
    struct mk__mq *q = mk__queue_of(o);
    if (q != NULL)
        mk__mq_kill(k, q, true); /* hid = 0, waiters woken, messages freed */
    mk__robj_unref(o);           /* the registry's reference */
    return 0;
}

/* The message calls find the object without lock or reference; mk__mq_*
 * check under its lock that it still carries h (MK_EBADH otherwise: the
 * queue was deleted, the handle is stale). */

int mk_queue_send(mk_t *k, mk_queue_t h, uint32_t tag, const void *data, size_t len,
                  uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (data == NULL && len > 0)
        return MK_EINVAL;
    struct mk__mq *q = mk__queue_find(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__mq_send(k, q, h, MK_EBADH, tag, data, len, timeout_ticks);
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
    struct mk__mq *q = mk__queue_find(k, h);
    if (q == NULL)
        return MK_EBADH;
    size_t got = 0;
    int rc = mk__queue_pid_check(k, pid);
    if (rc == 0)
        rc = mk__mq_recv(k, q, h, MK_EBADH, pid, tag, buf, cap, &got, timeout_ticks);
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
    struct mk__mq *q = mk__queue_find(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__queue_pid_check(k, pid);
    return rc != 0 ? rc : mk__mq_peek(q, h, pid, tag, len);
}

int mk_queue_count(mk_t *k, mk_queue_t h, mk_pid_t pid, uint32_t *count)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__mq *q = mk__queue_find(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__queue_pid_check(k, pid);
    return rc != 0 ? rc : mk__mq_count(q, h, pid, count);
}

/* MK_EBADH, MK_ENOTSUP (not pub/sub) or 0, read under the object's lock. */
static int mk__queue_pubsub_check(struct mk__mq *q, mk_queue_t h)
{
    pthread_mutex_lock(&q->lock);
    int rc = q->dead || atomic_load_explicit(&q->hid, memory_order_relaxed) != h ? MK_EBADH
             : q->mode != MK_QUEUE_PUBSUB                                     ? MK_ENOTSUP
                                                                               : 0;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mk_queue_subscribe(mk_t *k, mk_queue_t h, mk_pid_t pid)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__ipc *ipc = k->ipc;
    int rc;
    /* ipc->lock read-held throughout: see the file comment. */
    pthread_rwlock_rdlock(&ipc->lock);
    struct mk__mq *q = mk__queue_find(k, h);
    if (q == NULL)
        rc = MK_EBADH;
    else if ((rc = mk__queue_pubsub_check(q, h)) != 0)
        ; /* MK_EBADH / MK_ENOTSUP */
    else if (pid != MK_PID_KERNEL &&
             (pid > MK_PID_MAX || !mk__mbox_alive(k, pid) || mk__proc_alive(k, pid) != 0))
        rc = MK_ENOENT;
    else
        rc = mk__mq_subscribe(q, h, pid);
    pthread_rwlock_unlock(&ipc->lock);
    return rc;
}

int mk_queue_unsubscribe(mk_t *k, mk_queue_t h, mk_pid_t pid)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__mq *q = mk__queue_find(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__queue_pubsub_check(q, h);
    return rc != 0 ? rc : mk__mq_unsubscribe(k, q, h, pid);
}
