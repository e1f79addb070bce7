/*
 * fs_impl.h - private to src/fs: the in-memory state of a mounted file
 * system and the helpers its layers share (bitmap allocation in balloc.c,
 * inode I/O and block mapping in inode.c, directory entries in dir.c).
 *
 * Same rules as fs.h: the caller serialises every call on one mk__fs; a
 * buffer is pinned only inside one helper and released before it returns.
 */
#ifndef MK_SRC_FS_IMPL_H
#define MK_SRC_FS_IMPL_H

#include "../blk/blk.h"
#include "fs.h"
#include "fs_format.h"

#include <stdbool.h>

struct mk__fs {
    mk_t *k;
    uint64_t dev;
    uint32_t bsize;     /* bytes per block */
    uint32_t ptrs;      /* block numbers per indirect block (bsize / 4) */
    uint32_t ipb;       /* inodes per block */
    struct mk__sb sb;   /* decoded superblock; free counts kept current */
    uint64_t bhint;     /* where the next block search starts */
    uint32_t ihint;     /* where the next inode search starts */
    uint64_t max_file;  /* largest file size in bytes */
};

static inline uint64_t mk__fs_now(const struct mk__fs *fs)
{
    return atomic_load(&fs->k->ticks);
}

/* balloc.c: allocation bitmaps. A new block is NOT zeroed here. */
int mk__balloc(struct mk__fs *fs, uint32_t *bno);
int mk__bfree(struct mk__fs *fs, uint32_t bno);
int mk__ialloc(struct mk__fs *fs, uint32_t *ino);
int mk__ifree(struct mk__fs *fs, uint32_t ino);
/* Count set bits of a bitmap region (bits 0..nbits-1). */
int mk__bitmap_count(struct mk__fs *fs, uint64_t start, uint64_t nbits, uint64_t *used);
/* Allocate a block and fill it with zeros (indirect and directory blocks). */
int mk__balloc_zero(struct mk__fs *fs, uint32_t *bno);

/* inode.c */
int mk__iread(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di);
int mk__iwrite(struct mk__fs *fs, uint32_t ino, const struct mk__dinode *di);
/* Map file block fbn of di to a device block. With alloc, holes are filled
 * (indirect blocks zeroed; a new data block is NOT zeroed and *fresh is set
 * so the caller initialises it). *bno = 0 for a hole without alloc. di is
 * updated in memory; the caller writes it back, also after an error. */
int mk__bmap(struct mk__fs *fs, struct mk__dinode *di, uint64_t fbn, bool alloc,
             uint32_t *bno, bool *fresh);
/* Byte I/O on any inode type (directories included). */
int mk__iread_bytes(struct mk__fs *fs, const struct mk__dinode *di, uint64_t off,
                    void *buf, size_t len, size_t *n);
int mk__iwrite_bytes(struct mk__fs *fs, struct mk__dinode *di, uint64_t off,
                     const void *buf, size_t len, size_t *n);
/* Free every block past new size and zero the tail of the last block. */
int mk__itrunc(struct mk__fs *fs, struct mk__dinode *di, uint64_t size);
/* Drop one link; at zero free the blocks and the inode. */
int mk__idrop(struct mk__fs *fs, uint32_t ino);

/* dir.c helpers used by super.c (mkfs builds the root). */
void mk__dirent_encode(uint8_t *p, uint32_t ino, const char *name, size_t len);

#endif /* MK_SRC_FS_IMPL_H */
