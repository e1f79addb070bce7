/*
 * policy.c - replacement policies of the buffer cache: LRU and 2Q.
 *
 *  - LRU: one queue (MK__Q_MAIN) in recency order, as in xv6's bio.c. A
 *    hit moves the buffer to the most recently used end; the victim is the
 *    least recently used evictable buffer. A sequential scan larger than
 *    the cache flushes everything else.
 *  - 2Q, full version: T. Johnson and D. Shasha, "2Q: A Low Overhead High
 *    Performance Buffer Management Replacement Algorithm", VLDB 1994,
 *    section 2.2 (Figure 2). A missed block goes to A1in (MK__Q_IN), a
 *    FIFO; a hit there does nothing (the "correlated reference period").
 *    When A1in holds more than Kin buffers its oldest is evicted and its
 *    identity remembered in A1out, a FIFO of at most Kout block identities
 *    (no data). A miss on a block remembered in A1out goes straight to Am
 *    (MK__Q_MAIN), an LRU queue; hits there move it to the MRU end. We use
 *    the paper's recommended Kin = 25 % and Kout = 50 % of the capacity.
 *    Blocks read ahead (prefetched, never referenced) enter A1in and are
 *    not remembered in A1out when they leave it unused.
 *
 * Sits inside cache.c: every function runs with the cache lock held and
 * touches only the queues, the ghost ring and their lengths. Pinned and
 * busy buffers stay on their queue and are skipped by the victim scan, so
 * a pin / unpin does not reorder 2Q's FIFO.
 *
 * A1out is a ring of 64-bit keys mixed from (device handle, block number)
 * plus a hash map key -> count of ring entries. Two blocks whose keys
 * collide only share a "seen before" bit: a policy hint, never a
 * correctness issue, and no device pointer is kept, so removing a device
 * needs no clean-up here.
 */
#include "blk_impl.h"

#include <stdint.h>
#include <stdlib.h>

/* ---- queues -------------------------------------------------------------------- */

void mk__q_unlink(struct mk__blk *c, struct mk__cbuf *b)
{
    if (b->q == MK__Q_NONE)
        return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = NULL;
    c->qlen[b->q]--;
    b->q = MK__Q_NONE;
}

static void q_tail(struct mk__blk *c, struct mk__cbuf *b, uint8_t q)
{
    mk__q_unlink(c, b);
    struct mk__cbuf *s = &c->q[q];
    b->prev = s->prev;
    b->next = s;
    s->prev->next = b;
    s->prev = b;
    b->q = q;
    c->qlen[q]++;
}

/* The free queue is a stack (mk__q_take_free takes the head): the buffer
 * freed last, most likely still in the CPU caches (a block the fs just
 * forgot), is reused first. */
void mk__q_free(struct mk__blk *c, struct mk__cbuf *b)
{
    mk__q_unlink(c, b);
    struct mk__cbuf *s = &c->q[MK__Q_FREE];
    b->prev = s;
    b->next = s->next;
    s->next->prev = b;
    s->next = b;
    b->q = MK__Q_FREE;
    c->qlen[MK__Q_FREE]++;
}

struct mk__cbuf *mk__q_take_free(struct mk__blk *c)
{
    struct mk__cbuf *b = c->q[MK__Q_FREE].next;
    if (b == &c->q[MK__Q_FREE])
        return NULL;
    mk__q_unlink(c, b);
    return b;
}

/* ---- A1out (2Q's ghost queue) ------------------------------------------------------ */

static uint64_t ghost_key(const struct mk__cbuf *b)
{
    /* splitmix64 finaliser over both halves of the identity */
    uint64_t x = b->pub.dev * UINT64_C(0x9E3779B97F4A7C15) ^ b->pub.blockno;
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    x ^= x >> 31;
    return x;
}

static void ghost_drop_oldest(struct mk__blk *c)
{
    uint64_t key = c->ghost[c->ghead];
    uintptr_t n = (uintptr_t)mk__hmap_get(&c->gmap, key);
    if (n <= 1)
        mk__hmap_del(&c->gmap, key);
    else
        mk__hmap_put(&c->gmap, key, (void *)(n - 1)); /* replace: cannot fail */
    c->ghead = (c->ghead + 1) % c->gcap;
    c->gcount--;
}

