/*
 * sem.c - named counting semaphores with FIFO hand-off.
 *
 * Sits on core (handle table, name map, cond/deadline helpers). A semaphore
 * is published under the sync rwlock in a handle table (generation-tagged:
 * a deleted semaphore's handle is refused with MK_EBADH) and a name map.
 * Every call resolves the handle under the read lock and takes a reference,
 * so mk_sem_delete can unpublish the object while threads wait in it; they
 * wake with MK_EDESTROYED and the last reference frees it.
 *
 * Fairness: each waiter queues a node on its own stack with its own
 * condition variable (the queue-of-waiters design of MCS/ticket locks, and
 * of Linux's struct semaphore in kernel/locking/semaphore.c). A post while
 * the queue is non-empty hands its unit straight to the oldest waiter
 * instead of raising the count, so the count is non-zero only when nobody
 * waits, nobody can overtake a waiter, and exactly one thread is woken.
 *
 * Locking: sem->lock guards count, the waiter queue and dead; a waiter node
 * is touched by others only under that lock, and its owner unlinks (or has
 * been unlinked) before it returns, so no pointer to a dead stack frame
 * survives.
 */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

enum mk__wstate { MK__W_PENDING, MK__W_GRANTED, MK__W_DEAD };

struct mk__waiter {
    struct mk__waiter *prev, *next;
    pthread_cond_t cond;
    int state; /* enum mk__wstate */
};

struct mk__sem {
    pthread_mutex_t lock;
    _Atomic uint32_t refs;       /* map + one per call in progress */
    bool dead;
    uint32_t count, max;
    struct mk__waiter *head, *tail;
    uint64_t handle;
    char name[MK_NAME_MAX + 1];
};

static void mk__sem_unref(struct mk__sem *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Resolve a handle and take a reference; NULL if stale or forged. */
static struct mk__sem *mk__sem_get(mk_t *k, mk_sem_t h)
{
    struct mk__sync *sy = k->sync;
    pthread_rwlock_rdlock(&sy->lock);
    struct mk__sem *s = mk__htab_get(&sy->sems, h);
    if (s != NULL)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_rwlock_unlock(&sy->lock);
    return s;
}

void mk__sem_fini_all(struct mk__sync *sy)
{
    uint32_t cur = 0;
    struct mk__sem *s;
    while ((s = mk__htab_next(&sy->sems, &cur, NULL)) != NULL)
        mk__sem_unref(s);
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
    struct mk__sem *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return MK_ENOMEM;
    }
    atomic_init(&s->refs, 1);
    s->count = initial;
    s->max = max;
    strcpy(s->name, name); /* length checked above */

    struct mk__sync *sy = k->sync;
    pthread_rwlock_wrlock(&sy->lock);
    if (mk__nmap_get(&sy->sem_names, name) != NULL) {
        rc = MK_EEXIST;
    } else if ((rc = mk__htab_insert(&sy->sems, s, &s->handle)) == 0) {
        rc = mk__nmap_put(&sy->sem_names, name, s);
        if (rc != 0)
            mk__htab_remove(&sy->sems, s->handle);
    }
    pthread_rwlock_unlock(&sy->lock);
    if (rc != 0) {
        mk__sem_unref(s);
        return rc;
    }
    *out = s->handle;
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
    struct mk__sync *sy = k->sync;
    pthread_rwlock_rdlock(&sy->lock);
    const struct mk__sem *s = mk__nmap_get(&sy->sem_names, name);
    if (s != NULL)
        *out = s->handle;
    pthread_rwlock_unlock(&sy->lock);
    return s != NULL ? 0 : MK_ENOENT;
}

int mk_sem_trywait(mk_t *k, mk_sem_t h)
{
    return mk_sem_wait(k, h, MK_NO_WAIT);
}

static void mk__sem_unlink(struct mk__sem *s, struct mk__waiter *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        s->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        s->tail = w->prev;
    w->prev = w->next = NULL;
}

int mk_sem_wait(mk_t *k, mk_sem_t h, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    struct mk__sem *s = mk__sem_get(k, h);
    if (s == NULL)
        return MK_EBADH;
    int rc;
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
        struct mk__waiter w = {.prev = s->tail, .next = NULL, .state = MK__W_PENDING};
        rc = mk__cond_init(&w.cond);
        if (rc == 0) {
            if (s->tail != NULL)
                s->tail->next = &w;
            else
                s->head = &w;
            s->tail = &w;
            struct timespec abs;
            bool has_deadline;
            mk__deadline(k, timeout_ticks, &abs, &has_deadline);
            while (w.state == MK__W_PENDING) {
                if (mk__cond_wait(&w.cond, &s->lock, &abs, has_deadline) == MK_ETIMEDOUT &&
                    w.state == MK__W_PENDING) {
                    mk__sem_unlink(s, &w);
                    break;
                }
            }
            rc = w.state == MK__W_GRANTED ? 0
                 : w.state == MK__W_DEAD  ? MK_EDESTROYED
                                          : MK_ETIMEDOUT;
            pthread_cond_destroy(&w.cond);
        }
    }
    pthread_mutex_unlock(&s->lock);
    mk__sem_unref(s);
    return rc;
}

int mk_sem_post(mk_t *k, mk_sem_t h)
{
    MK__CHECK(k);
    struct mk__sem *s = mk__sem_get(k, h);
    if (s == NULL)
        return MK_EBADH;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->dead) {
        rc = MK_EBADH;
    } else if (s->head != NULL) {
        struct mk__waiter *w = s->head;
        mk__sem_unlink(s, w);
        w->state = MK__W_GRANTED; /* the unit goes straight to it */
        pthread_cond_signal(&w->cond);
    } else if (s->count == s->max) {
        rc = MK_ERANGE;
    } else {
        s->count++;
    }
    pthread_mutex_unlock(&s->lock);
    mk__sem_unref(s);
    return rc;
}

int mk_sem_value(mk_t *k, mk_sem_t h, uint32_t *value)
{
    MK__CHECK(k);
    if (value == NULL)
        return MK_EINVAL;
    struct mk__sem *s = mk__sem_get(k, h);
    if (s == NULL)
        return MK_EBADH;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->dead)
        rc = MK_EBADH;
    else
        *value = s->count;
    pthread_mutex_unlock(&s->lock);
    mk__sem_unref(s);
    return rc;
}

int mk_sem_delete(mk_t *k, mk_sem_t h)
{
    MK__CHECK(k);
    struct mk__sync *sy = k->sync;
    pthread_rwlock_wrlock(&sy->lock);
    struct mk__sem *s = mk__htab_remove(&sy->sems, h);
    if (s != NULL)
        mk__nmap_del(&sy->sem_names, s->name);
    pthread_rwlock_unlock(&sy->lock);
    if (s == NULL)
        return MK_EBADH;
    pthread_mutex_lock(&s->lock);
    s->dead = true;
    while (s->head != NULL) {
        struct mk__waiter *w = s->head;
        mk__sem_unlink(s, w);
        w->state = MK__W_DEAD;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&s->lock);
    mk__sem_unref(s); /* the map's reference; waiters hold their own */
    return 0;
}
