/*
 * fs.h - internal interface of the on-disk file system for the layer above
 * it (vfs). The layers inside, after xv6's fs.c: blocks (bitmap allocation)
 * -> inodes (block map, read, write, truncate) -> directories (entries)
 * -> names (create, unlink, rmdir, rename). Path strings, mounts and
 * descriptors belong to the vfs.
 *
 * Interface rules:
 *  - A struct mk__fs is one mounted file system. The fs does NO locking:
 *    the caller (the vfs, holding the mount's lock) serialises every call
 *    on one mk__fs. Calls on different mk__fs may run in parallel (the
 *    buffer cache has its own lock).
 *  - All device access goes through the buffer cache (src/blk/blk.h); at
 *    most a handful of buffers (superblock, bitmap, inode, up to three
 *    indirect blocks, one data block) are pinned at once, never across
 *    calls.
 *  - Inodes are named by number; directory entry names are (pointer,
 *    length) pairs of 1..MK_NAME_MAX bytes without '/' or NUL (the caller
 *    checks), never "." or "..".
 *  - Anything inconsistent found on the device (a block pointer outside the
 *    data area, an inode number past the table, a bad entry) gives
 *    MK_ECORRUPT, never a crash.
 */
#ifndef MK_SRC_FS_H
#define MK_SRC_FS_H

#include "../core/core.h"

#include <microkernel/fs.h>

struct mk__fs;

/* Kind of file, as in enum mk_file_type of vfs.h. */
enum { MK__FT_REG = 1, MK__FT_DIR = 2 };

struct mk__fs_stat {
    uint32_t type; /* MK__FT_* */
    uint32_t ino;
    uint64_t size, blocks, nlink, ctime, mtime;
};

struct mk__fs_statfs {
    uint32_t block_size;
    uint64_t blocks, free_blocks, inodes, free_inodes;
};

/* Format dev (ninodes 0 = default). The caller makes sure it is not
 * mounted. MK_EINVAL unsupported block size / ninodes, MK_ENOSPC too
 * small, MK_EIO, MK_EBADH. Flushes before returning. */
int mk__fs_mkfs(mk_t *k, uint64_t dev, uint32_t ninodes);
/* MK_FS_PROBE_* of fs.h. Reads block 0 only. */
int mk__fs_probe(mk_t *k, uint64_t dev, uint32_t *kind);

/* mk_fs_fsck() without the mount-table check (the caller makes sure dev
 * is not mounted). r->size is not looked at; every other field is set. */
int mk__fs_fsck(mk_t *k, uint64_t dev, uint32_t flags, mk_fsck_report_t *r);

/* Validate and attach: MK_ENOFS (blank or foreign), MK_ECORRUPT, MK_EIO,
 * MK_ENOMEM. Marks the superblock "mounted" on the device. */
int mk__fs_mount(mk_t *k, uint64_t dev, struct mk__fs **out);
/* Write the superblock clean, flush and invalidate the device's blocks,
 * free fs. On MK_EIO the fs stays attached (nothing freed). */
int mk__fs_unmount(struct mk__fs *fs);
/* Free fs without writing anything (after mk__fs_unmount failed at
 * mk_destroy, when the mount must go all the same). */
void mk__fs_free(struct mk__fs *fs);
/* Write the superblock (still "mounted") and flush the device. */
int mk__fs_sync(struct mk__fs *fs);
uint32_t mk__fs_root(const struct mk__fs *fs);
uint64_t mk__fs_dev(const struct mk__fs *fs);
void mk__fs_statfs(const struct mk__fs *fs, struct mk__fs_statfs *out);

int mk__fs_stat(struct mk__fs *fs, uint32_t ino, struct mk__fs_stat *out);
/* MK_ENOTDIR if dir is not a directory, MK_ENOENT if name is absent. */
int mk__fs_lookup(struct mk__fs *fs, uint32_t dir, const char *name, size_t len,
                  uint32_t *ino);
/* Create a file (MK__FT_REG) or an empty directory (MK__FT_DIR) in dir.
 * MK_EEXIST, MK_ENOTDIR, MK_ENOSPC (nothing left behind). */
int mk__fs_create(struct mk__fs *fs, uint32_t dir, const char *name, size_t len,
                  uint32_t type, uint32_t *ino);
/* Remove a regular file's entry and, with its last link, free it.
 * MK_EISDIR for a directory. orphan: NULL frees the inode with its last
 * link; non-NULL says the file is open, so its last link only takes nlink
 * to 0 and leaves the inode and its data allocated (an orphan, as in
 * Unix: the open descriptors keep working), setting *orphan = true; the
 * caller frees it with mk__fs_orphan_free once the last descriptor is
 * closed. A crash before that leaves an unreachable inode that fsck
 * repairs as a leak (ext2 did the same before ext3's orphan list). */
int mk__fs_unlink(struct mk__fs *fs, uint32_t dir, const char *name, size_t len,
                  bool *orphan);
/* Free an orphan (a regular file with nlink 0, see mk__fs_unlink). 0 and
 * nothing done if ino is not one (linked again, or already freed). */
int mk__fs_orphan_free(struct mk__fs *fs, uint32_t ino);
/* Remove an empty directory. MK_ENOTDIR, MK_ENOTEMPTY. */
int mk__fs_rmdir(struct mk__fs *fs, uint32_t dir, const char *name, size_t len);
/* Move fdir/fname to tdir/tname (see mk_vfs_rename for the rules). A
 * replaced regular file loses a link; orphan as for mk__fs_unlink. */
int mk__fs_rename(struct mk__fs *fs, uint32_t fdir, const char *fname, size_t flen,
                  uint32_t tdir, const char *tname, size_t tlen, bool *orphan);

/* Byte I/O on a regular file (MK_EISDIR for a directory). A write that
 * fills the device stops short and succeeds with *n < len; with nothing
 * written it fails with MK_ENOSPC. */
int mk__fs_read(struct mk__fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len,
                size_t *n);
int mk__fs_write(struct mk__fs *fs, uint32_t ino, uint64_t off, const void *buf,
                 size_t len, size_t *n);
int mk__fs_truncate(struct mk__fs *fs, uint32_t ino, uint64_t len);
uint64_t mk__fs_max_file(const struct mk__fs *fs);

/* Next used entry of dir at or after entry index *pos; *got = 0 at the end.
 * name receives a NUL-terminated copy (MK_NAME_MAX + 1 bytes). */
int mk__fs_readdir(struct mk__fs *fs, uint32_t dir, uint64_t *pos, char *name,
                   uint32_t *ino, uint32_t *got);

#endif /* MK_SRC_FS_H */
