/*
 * sem.c - named counting semaphores with FIFO hand-off and a lock-free
 * fast path.
 *
 * Sits on core (name map, handle tags) and proc (generic wait queues,
 * sched.h). Interface: microkernel/sync.h; module state: sync_int.h.
 *
 * Objects are type-stable. Slot i of the semaphore table holds the same
 * struct mk__sem from its first use until mk_destroy; mk_sem_delete only
 * retires it (new generation, onto a free list) and a later mk_sem_create
 * re-uses it. So a handle (tag | 24-bit generation | slot) resolves with
 * two acquire loads and no lock or reference count, and the object it
 * finds is always valid memory, even if it was deleted a moment ago
 * (the "type-stable memory" of Greenwald & Cheriton, "The synergy between
 * non-blocking synchronization and operating system structure", OSDI
 * 1996; Linux's SLAB_TYPESAFE_BY_RCU). Whether the handle is still the
 * object's is decided by the state word below.
 *
 * The state word st packs, in one 64-bit atomic:
 *   bits  0..31  count
 *   bit  32      SLOW: waiters are or were queued; only s->lock holders
 *                change st (fast paths keep off)
 *   bits 33..56  generation of the live semaphore (the handle's)
 *   bit  63      LIVE
 * Fast paths (nobody waits, as glibc's sem_t, nptl/sem_waitcommon.c): a
 * wait is one compare-and-swap count -> count-1 that also checks the
 * generation, LIVE and SLOW in the same word, so it can never touch a
 * deleted or re-created semaphore (a delete changes the word) and never
 * overtakes a queued waiter (SLOW sends it to the locked path). A post
 * is one CAS count -> count+1 while SLOW is clear and count < max.
 *
 * Slow paths take s->lock. Fairness: waiters queue in arrival order in an
 * mk__wq (a body is suspended, a host thread sleeps on its own condvar).
 * A post while waiters are queued hands its unit straight to the oldest
 * instead of raising the count (Linux kernel/locking/semaphore.c), so the
 * count is non-zero only when nobody waits and exactly one waiter wakes.
 * Invariants: wq non-empty => SLOW set; SLOW set => count == 0. SLOW is
 * sticky: a hand-off leaves it set (a semaphore that has just had a
 * waiter usually gets another one: ping-pong, producer/consumer), and
 * the first post that finds the queue empty raises the count and clears
 * SLOW in one store. While SLOW is set nobody but the lock holder writes
 * st, so those transitions are plain stores, not compare-and-swaps (two
 * locked instructions fewer per hand-off).
 *
 * Delete wakes the waiters with MK_EDESTROYED; they return without
 * touching the queue again (wq.c unlinks woken nodes), so the object may
 * be re-used at once: a stale handle then fails the generation check
 * (MK_EBADH).
 *
 * Locking: t->lock (names, free list, table growth) -> s->lock (wq, the
 * slow transitions of st, max and name of the live incarnation) ->
 * scheduler lock. Fast paths take no lock.
 */
#include "sync_int.h"

#include <stdlib.h>
#include <string.h>

#define ST_COUNT 0xffffffffull
#define ST_SLOW (1ull << 32)
#define ST_GEN_SHIFT 33
#define ST_GEN_MASK (0xffffffull << ST_GEN_SHIFT)
#define ST_LIVE (1ull << 63)
#define ST_ID (ST_LIVE | ST_GEN_MASK)

#define SEM_GEN_MASK 0xffffffu

struct mk__sem {
    _Atomic uint64_t st;       /* see the file comment */
    _Atomic uint32_t max;      /* of the live incarnation (set before st) */
    uint32_t idx;              /* slot, never changes */
    uint32_t gen;              /* current (live) or next generation; t->lock */
    pthread_mutex_t lock;
    mk__wq_t wq;
    struct mk__sem *next_free; /* t->lock */
    char name[MK_NAME_MAX + 1];
};

static uint64_t sem_handle(uint32_t gen, uint32_t idx)
{
    return ((uint64_t)MK__H_SEM << 56) | ((uint64_t)gen << 32) | idx;
}

static uint64_t sem_key(uint32_t gen)
{
    return ST_LIVE | ((uint64_t)gen << ST_GEN_SHIFT);
}

/* The object in h's slot and the st identity bits h must find there; NULL
 * for a forged handle (wrong tag, slot never used). A stale handle gets an
 * object whose st does not match *key. No lock. */
static struct mk__sem *sem_at(mk_t *k, uint64_t h, uint64_t *key)
{
    if ((uint8_t)(h >> 56) != MK__H_SEM)
        return NULL;
    uint32_t idx = (uint32_t)h;
    uint32_t gen = (uint32_t)(h >> 32) & SEM_GEN_MASK;
    if (gen == 0 || (idx >> MK__SEMDIR_SHIFT) >= MK__SEMDIR_CHUNKS)
        return NULL;
    mk__semp_t *c =
        atomic_load_explicit(&k->sync->sems.dir[idx >> MK__SEMDIR_SHIFT], memory_order_acquire);
    if (c == NULL)
        return NULL;
    *key = sem_key(gen);
    return atomic_load_explicit(&c[idx & (MK__SEMDIR_CHUNK - 1)], memory_order_acquire);
}

