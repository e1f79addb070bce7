/*
 * dev.c - the device table of the blk module: creating, finding and
 * removing block devices, the serialised driver calls, device refs, and
 * module set-up and tear-down (mk__blk_init / mk__blk_fini).
 *
 * Sits on core (handle table, name map) and uses cache.c for write-back.
 * Every device is a callback table plus a context (littlefs's lfs_config
 * model); RAM and image devices are the built-in drivers of drivers.c.
 *
 * Locks: blk->devlock guards the table and each device's users, refs (taken
 * under it, dropped atomically without it) and
 * removing fields; it is never held while calling the cache or a driver.
 * d->iolock serialises one device's driver callbacks. A device handle is
 * generation-tagged (MK__H_DEV), so a removed device's handle is refused
 * with MK_EBADH and never dereferenced.
 *
 * Refs: every call working on a device holds a ref (refs) for its
 * duration; users counts mounts (mk__blk_ref). Removal is refused while
 * either is non-zero. A pinned cache buffer holds no ref: removal drops the
 * device's buffers (mk__cache_drop_dev), which fails with MK_EBUSY while
 * one is pinned, so a pin keeps its device as well.
 */
#include "blk_impl.h"

#include <stdlib.h>
#include <string.h>

static bool bsize_ok(uint32_t bs)
{
    return bs >= MK_BLK_SIZE_MIN && bs <= MK_BLK_SIZE_MAX && (bs & (bs - 1)) == 0;
}

/* nblocks × bsize must stay below 2^62 so byte offsets fit off_t. */
static bool geometry_ok(uint32_t bs, uint64_t nblocks)
{
    return bsize_ok(bs) && nblocks >= 1 && nblocks <= (UINT64_C(1) << 62) / bs;
}

/* ---- refs ---------------------------------------------------------------- */

int mk__dev_get(mk_t *k, uint64_t h, struct mk__dev **out)
{
    struct mk__blk *b = k->blk;
    int rc = 0;
    pthread_mutex_lock(&b->devlock);
    struct mk__dev *d = mk__htab_get(&b->devs, h);
    if (d == NULL)
        rc = MK_EBADH;
    else if (d->removing)
        rc = MK_EBUSY;
    else
        d->refs++;
    pthread_mutex_unlock(&b->devlock);
    if (rc == 0)
        *out = d;
    return rc;
}

void mk__dev_put(mk_t *k, struct mk__dev *d)
{
    (void)k;
    atomic_fetch_sub(&d->refs, 1); /* see struct mk__dev: no lock needed */
}

/* ---- driver calls ----------------------------------------------------------- */

int mk__dev_read(mk_t *k, struct mk__dev *d, uint64_t blockno, void *buf, uint32_t count)
{
    pthread_mutex_lock(&d->iolock);
    int r = d->ops.read(d->ctx, blockno, buf, count);
    pthread_mutex_unlock(&d->iolock);
    atomic_fetch_add(&k->blk->dev_reads, count);
    return r == 0 ? 0 : MK_EIO;
}

int mk__dev_write(mk_t *k, struct mk__dev *d, uint64_t blockno, const void *buf)
{
    pthread_mutex_lock(&d->iolock);
    int r = d->ops.write(d->ctx, blockno, buf, 1);
    pthread_mutex_unlock(&d->iolock);
    atomic_fetch_add(&k->blk->dev_writes, 1);
    return r == 0 ? 0 : MK_EIO;
}

int mk__dev_readv(mk_t *k, struct mk__dev *d, uint64_t blockno, uint8_t *const *bufs,
                  uint32_t count)
{
    int r;
    if (d->vops.readv != NULL) {
        pthread_mutex_lock(&d->iolock);
        r = d->vops.readv(d->ctx, blockno, bufs, count);
        pthread_mutex_unlock(&d->iolock);
    } else {
        uint8_t *tmp = malloc((size_t)count * d->bsize);
        if (tmp == NULL)
            return MK_ENOMEM;
        pthread_mutex_lock(&d->iolock);
        r = d->ops.read(d->ctx, blockno, tmp, count);
        pthread_mutex_unlock(&d->iolock);
        if (r == 0)
            for (uint32_t i = 0; i < count; i++)
                memcpy(bufs[i], tmp + (size_t)i * d->bsize, d->bsize);
        free(tmp);
    }
    atomic_fetch_add(&k->blk->dev_reads, count);
    return r == 0 ? 0 : MK_EIO;
}

