/*
 * cache.c - the buffer cache: one per context, write-back, LRU, pinning.
 *
 * Model: xv6's kernel/bio.c (bget / bread / bwrite / brelse, an LRU list
 * of unpinned buffers) and the 4.4BSD buffer cache (a "busy" buffer while
 * its I/O is in progress, delayed write with B_DELWRI), with three changes:
 * writes are delayed (a buffer is marked dirty and written on flush, on
 * eviction or at removal / mk_destroy), the lookup is a hash map per
 * device (mk__hmap keyed by block number: together, by (device, block)),
 * and there is no fixed buffer array: buffers are made on demand up to
 * cfg.cache_blocks, each with its own data so that block sizes mix.
 *
 * Sits on dev.c (device refs and the serialised driver calls). Called by
 * the public block calls below and, through src/blk/blk.h, by fs.
 *
 * Locking: the cache lock (blk->lock) guards every buffer's bookkeeping,
 * the LRU list, each device's block map and the counters. Device I/O is
 * done without it: the buffer is marked busy first. A buffer being read in
 * (busy && reading) has undefined bytes, so a second user waits on
 * blk->cond; a buffer being written back keeps valid bytes and may be
 * pinned meanwhile, but nobody else starts I/O on it and the evictor does
 * not take it. The bytes of a pinned buffer belong to its pinners.
 *
 * Never losing data: a dirty buffer is made clean only by a successful
 * write; when the write fails it is marked dirty again (the flag is
 * cleared before the write, so a pinner that re-dirties it during the
 * write is not forgotten). Each flush or eviction pass carries an epoch so
 * that it tries a failing buffer once and then moves on.
 */
#include "blk_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- LRU list (lock held) ----------------------------------------------------- */

static void lru_unlink(struct mk__cbuf *b)
{
    if (!b->on_lru)
        return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = NULL;
    b->on_lru = false;
}

/* Most recently used end. */
static void lru_tail(struct mk__blk *c, struct mk__cbuf *b)
{
    lru_unlink(b);
    b->prev = c->lru.prev;
    b->next = &c->lru;
    c->lru.prev->next = b;
    c->lru.prev = b;
    b->on_lru = true;
}

/* Least recently used end: where free (invalid) buffers wait. */
static void lru_head(struct mk__blk *c, struct mk__cbuf *b)
{
    lru_unlink(b);
    b->next = c->lru.next;
    b->prev = &c->lru;
    c->lru.next->prev = b;
    c->lru.next = b;
    b->on_lru = true;
}

