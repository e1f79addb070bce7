/*
 * cache.c - the buffer cache: one per context, write-back, pinning,
 * read-ahead and threshold write-back; the replacement policy (LRU or 2Q)
 * is in policy.c.
 *
 * Model: xv6's kernel/bio.c (bget / bread / bwrite / brelse) and the
 * 4.4BSD buffer cache (a "busy" buffer while its I/O is in progress,
 * delayed write with B_DELWRI, sequential read-ahead as in breada /
 * cluster_read), with these changes: writes are delayed (a buffer is
 * marked dirty and written on flush, on eviction, at removal / mk_destroy,
 * or when the dirty count passes cache_dirty_pct of the capacity), the
 * lookup is a hash map per device (mk__hmap keyed by block number:
 * together, by (device, block)), and there is no fixed buffer array:
 * buffers are made on demand up to cfg.cache_blocks, each with its own
 * data so that block sizes mix.
 *
 * Sits on dev.c (device refs and the serialised driver calls) and
 * policy.c (queues, victim choice). Called by bio.c (the public block
 * calls and, through src/blk/blk.h, fs).
 *
 * Locking: the cache lock (blk->lock) guards every buffer's bookkeeping,
 * the queues, the dirty list, each device's block map, the counters and
 * the hot device table that lets mk__buf_get skip blk->devlock on a hit.
 * (An unlocked unpin with an atomic pin count was tried: on this machine
 * a lone atomic read-modify-write costs more than an uncontended
 * lock / unlock pair, so the pin count stays a plain field.)
 * Device I/O is done without it: the buffer is marked busy first. A buffer
 * being read in (busy && reading) has undefined bytes, so a second user
 * waits on blk->cond; a buffer being written back keeps valid bytes and
 * may be pinned meanwhile, but nobody else starts I/O on it and the
 * evictor does not take it. The bytes of a pinned buffer belong to its
 * pinners. Trace events are emitted with the lock held (the trace
 * callback must not call back into the context).
 *
 * Never losing data: a dirty buffer is made clean only by a successful
 * write; when the write fails it is marked dirty again (the flag is
 * cleared before the write, so a pinner that re-dirties it during the
 * write is not forgotten). Each flush or eviction pass carries an epoch so
 * that it tries a failing buffer once and then moves on. Threshold
 * write-back takes only unpinned buffers (a pinned dirty buffer may be
 * part of an uncommitted fs transaction) and reports nothing: a failed
 * block stays dirty and goes to the young end of the dirty list.
 */
#include "blk_impl.h"

#include <microkernel/trace.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- dirty list (lock held) ------------------------------------------------------ */