int mk__dev_writev(mk_t *k, struct mk__dev *d, uint64_t blockno, const uint8_t *const *bufs,
                   uint32_t count)
{
    int r;
    if (d->vops.writev != NULL) {
        pthread_mutex_lock(&d->iolock);
        r = d->vops.writev(d->ctx, blockno, bufs, count);
        pthread_mutex_unlock(&d->iolock);
    } else {
        uint8_t *tmp = malloc((size_t)count * d->bsize);
        if (tmp == NULL)
            return MK_ENOMEM;
        for (uint32_t i = 0; i < count; i++)
            memcpy(tmp + (size_t)i * d->bsize, bufs[i], d->bsize);
        pthread_mutex_lock(&d->iolock);
        r = d->ops.write(d->ctx, blockno, tmp, count);
        pthread_mutex_unlock(&d->iolock);
        free(tmp);
    }
    atomic_fetch_add(&k->blk->dev_writes, count);
    return r == 0 ? 0 : MK_EIO;
}

int mk__dev_sync(mk_t *k, struct mk__dev *d)
{
    (void)k;
    if (d->ops.sync == NULL)
        return 0;
    pthread_mutex_lock(&d->iolock);
    int r = d->ops.sync(d->ctx);
    pthread_mutex_unlock(&d->iolock);
    return r == 0 ? 0 : MK_EIO;
}

/* ---- creation ------------------------------------------------------------- */

static int name_exists(mk_t *k, const char *name)
{
    pthread_mutex_lock(&k->blk->devlock);
    bool e = mk__nmap_get(&k->blk->names, name) != NULL;
    pthread_mutex_unlock(&k->blk->devlock);
    return e ? MK_EEXIST : 0;
}

/* Enter a device into the table. On failure nothing is kept and the
 * caller still owns ctx. */
static int dev_add(mk_t *k, const char *name, const mk_blk_ops_t *ops,
                   const mk__vops_t *vops, void *ctx, uint32_t bs, uint64_t nblocks,
                   bool is_image, dev_t hdev, ino_t hino, mk_dev_t *out)
{
    struct mk__blk *b = k->blk;
    struct mk__dev *d = calloc(1, sizeof *d);
    if (d == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&d->iolock, NULL) != 0) {
        free(d);
        return MK_ENOMEM;
    }
    strcpy(d->name, name); /* length checked by mk__name_check */
    memcpy(&d->ops, ops, sizeof d->ops);
    d->ops.size = sizeof d->ops;
    if (vops != NULL)
        d->vops = *vops;
    d->ctx = ctx;
    d->bsize = bs;
    d->nblocks = nblocks;
    d->is_image = is_image;
    d->host_dev = hdev;
    d->host_ino = hino;
    mk__hmap_init(&d->bufs);

    int rc = 0;
    pthread_mutex_lock(&b->devlock);
    if (is_image) {
        uint32_t cur = 0;
        uint64_t h;
        struct mk__dev *o;
        while ((o = mk__htab_next(&b->devs, &cur, &h)) != NULL) {
            if (o->is_image && o->host_dev == hdev && o->host_ino == hino) {
                rc = MK_EBUSY;
                break;
            }
        }
    }
    if (rc == 0)
        rc = mk__nmap_put(&b->names, d->name, d);
    if (rc == 0) {
        rc = mk__htab_insert(&b->devs, d, &d->handle);
        if (rc != 0)
            mk__nmap_del(&b->names, d->name);
    }
    pthread_mutex_unlock(&b->devlock);
    if (rc != 0) {
        pthread_mutex_destroy(&d->iolock);
        free(d);
        return rc;
    }
    *out = d->handle;
    return 0;
}

static void dev_free(struct mk__dev *d)
{
    if (d->ops.close != NULL)
        d->ops.close(d->ctx);
    mk__hmap_fini(&d->bufs);
    pthread_mutex_destroy(&d->iolock);
    free(d);
}

MK_API int mk_blk_create_ram(mk_t *k, const char *name, uint32_t block_size,
                             uint64_t nblocks, mk_dev_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if (block_size == 0)
        block_size = MK_BLK_SIZE_DEFAULT;
    if (out == NULL || !geometry_ok(block_size, nblocks))
        return MK_EINVAL;
    mk_blk_ops_t ops;
    mk__vops_t vops;
    void *ctx;
    if ((rc = mk__ram_new(block_size, &ops, &vops, &ctx)) != 0)
        return rc;
    rc = dev_add(k, name, &ops, &vops, ctx, block_size, nblocks, false, 0, 0, out);
    if (rc != 0)
        ops.close(ctx);
    return rc;
}

