/*
 * bio.c - the block layer's entry points on top of the buffer cache: the
 * internal interface of src/blk/blk.h that fs uses (mk__buf_get / dirty /
 * put, invalidation) and the public block I/O and statistics calls of
 * blk.h (mk_blk_read, mk_blk_write, mk_cache_stats).
 *
 * Sits on cache.c (mk__cache_get / put, the dirty list, threshold
 * write-back) and dev.c (device refs). Locking as in cache.c: the cache
 * lock guards buffer bookkeeping and the bytes are copied under it for the
 * public calls, so a concurrent mk_blk_write of a block is seen whole or
 * not at all; a pinned buffer's bytes belong to its pinner (fs).
 */
#include "blk_impl.h"

#include <microkernel/trace.h>

#include <stddef.h>
#include <string.h>

_Static_assert(offsetof(mk_cache_stats_t, policy) == MK_CACHE_STATS_SIZE_V0,
               "MK_CACHE_STATS_SIZE_V0 is the 1.0 layout");

/* ---- internal interface (src/blk/blk.h) ------------------------------------------ */

/* The fast path of a get, in one hold of the cache lock: a device found
 * in the hot table and a cached block, pinned; old (if not NULL) unpinned
 * in the same hold. NULL, with nothing done, otherwise. A pinned buffer
 * keeps its device: mk__cache_drop_dev, which every removal goes through
 * before the device is freed, takes the cache lock, purges the hot table
 * and refuses pinned buffers (the removal then fails with MK_EBUSY). So a
 * pin needs no device ref of its own, and neither get nor put touches
 * blk->devlock. */
static struct mk__cbuf *mk__buf_hot(mk_t *k, mk__buf_t *old, uint64_t dev, uint64_t blockno,
                                    uint32_t flags)
{
    struct mk__blk *c = k->blk;
    struct mk__cbuf *b = NULL;
    pthread_mutex_lock(&c->lock);
    struct mk__dev *d = mk__cache_hot_find(c, dev);
    if (d != NULL && blockno < d->nblocks &&
        (b = mk__cache_hit_locked(k, d, blockno, flags)) != NULL && old != NULL)
        mk__cache_put_locked(c, (struct mk__cbuf *)old);
    pthread_mutex_unlock(&c->lock);
    return b;
}

int mk__buf_swap(mk_t *k, mk__buf_t *old, uint64_t dev, uint64_t blockno, uint32_t flags,
                 mk__buf_t **out)
{
    if (k == NULL || k->blk == NULL || out == NULL) {
        mk__buf_put(k, old);
        return MK_EINVAL;
    }
    struct mk__cbuf *b = mk__buf_hot(k, old, dev, blockno, flags);
    if (b != NULL) {
        mk__cache_writeback(k); /* the unpin of old may have passed the threshold */
        *out = &b->pub;
        return 0;
    }
    mk__buf_put(k, old);
    return mk__buf_get(k, dev, blockno, flags, out);
}

int mk__buf_get(mk_t *k, uint64_t dev, uint64_t blockno, uint32_t flags, mk__buf_t **out)
{
    MK__ICHECK(k);
    if (out == NULL)
        return MK_EINVAL;
    struct mk__cbuf *b = mk__buf_hot(k, NULL, dev, blockno, flags);
    if (b != NULL) {
        *out = &b->pub;
        return 0;
    }
    /* Slow path: look the device up (and note it in the hot table). */
    struct mk__dev *d;
    int rc = mk__dev_get(k, dev, &d);
    if (rc != 0)
        return rc;
    if (blockno >= d->nblocks) {
        mk__dev_put(k, d);
        return MK_ERANGE;
    }
    rc = mk__cache_get(k, d, blockno, flags, &b);
    mk__dev_put(k, d); /* the pin holds the device from here */
    if (rc != 0)
        return rc;
    *out = &b->pub;
    return 0;
}

void mk__buf_dirty(mk_t *k, mk__buf_t *pb)
{
    if (k == NULL || k->blk == NULL || pb == NULL)
        return;
    struct mk__cbuf *b = (struct mk__cbuf *)pb;
    pthread_mutex_lock(&k->blk->lock);
    if (b->valid && b->pin > 0)
        mk__cache_set_dirty(k->blk, b);
    pthread_mutex_unlock(&k->blk->lock);
}

void mk__buf_put(mk_t *k, mk__buf_t *pb)
{
    if (k == NULL || k->blk == NULL || pb == NULL)
        return;
    mk__cache_put(k, (struct mk__cbuf *)pb); /* the pin held the device */
    mk__cache_writeback(k);
}

