/*
 * tcache.c - per-thread block caches ("magazines") and the block slot
 * table of the mem module.
 *
 * Why: an alloc+free pair through the table lock cost ~610 instructions
 * and two mutex round trips (doc/PERFORMANCE.md, "Speed work in the memory
 * module"). After J. Bonwick and J. Adams, "Magazines and Vmem: Extending
 * the Slab Allocator to Many CPUs and Arbitrary Resources" (USENIX 2001),
 * each host thread keeps, per context and per heap, a small stack of
 * freed blocks per size bin, plus quota credit for one pid; a pair on the
 * same thread then takes only that thread's own cache lock, an
 * uncontended exchange, and no table lock. Misses, overflows and
 * everything that must see exact state go through mem->lock (block.c,
 * heap.c), which may lock any cache to flush it.
 *
 * Sits on heap.h (structures, allocator raw free) and core (nothing else).
 *
 * Block slots: the record of a block lives in the slot its handle names.
 * Slots are carved in chunks of MK__SLOT_CHUNK that never move or go away
 * before the context does, reached through a fixed directory, so a
 * handle is resolved without a lock (mk__slot_of) and every field is then
 * checked under the slot's guard. Free slots are on a list (mem->lock);
 * slots never used yet are above m->fresh and are initialised on first
 * use, so a chunk's pages are touched only as the table grows.
 *
 * Threads and contexts: a thread finds its cache for a context through a
 * "link" it owns (struct mk__tlink, one per context it used, chained from
 * a pthread key); the last link used is in a thread-local pointer, so the
 * fast path costs one compare of the context's unique id. Caches are
 * owned by the context (list m->tcs) and freed only by mk__tc_fini, so a
 * reader that loaded a slot's home pointer may always lock it. When a
 * thread exits, the key's destructor retires each of its caches: cached
 * blocks go back to their heaps, live blocks homed there move to their
 * owner's account (mem->lock), credit is returned, and the cache waits,
 * empty, for the next thread of that context to adopt it. When a context
 * is destroyed, the links of every thread to it are cut (under the global
 * link lock) and the caches freed. Lock order: link lock, mem->lock,
 * cache locks.
 */
#include "heap.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t link_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t link_key;
static _Atomic uint64_t next_mid;
_Thread_local struct mk__tlink *mk__last_link __attribute__((tls_model("initial-exec")));

/* ---- cache locks ------------------------------------------------------------ */

void mk__tc_lock_slow(struct mk__tc *t)
{
    for (;;) {
        /* Held by a mem->lock holder flushing this cache (or by the owner
         * thread for a few instructions): let it run. */
        while (atomic_load_explicit(&t->lock, memory_order_relaxed) != 0)
            sched_yield();
        if (atomic_exchange_explicit(&t->lock, 1, memory_order_acquire) == 0)
            return;
    }
}

/* ---- block slots --------------------------------------------------------------- */

/* No MADV_HUGEPAGE hint: the first touch of a huge page zeroes 2 MiB
 * inside one allocation (~250 us measured by bench-core mem/worst, against
 * ~5 us without), which would break the bounded worst case the free-list
 * heap is for. Pages come 4 KiB at a time as the table grows. */
static struct mk__mblk *chunk_new(void)
{
    size_t sz = (size_t)MK__SLOT_CHUNK * sizeof(struct mk__mblk);
    return aligned_alloc(_Alignof(struct mk__mblk), sz);
}

struct mk__mblk *mk__slot_new(struct mk__mem *m)
{
    struct mk__mblk *b = m->slot_free;
    if (b != NULL) {
        m->slot_free = b->onext;
        b->onext = b->oprev = NULL;
        return b;
    }
    uint32_t idx = atomic_load_explicit(&m->fresh, memory_order_relaxed);
    uint32_t ci = idx >> MK__SLOT_CHUNK_LOG2;
    if (ci == m->nchunks) {
        if (ci == MK__SLOT_DIR)
            return NULL;
        struct mk__mblk *c = chunk_new();
        if (c == NULL)
            return NULL;
        atomic_store_explicit(&m->dir[ci], c, memory_order_release);
        m->nchunks++;
    }
    b = &atomic_load_explicit(&m->dir[ci], memory_order_relaxed)[idx & (MK__SLOT_CHUNK - 1)];
    memset(b, 0, sizeof *b);
    atomic_init(&b->home, NULL);
    b->idx = idx;
    b->gen = 1;
    atomic_store_explicit(&m->fresh, idx + 1, memory_order_release);
    return b;
}

void mk__slot_put(struct mk__mem *m, struct mk__mblk *b)
{
    free(b->shares);
    b->shares = NULL;
    b->nshares = b->capshares = 0;
    b->live = b->dead = 0;
    b->heap = NULL;
    atomic_store_explicit(&b->home, NULL, memory_order_release);
    b->oprev = NULL;
    b->onext = m->slot_free;
    m->slot_free = b;
}

