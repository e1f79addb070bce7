/*
 * mutex.c - the mini-kernel's mutexes (seed 003): named, opened per
 * process, owner-only unlock, optionally recursive, with priority
 * inheritance and deadlock detection.
 *
 * Sits on core (registry, hash map) and proc (sched.h: wait queues,
 * priorities, current pid). Following the seed, a mutex keeps its owner,
 * lock count, the queue of processes waiting for it and its open count;
 * each process keeps the array of mutexes it has open (struct mk__mxproc,
 * at most MK_MUTEX_OPEN_MAX slots), and creators wait in slot_wq while
 * MK_MUTEX_SYS_MAX mutexes exist.
 *
 * Priority inheritance (Sha, Rajkumar & Lehoczky, "Priority Inheritance
 * Protocols", IEEE ToC 1990): the owner of a mutex runs at least at the
 * effective priority of its most urgent waiter. It is transitive: when an
 * owner's effective priority changes and the owner itself waits for a
 * mutex, its place in that queue and that mutex's owner are updated, and
 * so on along the chain (mk__mx_reprio).
 *
 * Deadlock detection: every process waits for at most one mutex
 * (waiting_for), every mutex has at most one owner, so the wait-for graph
 * is a set of chains; a lock by P on M closes a cycle iff following
 * owner -> waiting_for -> owner ... from M reaches P. The walk is bounded
 * by the number of mutexes. The cycle found is kept for the report.
 *
 * Locking: sy->mx_lock guards every mutex's state, every per-process
 * record and the graph (one lock: the graph is global). It is the object
 * lock handed to mk__wq_wait. Registry and scheduler locks nest inside it.
 */
#include "sync_int.h"

#include "../proc/proc.h"

#include <stdlib.h>
#include <string.h>

struct mk__mutex {
    struct mk__robj ro; /* first: registry object */
    uint32_t flags;
    bool dead;
    mk_pid_t owner;     /* 0 = unlocked */
    uint32_t count;
    uint32_t opens;     /* slots in processes + kernel opens */
    uint32_t kopens;    /* opens by the kernel (host-created) */
    mk__wq_t wq;        /* waiters, woken most urgent first */
};

struct mk__mxproc {
    mk_pid_t pid;
    uint32_t nopen;
    struct mk__mutex *open[MK_MUTEX_OPEN_MAX];
    struct mk__mutex *waiting_for;
};

static void mk__mutex_free(struct mk__robj *o)
{
    free(o);
}

static struct mk__mxproc *mk__mxproc_get(struct mk__sync *sy, mk_pid_t pid, bool make)
{
    struct mk__mxproc *r = mk__hmap_get(&sy->mxprocs, pid);
    if (r == NULL && make) {
        r = calloc(1, sizeof *r);
        if (r == NULL)
            return NULL;
        r->pid = pid;
        if (mk__hmap_put(&sy->mxprocs, pid, r) != 0) {
            free(r);
            return NULL;
        }
    }
    return r;
}

static int mk__mx_slot(const struct mk__mxproc *r, const struct mk__mutex *m)
{
    if (r == NULL)
        return -1;
    for (uint32_t i = 0; i < r->nopen; i++)
        if (r->open[i] == m)
            return (int)i;
    return -1;
}

/* Resolve the pid argument. Body: 0 or its own pid (another pid: EPERM).
 * Host: a live process, or 0 = the kernel when kernel_ok (else EINVAL). */
static int mk__mx_pid(mk_t *k, mk_pid_t *pid, bool kernel_ok)
{
    mk_pid_t self = mk__sched_current(k);
    if (self != 0) {
        if (*pid != 0 && *pid != self)
            return MK_EPERM;
        *pid = self;
        return 0;
    }
    if (*pid == 0)
        return kernel_ok ? 0 : MK_EINVAL;
    return mk__proc_alive(k, *pid);
}

static struct mk__mutex *mk__mx_get(mk_t *k, mk_mutex_t h)
{
    return (struct mk__mutex *)mk__registry_get(&k->sync->mutexes, h);
}

/* ---- priority inheritance (mx_lock held) ------------------------------- */

/* Recompute what pid inherits from the waiters of the mutexes it holds and
 * carry a change along the chain of mutexes it waits for. */
