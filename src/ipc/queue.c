/*
 * queue.c - named message queues: work queues and publish/subscribe.
 *
 * Sits on core (handle table, name map, name check) and proc
 * (mk__proc_alive). A queue is published in two maps under the ipc rwlock:
 * handle -> object (generation-tagged, so a deleted queue's handle is
 * refused with MK_EBADH) and name -> object. Every call resolves the handle
 * under the read lock and takes a reference (ipc_int.h), so mk_queue_delete
 * can unpublish and kill the object while other threads are blocked in it:
 * they wake with MK_EDESTROYED and the last of them frees it.
 *
 * Subscriptions name a pid; subscribe holds the ipc read lock while it
 * checks that the pid is alive and adds itself, and the process-exit hook
 * (mbox.c) sweeps subscriptions under the write lock, so a subscription can
 * never outlive its process.
 */
#include "ipc_int.h"
#include "../proc/proc.h"

#include <string.h>

void mk_queue_attr_init(mk_queue_attr_t *a)
{
    if (a == NULL)
        return;
    memset(a, 0, sizeof *a);
    a->size = (uint32_t)sizeof *a;
}

/* Resolve a handle and take a reference; NULL if stale or forged. */
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

    struct mk__mq *q = mk__mq_new(a.mode, a.capacity, a.msg_max);
    if (q == NULL)
        return MK_ENOMEM;
    rc = mk__registry_add(&k->ipc->queues, &q->ro, name);
    if (rc != 0) {
        mk__mq_unref(q);
        return rc;
    }
    q->rwq.obj = q->swq.obj = q->ro.handle; /* what MK_EV_BLOCK reports */
    *out = q->ro.handle;
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
    mk__mq_kill(k, q, false);
    mk__mq_unref(q); /* the registry's reference */
    return 0;
}

int mk_queue_send(mk_t *k, mk_queue_t h, uint32_t tag, const void *data, size_t len,
                  uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (data == NULL && len > 0)
        return MK_EINVAL;
    struct mk__mq *q = mk__queue_get(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = MK_EMSGSIZE;
    if (len <= q->msg_max)
        rc = mk__mq_send(k, q, tag, data, len, timeout_ticks, MK_EDESTROYED);
    mk__mq_unref(q);
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
    struct mk__mq *q = mk__queue_get(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__queue_pid_check(k, pid);
    size_t got = 0;
    if (rc == 0)
        rc = mk__mq_recv(k, q, pid, tag, buf, cap, &got, timeout_ticks, MK_EDESTROYED);
    mk__mq_unref(q);
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
    struct mk__mq *q = mk__queue_get(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__queue_pid_check(k, pid);
    if (rc == 0)
        rc = mk__mq_peek(q, pid, tag, len);
    mk__mq_unref(q);
    return rc;
}

int mk_queue_count(mk_t *k, mk_queue_t h, mk_pid_t pid, uint32_t *count)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__mq *q = mk__queue_get(k, h);
    if (q == NULL)
        return MK_EBADH;
    int rc = mk__queue_pid_check(k, pid);
    if (rc == 0)
        rc = mk__mq_count(q, pid, count);
    mk__mq_unref(q);
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
        mk__mq_unref(q);
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
    mk__mq_unref(q);
    return rc;
}