void mk__slots_foreach(struct mk__mem *m, void (*fn)(struct mk__mem *, struct mk__mblk *, void *),
                       void *arg)
{
    uint32_t n = atomic_load_explicit(&m->fresh, memory_order_relaxed);
    for (uint32_t idx = 0; idx < n; idx++) {
        struct mk__mblk *c =
            atomic_load_explicit(&m->dir[idx >> MK__SLOT_CHUNK_LOG2], memory_order_relaxed);
        fn(m, &c[idx & (MK__SLOT_CHUNK - 1)], arg);
    }
}

/* ---- entries and flushes (mem->lock held) ---------------------------------------- */

void mk__tc_flush_ent(struct mk__tc *t, struct mk__tcent *e)
{
    struct mk__heap *h = e->h;
    if (h == NULL)
        return;
    h->allocs += e->allocs;
    h->frees += e->frees;
    h->live = h->live + e->allocs - e->frees;  /* cached frees were live here */
    h->requested = h->requested + e->req_in - e->req_out;
    e->allocs = e->frees = e->req_in = e->req_out = 0;
    for (uint32_t bin = 0; bin < MK__NBINS; bin++) {
        for (uint32_t i = e->n[bin]; i-- > 0;) { /* newest first: oldest ends on top */
            struct mk__mblk *b = e->stack[bin][i];
            mk__heap_raw_free(h, b->off);
            mk__slot_put(t->m, b);
        }
        e->n[bin] = 0;
    }
    e->total = 0;
}

struct mk__tcent *mk__tc_ent(struct mk__tc *t, mk_heap_t hh, struct mk__heap *h)
{
    struct mk__tcent *free_e = NULL;
    for (uint32_t i = 0; i < MK__TC_NENT; i++) {
        struct mk__tcent *e = &t->ent[i];
        if (e->h == h && e->hh == hh)
            return e;
        if (e->h == NULL && free_e == NULL)
            free_e = e;
    }
    if (free_e == NULL) {
        /* All taken: give back the one least likely to matter (rotating). */
        free_e = &t->ent[(uint32_t)(h->off / MK__ALIGN) % MK__TC_NENT];
        mk__tc_flush_ent(t, free_e);
    }
    free_e->h = h;
    free_e->hh = hh;
    free_e->kind = h->kind;
    free_e->cap = h->kind == MK_HEAP_FREELIST ? MK__TC_FL_CAP : MK__NBINS * MK__MAG;
    return free_e;
}

void mk__tc_flush_heap(struct mk__mem *m, struct mk__heap *h, struct mk__tc *held, bool forget)
{
    for (struct mk__tc *t = m->tcs; t != NULL; t = t->mnext) {
        if (t != held)
            mk__tc_lock(t);
        for (uint32_t i = 0; i < MK__TC_NENT; i++) {
            struct mk__tcent *e = &t->ent[i];
            if (e->h != h)
                continue;
            mk__tc_flush_ent(t, e);
            if (forget) {
                e->h = NULL;
                e->hh = 0;
            }
        }
        if (t != held)
            mk__tc_unlock(t);
    }
}

void mk__tc_drop_credit(struct mk__tc *t)
{
    if (t->acct != NULL) {
        t->acct->used -= t->reserved - t->live;
        t->reserved = t->live;
    }
}

uint64_t mk__acct_exact(struct mk__mem *m, struct mk__mpid *r, struct mk__tc *held, bool reclaim)
{
    uint64_t used = r->used;
    for (struct mk__tc *t = m->tcs; t != NULL; t = t->mnext) {
        if (t != held)
            mk__tc_lock(t);
        if (t->acct == r) {
            used -= t->reserved - t->live;
            if (reclaim)
                mk__tc_drop_credit(t);
        }
        if (t != held)
            mk__tc_unlock(t);
    }
    return used;
}

void mk__tc_unbind(struct mk__tc *t)
{
    struct mk__mpid *r = t->acct;
    if (r != NULL) {
        mk__tc_drop_credit(t); /* reserved == live: those bytes stay charged */
        while (t->owned != NULL) {
            struct mk__mblk *b = t->owned;
            t->owned = b->onext;
            atomic_store_explicit(&b->home, NULL, memory_order_release);
            b->oprev = NULL;
            b->onext = r->owned;
            if (r->owned)
                r->owned->oprev = b;
            r->owned = b;
        }
    }
    t->acct = NULL;
    t->reserved = t->live = 0;
}

/* Empty a cache whose thread is gone (mem->lock and t locked): cached
 * blocks back to their heaps, live blocks homed here to their owner's
 * account, credit back. The cache stays on m->tcs for the next thread. */
static void tc_retire(struct mk__tc *t)
{
    for (uint32_t i = 0; i < MK__TC_NENT; i++) {
        mk__tc_flush_ent(t, &t->ent[i]);
        t->ent[i].h = NULL;
        t->ent[i].hh = 0;
    }
    mk__tc_unbind(t);
}

/* ---- threads and contexts ------------------------------------------------------ */