static void mk__mx_reprio(mk_t *k, mk_pid_t pid)
{
    struct mk__sync *sy = k->sync;
    for (uint32_t hops = 0; pid != 0 && hops <= MK_MUTEX_SYS_MAX; hops++) {
        struct mk__mxproc *r = mk__mxproc_get(sy, pid, false);
        uint32_t inh = MK_PRIO_NONE;
        if (r != NULL)
            for (uint32_t i = 0; i < r->nopen; i++)
                if (r->open[i]->owner == pid)
                    for (struct mk__wait *w = r->open[i]->wq.head; w != NULL; w = w->next)
                        if (w->prio > inh)
                            inh = w->prio;
        uint32_t before = mk__sched_prio(k, pid);
        if (mk__sched_set_inherited(k, pid, inh) != 0)
            return;
        uint32_t after = mk__sched_prio(k, pid);
        if (after == before || r == NULL || r->waiting_for == NULL)
            return;
        struct mk__wait *w = mk__wq_find(&r->waiting_for->wq, pid);
        if (w != NULL)
            w->prio = after;
        pid = r->waiting_for->owner;
    }
}

/* pid is about to wait for a mutex owned by owner: raise the owner (and,
 * transitively, the owners of what it waits for) to prio. */
static void mk__mx_push(mk_t *k, mk_pid_t owner, uint32_t prio)
{
    struct mk__sync *sy = k->sync;
    for (uint32_t hops = 0; owner != 0 && hops <= MK_MUTEX_SYS_MAX; hops++) {
        if (mk__sched_prio(k, owner) >= prio)
            return;
        if (mk__sched_set_inherited(k, owner, prio) != 0)
            return;
        struct mk__mxproc *r = mk__mxproc_get(sy, owner, false);
        if (r == NULL || r->waiting_for == NULL)
            return;
        struct mk__wait *w = mk__wq_find(&r->waiting_for->wq, owner);
        if (w != NULL)
            w->prio = prio;
        owner = r->waiting_for->owner;
    }
}

/* Give m up: the most urgent waiter (FIFO among equals) becomes owner. */
static void mk__mx_release(mk_t *k, struct mk__mutex *m)
{
    struct mk__sync *sy = k->sync;
    mk_pid_t old = m->owner;
    m->owner = 0;
    m->count = 0;
    mk__trace_emit(k, MK_EV_UNLOCK, old, m->ro.handle, 0);
    int64_t next = mk__wq_wake_best(k, &m->wq, 0);
    if (next >= 0) {
        m->owner = (mk_pid_t)next;
        m->count = 1;
        struct mk__mxproc *r = mk__mxproc_get(sy, m->owner, false);
        if (r != NULL)
            r->waiting_for = NULL;
        mk__trace_emit(k, MK_EV_LOCK, m->owner, m->ro.handle, 0);
        mk__mx_reprio(k, m->owner);
    }
    mk__mx_reprio(k, old);
}

/* Drop one open; the last destroys the mutex and frees a system slot. */
static void mk__mx_drop_open(mk_t *k, struct mk__mutex *m)
{
    struct mk__sync *sy = k->sync;
    if (--m->opens > 0)
        return;
    m->dead = true;
    mk__wq_wake_all(k, &m->wq, MK_EDESTROYED);
    struct mk__robj *o = mk__registry_remove(&sy->mutexes, m->ro.handle);
    sy->mx_count--;
    mk__wq_wake_all(k, &sy->slot_wq, 0); /* creators look again */
    if (o != NULL)
        mk__robj_unref(o); /* the registry's reference */
}

/* ---- public calls ------------------------------------------------------- */

