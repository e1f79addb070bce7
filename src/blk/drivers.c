/*
 * drivers.c - the two built-in block device drivers, written against the
 * same callback table (mk_blk_ops_t) a caller uses, in the manner of
 * littlefs's bd/lfs_rambd.c and bd/lfs_filebd.c.
 *
 *  - RAM: sparse. A hash map (mk__hmap) from block number to a host
 *    allocation; a block is allocated when non-zero data is first written
 *    and freed again when it is overwritten with zeros, so an absent block
 *    reads as zeros and a large empty device costs nothing.
 *  - Image: a host file read and written with pread/pwrite at
 *    blockno × block size and made durable with fsync. Reads past the end
 *    of a file that shrank under us return zeros. Multi-block transfers
 *    into separate cache buffers use preadv / pwritev (the vops).
 *    An image is locked against other OS processes with flock(2) while it
 *    is open (see "image locks" below): two kernels writing their caches
 *    back into one file would corrupt it without a word.
 *
 * Sits on core (hash maps) and the host's libc. The callbacks need no lock
 * of their own: dev.c calls the ops of one device under its iolock. The
 * device owns the context; close() frees it.
 */
#include "blk_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- RAM ---------------------------------------------------------------- */

struct ram {
    mk__hmap_t blocks; /* blockno -> uint8_t[bsize] */
    uint32_t bsize;
};

