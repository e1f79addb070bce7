/*
 * mbox.c - ipc module set-up, process hooks, and per-process mailboxes.
 *
 * Sits on core (maps, hooks) and proc (mk__proc_alive via queue.c). Each
 * process gets a mailbox from the on_create hook; the on_exit hook removes
 * it from the map, marks it dead (blocked senders and receivers return
 * MK_EDESTROYED) and drops the process's subscriptions to every pub/sub
 * queue. The kernel (pid 0) never has a mailbox.
 *
 * Locking: struct mk__ipc.lock is a rwlock over the maps (mailboxes by pid,
 * queues by handle and name). Lookups take it for reading just long enough
 * to find the object and take a reference; the hooks, create and delete
 * take it for writing. Message traffic then runs under the object's own
 * mutex (mq.c), so different mailboxes never contend.
 */
#include "ipc_int.h"

#include <stdlib.h>

static int mk__ipc_on_create(mk_t *k, mk_pid_t pid)
{
    struct mk__ipc *ipc = k->ipc;
    struct mk__mq *q = mk__mq_new(MK_QUEUE_WORK, MK_MBOX_CAPACITY_DEFAULT, MK_MSG_MAX_DEFAULT);
    if (q == NULL)
        return MK_ENOMEM;
    q->pid = pid;
    int rc = 0;
    pthread_rwlock_wrlock(&ipc->lock);
    if (mk__hmap_get(&ipc->mboxes, pid) != NULL)
        rc = MK_EEXIST; /* cannot happen: proc reserves pids */
    else
        rc = mk__hmap_put(&ipc->mboxes, pid, q);
    pthread_rwlock_unlock(&ipc->lock);
    if (rc != 0)
        mk__mq_unref(q);
    return rc;
}

struct mk__ipc_sweep {
    mk_t *k;
    mk_pid_t pid;
};

static void mk__ipc_unsub(struct mk__robj *o, void *ctx)
{
    const struct mk__ipc_sweep *sw = ctx;
    struct mk__mq *q = (struct mk__mq *)o;
    if (q->mode == MK_QUEUE_PUBSUB)
        (void)mk__mq_unsubscribe(sw->k, q, sw->pid); /* MK_ENOENT: was not subscribed */
}

static void mk__ipc_on_exit(mk_t *k, mk_pid_t pid)
{
    struct mk__ipc *ipc = k->ipc;
    /* Under the write lock, so a concurrent subscribe (which holds the read
     * lock while it checks the mailbox and adds itself) is either entirely
     * before this sweep, and swept, or entirely after, and refused. */
    pthread_rwlock_wrlock(&ipc->lock);
    struct mk__mq *mb = mk__hmap_del(&ipc->mboxes, pid);
    struct mk__ipc_sweep sw = {.k = k, .pid = pid};
    mk__registry_foreach(&ipc->queues, mk__ipc_unsub, &sw);
    pthread_rwlock_unlock(&ipc->lock);
    if (mb != NULL) {
        mk__mq_kill(k, mb);
        mk__mq_unref(mb); /* the map's reference; waiters hold their own */
    }
}

int mk__ipc_init(mk_t *k)
{
    struct mk__ipc *ipc = calloc(1, sizeof *ipc);
    if (ipc == NULL)
        return MK_ENOMEM;
    if (pthread_rwlock_init(&ipc->lock, NULL) != 0) {
        free(ipc);
        return MK_ENOMEM;
    }
    mk__hmap_init(&ipc->mboxes);
    if (mk__registry_init(&ipc->queues, MK__H_QUEUE) != 0) {
        pthread_rwlock_destroy(&ipc->lock);
        free(ipc);
        return MK_ENOMEM;
    }
    k->ipc = ipc;
    int rc = mk__hook_register(k, mk__ipc_on_create, mk__ipc_on_exit);
    if (rc != 0) {
        mk__ipc_fini(k);
        return rc;
    }
    return 0;
}