int mk_mutex_create(mk_t *k, const char *name, uint32_t flags, mk_mutex_t *out)
{
    MK__CHECK(k);
    if (out == NULL || (flags & ~MK_MUTEX_RECURSIVE) != 0)
        return MK_EINVAL;
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if ((rc = mk__sched_enter(k)) != 0)
        return rc;
    struct mk__sync *sy = k->sync;
    mk_pid_t pid = mk__sched_current(k);
    struct mk__mutex *m = calloc(1, sizeof *m);
    if (m == NULL)
        return MK_ENOMEM;
    mk__robj_init(&m->ro, mk__mutex_free);
    m->flags = flags;
    pthread_mutex_lock(&sy->mx_lock);
    struct mk__mxproc *r = NULL;
    for (;;) {
        struct mk__robj *o = mk__registry_find(&sy->mutexes, name);
        if (o != NULL) {
            mk__robj_unref(o);
            rc = MK_EEXIST;
            break;
        }
        if (pid != 0) {
            r = mk__mxproc_get(sy, pid, true);
            if (r == NULL) {
                rc = MK_ENOMEM;
                break;
            }
            if (r->nopen >= MK_MUTEX_OPEN_MAX) {
                rc = MK_EMFILE;
                break;
            }
        }
        if (sy->mx_count < MK_MUTEX_SYS_MAX)
            break;
        if (pid == 0) {
            rc = MK_ENOSPC;
            break;
        }
        /* The seed: wait for a free slot, then search again. */
        rc = mk__wq_wait(k, &sy->slot_wq, &sy->mx_lock, MK_FOREVER, pid);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = mk__registry_add(&sy->mutexes, &m->ro, name);
    if (rc != 0) {
        pthread_mutex_unlock(&sy->mx_lock);
        mk__robj_unref(&m->ro);
        return rc;
    }
    mk__wq_init(&m->wq, MK__H_MUTEX, m->ro.handle);
    sy->mx_count++;
    m->opens = 1;
    r = pid != 0 ? mk__mxproc_get(sy, pid, false) : NULL;
    if (r != NULL)
        r->open[r->nopen++] = m;
    else
        m->kopens = 1;
    *out = m->ro.handle;
    pthread_mutex_unlock(&sy->mx_lock);
    return 0;
}

int mk_mutex_open(mk_t *k, mk_pid_t pid, const char *name, mk_mutex_t *out)
{
    MK__CHECK(k);
    if (out == NULL)
        return MK_EINVAL;
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if ((rc = mk__sched_enter(k)) != 0)
        return rc;
    if ((rc = mk__mx_pid(k, &pid, true)) != 0)
        return rc == MK_EPERM ? MK_ENOENT : rc;
    struct mk__sync *sy = k->sync;
    struct mk__mutex *m = (struct mk__mutex *)mk__registry_find(&sy->mutexes, name);
    if (m == NULL)
        return MK_ENOENT;
    pthread_mutex_lock(&sy->mx_lock);
    if (m->dead) {
        rc = MK_ENOENT;
    } else if (pid == 0) {
        m->kopens++;
        m->opens++;
    } else {
        struct mk__mxproc *r = mk__mxproc_get(sy, pid, true);
        if (r == NULL) {
            rc = MK_ENOMEM;
        } else if (r->nopen >= MK_MUTEX_OPEN_MAX) {
            rc = MK_EMFILE;
        } else {
            r->open[r->nopen++] = m;
            m->opens++;
        }
    }
    if (rc == 0)
        *out = m->ro.handle;
    pthread_mutex_unlock(&sy->mx_lock);
    mk__robj_unref(&m->ro);
    return rc;
}

int mk_mutex_close(mk_t *k, mk_pid_t pid, mk_mutex_t h)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    if ((rc = mk__mx_pid(k, &pid, true)) != 0)
        return rc;
    struct mk__sync *sy = k->sync;
    struct mk__mutex *m = mk__mx_get(k, h);
    if (m == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&sy->mx_lock);
    if (m->dead) {
        rc = MK_EBADH;
    } else if (pid == 0) {
        if (m->kopens == 0) {
            rc = MK_EPERM;
        } else {
            m->kopens--;
            mk__mx_drop_open(k, m);
        }
    } else {
        struct mk__mxproc *r = mk__mxproc_get(sy, pid, false);
        int i = mk__mx_slot(r, m);
        if (i < 0) {
            rc = MK_EPERM;
        } else {
            r->open[i] = r->open[--r->nopen];
            if (m->owner == pid && mk__mx_slot(r, m) < 0)
                mk__mx_release(k, m); /* closing a held mutex releases it */
            mk__mx_drop_open(k, m);
        }
    }
    pthread_mutex_unlock(&sy->mx_lock);
    mk__robj_unref(&m->ro);
    return rc;
}

/* Would pid waiting for m close a cycle? Records it if so. */
static bool mk__mx_cycle(struct mk__sync *sy, mk_pid_t pid, struct mk__mutex *m)
{
    mk_pid_t pids[MK_MUTEX_CYCLE_MAX];
    mk_mutex_t mxs[MK_MUTEX_CYCLE_MAX];
    uint32_t n = 0;
    mk_pid_t p = pid;
    struct mk__mutex *cur = m;
    for (uint32_t hops = 0; hops <= MK_MUTEX_SYS_MAX && n < MK_MUTEX_CYCLE_MAX; hops++) {
        pids[n] = p;
        mxs[n] = cur->ro.handle;
        n++;
        mk_pid_t o = cur->owner;
        if (o == pid) {
            memcpy(sy->cycle_pids, pids, n * sizeof *pids);
            memcpy(sy->cycle_mx, mxs, n * sizeof *mxs);
            sy->cycle_n = n;
            return true;
        }
        struct mk__mxproc *r = o ? mk__mxproc_get(sy, o, false) : NULL;
        if (r == NULL || r->waiting_for == NULL)
            return false;
        p = o;
        cur = r->waiting_for;
    }
    return false;
}