/* ---- table --------------------------------------------------------------- */

int mk__semtab_init(struct mk__semtab *t)
{
    memset(t, 0, sizeof *t);
    if (pthread_mutex_init(&t->lock, NULL) != 0)
        return MK_ENOMEM;
    mk__nmap_init(&t->names);
    return 0;
}

/* Context teardown: nobody calls or waits any more (bodies abandoned by
 * mk_destroy never run again). */
void mk__semtab_fini(struct mk__semtab *t)
{
    for (uint32_t c = 0; c < MK__SEMDIR_CHUNKS; c++) {
        mk__semp_t *chunk = atomic_load_explicit(&t->dir[c], memory_order_relaxed);
        if (chunk == NULL)
            continue;
        for (uint32_t i = 0; i < MK__SEMDIR_CHUNK; i++) {
            struct mk__sem *s = atomic_load_explicit(&chunk[i], memory_order_relaxed);
            if (s != NULL) {
                pthread_mutex_destroy(&s->lock);
                free(s);
            }
        }
        free(chunk);
    }
    mk__nmap_fini(&t->names);
    pthread_mutex_destroy(&t->lock);
}

/* t->lock held: a retired object, or a new one in the next slot. */
static struct mk__sem *sem_alloc(struct mk__semtab *t)
{
    struct mk__sem *s = t->free;
    if (s != NULL) {
        t->free = s->next_free;
        return s;
    }
    uint32_t idx = t->used;
    if ((idx >> MK__SEMDIR_SHIFT) >= MK__SEMDIR_CHUNKS)
        return NULL;
    mk__semp_t *chunk = atomic_load_explicit(&t->dir[idx >> MK__SEMDIR_SHIFT], memory_order_relaxed);
    if (chunk == NULL) {
        chunk = calloc(MK__SEMDIR_CHUNK, sizeof *chunk);
        if (chunk == NULL)
            return NULL;
        atomic_store_explicit(&t->dir[idx >> MK__SEMDIR_SHIFT], chunk, memory_order_release);
    }
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->idx = idx;
    s->gen = 1;
    atomic_init(&s->st, 0); /* not LIVE: no handle matches yet */
    atomic_store_explicit(&chunk[idx & (MK__SEMDIR_CHUNK - 1)], s, memory_order_release);
    t->used++;
    return s;
}

/* ---- public calls -------------------------------------------------------- */

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
    struct mk__semtab *t = &k->sync->sems;
    pthread_mutex_lock(&t->lock);
    if (mk__nmap_get(&t->names, name) != NULL) {
        pthread_mutex_unlock(&t->lock);
        return MK_EEXIST;
    }
    struct mk__sem *s = sem_alloc(t);
    if (s == NULL) {
        pthread_mutex_unlock(&t->lock);
        return MK_ENOMEM;
    }
    rc = mk__nmap_put(&t->names, name, s);
    if (rc != 0) {
        s->next_free = t->free;
        t->free = s;
        pthread_mutex_unlock(&t->lock);
        return rc;
    }
    uint64_t h = sem_handle(s->gen, s->idx);
    pthread_mutex_lock(&s->lock);
    strcpy(s->name, name);
    atomic_store_explicit(&s->max, max, memory_order_relaxed);
    mk__wq_init(&s->wq, MK__H_SEM, h);
    atomic_store_explicit(&s->st, sem_key(s->gen) | initial, memory_order_release);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&t->lock);
    *out = h;
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
    struct mk__semtab *t = &k->sync->sems;
    pthread_mutex_lock(&t->lock);
    struct mk__sem *s = mk__nmap_get(&t->names, name);
    uint64_t h = s != NULL ? sem_handle(s->gen, s->idx) : 0;
    pthread_mutex_unlock(&t->lock);
    if (s == NULL)
        return MK_ENOENT;
    *out = h;
    return 0;
}

int mk_sem_trywait(mk_t *k, mk_sem_t h)
{
    return mk_sem_wait(k, h, MK_NO_WAIT);
}