static void ghost_add(struct mk__blk *c, uint64_t key)
{
    if (c->gcap == 0)
        return;
    if (c->gcount == c->gcap)
        ghost_drop_oldest(c);
    uintptr_t n = (uintptr_t)mk__hmap_get(&c->gmap, key);
    if (mk__hmap_put(&c->gmap, key, (void *)(n + 1)) != 0)
        return; /* no memory: forget it, a hint only */
    c->ghost[(c->ghead + c->gcount) % c->gcap] = key;
    c->gcount++;
}

static bool ghost_has(const struct mk__blk *c, uint64_t key)
{
    return c->gcount > 0 && mk__hmap_get(&c->gmap, key) != NULL;
}

/* ---- life cycle ------------------------------------------------------------------- */

int mk__pol_init(struct mk__blk *c, uint32_t policy)
{
    for (int i = 0; i < MK__Q_COUNT; i++) {
        c->q[i].next = c->q[i].prev = &c->q[i];
        c->qlen[i] = 0;
    }
    c->policy = policy == MK_CACHE_POLICY_LRU ? MK_CACHE_POLICY_LRU : MK_CACHE_POLICY_2Q;
    c->kin = c->capacity / 4 > 0 ? c->capacity / 4 : 1;
    c->gcap = c->gcount = c->ghead = 0;
    mk__hmap_init(&c->gmap);
    if (c->policy == MK_CACHE_POLICY_2Q) {
        c->gcap = c->capacity / 2 > 0 ? c->capacity / 2 : 1;
        c->ghost = malloc((size_t)c->gcap * sizeof *c->ghost);
        if (c->ghost == NULL)
            return MK_ENOMEM;
    }
    return 0;
}

void mk__pol_fini(struct mk__blk *c)
{
    free(c->ghost);
    c->ghost = NULL;
    mk__hmap_fini(&c->gmap);
}

/* ---- decisions ----------------------------------------------------------------------- */

void mk__pol_hit(struct mk__blk *c, struct mk__cbuf *b)
{
    /* LRU and 2Q's Am: move to the MRU end. 2Q's A1in: stay (FIFO). */
    if (b->q == MK__Q_MAIN)
        q_tail(c, b, MK__Q_MAIN);
}

void mk__pol_insert(struct mk__blk *c, struct mk__cbuf *b, bool prefetch)
{
    if (c->policy == MK_CACHE_POLICY_LRU)
        q_tail(c, b, MK__Q_MAIN);
    else if (!prefetch && ghost_has(c, ghost_key(b)))
        q_tail(c, b, MK__Q_MAIN); /* seen again after leaving A1in: hot */
    else
        q_tail(c, b, MK__Q_IN);
}

/* Oldest evictable buffer of queue q, or NULL. */
static struct mk__cbuf *scan(struct mk__blk *c, uint8_t q, uint64_t epoch, bool *saw_busy)
{
    for (struct mk__cbuf *b = c->q[q].next; b != &c->q[q]; b = b->next) {
        if (b->pin > 0)
            continue;
        if (b->busy) {
            *saw_busy = true;
            continue;
        }
        if (b->dirty && b->eepoch == epoch)
            continue; /* its write failed in this pass */
        return b;
    }
    return NULL;
}

struct mk__cbuf *mk__pol_victim(struct mk__blk *c, uint64_t epoch, bool *saw_busy)
{
    struct mk__cbuf *b = NULL;
    if (c->policy == MK_CACHE_POLICY_2Q && c->qlen[MK__Q_IN] > c->kin)
        b = scan(c, MK__Q_IN, epoch, saw_busy);
    if (b == NULL)
        b = scan(c, MK__Q_MAIN, epoch, saw_busy);
    if (b == NULL) /* Am empty or all pinned: take from A1in after all */
        b = scan(c, MK__Q_IN, epoch, saw_busy);
    return b;
}

void mk__pol_evicting(struct mk__blk *c, struct mk__cbuf *b)
{
    if (c->policy == MK_CACHE_POLICY_2Q && b->q == MK__Q_IN && !b->ra)
        ghost_add(c, ghost_key(b));
}