void mk__cache_set_dirty(struct mk__blk *c, struct mk__cbuf *b)
{
    if (b->dirty)
        return;
    b->dirty = true;
    b->dprev = c->dl.dprev;
    b->dnext = &c->dl;
    c->dl.dprev->dnext = b;
    c->dl.dprev = b;
    atomic_store_explicit(&c->ndirty, atomic_load_explicit(&c->ndirty, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static void clear_dirty(struct mk__blk *c, struct mk__cbuf *b)
{
    if (!b->dirty)
        return;
    b->dirty = false;
    b->dprev->dnext = b->dnext;
    b->dnext->dprev = b->dprev;
    b->dprev = b->dnext = NULL;
    atomic_store_explicit(&c->ndirty, atomic_load_explicit(&c->ndirty, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

/* Take a valid buffer out of its device's map and off its queue. */
void mk__cache_forget(struct mk__blk *c, struct mk__cbuf *b)
{
    if (!b->valid)
        return;
    mk__hmap_del(&b->d->bufs, b->pub.blockno);
    mk__q_unlink(c, b);
    clear_dirty(c, b);
    b->valid = false;
    b->ra = false;
    b->d = NULL;
}

/* Evict a valid, unpinned, clean buffer: it leaves the cache invalid and on
 * no queue. */
static void evict(mk_t *k, struct mk__cbuf *b)
{
    struct mk__blk *c = k->blk;
    mk__pol_evicting(c, b);
    mk__trace_emit(k, MK_EV_CACHE_EVICT, MK_PID_KERNEL, b->pub.dev, b->pub.blockno);
    mk__cache_forget(c, b);
    c->evictions++;
}

/* ---- buffers ----------------------------------------------------------------- */

static struct mk__cbuf *new_buf(struct mk__blk *c)
{
    if (c->nbufs == c->bufs_cap) {
        uint32_t ncap = c->bufs_cap == 0 ? 64 : c->bufs_cap * 2;
        if (ncap > c->capacity)
            ncap = c->capacity;
        struct mk__cbuf **nb = realloc(c->bufs, (size_t)ncap * sizeof *nb);
        if (nb == NULL)
            return NULL;
        c->bufs = nb;
        c->bufs_cap = ncap;
    }
    struct mk__cbuf *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    c->bufs[c->nbufs++] = b;
    return b;
}

static int ensure_size(struct mk__cbuf *b, uint32_t size)
{
    if (b->cap >= size)
        return 0;
    /* Cache-line aligned (malloc gives 16 bytes): a 4 KiB copy in or out
     * of a buffer with wide vector loads then never splits a line; this
     * alone took a cached 4 KiB read from 74 to ~45 ns of copying here. */
    uint8_t *p = aligned_alloc(64, ((size_t)size + 63) & ~(size_t)63);
    if (p == NULL)
        return MK_ENOMEM;
    free(b->pub.data);
    b->pub.data = p;
    b->cap = size;
    return 0;
}

int mk__cache_init(mk_t *k)
{
    struct mk__blk *c = k->blk;
    c->capacity = k->cfg.cache_blocks != 0 ? k->cfg.cache_blocks : 1024;
    uint32_t ra = k->cfg.cache_readahead != 0 ? k->cfg.cache_readahead : 16;
    uint32_t pct = k->cfg.cache_dirty_pct != 0 ? k->cfg.cache_dirty_pct : 50;
    c->ra_window = ra;
    c->dirty_limit = (uint64_t)c->capacity * pct / 100;
    c->dl.dnext = c->dl.dprev = &c->dl;
    if (mk__pol_init(c, k->cfg.cache_policy) != 0) {
        mk__pol_fini(c);
        return MK_ENOMEM;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        mk__pol_fini(c);
        return MK_ENOMEM;
    }
    if (mk__cond_init(&c->cond) != 0) {
        pthread_mutex_destroy(&c->lock);
        mk__pol_fini(c);
        return MK_ENOMEM;
    }
    return 0;
}

void mk__cache_fini(mk_t *k)
{
    struct mk__blk *c = k->blk;
    for (uint32_t i = 0; i < c->nbufs; i++) {
        free(c->bufs[i]->pub.data);
        free(c->bufs[i]);
    }
    free(c->bufs);
    c->bufs = NULL;
    c->nbufs = c->bufs_cap = 0;
    mk__pol_fini(c);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
}

/* ---- eviction ---------------------------------------------------------------- */

/*
 * Take a buffer that can be reused: with take_free a free (invalid) one if
 * there is one, else the policy's victim, written back first if it is
 * dirty. Lock held; dropped around writes. On success the buffer is on no
 * queue, invalid and unpinned. MK_EBUSY when nothing is evictable (all
 * pinned), MK_EIO when every dirty candidate failed to write.
 */
static int reclaim(mk_t *k, bool take_free, struct mk__cbuf **out)
{
    struct mk__blk *c = k->blk;
    uint64_t e = ++c->epoch;
    bool io_failed = false;
    for (;;) {
        struct mk__cbuf *cand;
        bool saw_busy = false;
        if (take_free && (cand = mk__q_take_free(c)) != NULL) {
            *out = cand;
            return 0;
        }
        cand = mk__pol_victim(c, e, &saw_busy);
        if (cand == NULL) {
            if (saw_busy) { /* someone else's I/O ends soon */
                pthread_cond_wait(&c->cond, &c->lock);
                continue;
            }
            return io_failed ? MK_EIO : MK_EBUSY;
        }
        if (!cand->dirty) {
            evict(k, cand);
            *out = cand;
            return 0;
        }
        /* Dirty: write it back without the lock, then look again. */
        struct mk__dev *d = cand->d;
        cand->busy = true;
        clear_dirty(c, cand);
        pthread_mutex_unlock(&c->lock);
        int r = mk__dev_write(k, d, cand->pub.blockno, cand->pub.data);
        pthread_mutex_lock(&c->lock);
        cand->busy = false;
        pthread_cond_broadcast(&c->cond);
        if (r != 0) {
            mk__cache_set_dirty(c, cand); /* never dropped unwritten */
            cand->eepoch = e;
            io_failed = true;
            continue;
        }
        c->writebacks++;
        mk__trace_emit(k, MK_EV_CACHE_WRITEBACK, MK_PID_KERNEL, cand->pub.dev,
                       cand->pub.blockno);
        if (cand->valid && cand->pin == 0 && !cand->dirty) {
            evict(k, cand);
            *out = cand;
            return 0;
        }
        /* Pinned or re-dirtied while we wrote: it stays; try another. */
    }
}

MK_API int mk_cache_evict(mk_t *k, uint64_t *evicted)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b;
    uint64_t n = 0;
    pthread_mutex_lock(&c->lock);
    int rc = reclaim(k, false, &b);
    if (rc == 0) {
        mk__q_free(c, b);
        n = 1;
    } else if (rc == MK_EBUSY) {
        rc = 0; /* nothing evictable is not an error */
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == 0 && evicted != NULL)
        *evicted = n;
    return rc;
}

/* A buffer for read-ahead without waiting or writing: a free one, a new
 * one, or the policy's victim if it is clean. NULL if none. Lock held,
 * never dropped. */
static struct mk__cbuf *grab_quiet(mk_t *k)
{
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b = mk__q_take_free(c);
    if (b != NULL)
        return b;
    if (c->nbufs < c->capacity && (b = new_buf(c)) != NULL)
        return b;
    bool saw_busy = false;
    b = mk__pol_victim(c, ++c->epoch, &saw_busy);
    if (b == NULL || b->dirty)
        return NULL;
    evict(k, b);
    return b;
}

/* Bind an invalid buffer off every queue to (d, blockno): MK_ENOMEM if the
 * map or the data cannot grow (the buffer then goes to the free queue). */
static int bind(struct mk__blk *c, struct mk__cbuf *b, struct mk__dev *d, uint64_t blockno)
{
    int rc;
    if ((rc = ensure_size(b, d->bsize)) != 0 ||
        (rc = mk__hmap_put(&d->bufs, blockno, b)) != 0) {
        mk__q_free(c, b);
        return rc;
    }
    b->d = d;
    b->pub.dev = d->handle;
    b->pub.blockno = blockno;
    b->pub.size = d->bsize;
    b->valid = true;
    b->dirty = false;
    b->ra = false;
    return 0;
}

/*
 * Read-ahead (lock held): bind up to ra_window - 1 buffers to the blocks
 * after `blockno` that are not cached, stopping at the first cached block,
 * at the end of the device or when no buffer comes without I/O. They are
 * marked busy reading, unpinned, and chained on fnext. Returns how many.
 * Capped at a quarter of the cache so a read-ahead never flushes it.
 */
static uint32_t ra_prepare(mk_t *k, struct mk__dev *d, uint64_t blockno,
                           struct mk__cbuf **chain)
{
    struct mk__blk *c = k->blk;
    uint64_t lim = c->ra_window;
    if (lim > c->capacity / 4)
        lim = c->capacity / 4;
    if (lim > d->nblocks - blockno)
        lim = d->nblocks - blockno;
    uint32_t n = 0;
    struct mk__cbuf *tail = NULL;
    for (uint64_t i = 1; i < lim; i++) {
        if (mk__hmap_get(&d->bufs, blockno + i) != NULL)
            break;
        struct mk__cbuf *r = grab_quiet(k);
        if (r == NULL || bind(c, r, d, blockno + i) != 0)
            break;
        r->ra = true;
        r->busy = r->reading = true;
        r->pin = 0;
        r->fnext = NULL;
        mk__pol_insert(c, r, true);
        if (tail == NULL)
            *chain = r;
        else
            tail->fnext = r;
        tail = r;
        n++;
    }
    return n;
}

/* Read b (and the read-ahead chain of n buffers after it) without the
 * lock: one device call when read-ahead applies. Returns the result for b
 * alone; *ra_ok tells whether the chain was filled. */
static int read_in(mk_t *k, struct mk__dev *d, struct mk__cbuf *b, struct mk__cbuf *chain,
                   uint32_t n, bool *ra_ok)
{
    *ra_ok = false;
    if (n > 0) {
        /* straight into the buffers (preadv for images) */
        uint8_t **v = malloc((size_t)(n + 1) * sizeof *v);
        if (v != NULL) {
            size_t i = 0;
            v[i++] = b->pub.data;
            for (struct mk__cbuf *r = chain; r != NULL; r = r->fnext)
                v[i++] = r->pub.data;
            int rc = mk__dev_readv(k, d, b->pub.blockno, v, n + 1);
            free(v);
            if (rc == 0) {
                *ra_ok = true;
                return 0;
            }
        }
        /* fall back to the block asked for: a read-ahead block's error is
         * not the caller's */
    }
    return mk__dev_read(k, d, b->pub.blockno, b->pub.data, 1);
}

/* ---- get / put ---------------------------------------------------------------- */

struct mk__dev *mk__cache_hot_find(struct mk__blk *c, uint64_t h)
{
    for (uint32_t i = 0; i < MK__HOT_DEVS; i++)
        if (c->hot[i].h == h)
            return c->hot[i].d;
    return NULL;
}

/* Remember d (whose ref the caller holds) in the hot table (lock held). */
static void hot_note(struct mk__blk *c, struct mk__dev *d)
{
    if (mk__cache_hot_find(c, d->handle) == d)
        return;
    uint32_t i = c->hot_next++ % MK__HOT_DEVS;
    c->hot[i].h = d->handle;
    c->hot[i].d = d;
}

/* Count a hit on b (lock held). */
static void hit(mk_t *k, struct mk__blk *c, struct mk__dev *d, struct mk__cbuf *b)
{
    c->hits++;
    mk__trace_emit(k, MK_EV_CACHE_HIT, MK_PID_KERNEL, d->handle, b->pub.blockno);
    if (b->ra) {
        b->ra = false;
        c->ra_hits++;
    }
    mk__pol_hit(c, b);
}

struct mk__cbuf *mk__cache_hit_locked(mk_t *k, struct mk__dev *d, uint64_t blockno,
                                      uint32_t flags)
{
    struct mk__cbuf *b = mk__hmap_get(&d->bufs, blockno);
    if (b == NULL || (b->busy && b->reading))
        return NULL;
    if (!(flags & MK__BUF_NOREAD))
        d->seq_next = blockno + 1; /* as mk__cache_get: a run continues */
    b->pin++;
    hit(k, k->blk, d, b);
    return b;
}

int mk__cache_get(mk_t *k, struct mk__dev *d, uint64_t blockno, uint32_t flags,
                  struct mk__cbuf **out)
{
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b;
    int rc;
    pthread_mutex_lock(&c->lock);
    hot_note(c, d);
    /* A lookup that continues a run on this device is sequential. Whole-
     * block overwrites (NOREAD) neither read nor break a run. */
    bool seq = false;
    if (!(flags & MK__BUF_NOREAD)) {
        seq = d->seq_next != 0 && blockno == d->seq_next;
        d->seq_next = blockno + 1;
    }
again:
    b = mk__hmap_get(&d->bufs, blockno);
    if (b != NULL) {
        b->pin++;
        hit(k, c, d, b);
        while (b->busy && b->reading)
            pthread_cond_wait(&c->cond, &c->lock);
        if (!b->valid) { /* its read failed: try ourselves */
            if (--b->pin == 0)
                mk__q_free(c, b);
            goto again;
        }
        pthread_mutex_unlock(&c->lock);
        *out = b;
        return 0;
    }

    c->misses++;
    mk__trace_emit(k, MK_EV_CACHE_MISS, MK_PID_KERNEL, d->handle, blockno);
    if ((b = mk__q_take_free(c)) != NULL) {
        /* a free buffer */
    } else if (c->nbufs < c->capacity && (b = new_buf(c)) != NULL) {
        /* a fresh buffer */
    } else if ((rc = reclaim(k, true, &b)) != 0) {
        /* below capacity, reclaim only ran because the host had no memory */
        if (rc == MK_EBUSY && c->nbufs < c->capacity)
            rc = MK_ENOMEM;
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    /* reclaim() may have dropped the lock: another thread may have brought
     * the block in meanwhile. */
    if (mk__hmap_get(&d->bufs, blockno) != NULL) {
        mk__q_free(c, b);
        goto again;
    }
    if ((rc = bind(c, b, d, blockno)) != 0) {
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    b->pin = 1;
    mk__pol_insert(c, b, false);
    if (flags & MK__BUF_NOREAD) {
        memset(b->pub.data, 0, d->bsize);
        pthread_mutex_unlock(&c->lock);
        *out = b;
        return 0;
    }
    struct mk__cbuf *chain = NULL, *r, *next;
    uint32_t n = 0;
    if (seq && c->ra_window > 1)
        n = ra_prepare(k, d, blockno, &chain);
    b->busy = b->reading = true;
    pthread_mutex_unlock(&c->lock);
    bool ra_ok;
    int rr = read_in(k, d, b, chain, n, &ra_ok);
    pthread_mutex_lock(&c->lock);
    b->busy = b->reading = false;
    for (r = chain; r != NULL; r = next) {
        next = r->fnext;
        r->busy = r->reading = false;
        if (!ra_ok) {
            mk__cache_forget(c, r); /* a waiter (pinned) reads it itself */
            if (r->pin == 0)
                mk__q_free(c, r);
        }
    }
    if (n > 0 && ra_ok) {
        c->ra_reads++;
        c->ra_blocks += n;
    }
    pthread_cond_broadcast(&c->cond);
    if (rr != 0) {
        mk__cache_forget(c, b);
        if (--b->pin == 0)
            mk__q_free(c, b);
        pthread_mutex_unlock(&c->lock);
        return MK_EIO;
    }
    pthread_mutex_unlock(&c->lock);
    *out = b;
    return 0;
}

void mk__cache_put_locked(struct mk__blk *c, struct mk__cbuf *b)
{
    /* A valid buffer stays on its queue; an invalid one (failed read-in,
     * dropped) becomes free with its last pin. */
    if (b->pin > 0 && --b->pin == 0 && !b->valid)
        mk__q_free(c, b);
}

void mk__cache_put(mk_t *k, struct mk__cbuf *b)
{
    struct mk__blk *c = k->blk;
    pthread_mutex_lock(&c->lock);
    mk__cache_put_locked(c, b);
    pthread_mutex_unlock(&c->lock);
}

/* ---- threshold write-back --------------------------------------------------------- */

static struct mk__cbuf *sort_list(struct mk__cbuf *l);

/* Write a list (fnext) of busy buffers sorted by (device, block) without
 * the lock: each run of consecutive blocks of one device goes out in one
 * driver call (pwritev for images), as 4.4BSD's cluster_write gathers
 * delayed writes. Sets every buffer's ioerr. */
static void write_list(mk_t *k, struct mk__cbuf *list)
{
    enum { RUN_MAX = 256 };
    const uint8_t *v[RUN_MAX];
    struct mk__cbuf *b = list;
    while (b != NULL) {
        struct mk__cbuf *e = b;
        uint32_t n = 1;
        v[0] = b->pub.data;
        while (n < RUN_MAX && e->fnext != NULL && e->fnext->d == b->d &&
               e->fnext->pub.blockno == e->pub.blockno + 1) {
            e = e->fnext;
            v[n++] = e->pub.data;
        }
        int r = n == 1 ? mk__dev_write(k, b->d, b->pub.blockno, b->pub.data)
                       : mk__dev_writev(k, b->d, b->pub.blockno, v, n);
        struct mk__cbuf *stop = e->fnext;
        for (struct mk__cbuf *x = b; x != stop; x = x->fnext)
            x->ioerr = r;
        b = stop;
    }
}

/*
 * Called after an operation that may have dirtied a buffer. When more than
 * dirty_limit buffers are dirty, write back the oldest unpinned ones until
 * a quarter of the limit is freed (one pass at a time; a thread that finds
 * a pass running goes on). Failures leave the block dirty, unreported.
 */
void mk__cache_writeback(mk_t *k)
{
    struct mk__blk *c = k->blk;
    if (atomic_load_explicit(&c->ndirty, memory_order_relaxed) <= c->dirty_limit)
        return;
    pthread_mutex_lock(&c->lock);
    uint64_t nd = atomic_load_explicit(&c->ndirty, memory_order_relaxed);
    if (nd <= c->dirty_limit || c->wb_active) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    uint64_t low = c->dirty_limit - c->dirty_limit / 4;
    uint64_t want = nd - low;
    struct mk__cbuf *list = NULL, *b, *next;
    for (b = c->dl.dnext; b != &c->dl && want > 0; b = next) {
        next = b->dnext;
        if (b->busy || b->pin > 0)
            continue;
        clear_dirty(c, b);
        b->busy = true;
        b->fnext = list;
        list = b;
        want--;
    }
    if (list == NULL) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    c->wb_active = true;
    list = sort_list(list);
    pthread_mutex_unlock(&c->lock);
    /* b->d stays valid while b is busy: removal waits for busy buffers. */
    write_list(k, list);
    pthread_mutex_lock(&c->lock);
    for (b = list; b != NULL; b = next) {
        next = b->fnext;
        b->busy = false;
        if (b->ioerr != 0) {
            mk__cache_set_dirty(c, b);
        } else {
            c->writebacks++;
            c->thr_writebacks++;
            mk__trace_emit(k, MK_EV_CACHE_WRITEBACK, MK_PID_KERNEL, b->pub.dev,
                           b->pub.blockno);
        }
    }
    c->wb_active = false;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* ---- flush and drop ------------------------------------------------------------ */

/* Merge sort of a write list by (device, block number), so writes go out
 * in order. */
static bool before(const struct mk__cbuf *a, const struct mk__cbuf *z)
{
    if (a->d != z->d)
        return (uintptr_t)a->d < (uintptr_t)z->d;
    return a->pub.blockno <= z->pub.blockno;
}

static struct mk__cbuf *sort_list(struct mk__cbuf *l)
{
    if (l == NULL || l->fnext == NULL)
        return l;
    struct mk__cbuf *a = NULL, *z = NULL, *n;
    int i = 0;
    for (; l != NULL; l = n, i++) { /* split alternately */
        n = l->fnext;
        if (i & 1) {
            l->fnext = z;
            z = l;
        } else {
            l->fnext = a;
            a = l;
        }
    }
    a = sort_list(a);
    z = sort_list(z);
    struct mk__cbuf head, *t = &head;
    while (a != NULL && z != NULL) {
        if (before(a, z)) {
            t->fnext = a;
            a = a->fnext;
        } else {
            t->fnext = z;
            z = z->fnext;
        }
        t = t->fnext;
    }
    t->fnext = a != NULL ? a : z;
    return head.fnext;
}

int mk__cache_flush_dev(mk_t *k, struct mk__dev *d)
{
    struct mk__blk *c = k->blk;
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    uint64_t e = ++c->epoch;
    for (;;) {
        struct mk__cbuf *list = NULL, *b, *next;
        bool others_busy = false;
        size_t cur = 0;
        while ((b = mk__hmap_next(&d->bufs, &cur, NULL)) != NULL) {
            if (b->busy) {
                /* a read-in is never dirty: only write-backs matter */
                others_busy |= !b->reading;
            } else if (b->dirty && b->fepoch != e) {
                b->fepoch = e;
                b->busy = true;
                clear_dirty(c, b);
                b->fnext = list;
                list = b;
            }
        }
        if (list == NULL) {
            if (!others_busy)
                break;
            /* An eviction or another flush is writing one of ours: wait, it
             * may fail and leave the block dirty for us to retry. */
            pthread_cond_wait(&c->cond, &c->lock);
            continue;
        }
        list = sort_list(list);
        pthread_mutex_unlock(&c->lock);
        write_list(k, list);
        pthread_mutex_lock(&c->lock);
        for (b = list; b != NULL; b = next) {
            next = b->fnext;
            b->busy = false;
            if (b->ioerr != 0) {
                mk__cache_set_dirty(c, b);
                rc = MK_EIO;
            } else {
                c->writebacks++;
                mk__trace_emit(k, MK_EV_CACHE_WRITEBACK, MK_PID_KERNEL, b->pub.dev,
                               b->pub.blockno);
            }
        }
        pthread_cond_broadcast(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
    if (mk__dev_sync(k, d) != 0)
        rc = MK_EIO;
    return rc;
}

int mk__cache_drop_dev(mk_t *k, struct mk__dev *d, bool force)
{
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b, *list = NULL;
    size_t cur;
    pthread_mutex_lock(&c->lock);
    /* From here mk__buf_get finds d only through mk__dev_get, which
     * refuses a device being removed. */
    for (uint32_t i = 0; i < MK__HOT_DEVS; i++)
        if (c->hot[i].d == d) {
            c->hot[i].h = 0;
            c->hot[i].d = NULL;
        }
    for (;;) {
        bool busy = false;
        cur = 0;
        while ((b = mk__hmap_next(&d->bufs, &cur, NULL)) != NULL)
            busy |= b->busy;
        if (!busy)
            break;
        pthread_cond_wait(&c->cond, &c->lock);
    }
    cur = 0;
    while ((b = mk__hmap_next(&d->bufs, &cur, NULL)) != NULL) {
        if (!force && (b->dirty || b->pin > 0)) {
            pthread_mutex_unlock(&c->lock);
            return b->dirty ? MK_EIO : MK_EBUSY;
        }
        b->fnext = list;
        list = b;
    }
    for (b = list; b != NULL; b = b->fnext) {
        mk__cache_forget(c, b);
        if (b->pin == 0)
            mk__q_free(c, b);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}
