/*
 * sem.c - named counting semaphores with FIFO hand-off.
 *
 * Sits on core (named-object registry) and proc (generic wait queues,
 * sched.h). A semaphore is published in the sync module's semaphore
 * registry (generation-tagged handles: a deleted semaphore's handle is
 * refused with MK_EBADH). Every call resolves the handle and takes a
 * reference, so mk_sem_delete can unpublish the object while others wait
 * in it: they wake with MK_EDESTROYED and the last reference frees it.
 *
 * Fairness: waiters queue in arrival order in an mk__wq (a body is
 * suspended, a host thread sleeps on its own condvar). A post while the
 * queue is non-empty hands its unit straight to the oldest waiter instead
 * of raising the count (Linux kernel/locking/semaphore.c), so the count is
 * non-zero only when nobody waits, nobody can overtake a waiter, and
 * exactly one waiter is woken.
 *
 * Locking: sem->lock guards count, the wait queue and dead.
 */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

struct mk__sem {
    struct mk__robj ro; /* first: registry object */
    pthread_mutex_t lock;
    bool dead;
    uint32_t count, max;
    mk__wq_t wq;
};

static void mk__sem_free(struct mk__robj *o)
{
    struct mk__sem *s = (struct mk__sem *)o;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Resolve a handle and take a reference; NULL if stale or forged. */
static struct mk__sem *mk__sem_get(mk_t *k, mk_sem_t h)
{
    return (struct mk__sem *)mk__registry_get(&k->sync->sems, h);
}

int mk_sem_create(mk_t *k, const char *name, uint32_t initial, uint32_t max, mk_sem_t *out)
{
    MK__CHECK(k);
    if (out == NULL)
        return MK_EINVAL;
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if (max == 0)
        max = UINT32_MAX;
    if (initial > max)
        return MK_ERANGE;
    if ((rc = mk__sched_enter(k)) != 0)
        return rc;
    struct mk__sem *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return MK_ENOMEM;
    }
    mk__robj_init(&s->ro, mk__sem_free);
    s->count = initial;
    s->max = max;
    rc = mk__registry_add(&k->sync->sems, &s->ro, name);
    if (rc != 0) {
        mk__robj_unref(&s->ro);
        return rc;
    }
    mk__wq_init(&s->wq, MK__H_SEM, s->ro.handle);
    *out = s->ro.handle;
    return 0;
}

int mk_sem_open(mk_t *k, const char *name, mk_sem_t *out)
{
    MK__CHECK(k);
    if (out == NULL)
        return MK_EINVAL;
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if ((rc = mk__sched_enter(k)) != 0)
        return rc;
    struct mk__robj *o = mk__registry_find(&k->sync->sems, name);
    if (o == NULL)
        return MK_ENOENT;
    *out = o->handle;
    mk__robj_unref(o);
    return 0;
}

int mk_sem_trywait(mk_t *k, mk_sem_t h)
{
    return mk_sem_wait(k, h, MK_NO_WAIT);
}

int mk_sem_wait(mk_t *k, mk_sem_t h, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__sem *s = mk__sem_get(k, h);
    if (s == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&s->lock);
    if (s->dead) {
        rc = MK_EBADH; /* deleted between lookup and lock: never waited */
    } else if (s->count > 0) {
        /* count > 0 implies nobody waits (posts hand off to waiters). */
        s->count--;
        rc = 0;
    } else if (timeout_ticks == MK_NO_WAIT) {
        rc = MK_EAGAIN;
    } else {
        rc = mk__wq_wait(k, &s->wq, &s->lock, timeout_ticks, 0);
    }
    pthread_mutex_unlock(&s->lock);
    mk__robj_unref(&s->ro);
    return rc;
}

int mk_sem_post(mk_t *k, mk_sem_t h)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__sem *s = mk__sem_get(k, h);
    if (s == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&s->lock);
    if (s->dead)
        rc = MK_EBADH;
    else if (mk__wq_wake_one(k, &s->wq, 0) >= 0)
        ; /* the unit went straight to the oldest waiter */
    else if (s->count == s->max)
        rc = MK_ERANGE;
    else
        s->count++;
    pthread_mutex_unlock(&s->lock);
    mk__robj_unref(&s->ro);
    return rc;
}

int mk_sem_value(mk_t *k, mk_sem_t h, uint32_t *value)
{
    MK__CHECK(k);
    if (value == NULL)
        return MK_EINVAL;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__sem *s = mk__sem_get(k, h);
    if (s == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&s->lock);
    if (s->dead)
        rc = MK_EBADH;
    else
        *value = s->count;
    pthread_mutex_unlock(&s->lock);
    mk__robj_unref(&s->ro);
    return rc;
}

int mk_sem_delete(mk_t *k, mk_sem_t h)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    struct mk__sem *s = (struct mk__sem *)mk__registry_remove(&k->sync->sems, h);
    if (s == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&s->lock);
    s->dead = true;
    mk__wq_wake_all(k, &s->wq, MK_EDESTROYED);
    pthread_mutex_unlock(&s->lock);
    mk__robj_unref(&s->ro); /* the registry's reference; waiters hold their own */
    return 0;
}
