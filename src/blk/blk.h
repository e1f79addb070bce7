/*
 * blk.h - internal interface of the block layer for the layers above it
 * (fs, vfs): device geometry and the buffer cache in the manner of xv6's
 * bio.c (bread / bwrite / brelse), with write-back.
 *
 * Life cycle of a buffer: mk__buf_get() returns it pinned with valid
 * contents; the caller may read and modify b->data, must call
 * mk__buf_dirty() after modifying it, and must release it with
 * mk__buf_put(). Do not touch a buffer after mk__buf_put(). A pinned buffer
 * is never evicted. The cache's lock protects its own bookkeeping only: the
 * bytes of a buffer are protected by whoever uses them (the fs serialises
 * access per mounted file system).
 *
 * These calls keep working during mk_destroy() (the vfs tears down before
 * blk, with the context already marked dead): they check only that the
 * module is up, so a NULL context gives MK_EINVAL.
 */
#ifndef MK_SRC_BLK_H
#define MK_SRC_BLK_H

#include "../core/core.h"

typedef struct mk__buf {
    uint64_t dev;     /* device handle */
    uint64_t blockno; /* block number on the device */
    uint32_t size;    /* block size in bytes */
    uint8_t *data;    /* size bytes, valid while pinned */
} mk__buf_t;

/* Do not read the block from the device: the caller overwrites all of it. */
#define MK__BUF_NOREAD 0x1u

/* Pin block `blockno` of `dev`. Errors: MK_EBADH (bad dev), MK_ERANGE
 * (blockno past the device), MK_EIO (device read failed), MK_EBUSY (every
 * buffer of the cache is pinned), MK_ENOMEM. */
int mk__buf_get(mk_t *k, uint64_t dev, uint64_t blockno, uint32_t flags, mk__buf_t **out);
/* Mark a pinned buffer modified: it will be written back before eviction,
 * on flush, or at mk_destroy. */
void mk__buf_dirty(mk_t *k, mk__buf_t *b);
/* Unpin. */
void mk__buf_put(mk_t *k, mk__buf_t *b);
/* mk__buf_put(old) then mk__buf_get(dev, blockno, flags): on a cache hit
 * both under one lock hold. old (may be NULL) is unpinned whatever the
 * result. */
int mk__buf_swap(mk_t *k, mk__buf_t *old, uint64_t dev, uint64_t blockno, uint32_t flags,
                 mk__buf_t **out);
/* The file system freed block `blockno` of `dev`: drop its cached copy,
 * dirty or not, unless it is pinned or under I/O (then it stays, harmless).
 * The contents of a freed block never need to reach the device, so a
 * deleted file's data is not written back (bforget in 4.4BSD, jbd2's
 * journal_forget); its buffer goes to the free list, still hot in the CPU
 * caches, for the next miss. Errors are ignored (a hint). */
void mk__buf_forget(mk_t *k, uint64_t dev, uint64_t blockno);
/* Write every dirty buffer of dev back and ask the device to sync;
 * dev == 0 means every device. MK_EIO if any write failed (the buffer then
 * stays dirty: nothing is lost). */
int mk__blk_flush(mk_t *k, uint64_t dev);
/* Drop every clean, unpinned buffer of dev (dirty ones are written first);
 * used at unmount so a later mount re-reads from the device. */
int mk__blk_invalidate(mk_t *k, uint64_t dev);
/* Geometry of a device. MK_EBADH for a bad handle. */
int mk__blk_geometry(mk_t *k, uint64_t dev, uint32_t *block_size, uint64_t *nblocks);
/* Count users of a device (a mounted file system): a device with users
 * cannot be removed (MK_EBUSY). */
int mk__blk_ref(mk_t *k, uint64_t dev);
void mk__blk_unref(mk_t *k, uint64_t dev);

#endif /* MK_SRC_BLK_H */