MK_API int mk_blk_open_image(mk_t *k, const char *name, const char *path,
                             uint32_t block_size, uint64_t nblocks, uint32_t flags,
                             mk_dev_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if (block_size == 0)
        block_size = MK_BLK_SIZE_DEFAULT;
    if (path == NULL || out == NULL || (flags & ~MK_BLK_CREATE) != 0 ||
        !bsize_ok(block_size) || (nblocks != 0 && !geometry_ok(block_size, nblocks)))
        return MK_EINVAL;
    /* Refuse a taken name before touching the host file system (the table
     * insert checks again, under the lock). */
    if ((rc = name_exists(k, name)) != 0)
        return rc;
    mk_blk_ops_t ops;
    mk__vops_t vops;
    void *ctx;
    dev_t hdev;
    ino_t hino;
    rc = mk__image_new(path, block_size, &nblocks, flags, &ops, &vops, &ctx, &hdev, &hino);
    if (rc != 0)
        return rc;
    if (!geometry_ok(block_size, nblocks))
        rc = MK_EINVAL;
    else
        rc = dev_add(k, name, &ops, &vops, ctx, block_size, nblocks, true, hdev, hino, out);
    if (rc != 0)
        ops.close(ctx);
    return rc;
}

MK_API int mk_blk_register(mk_t *k, const char *name, const mk_blk_ops_t *ops, void *ctx,
                           uint32_t block_size, uint64_t nblocks, mk_dev_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if (block_size == 0)
        block_size = MK_BLK_SIZE_DEFAULT;
    if (ops == NULL || out == NULL || ops->size < sizeof(mk_blk_ops_t) ||
        ops->read == NULL || ops->write == NULL || !geometry_ok(block_size, nblocks))
        return MK_EINVAL;
    return dev_add(k, name, ops, NULL, ctx, block_size, nblocks, false, 0, 0, out);
}

/* ---- lookup, info, refs ------------------------------------------------------ */

MK_API int mk_blk_lookup(mk_t *k, const char *name, mk_dev_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__name_check(name);
    if (rc != 0)
        return rc;
    if (out == NULL)
        return MK_EINVAL;
    pthread_mutex_lock(&k->blk->devlock);
    struct mk__dev *d = mk__nmap_get(&k->blk->names, name);
    uint64_t h = d != NULL ? d->handle : 0;
    pthread_mutex_unlock(&k->blk->devlock);
    if (d == NULL)
        return MK_ENOENT;
    *out = h;
    return 0;
}

int mk__blk_geometry(mk_t *k, uint64_t dev, uint32_t *block_size, uint64_t *nblocks)
{
    MK__ICHECK(k);
    pthread_mutex_lock(&k->blk->devlock);
    struct mk__dev *d = mk__htab_get(&k->blk->devs, dev);
    uint32_t bs = d != NULL ? d->bsize : 0;
    uint64_t n = d != NULL ? d->nblocks : 0;
    pthread_mutex_unlock(&k->blk->devlock);
    if (d == NULL)
        return MK_EBADH;
    if (block_size != NULL)
        *block_size = bs;
    if (nblocks != NULL)
        *nblocks = n;
    return 0;
}

MK_API int mk_blk_info(mk_t *k, mk_dev_t dev, uint32_t *block_size, uint64_t *nblocks)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    return mk__blk_geometry(k, dev, block_size, nblocks);
}

int mk__blk_ref(mk_t *k, uint64_t dev)
{
    MK__ICHECK(k);
    int rc = 0;
    pthread_mutex_lock(&k->blk->devlock);
    struct mk__dev *d = mk__htab_get(&k->blk->devs, dev);
    if (d == NULL)
        rc = MK_EBADH;
    else if (d->removing)
        rc = MK_EBUSY;
    else
        d->users++;
    pthread_mutex_unlock(&k->blk->devlock);
    return rc;
}