void mk__buf_forget(mk_t *k, uint64_t dev, uint64_t blockno)
{
    if (k == NULL || k->blk == NULL)
        return;
    struct mk__blk *c = k->blk;
    struct mk__dev *d = NULL;
    bool ref = false;
    pthread_mutex_lock(&c->lock);
    /* The hot table is valid under the cache lock (see mk__buf_get); a
     * device not in it is looked up, and held by a ref, the slow way. */
    if ((d = mk__cache_hot_find(c, dev)) == NULL) {
        pthread_mutex_unlock(&c->lock);
        if (mk__dev_get(k, dev, &d) != 0)
            return;
        ref = true;
        pthread_mutex_lock(&c->lock);
    }
    struct mk__cbuf *b = mk__hmap_get(&d->bufs, blockno);
    if (b != NULL && b->pin == 0 && !b->busy) {
        mk__cache_forget(c, b);
        mk__q_free(c, b);
    }
    pthread_mutex_unlock(&c->lock);
    if (ref)
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
        mk__cache_forget(c, b);
        mk__q_free(c, b);
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
    MK__KERNEL_ENTER(k);
    struct mk__dev *d;
    struct mk__cbuf *b;
    int rc = io_begin(k, dev, blockno, offset, buf, len, &d);
    if (rc != 0)
        return rc;
    /* Fast path, one lock hold: a cached block whose bytes are valid is
     * copied out without being pinned. */
    struct mk__blk *c = k->blk;
    pthread_mutex_lock(&c->lock);
    b = mk__hmap_get(&d->bufs, blockno);
    if (b != NULL && !(b->busy && b->reading)) {
        c->hits++;
        mk__trace_emit(k, MK_EV_CACHE_HIT, MK_PID_KERNEL, d->handle, blockno);
        if (b->ra) {
            b->ra = false;
            c->ra_hits++;
        }
        mk__pol_hit(c, b);
        d->seq_next = blockno + 1;
        if (len > 0)
            memcpy(buf, b->pub.data + offset, len);
        pthread_mutex_unlock(&c->lock);
        mk__dev_put(k, d);
        return 0;
    }
    pthread_mutex_unlock(&c->lock);
    if ((rc = mk__cache_get(k, d, blockno, 0, &b)) == 0) {
        /* Copy under the cache lock so that a concurrent mk_blk_write of
         * the same block is seen whole or not at all. */
        pthread_mutex_lock(&k->blk->lock);
        if (len > 0)
            memcpy(buf, b->pub.data + offset, len);
        mk__cache_put_locked(k->blk, b);
        pthread_mutex_unlock(&k->blk->lock);
    }
    mk__dev_put(k, d);
    return rc;
}

MK_API int mk_blk_write(mk_t *k, mk_dev_t dev, uint64_t blockno, uint32_t offset,
                        const void *buf, size_t len)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
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
        mk__cache_set_dirty(c, b);
        mk__cache_put_locked(c, b);
        pthread_mutex_unlock(&c->lock);
    }
    mk__dev_put(k, d);
    if (rc == 0)
        mk__cache_writeback(k);
    return rc;
}

/* ---- statistics ------------------------------------------------------------------- */

MK_API int mk_cache_stats(mk_t *k, mk_cache_stats_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < MK_CACHE_STATS_SIZE_V0)
        return MK_EINVAL;
    struct mk__blk *c = k->blk;
    mk_cache_stats_t s;
    memset(&s, 0, sizeof s);
    s.size = out->size;
    pthread_mutex_lock(&c->lock);
    s.capacity = c->capacity;
    for (uint32_t i = 0; i < c->nbufs; i++) {
        struct mk__cbuf *b = c->bufs[i];
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
    s.policy = c->policy;
    s.readahead = c->ra_window;
    s.ra_reads = c->ra_reads;
    s.ra_blocks = c->ra_blocks;
    s.ra_hits = c->ra_hits;
    s.dirty_limit = c->dirty_limit;
    s.threshold_writebacks = c->thr_writebacks;
    pthread_mutex_unlock(&c->lock);
    s.dev_reads = atomic_load(&k->blk->dev_reads);
    s.dev_writes = atomic_load(&k->blk->dev_writes);
    /* at most the caller's layout */
    memcpy(out, &s, out->size < sizeof s ? out->size : sizeof s);
    return 0;
}