/* Take a valid buffer out of its device's map. */
static void forget(struct mk__cbuf *b)
{
    if (!b->valid)
        return;
    mk__hmap_del(&b->d->bufs, b->pub.blockno);
    b->valid = false;
    b->dirty = false;
    b->d = NULL;
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
    uint8_t *p = malloc(size);
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
    c->lru.next = c->lru.prev = &c->lru;
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        return MK_ENOMEM;
    if (mk__cond_init(&c->cond) != 0) {
        pthread_mutex_destroy(&c->lock);
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
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
}

/* ---- eviction ---------------------------------------------------------------- */

/*
 * Take the least recently used buffer that can be reused, writing it back
 * first if it is dirty; with take_free, an invalid (free) buffer counts.
 * Lock held; dropped around writes. On success the buffer is off the LRU,
 * invalid and unpinned. MK_EBUSY when nothing is evictable (all pinned),
 * MK_EIO when every dirty candidate failed to write.
 */
static int reclaim(mk_t *k, bool take_free, struct mk__cbuf **out)
{
    struct mk__blk *c = k->blk;
    uint64_t e = ++c->epoch;
    bool io_failed = false;
    for (;;) {
        struct mk__cbuf *b, *cand = NULL;
        bool saw_busy = false;
        for (b = c->lru.next; b != &c->lru; b = b->next) {
            if (b->busy) {
                saw_busy = true;
                continue;
            }
            if (!b->valid) {
                if (take_free) {
                    cand = b;
                    break;
                }
                continue;
            }
            if (b->dirty && b->eepoch == e)
                continue; /* its write failed in this pass */
            cand = b;
            break;
        }
        if (cand == NULL) {
            if (saw_busy) { /* someone else's write-back ends soon */
                pthread_cond_wait(&c->cond, &c->lock);
                continue;
            }
            return io_failed ? MK_EIO : MK_EBUSY;
        }
        if (!cand->dirty) {
            lru_unlink(cand);
            if (cand->valid) {
                forget(cand);
                c->evictions++;
            }
            *out = cand;
            return 0;
        }
        /* Dirty: write it back without the lock, then look again. */
        struct mk__dev *d = cand->d;
        cand->busy = true;
        cand->dirty = false;
        lru_unlink(cand);
        pthread_mutex_unlock(&c->lock);
        int r = mk__dev_write(k, d, cand->pub.blockno, cand->pub.data);
        pthread_mutex_lock(&c->lock);
        cand->busy = false;
        pthread_cond_broadcast(&c->cond);
        if (r != 0) {
            cand->dirty = true; /* never dropped unwritten */
            cand->eepoch = e;
            io_failed = true;
            if (cand->pin == 0)
                lru_tail(c, cand);
            continue;
        }
        c->writebacks++;
        if (cand->pin == 0 && !cand->dirty) {
            lru_unlink(cand); /* a pin/unpin meanwhile may have relinked it */
            forget(cand);
            c->evictions++;
            *out = cand;
            return 0;
        }
        /* Pinned or re-dirtied while we wrote: it stays; try another. */
    }
}

MK_API int mk_cache_evict(mk_t *k, uint64_t *evicted)
{
    MK__CHECK(k);
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b;
    uint64_t n = 0;
    pthread_mutex_lock(&c->lock);
    int rc = reclaim(k, false, &b);
    if (rc == 0) {
        lru_head(c, b); /* now a free buffer */
        n = 1;
    } else if (rc == MK_EBUSY) {
        rc = 0; /* nothing evictable is not an error */
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == 0 && evicted != NULL)
        *evicted = n;
    return rc;
}

/* ---- get / put ---------------------------------------------------------------- */

int mk__cache_get(mk_t *k, struct mk__dev *d, uint64_t blockno, uint32_t flags,
                  struct mk__cbuf **out)
{
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b;
    int rc;
    pthread_mutex_lock(&c->lock);
again:
    b = mk__hmap_get(&d->bufs, blockno);
    if (b != NULL) {
        if (b->pin++ == 0)
            lru_unlink(b);
        c->hits++;
        while (b->busy && b->reading)
            pthread_cond_wait(&c->cond, &c->lock);
        if (!b->valid) { /* its read failed: try ourselves */
            if (--b->pin == 0)
                lru_head(c, b);
            goto again;
        }
        pthread_mutex_unlock(&c->lock);
        *out = b;
        return 0;
    }

    c->misses++;
    struct mk__cbuf *h = c->lru.next;
    if (h != &c->lru && !h->valid && !h->busy) {
        b = h;
        lru_unlink(b);
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
        lru_head(c, b);
        goto again;
    }
    if ((rc = ensure_size(b, d->bsize)) != 0 ||
        (rc = mk__hmap_put(&d->bufs, blockno, b)) != 0) {
        lru_head(c, b);
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
    b->d = d;
    b->pub.dev = d->handle;
    b->pub.blockno = blockno;
    b->pub.size = d->bsize;
    b->valid = true;
    b->dirty = false;
    b->pin = 1;
    if (flags & MK__BUF_NOREAD) {
        memset(b->pub.data, 0, d->bsize);
        pthread_mutex_unlock(&c->lock);
        *out = b;
        return 0;
    }
    b->busy = b->reading = true;
    pthread_mutex_unlock(&c->lock);
    int r = mk__dev_read(k, d, blockno, b->pub.data);
    pthread_mutex_lock(&c->lock);
    b->busy = b->reading = false;
    pthread_cond_broadcast(&c->cond);
    if (r != 0) {
        forget(b);
        if (--b->pin == 0)
            lru_head(c, b);
        pthread_mutex_unlock(&c->lock);
        return MK_EIO;
    }
    pthread_mutex_unlock(&c->lock);
    *out = b;
    return 0;
}

static void put_locked(struct mk__blk *c, struct mk__cbuf *b)
{
    if (b->pin > 0 && --b->pin == 0) {
        if (b->valid)
            lru_tail(c, b);
        else
            lru_head(c, b);
    }
}

void mk__cache_put(mk_t *k, struct mk__cbuf *b)
{
    struct mk__blk *c = k->blk;
    pthread_mutex_lock(&c->lock);
    put_locked(c, b);
    pthread_mutex_unlock(&c->lock);
}

/* ---- flush and drop ------------------------------------------------------------ */

/* Merge sort of a flush list by block number, so writes go out in order. */
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
        if (a->pub.blockno <= z->pub.blockno) {
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
                b->dirty = false;
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
        for (b = list; b != NULL; b = b->fnext)
            b->ioerr = mk__dev_write(k, d, b->pub.blockno, b->pub.data);
        pthread_mutex_lock(&c->lock);
        for (b = list; b != NULL; b = next) {
            next = b->fnext;
            b->busy = false;
            if (b->ioerr != 0) {
                b->dirty = true;
                rc = MK_EIO;
            } else {
                c->writebacks++;
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
        forget(b);
        if (b->pin == 0)
            lru_head(c, b);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* ---- internal interface (src/blk/blk.h) ------------------------------------------ */

int mk__buf_get(mk_t *k, uint64_t dev, uint64_t blockno, uint32_t flags, mk__buf_t **out)
{
    MK__ICHECK(k);
    if (out == NULL)
        return MK_EINVAL;
    struct mk__dev *d;
    int rc = mk__dev_get(k, dev, &d);
    if (rc != 0)
        return rc;
    if (blockno >= d->nblocks) {
        mk__dev_put(k, d);
        return MK_ERANGE;
    }
    struct mk__cbuf *b;
    if ((rc = mk__cache_get(k, d, blockno, flags, &b)) != 0) {
        mk__dev_put(k, d);
        return rc;
    }
    *out = &b->pub; /* keeps the device ref until mk__buf_put */
    return 0;
}

void mk__buf_dirty(mk_t *k, mk__buf_t *pb)
{
    if (k == NULL || k->blk == NULL || pb == NULL)
        return;
    struct mk__cbuf *b = (struct mk__cbuf *)pb;
    pthread_mutex_lock(&k->blk->lock);
    if (b->valid && b->pin > 0)
        b->dirty = true;
    pthread_mutex_unlock(&k->blk->lock);
}

void mk__buf_put(mk_t *k, mk__buf_t *pb)
{
    if (k == NULL || k->blk == NULL || pb == NULL)
        return;
    struct mk__cbuf *b = (struct mk__cbuf *)pb;
    struct mk__dev *d = b->d; /* read before unpinning: it may be reused */
    mk__cache_put(k, b);
    if (d != NULL)
        mk__dev_put(k, d);
}

int mk__blk_invalidate(mk_t *k, uint64_t dev)
{
    MK__ICHECK(k);
    struct mk__blk *c = k->blk;
    struct mk__dev *d;
    int rc = mk__dev_get(k, dev, &d);
    if (rc != 0)
        return rc;
    rc = mk__cache_flush_dev(k, d);
    struct mk__cbuf *b, *list = NULL;
    size_t cur = 0;
    pthread_mutex_lock(&c->lock);
    while ((b = mk__hmap_next(&d->bufs, &cur, NULL)) != NULL) {
        if (!b->busy && !b->dirty && b->pin == 0) {
            b->fnext = list;
            list = b;
        }
    }
    for (b = list; b != NULL; b = b->fnext) {
        forget(b);
        lru_head(c, b);
    }
    pthread_mutex_unlock(&c->lock);
    mk__dev_put(k, d);
    return rc;
}

/* ---- public block I/O ----------------------------------------------------------- */

/* Common checks of mk_blk_read/write; takes a device ref on success. */
static int io_begin(mk_t *k, mk_dev_t dev, uint64_t blockno, uint32_t offset,
                    const void *buf, size_t len, struct mk__dev **out)
{
    if (buf == NULL && len > 0)
        return MK_EINVAL;
    struct mk__dev *d;
    int rc = mk__dev_get(k, dev, &d);
    if (rc != 0)
        return rc;
    if (blockno >= d->nblocks)
        rc = MK_ERANGE;
    else if (len > d->bsize || offset > d->bsize - len)
        rc = MK_EMSGSIZE;
    if (rc != 0) {
        mk__dev_put(k, d);
        return rc;
    }
    *out = d;
    return 0;
}

MK_API int mk_blk_read(mk_t *k, mk_dev_t dev, uint64_t blockno, uint32_t offset, void *buf,
                       size_t len)
{
    MK__CHECK(k);
    struct mk__dev *d;
    struct mk__cbuf *b;
    int rc = io_begin(k, dev, blockno, offset, buf, len, &d);
    if (rc != 0)
        return rc;
    if ((rc = mk__cache_get(k, d, blockno, 0, &b)) == 0) {
        /* Copy under the cache lock so that a concurrent mk_blk_write of
         * the same block is seen whole or not at all. */
        pthread_mutex_lock(&k->blk->lock);
        if (len > 0)
            memcpy(buf, b->pub.data + offset, len);
        put_locked(k->blk, b);
        pthread_mutex_unlock(&k->blk->lock);
    }
    mk__dev_put(k, d);
    return rc;
}

MK_API int mk_blk_write(mk_t *k, mk_dev_t dev, uint64_t blockno, uint32_t offset,
                        const void *buf, size_t len)
{
    MK__CHECK(k);
    struct mk__dev *d;
    struct mk__cbuf *b;
    int rc = io_begin(k, dev, blockno, offset, buf, len, &d);
    if (rc != 0)
        return rc;
    uint32_t flags = (offset == 0 && len == d->bsize) ? MK__BUF_NOREAD : 0;
    if ((rc = mk__cache_get(k, d, blockno, flags, &b)) == 0) {
        /* Under the cache lock, and not while a write-back of this buffer
         * is reading its bytes without the lock. */
        struct mk__blk *c = k->blk;
        pthread_mutex_lock(&c->lock);
        while (b->busy)
            pthread_cond_wait(&c->cond, &c->lock);
        if (len > 0)
            memcpy(b->pub.data + offset, buf, len);
        b->dirty = true;
        put_locked(c, b);
        pthread_mutex_unlock(&c->lock);
    }
    mk__dev_put(k, d);
    return rc;
}

/* ---- statistics ------------------------------------------------------------------- */

MK_API int mk_cache_stats(mk_t *k, mk_cache_stats_t *out)
{
    MK__CHECK(k);
    if (out == NULL || out->size < sizeof(mk_cache_stats_t))
        return MK_EINVAL;
    struct mk__blk *c = k->blk;
    mk_cache_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = out->size;
    pthread_mutex_lock(&c->lock);
    s.capacity = c->capacity;
    for (uint32_t i = 0; i < c->nbufs; i++) {
        const struct mk__cbuf *b = c->bufs[i];
        if (!b->valid)
            continue;
        s.cached++;
        s.dirty += b->dirty;
        s.pinned += b->pin > 0;
    }
    s.hits = c->hits;
    s.misses = c->misses;
    s.evictions = c->evictions;
    s.writebacks = c->writebacks;
    pthread_mutex_unlock(&c->lock);
    s.dev_reads = atomic_load(&k->blk->dev_reads);
    s.dev_writes = atomic_load(&k->blk->dev_writes);
    memcpy(out, &s, sizeof s);
    return 0;
}