void mk__blk_unref(mk_t *k, uint64_t dev)
{
    if (k == NULL || k->blk == NULL)
        return;
    pthread_mutex_lock(&k->blk->devlock);
    struct mk__dev *d = mk__htab_get(&k->blk->devs, dev);
    if (d != NULL && d->users > 0)
        d->users--;
    pthread_mutex_unlock(&k->blk->devlock);
}

/* ---- flush ------------------------------------------------------------------- */

int mk__blk_flush(mk_t *k, uint64_t dev)
{
    MK__ICHECK(k);
    struct mk__blk *b = k->blk;
    struct mk__dev *d;
    int rc;
    if (dev != 0) {
        if ((rc = mk__dev_get(k, dev, &d)) != 0)
            return rc;
        rc = mk__cache_flush_dev(k, d);
        mk__dev_put(k, d);
        return rc;
    }
    /* Every device, one at a time, each held by a ref while it is flushed.
     * The cursor survives dropping the lock; devices being removed are
     * skipped (their removal writes them back itself). */
    rc = 0;
    uint32_t cur = 0;
    for (;;) {
        pthread_mutex_lock(&b->devlock);
        do {
            d = mk__htab_next(&b->devs, &cur, NULL);
        } while (d != NULL && d->removing);
        if (d != NULL)
            d->refs++;
        pthread_mutex_unlock(&b->devlock);
        if (d == NULL)
            break;
        int r = mk__cache_flush_dev(k, d);
        if (r != 0)
            rc = r;
        mk__dev_put(k, d);
    }
    return rc;
}

MK_API int mk_cache_flush(mk_t *k, mk_dev_t dev)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    return mk__blk_flush(k, dev);
}

/* ---- removal ------------------------------------------------------------------ */

MK_API int mk_blk_remove(mk_t *k, mk_dev_t dev)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__blk *b = k->blk;
    int rc = 0;
    pthread_mutex_lock(&b->devlock);
    struct mk__dev *d = mk__htab_get(&b->devs, dev);
    if (d == NULL)
        rc = MK_EBADH;
    else if (d->removing || d->users > 0 || d->refs > 0)
        rc = MK_EBUSY;
    else
        d->removing = true; /* from here no new call or pin can reach d */
    pthread_mutex_unlock(&b->devlock);
    if (rc != 0)
        return rc;

    rc = mk__cache_flush_dev(k, d);
    if (rc == 0)
        rc = mk__cache_drop_dev(k, d, false);
    pthread_mutex_lock(&b->devlock);
    if (rc != 0) {
        d->removing = false; /* the device stays, dirty data with it */
    } else {
        mk__htab_remove(&b->devs, dev);
        mk__nmap_del(&b->names, d->name);
    }
    pthread_mutex_unlock(&b->devlock);
    if (rc == 0)
        dev_free(d);
    return rc;
}

/* ---- module life cycle ---------------------------------------------------------- */

int mk__blk_init(mk_t *k)
{
    struct mk__blk *b = calloc(1, sizeof *b);
    if (b == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&b->devlock, NULL) != 0) {
        free(b);
        return MK_ENOMEM;
    }
    mk__htab_init(&b->devs, MK__H_DEV);
    mk__nmap_init(&b->names);
    k->blk = b;
    int rc = mk__cache_init(k);
    if (rc != 0) {
        mk__nmap_fini(&b->names);
        mk__htab_fini(&b->devs);
        pthread_mutex_destroy(&b->devlock);
        free(b);
        k->blk = NULL;
    }
    return rc;
}

/* mk_destroy: no other call may race it. Write back everything, then close
 * every device even if write-back failed (the context goes away all the
 * same; the caller learns of the loss through MK_EIO). */
int mk__blk_fini(mk_t *k)
{
    struct mk__blk *b = k->blk;
    if (b == NULL)
        return 0;
    int rc = 0;
    uint32_t cur = 0;
    uint64_t h;
    struct mk__dev *d;
    while ((d = mk__htab_next(&b->devs, &cur, &h)) != NULL) {
        if (mk__cache_flush_dev(k, d) != 0)
            rc = MK_EIO;
        mk__cache_drop_dev(k, d, true);
        mk__htab_remove(&b->devs, h);
        mk__nmap_del(&b->names, d->name);
        dev_free(d);
    }
    mk__cache_fini(k);
    mk__nmap_fini(&b->names);
    mk__htab_fini(&b->devs);
    pthread_mutex_destroy(&b->devlock);
    free(b);
    k->blk = NULL;
    return rc;
}
