/*
 * mbox.c - ipc module set-up, process hooks, and per-process mailboxes.
 *
 * Sits on core (registry, hooks) and proc (mk__proc_alive via queue.c).
 * Each process gets a mailbox from the on_create hook; the on_exit hook
 * marks it dead (blocked senders and receivers return MK_EDESTROYED, queued
 * messages are released) and drops the process's subscriptions to every
 * pub/sub queue. The kernel (pid 0) never has a mailbox.
 *
 * Finding a mailbox costs no lock and no hash probe: mailboxes live in a
 * three-level radix table indexed by the pid's bits (like a page table:
 * pid >> 16 selects a directory, bits 6..15 a chunk, bits 0..5 the mailbox
 * in the chunk), whose levels are published with release stores and read
 * with acquire loads, and never freed or moved before mk__ipc_fini. The
 * mailbox objects are type-stable (ipc_int.h): created with their chunk,
 * dead until their pid is created, dead again when it exits, revived when
 * the pid is reused. So a sender reads two pointers (the directory level
 * stays in cache: 8 KiB per 65,536 pids), lands on the mailbox, locks it
 * and checks `dead` under the lock; a dead mailbox reads as an unknown pid
 * (MK_ENOENT). Process exit cannot free the object under a caller, so no
 * reference count is taken either.
 *
 * Locking: the message path takes only the mailbox's own mutex (mq.c), so
 * different mailboxes never contend. ipc->grow serialises adding table
 * levels (process creation only). ipc->lock (rwlock) orders subscribe
 * (read: checks the subscriber's mailbox is alive and adds itself) against
 * process exit (write: marks the mailbox dead and sweeps subscriptions).
 */
#include "ipc_int.h"

#include <stdlib.h>

struct mk__slab {
    struct mk__slab *next;
    size_t size;
};

#define MK__SLAB_MIN ((size_t)64 << 10)

void *mk__ipc_carve(struct mk__ipc *ipc, size_t bytes)
{
    bytes = (bytes + 63u) & ~(size_t)63u;
    if (bytes > ipc->slab_left) {
        /* Next slab: as big as everything so far (so the waste of the
         * last one's tail stays small), at least 64 KiB, at most 2 MiB
         * (one huge page) unless one request needs more. */
        size_t size = ipc->slab_bytes < MK__SLAB_MIN ? MK__SLAB_MIN : ipc->slab_bytes;
        if (size > MK__HUGE_MIN)
            size = MK__HUGE_MIN;
        if (size < bytes + 64)
            size = bytes + 64;
        struct mk__slab *sl = mk__huge_alloc(size);
        if (sl == NULL)
            return NULL;
        sl->size = size;
        sl->next = ipc->slabs;
        ipc->slabs = sl;
        ipc->slab_left = size - 64; /* the header takes the first line */
    }
    char *p = (char *)ipc->slabs + (ipc->slabs->size - ipc->slab_left);
    ipc->slab_left -= bytes;
    ipc->slab_bytes += bytes;
    return p; /* zero: mk__huge_alloc zero-fills */
}

static void mk__ipc_slabs_free(struct mk__ipc *ipc)
{
    struct mk__slab *sl;
    while ((sl = ipc->slabs) != NULL) {
        ipc->slabs = sl->next;
        mk__huge_free(sl, sl->size);
    }
}

static inline struct mk__mq *mk__mbox_slot(const struct mk__ipc *ipc, mk_pid_t pid)
{
    return pid == MK_PID_KERNEL ? NULL : mk__otab_get(ipc->mb, pid);
}