static bool all_zero(const uint8_t *p, size_t n)
{
    /* p[0] == 0 and every byte equals the next one */
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static int ram_read(void *ctx, uint64_t blockno, void *buf, uint32_t count)
{
    struct ram *r = ctx;
    uint8_t *out = buf;
    for (uint32_t i = 0; i < count; i++, out += r->bsize) {
        const uint8_t *p = mk__hmap_get(&r->blocks, blockno + i);
        if (p != NULL)
            memcpy(out, p, r->bsize);
        else
            memset(out, 0, r->bsize);
    }
    return 0;
}

static int ram_write(void *ctx, uint64_t blockno, const void *buf, uint32_t count)
{
    struct ram *r = ctx;
    const uint8_t *in = buf;
    for (uint32_t i = 0; i < count; i++, in += r->bsize) {
        uint8_t *p = mk__hmap_get(&r->blocks, blockno + i);
        if (all_zero(in, r->bsize)) {
            if (p != NULL)
                free(mk__hmap_del(&r->blocks, blockno + i));
            continue;
        }
        if (p == NULL) {
            p = malloc(r->bsize);
            if (p == NULL)
                return MK_EIO;
            if (mk__hmap_put(&r->blocks, blockno + i, p) != 0) {
                free(p);
                return MK_EIO;
            }
        }
        memcpy(p, in, r->bsize);
    }
    return 0;
}

static int ram_readv(void *ctx, uint64_t blockno, uint8_t *const *bufs, uint32_t count)
{
    struct ram *r = ctx;
    for (uint32_t i = 0; i < count; i++)
        ram_read(r, blockno + i, bufs[i], 1);
    return 0;
}

static int ram_writev(void *ctx, uint64_t blockno, const uint8_t *const *bufs, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        if (ram_write(ctx, blockno + i, bufs[i], 1) != 0)
            return MK_EIO;
    return 0;
}

static void ram_close(void *ctx)
{
    struct ram *r = ctx;
    size_t cur = 0;
    void *p;
    while ((p = mk__hmap_next(&r->blocks, &cur, NULL)) != NULL)
        free(p);
    mk__hmap_fini(&r->blocks);
    free(r);
}

int mk__ram_new(uint32_t bsize, mk_blk_ops_t *ops, mk__vops_t *vops, void **ctx)
{
    struct ram *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MK_ENOMEM;
    mk__hmap_init(&r->blocks);
    r->bsize = bsize;
    memset(ops, 0, sizeof *ops);
    ops->size = sizeof *ops;
    ops->read = ram_read;
    ops->write = ram_write;
    ops->close = ram_close;
    vops->readv = ram_readv;
    vops->writev = ram_writev;
    *ctx = r;
    return 0;
}

/* ---- image file ----------------------------------------------------------- */

/* ---- image locks ---------------------------------------------------------
 * One exclusive flock(2) per image file per OS process. flock locks belong
 * to an open file description, so the lock is taken on a dup() of the
 * first opener's descriptor and kept in this process-wide table until the
 * last device of this process on that file closes: several contexts of one
 * process may share an image (each refuses a second open of its own, dev.c),
 * another process gets MK_EBUSY. A file system that does not support flock
 * (errors other than EWOULDBLOCK) leaves the image unlocked rather than
 * unusable. */

struct img_lock {
    dev_t dev;
    ino_t ino;
    int fd;         /* dup of the first opener's fd; holds the flock */
    unsigned refs;  /* open image devices of this process on the file */
    struct img_lock *next;
};

static pthread_mutex_t img_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct img_lock *img_locks;
static pthread_once_t img_locks_once = PTHREAD_ONCE_INIT;

/* A fork()ed child inherits the lock descriptors, and with them a share of
 * the parent's locks, but it is another process: it forgets the table (the
 * descriptors are close-on-exec; closing or unlocking them here would drop
 * the parent's lock), so its own opens take locks of their own and are
 * refused while the parent holds the file. */
static void img_locks_forget(void)
{
    img_locks = NULL;
    pthread_mutex_init(&img_locks_mu, NULL);
}

static void img_locks_setup(void)
{
    pthread_atfork(NULL, NULL, img_locks_forget);
}

/* Take (or share) the lock of the file open as fd. MK_EBUSY when another
 * process holds it, MK_ENOMEM / MK_EIO when the host refuses. */
static int img_lock_take(int fd, dev_t dev, ino_t ino, struct img_lock **out)
{
    int rc = 0;
    pthread_once(&img_locks_once, img_locks_setup);
    pthread_mutex_lock(&img_locks_mu);
    struct img_lock *l = img_locks;
    while (l != NULL && !(l->dev == dev && l->ino == ino))
        l = l->next;
    if (l != NULL) {
        l->refs++;
        goto done;
    }
    l = malloc(sizeof *l);
    if (l == NULL) {
        rc = MK_ENOMEM;
        goto done;
    }
    l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (l->fd < 0) {
        free(l);
        l = NULL;
        rc = MK_EIO;
        goto done;
    }
    int r;
    do {
        r = flock(l->fd, LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0 && errno == EWOULDBLOCK) {
        close(l->fd);
        free(l);
        l = NULL;
        rc = MK_EBUSY;
        goto done;
    }
    l->dev = dev;
    l->ino = ino;
    l->refs = 1;
    l->next = img_locks;
    img_locks = l;
done:
    pthread_mutex_unlock(&img_locks_mu);
    *out = l;
    return rc;
}

static void img_lock_drop(struct img_lock *l)
{
    pthread_mutex_lock(&img_locks_mu);
    if (--l->refs == 0) {
        struct img_lock **pp = &img_locks;
        while (*pp != l)
            pp = &(*pp)->next;
        *pp = l->next;
        close(l->fd); /* last description: releases the flock */
        free(l);
    }
    pthread_mutex_unlock(&img_locks_mu);
}

/* ---- image driver -------------------------------------------------------- */

struct image {
    int fd;
    uint32_t bsize;
    struct img_lock *lock;
};

static int img_read(void *ctx, uint64_t blockno, void *buf, uint32_t count)
{
    struct image *im = ctx;
    uint8_t *p = buf;
    size_t total = (size_t)count * im->bsize, done = 0;
    off_t off = (off_t)(blockno * im->bsize);
    while (done < total) {
        ssize_t n = pread(im->fd, p + done, total - done, off + (off_t)done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return MK_EIO;
        }
        if (n == 0) { /* past the end of a file that shrank: zeros */
            memset(p + done, 0, total - done);
            break;
        }
        done += (size_t)n;
    }
    return 0;
}

static int img_write(void *ctx, uint64_t blockno, const void *buf, uint32_t count)
{
    struct image *im = ctx;
    const uint8_t *p = buf;
    size_t total = (size_t)count * im->bsize, done = 0;
    off_t off = (off_t)(blockno * im->bsize);
    while (done < total) {
        ssize_t n = pwrite(im->fd, p + done, total - done, off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return MK_EIO;
        done += (size_t)n;
    }
    return 0;
}

/* preadv / pwritev of count blocks into / from separate buffers, in
 * batches of at most IOV_MAX, resuming after short transfers. */
static int img_vec(struct image *im, uint64_t blockno, uint8_t *const *bufs, uint32_t count,
                   bool write)
{
    enum { BATCH = IOV_MAX < 1024 ? IOV_MAX : 1024 };
    struct iovec iov[BATCH];
    uint32_t done = 0; /* whole blocks */
    size_t part = 0;   /* bytes of block `done` already transferred */
    while (done < count) {
        uint32_t n = count - done < BATCH ? count - done : BATCH;
        for (uint32_t i = 0; i < n; i++) {
            iov[i].iov_base = bufs[done + i];
            iov[i].iov_len = im->bsize;
        }
        iov[0].iov_base = bufs[done] + part;
        iov[0].iov_len = im->bsize - part;
        off_t off = (off_t)((blockno + done) * im->bsize + part);
        ssize_t got = write ? pwritev(im->fd, iov, (int)n, off) : preadv(im->fd, iov, (int)n, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || (got == 0 && write))
            return MK_EIO;
        if (got == 0) { /* past the end of a file that shrank: zeros */
            memset(bufs[done] + part, 0, im->bsize - part);
            for (uint32_t i = done + 1; i < count; i++)
                memset(bufs[i], 0, im->bsize);
            return 0;
        }
        size_t g = (size_t)got + part;
        done += (uint32_t)(g / im->bsize);
        part = g % im->bsize;
    }
    return 0;
}

static int img_readv(void *ctx, uint64_t blockno, uint8_t *const *bufs, uint32_t count)
{
    return img_vec(ctx, blockno, bufs, count, false);
}

static int img_writev(void *ctx, uint64_t blockno, const uint8_t *const *bufs, uint32_t count)
{
    /* img_vec only reads through the pointers when writing */
    return img_vec(ctx, blockno, (uint8_t *const *)bufs, count, true);
}

static int img_sync(void *ctx)
{
    struct image *im = ctx;
    while (fsync(im->fd) != 0) {
        if (errno != EINTR)
            return MK_EIO;
    }
    return 0;
}

static void img_close(void *ctx)
{
    struct image *im = ctx;
    close(im->fd);
    img_lock_drop(im->lock);
    free(im);
}

int mk__image_new(const char *path, uint32_t bsize, uint64_t *nblocks, uint32_t flags,
                  mk_blk_ops_t *ops, mk__vops_t *vops, void **ctx, dev_t *hdev,
                  ino_t *hino)
{
    /* Creating needs a size: with nblocks == 0 the file must already exist. */
    int oflags = O_RDWR | O_CLOEXEC;
    if ((flags & MK_BLK_CREATE) && *nblocks != 0)
        oflags |= O_CREAT;
    int fd;
    do {
        fd = open(path, oflags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno == ENOENT ? MK_ENOENT : MK_EIO;

    int rc = MK_EINVAL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = MK_EIO;
        goto fail;
    }
    if (!S_ISREG(st.st_mode))
        goto fail;
    /* Lock before looking at (or extending) the file: another process may
     * be writing it back. */
    struct img_lock *lock;
    if ((rc = img_lock_take(fd, st.st_dev, st.st_ino, &lock)) != 0)
        goto fail;
    rc = MK_EINVAL;
    uint64_t size = (uint64_t)st.st_size;
    if (*nblocks == 0) {
        if (size == 0 || size % bsize != 0)
            goto fail_locked;
        *nblocks = size / bsize;
    } else if (size < *nblocks * bsize) {
        if (!(flags & MK_BLK_CREATE))
            goto fail_locked;
        if (ftruncate(fd, (off_t)(*nblocks * bsize)) != 0) {
            rc = MK_EIO;
            goto fail_locked;
        }
    }

    struct image *im = malloc(sizeof *im);
    if (im == NULL) {
        rc = MK_ENOMEM;
        goto fail_locked;
    }
    im->fd = fd;
    im->bsize = bsize;
    im->lock = lock;
    memset(ops, 0, sizeof *ops);
    ops->size = sizeof *ops;
    ops->read = img_read;
    ops->write = img_write;
    ops->sync = img_sync;
    ops->close = img_close;
    vops->readv = img_readv;
    vops->writev = img_writev;
    *ctx = im;
    *hdev = st.st_dev;
    *hino = st.st_ino;
    return 0;
fail_locked:
    img_lock_drop(lock);
fail:
    close(fd);
    return rc;
}