static int sem_wait_slow(mk_t *k, struct mk__sem *s, uint64_t key, uint64_t timeout_ticks)
{
    int rc;
    pthread_mutex_lock(&s->lock);
    uint64_t st = atomic_load_explicit(&s->st, memory_order_relaxed);
    for (;;) {
        if ((st & ST_ID) != key) {
            rc = MK_EBADH; /* deleted meanwhile: never waited */
            goto out;
        }
        if ((st & ST_COUNT) != 0) {
            /* count > 0 implies SLOW clear and nobody waiting (posts hand
             * off to waiters); fast paths may still move the count: CAS. */
            if (atomic_compare_exchange_weak_explicit(&s->st, &st, st - 1, memory_order_acquire,
                                                      memory_order_relaxed)) {
                rc = 0;
                goto out;
            }
            continue;
        }
        if (timeout_ticks == MK_NO_WAIT) {
            rc = MK_EAGAIN;
            goto out;
        }
        if ((st & ST_SLOW) != 0 ||
            atomic_compare_exchange_weak_explicit(&s->st, &st, st | ST_SLOW, memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    }
    bool held;
    rc = mk__wq_wait_handoff(k, &s->wq, &s->lock, timeout_ticks, 0, &held);
    if (!held)
        return rc; /* handed a unit (or deleted) */
    /* Timed out or killed: SLOW stays (sticky) even if the queue is now
     * empty; the next post clears it. */
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int mk_sem_wait(mk_t *k, mk_sem_t h, uint64_t timeout_ticks)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    uint64_t key;
    struct mk__sem *s = sem_at(k, h, &key);
    if (s == NULL)
        return MK_EBADH;
    uint64_t st = atomic_load_explicit(&s->st, memory_order_relaxed);
    while ((st & (ST_ID | ST_SLOW)) == key && (st & ST_COUNT) != 0)
        if (atomic_compare_exchange_weak_explicit(&s->st, &st, st - 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    if ((st & ST_ID) != key)
        return MK_EBADH;
    if (timeout_ticks == MK_NO_WAIT && (st & ST_COUNT) == 0)
        return MK_EAGAIN;
    return sem_wait_slow(k, s, key, timeout_ticks);
}

static int sem_post_slow(mk_t *k, struct mk__sem *s, uint64_t key)
{
    int rc;
    pthread_mutex_lock(&s->lock);
    uint64_t st = atomic_load_explicit(&s->st, memory_order_relaxed);
    for (;;) {
        if ((st & ST_ID) != key) {
            rc = MK_EBADH;
            break;
        }
        if ((st & ST_SLOW) != 0) {
            /* The unit goes straight to the oldest waiter; with nobody
             * queued (count is 0 under SLOW, and max >= 1) it becomes the
             * count and SLOW goes: a plain store, fast paths keep off. */
            if (mk__wq_wake_one(k, &s->wq, 0) < 0)
                atomic_store_explicit(&s->st, key | 1u, memory_order_release);
            rc = 0;
            break;
        }
        if ((st & ST_COUNT) == atomic_load_explicit(&s->max, memory_order_relaxed)) {
            rc = MK_ERANGE;
            break;
        }
        if (atomic_compare_exchange_weak_explicit(&s->st, &st, st + 1, memory_order_release,
                                                  memory_order_relaxed)) {
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int mk_sem_post(mk_t *k, mk_sem_t h)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    uint64_t key;
    struct mk__sem *s = sem_at(k, h, &key);
    if (s == NULL)
        return MK_EBADH;
    uint64_t st = atomic_load_explicit(&s->st, memory_order_relaxed);
    while ((st & (ST_ID | ST_SLOW)) == key &&
           (st & ST_COUNT) != atomic_load_explicit(&s->max, memory_order_relaxed))
        if (atomic_compare_exchange_weak_explicit(&s->st, &st, st + 1, memory_order_release,
                                                  memory_order_relaxed))
            return 0;
    if ((st & ST_ID) != key)
        return MK_EBADH;
    return sem_post_slow(k, s, key); /* waiters, or at max (checked under the lock) */
}

int mk_sem_value(mk_t *k, mk_sem_t h, uint32_t *value)
{
    MK__CHECK(k);
    if (value == NULL)
        return MK_EINVAL;
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    uint64_t key;
    struct mk__sem *s = sem_at(k, h, &key);
    if (s == NULL)
        return MK_EBADH;
    uint64_t st = atomic_load_explicit(&s->st, memory_order_acquire);
    if ((st & ST_ID) != key)
        return MK_EBADH;
    *value = (uint32_t)(st & ST_COUNT);
    return 0;
}

int mk_sem_delete(mk_t *k, mk_sem_t h)
{
    MK__CHECK(k);
    int rc = mk__sched_enter(k);
    if (rc != 0)
        return rc;
    uint64_t key;
    struct mk__sem *s = sem_at(k, h, &key);
    if (s == NULL)
        return MK_EBADH;
    struct mk__semtab *t = &k->sync->sems;
    pthread_mutex_lock(&t->lock);
    pthread_mutex_lock(&s->lock);
    if ((atomic_load_explicit(&s->st, memory_order_relaxed) & ST_ID) != key) {
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_unlock(&t->lock);
        return MK_EBADH;
    }
    mk__nmap_del(&t->names, s->name);
    uint32_t gen = (s->gen + 1) & SEM_GEN_MASK;
    s->gen = gen != 0 ? gen : 1;
    /* Not LIVE, count 0, SLOW clear: every fast path and every handle of
     * the old generation now fails. */
    atomic_store_explicit(&s->st, (uint64_t)s->gen << ST_GEN_SHIFT, memory_order_release);
    mk__wq_wake_all(k, &s->wq, MK_EDESTROYED);
    pthread_mutex_unlock(&s->lock);
    s->next_free = t->free;
    t->free = s;
    pthread_mutex_unlock(&t->lock);
    return 0;
}