/* No waiter may be blocked any more (mk_destroy's contract), so every
 * object holds only its map reference. */
void mk__ipc_fini(mk_t *k)
{
    struct mk__ipc *ipc = k->ipc;
    if (ipc == NULL)
        return;
    size_t c = 0;
    struct mk__mq *q;
    while ((q = mk__hmap_next(&ipc->mboxes, &c, NULL)) != NULL)
        q->ro.free_fn(&q->ro); /* see mk__registry_fini: no live waiter left */
    mk__registry_fini(&ipc->queues);
    mk__hmap_fini(&ipc->mboxes);
    pthread_rwlock_destroy(&ipc->lock);
    free(ipc);
    k->ipc = NULL;
}

/* Look up pid's mailbox and take a reference; NULL for pid 0, an unknown
 * pid or one whose process is being destroyed. */
static struct mk__mq *mk__mbox_get(mk_t *k, mk_pid_t pid)
{
    if (pid == MK_PID_KERNEL || pid > MK_PID_MAX)
        return NULL;
    struct mk__ipc *ipc = k->ipc;
    pthread_rwlock_rdlock(&ipc->lock);
    struct mk__mq *q = mk__hmap_get(&ipc->mboxes, pid);
    if (q != NULL)
        mk__mq_ref(q);
    pthread_rwlock_unlock(&ipc->lock);
    return q;
}

int mk_mbox_send(mk_t *k, mk_pid_t to, uint32_t tag, const void *data, size_t len,
                 uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (data == NULL && len > 0)
        return MK_EINVAL;
    struct mk__mq *q = mk__mbox_get(k, to);
    if (q == NULL)
        return MK_ENOENT;
    int rc = MK_EMSGSIZE;
    if (len <= q->msg_max) {
        struct mk__msg *m = mk__msg_new(tag, data, len);
        rc = m == NULL ? MK_ENOMEM : mk__mq_send(k, q, m, timeout_ticks);
    }
    mk__mq_unref(q);
    if (rc == 0)
        mk__trace_self(k, MK_EV_MSG_SEND, to, len);
    return rc;
}

int mk_mbox_recv(mk_t *k, mk_pid_t pid, uint32_t *tag, void *buf, size_t cap, size_t *len,
                 uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (buf == NULL && cap > 0)
        return MK_EINVAL;
    struct mk__mq *q = mk__mbox_get(k, pid);
    if (q == NULL)
        return MK_ENOENT;
    size_t got = 0;
    int rc = mk__mq_recv(k, q, pid, tag, buf, cap, &got, timeout_ticks);
    mk__mq_unref(q);
    if (rc == 0) {
        mk__trace_self(k, MK_EV_MSG_RECV, pid, got);
        if (len != NULL)
            *len = got;
    }
    return rc;
}

int mk_mbox_peek(mk_t *k, mk_pid_t pid, uint32_t *tag, size_t *len)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__mq *q = mk__mbox_get(k, pid);
    if (q == NULL)
        return MK_ENOENT;
    int rc = mk__mq_peek(q, pid, tag, len);
    mk__mq_unref(q);
    return rc == MK_EBADH ? MK_ENOENT : rc;
}

int mk_mbox_count(mk_t *k, mk_pid_t pid, uint32_t *count)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__mq *q = mk__mbox_get(k, pid);
    if (q == NULL)
        return MK_ENOENT;
    int rc = mk__mq_count(q, pid, count);
    mk__mq_unref(q);
    return rc == MK_EBADH ? MK_ENOENT : rc;
}

int mk_mbox_set_capacity(mk_t *k, mk_pid_t pid, uint32_t max_messages)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__mq *q = mk__mbox_get(k, pid);
    if (q == NULL)
        return MK_ENOENT;
    int rc = MK_ERANGE;
    if (max_messages != 0 && max_messages <= MK_QUEUE_CAPACITY_MAX)
        rc = mk__mq_set_capacity(k, q, max_messages);
    mk__mq_unref(q);
    return rc;
}