int mk_mutex_lock(mk_t *k, mk_pid_t pid, mk_mutex_t h, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    if ((rc = mk__mx_pid(k, &pid, false)) != 0)
        return rc;
    struct mk__sync *sy = k->sync;
    struct mk__mutex *m = mk__mx_get(k, h);
    if (m == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&sy->mx_lock);
    struct mk__mxproc *r = mk__mxproc_get(sy, pid, false);
    if (m->dead) {
        rc = MK_EBADH;
    } else if (mk__mx_slot(r, m) < 0) {
        rc = MK_EPERM;
    } else if (m->owner == 0) {
        m->owner = pid;
        m->count = 1;
        mk__trace_emit(k, MK_EV_LOCK, pid, h, 0);
    } else if (m->owner == pid) {
        if (!(m->flags & MK_MUTEX_RECURSIVE))
            rc = MK_EDEADLK; /* would wait for itself */
        else if (m->count == UINT32_MAX)
            rc = MK_ERANGE;
        else
            m->count++;
    } else if (timeout_ticks == MK_NO_WAIT) {
        rc = MK_EAGAIN;
    } else if (mk__mx_cycle(sy, pid, m)) {
        rc = MK_EDEADLK;
    } else {
        r->waiting_for = m;
        uint32_t prio = mk__sched_prio(k, pid);
        mk__mx_push(k, m->owner, prio); /* before we sleep: the owner runs */
        rc = mk__wq_wait_prio(k, &m->wq, &sy->mx_lock, timeout_ticks, pid, prio);
        r = mk__mxproc_get(sy, pid, false); /* may be gone: pid destroyed */
        if (r != NULL && r->waiting_for == m)
            r->waiting_for = NULL;
        if (rc == 0 && m->owner != pid)
            rc = MK_EDESTROYED; /* cannot happen: a grant makes us owner */
        if (rc != 0 && m->owner != 0)
            mk__mx_reprio(k, m->owner); /* we no longer push it */
    }
    pthread_mutex_unlock(&sy->mx_lock);
    mk__robj_unref(&m->ro);
    return rc;
}

int mk_mutex_unlock(mk_t *k, mk_pid_t pid, mk_mutex_t h)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    if ((rc = mk__mx_pid(k, &pid, false)) != 0)
        return rc == MK_ENOENT ? MK_EPERM : rc;
    struct mk__sync *sy = k->sync;
    struct mk__mutex *m = mk__mx_get(k, h);
    if (m == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&sy->mx_lock);
    if (m->dead)
        rc = MK_EBADH;
    else if (m->owner != pid)
        rc = MK_EPERM;
    else if (--m->count == 0)
        mk__mx_release(k, m);
    pthread_mutex_unlock(&sy->mx_lock);
    mk__robj_unref(&m->ro);
    return rc;
}

int mk_mutex_owner(mk_t *k, mk_mutex_t h, mk_pid_t *owner, uint32_t *count)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__sync *sy = k->sync;
    struct mk__mutex *m = mk__mx_get(k, h);
    if (m == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&sy->mx_lock);
    if (m->dead) {
        rc = MK_EBADH;
    } else {
        if (owner != NULL)
            *owner = m->owner;
        if (count != NULL)
            *count = m->count;
    }
    pthread_mutex_unlock(&sy->mx_lock);
    mk__robj_unref(&m->ro);
    return rc;
}

int mk_mutex_deadlock_report(mk_t *k, mk_pid_t *pids, mk_mutex_t *mutexes, uint32_t cap,
                             uint32_t *count)
{
    MK__CHECK(k);
    if (count == NULL || (cap > 0 && (pids == NULL || mutexes == NULL)))
        return MK_EINVAL;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__sync *sy = k->sync;
    pthread_mutex_lock(&sy->mx_lock);
    uint32_t n = sy->cycle_n;
    for (uint32_t i = 0; i < n && i < cap; i++) {
        pids[i] = sy->cycle_pids[i];
        mutexes[i] = sy->cycle_mx[i];
    }
    pthread_mutex_unlock(&sy->mx_lock);
    *count = n;
    return 0;
}

void mk__mutex_on_exit(mk_t *k, mk_pid_t pid)
{
    struct mk__sync *sy = k->sync;
    pthread_mutex_lock(&sy->mx_lock);
    struct mk__mxproc *r = mk__hmap_get(&sy->mxprocs, pid);
    if (r != NULL) {
        /* Host threads still waiting on behalf of pid give up first. */
        if (r->waiting_for != NULL) {
            mk__wq_wake_pid(k, &r->waiting_for->wq, pid, MK_EDESTROYED);
            mk_pid_t o = r->waiting_for->owner;
            r->waiting_for = NULL;
            mk__mx_reprio(k, o);
        }
        mk__wq_wake_pid(k, &sy->slot_wq, pid, MK_EDESTROYED);
        while (r->nopen > 0) {
            struct mk__mutex *m = r->open[--r->nopen];
            if (m->owner == pid && mk__mx_slot(r, m) < 0)
                mk__mx_release(k, m);
            mk__mx_drop_open(k, m);
        }
        mk__hmap_del(&sy->mxprocs, pid);
        free(r);
    }
    pthread_mutex_unlock(&sy->mx_lock);
}