/* Thread exit: retire every cache of this thread (pthread key destructor). */
static void links_release(void *v)
{
    pthread_mutex_lock(&link_lock);
    struct mk__tlink *l = v;
    while (l != NULL) {
        struct mk__tlink *next = l->next;
        struct mk__tc *t = atomic_load_explicit(&l->tc, memory_order_relaxed);
        if (t != NULL) {
            struct mk__mem *m = t->m;
            pthread_mutex_lock(&m->lock);
            mk__tc_lock(t);
            tc_retire(t);
            t->link = NULL;
            mk__tc_unlock(t);
            pthread_mutex_unlock(&m->lock);
        }
        free(l);
        l = next;
    }
    mk__last_link = NULL;
    pthread_mutex_unlock(&link_lock);
}

static void key_create(void)
{
    /* Failure leaves the key unusable: caches are then created per call
     * (mk__tc_get returns NULL) and every call takes the slow path. */
    if (pthread_key_create(&link_key, links_release) != 0)
        link_key = (pthread_key_t)-1;
}

/* Free the calling thread's links whose context is gone (link_lock held). */
static struct mk__tlink *links_prune(struct mk__tlink *head)
{
    struct mk__tlink **pp = &head;
    while (*pp != NULL) {
        struct mk__tlink *l = *pp;
        if (atomic_load_explicit(&l->tc, memory_order_relaxed) == NULL) {
            *pp = l->next;
            if (mk__last_link == l)
                mk__last_link = NULL;
            free(l);
        } else {
            pp = &l->next;
        }
    }
    return head;
}

struct mk__tc *mk__tc_get(struct mk__mem *m)
{
    struct mk__tc *t = mk__tc_mine(m);
    if (t != NULL)
        return t;
    pthread_once(&key_once, key_create);
    if (link_key == (pthread_key_t)-1)
        return NULL;
    struct mk__tlink *head = pthread_getspecific(link_key);
    for (struct mk__tlink *l = head; l != NULL; l = l->next) {
        if (l->mid == m->id) {
            mk__last_link = l;
            return atomic_load_explicit(&l->tc, memory_order_relaxed);
        }
    }
    struct mk__tlink *l = malloc(sizeof *l);
    if (l == NULL)
        return NULL;
    pthread_mutex_lock(&link_lock);
    struct mk__tlink *pruned = links_prune(head);
    if (pruned != head) {
        head = pruned;
        (void)pthread_setspecific(link_key, head); /* the key has storage already */
    }
    pthread_mutex_lock(&m->lock);
    for (t = m->tcs; t != NULL && t->link != NULL; t = t->mnext)
        ; /* adopt a retired cache if there is one */
    if (t == NULL && (t = calloc(1, sizeof *t)) != NULL) {
        atomic_init(&t->lock, 0);
        t->m = m;
        t->mnext = m->tcs;
        m->tcs = t;
    }
    if (t != NULL) {
        t->link = l;
        atomic_init(&l->tc, t);
        l->mid = m->id;
        l->next = head;
        if (pthread_setspecific(link_key, l) == 0) {
            mk__last_link = l;
            l = NULL;
        } else {
            t->link = NULL; /* stays retired */
            t = NULL;
        }
    }
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&link_lock);
    free(l); /* NULL unless it could not be registered */
    return t;
}

/* ---- module assembly ------------------------------------------------------------ */

int mk__tc_init(struct mk__mem *m)
{
    m->id = atomic_fetch_add(&next_mid, 1) + 1;
    m->dir = calloc(MK__SLOT_DIR, sizeof *m->dir);
    return m->dir ? 0 : MK_ENOMEM;
}

/* First step of teardown, before the accounts go: a thread exiting right
 * now holds link_lock while it retires its cache (which touches accounts
 * and heaps), so once this has the lock no thread reaches m again. */
void mk__tc_detach(struct mk__mem *m)
{
    pthread_mutex_lock(&link_lock);
    while (m->tcs != NULL) {
        struct mk__tc *t = m->tcs;
        m->tcs = t->mnext;
        if (t->link != NULL)
            atomic_store_explicit(&t->link->tc, NULL, memory_order_relaxed);
        free(t);
    }
    /* The calling thread's links to this context go now; other threads
     * drop theirs at their next cache lookup or when they exit. */
    pthread_once(&key_once, key_create);
    if (link_key != (pthread_key_t)-1) {
        struct mk__tlink *head = pthread_getspecific(link_key);
        struct mk__tlink *nh = links_prune(head);
        if (nh != head)
            pthread_setspecific(link_key, nh);
    }
    pthread_mutex_unlock(&link_lock);
}

void mk__tc_fini(struct mk__mem *m)
{
    mk__tc_detach(m); /* no-op if already done */
    if (m->dir != NULL) {
        for (uint32_t ci = 0; ci < m->nchunks; ci++)
            free(atomic_load_explicit(&m->dir[ci], memory_order_relaxed));
        free(m->dir);
        m->dir = NULL;
    }
    m->nchunks = 0;
    atomic_store_explicit(&m->fresh, 0, memory_order_relaxed);
    m->slot_free = NULL;
}