struct mk__mq *mk__otab_make(struct mk__ipc *ipc, struct mk__otab *t, uint32_t key)
{
    if (key > (uint32_t)MK_PID_MAX)
        return NULL;
    _Atomic(struct mk__odir *) *dp = &t->dir[key >> 16];
    struct mk__odir *d = atomic_load_explicit(dp, memory_order_relaxed);
    if (d == NULL) {
        d = mk__ipc_carve(ipc, sizeof *d);
        if (d == NULL)
            return NULL;
        atomic_store_explicit(dp, d, memory_order_release);
    }
    _Atomic(struct mk__mq *) *cp = &d->chunk[(key >> 6) & (MK__OT_DIR - 1)];
    struct mk__mq *c = atomic_load_explicit(cp, memory_order_relaxed);
    if (c == NULL) {
        c = mk__ipc_carve(ipc, MK__OT_CHUNK * sizeof *c);
        if (c == NULL)
            return NULL;
        uint32_t first = key & ~(MK__OT_CHUNK - 1);
        for (uint32_t i = 0; i < MK__OT_CHUNK; i++) {
            if (mk__mq_init(&c[i], MK_QUEUE_WORK, MK_MBOX_CAPACITY_DEFAULT,
                            MK_MSG_MAX_DEFAULT) != 0) {
                while (i-- > 0)
                    mk__mq_destroy(&c[i]);
                return NULL; /* the memory stays carved: rare, bounded */
            }
            c[i].dead = true; /* nothing there yet */
            c[i].key = first + i;
        }
        atomic_store_explicit(cp, c, memory_order_release);
    }
    return &c[key & (MK__OT_CHUNK - 1)];
}

/* Destroy every object of t (context teardown; the memory is the slabs'). */
static void mk__otab_fini(struct mk__otab *t)
{
    if (t == NULL)
        return;
    for (uint32_t i = 0; i < MK__OT_TOP; i++) {
        struct mk__odir *d = atomic_load_explicit(&t->dir[i], memory_order_relaxed);
        if (d == NULL)
            continue;
        for (uint32_t j = 0; j < MK__OT_DIR; j++) {
            struct mk__mq *c = atomic_load_explicit(&d->chunk[j], memory_order_relaxed);
            if (c != NULL)
                for (uint32_t n = 0; n < MK__OT_CHUNK; n++)
                    mk__mq_destroy(&c[n]);
        }
    }
}

static int mk__ipc_on_create(mk_t *k, mk_pid_t pid)
{
    struct mk__ipc *ipc = k->ipc;
    pthread_mutex_lock(&ipc->grow);
    struct mk__mq *q = mk__otab_make(ipc, ipc->mb, pid);
    pthread_mutex_unlock(&ipc->grow);
    if (q == NULL)
        return MK_ENOMEM;
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (!q->dead)
        rc = MK_EEXIST; /* cannot happen: proc reserves pids */
    else
        mk__mq_setup(q, MK_QUEUE_WORK, MK_MBOX_CAPACITY_DEFAULT, MK_MSG_MAX_DEFAULT);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

struct mk__ipc_sweep {
    mk_t *k;
    mk_pid_t pid;
};

static void mk__ipc_unsub(struct mk__robj *o, void *ctx)
{
    const struct mk__ipc_sweep *sw = ctx;
    struct mk__mq *q = mk__queue_of(o);
    if (q != NULL && q->mode == MK_QUEUE_PUBSUB)
        (void)mk__mq_unsubscribe(sw->k, q, o->handle, sw->pid); /* MK_ENOENT: not subscribed */
}

static void mk__ipc_on_exit(mk_t *k, mk_pid_t pid)
{
    struct mk__ipc *ipc = k->ipc;
    struct mk__mq *mb = mk__mbox_slot(ipc, pid);
    /* Under the write lock, so a concurrent subscribe (which holds the read
     * lock while it checks the mailbox and adds itself) is either entirely
     * before this sweep, and swept, or entirely after, and refused. */
    pthread_rwlock_wrlock(&ipc->lock);
    if (mb != NULL)
        mk__mq_kill(k, mb, true); /* waiters: MK_EDESTROYED; messages freed */
    struct mk__ipc_sweep sw = {.k = k, .pid = pid};
    mk__registry_foreach(&ipc->queues, mk__ipc_unsub, &sw);
    pthread_rwlock_unlock(&ipc->lock);
}

int mk__ipc_init(mk_t *k)
{
    struct mk__ipc *ipc = calloc(1, sizeof *ipc);
    if (ipc == NULL)
        return MK_ENOMEM;
    ipc->mb = calloc(1, sizeof *ipc->mb);
    ipc->qt = calloc(1, sizeof *ipc->qt);
    if (ipc->mb == NULL || ipc->qt == NULL)
        goto fail_ipc;
    if (pthread_rwlock_init(&ipc->lock, NULL) != 0)
        goto fail_ipc;
    if (pthread_mutex_init(&ipc->grow, NULL) != 0)
        goto fail_lock;
    if (mk__registry_init(&ipc->queues, MK__H_QUEUE) != 0)
        goto fail_grow;
    k->ipc = ipc;
    int rc = mk__hook_register(k, mk__ipc_on_create, mk__ipc_on_exit);
    if (rc != 0) {
        mk__ipc_fini(k);
        return rc;
    }
    return 0;
fail_grow:
    pthread_mutex_destroy(&ipc->grow);
fail_lock:
    pthread_rwlock_destroy(&ipc->lock);
fail_ipc:
    free(ipc->qt);
    free(ipc->mb);
    free(ipc);
    return MK_ENOMEM;
}

/* No waiter may be blocked any more (mk_destroy's contract). */
void mk__ipc_fini(mk_t *k)
{
    struct mk__ipc *ipc = k->ipc;
    if (ipc == NULL)
        return;
    mk__registry_fini(&ipc->queues); /* frees the registry's records */
    mk__otab_fini(ipc->mb);
    mk__otab_fini(ipc->qt);
    mk__ipc_slabs_free(ipc);
    pthread_mutex_destroy(&ipc->grow);
    pthread_rwlock_destroy(&ipc->lock);
    free(ipc->qt);
    free(ipc->mb);
    free(ipc);
    k->ipc = NULL;
}

bool mk__mbox_alive(mk_t *k, mk_pid_t pid)
{
    struct mk__mq *q = mk__mbox_slot(k->ipc, pid);
    if (q == NULL)
        return false;
    pthread_mutex_lock(&q->lock);
    bool alive = !q->dead;
    pthread_mutex_unlock(&q->lock);
    return alive;
}

int mk_mbox_send(mk_t *k, mk_pid_t to, uint32_t tag, const void *data, size_t len,
                 uint64_t timeout_ticks)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (data == NULL && len > 0)
        return MK_EINVAL;
    struct mk__mq *q = mk__mbox_slot(k->ipc, to);
    if (q == NULL)
        return MK_ENOENT;
    int rc = mk__mq_send(k, q, 0, MK_ENOENT, tag, data, len, timeout_ticks);
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
    struct mk__mq *q = mk__mbox_slot(k->ipc, pid);
    if (q == NULL)
        return MK_ENOENT;
    size_t got = 0;
    int rc = mk__mq_recv(k, q, 0, MK_ENOENT, pid, tag, buf, cap, &got, timeout_ticks);
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
    struct mk__mq *q = mk__mbox_slot(k->ipc, pid);
    if (q == NULL)
        return MK_ENOENT;
    int rc = mk__mq_peek(q, 0, pid, tag, len);
    return rc == MK_EBADH ? MK_ENOENT : rc;
}

int mk_mbox_count(mk_t *k, mk_pid_t pid, uint32_t *count)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__mq *q = mk__mbox_slot(k->ipc, pid);
    if (q == NULL)
        return MK_ENOENT;
    int rc = mk__mq_count(q, 0, pid, count);
    return rc == MK_EBADH ? MK_ENOENT : rc;
}

int mk_mbox_set_capacity(mk_t *k, mk_pid_t pid, uint32_t max_messages)
{
    MK__CHECK(k);
    MK__SCHED_ENTER(k);
    struct mk__mq *q = mk__mbox_slot(k->ipc, pid);
    if (q == NULL)
        return MK_ENOENT;
    if (max_messages == 0 || max_messages > MK_QUEUE_CAPACITY_MAX)
        return mk__mbox_alive(k, pid) ? MK_ERANGE : MK_ENOENT;
    return mk__mq_set_capacity(k, q, max_messages);
}
