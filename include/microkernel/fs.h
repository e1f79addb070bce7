/**
 * @file fs.h
 * @brief The on-disk file system: format (mkfs) and recognise (probe) a
 *        block device.
 *
 * libmk's file system lives on any block device (see blk.h) and is reached
 * only through the buffer cache. Its layout is a superblock (block 0, with a
 * CRC-32C checksum), a block allocation bitmap, an inode allocation bitmap,
 * a table of fixed-size inodes that map file data by extents (an
 * ext4-style extent tree whose root lives in the inode; holes cost
 * nothing, so sparse files are cheap) and data blocks; directories are
 * files of fixed-size entries. All integers on disk are little-endian.
 *
 * Every change is journaled (a write-ahead redo log in the manner of xv6's
 * log.c and ext4's jbd2 in ordered mode): a power cut at any moment leaves
 * a file system that mounts and passes mk_fs_fsck(), and everything whose
 * mk_vfs_fsync(), mk_vfs_sync() or unmount returned is on the device.
 * Recovery runs at mount. The disk
 * format has a version of its own, #MK_FS_VERSION, independent of the
 * library version.
 *
 * Files and directories are used through the VFS (vfs.h), which mounts a
 * formatted device at a path.
 */
#ifndef MICROKERNEL_FS_H
#define MICROKERNEL_FS_H

#include <stddef.h>
#include <stdint.h>

#include "blk.h"
#include "core.h"
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Version of the on-disk format written by mk_fs_mkfs() and accepted
 *        by mount. A device carrying another version is refused with
 *        MK_ECORRUPT (and probes as @c MK_FS_PROBE_OTHER). Version 2 added
 *        the journal, version 3 extents. @since 1.0
 */
#define MK_FS_VERSION 3

/**
 * @brief Options of mk_fs_mkfs().
 *
 * Fill with mk_mkfs_opts_init(), then change what you need; a field left 0
 * takes its default. Fields are only ever appended.
 * @since 1.0
 */
typedef struct mk_mkfs_opts {
    /** Size of this structure in bytes; set by mk_mkfs_opts_init(). */
    uint32_t size;
    /** Number of inodes (files plus directories, the root included) to
     *  reserve; 0 (default) means one per 16 KiB of device, at least 16.
     *  Rounded up to fill whole inode-table blocks; at most 2^31. */
    uint32_t inodes;
} mk_mkfs_opts_t;

/**
 * @brief Fill mkfs options with their defaults (every field 0, @c size set).
 * @param[out] o Structure to fill; NULL is ignored.
 * @since 1.0
 */
MK_API void mk_mkfs_opts_init(mk_mkfs_opts_t *o);

/**
 * @brief Format a block device with an empty file system (a root directory
 *        only), destroying whatever it held.
 *
 * The whole device is used (at most 2^32 - 1 blocks). The device's block
 * size must be a power of two from 512 to 65536 bytes. Everything is
 * written through the buffer cache and flushed to the device before the
 * call returns. Thread-safe: serialised with mount and unmount.
 * @param k Context.
 * @param dev Device handle from blk.h.
 * @param opts Options, or NULL for every default; @c opts->size must be at
 *        least the size of the 1.0 structure.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, @p opts->size is too small, the block size
 *         is not supported, or @p opts->inodes is out of range.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a device.
 * @retval MK_EBUSY The device is mounted.
 * @retval MK_ENOSPC The device is too small for the metadata, the inodes
 *         asked for and the root directory.
 * @retval MK_EIO The device failed to write.
 * @retval MK_ENOMEM The host is out of memory.
 * @since 1.0
 */
MK_API int mk_fs_mkfs(mk_t *k, mk_dev_t dev, const mk_mkfs_opts_t *opts);

/** @brief Kinds of content reported by mk_fs_probe(). @since 1.0 */
enum mk_fs_probe_kind {
    /** Block 0 is all zero bytes: a blank device (mount with
     *  #MK_MOUNT_FORMAT formats it). */
    MK_FS_PROBE_BLANK = 0,
    /** Block 0 holds a valid libmk superblock (magic, checksum, version
     *  and geometry all check out). */
    MK_FS_PROBE_MKFS = 1,
    /** Anything else: foreign data or a damaged libmk superblock. */
    MK_FS_PROBE_OTHER = 2
};

/**
 * @brief Say what a device holds, without changing it.
 *
 * Reads block 0 through the buffer cache. Thread-safe.
 * @param k Context.
 * @param dev Device handle from blk.h.
 * @param[out] kind One of ::mk_fs_probe_kind.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p kind is NULL.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a device.
 * @retval MK_EIO The device failed to read.
 * @retval MK_EBUSY Every buffer of the cache is pinned.
 * @retval MK_ENOMEM The host is out of memory.
 * @since 1.0
 */
MK_API int mk_fs_probe(mk_t *k, mk_dev_t dev, uint32_t *kind);

/**
 * @brief Flag of mk_fs_fsck(): repair what can be repaired safely (leaked
 *        blocks and inodes, unmarked ones, link counts, block counts,
 *        entries naming free inodes, bad "." / ".." entries, block
 *        pointers outside the data area). Without it nothing is changed
 *        but a committed journal transaction is still replayed.
 * @since 1.0
 */
#define MK_FSCK_REPAIR 0x1u

/**
 * @brief What mk_fs_fsck() found: counts per kind of problem.
 *
 * Set @c size to sizeof(mk_fsck_report_t) before the call. A problem is
 * counted once per occurrence (per block, inode or entry); with
 * #MK_FSCK_REPAIR, @c repaired counts those fixed. Fields are only ever
 * appended.
 * @since 1.0
 */
typedef struct mk_fsck_report {
    /** Size of this structure in bytes, set by the caller. */
    uint32_t size;
    /** Flags the check ran with (#MK_FSCK_REPAIR or 0). */
    uint32_t flags;
    /** Blocks copied home from a committed journal transaction first. */
    uint64_t journal_replayed;
    /** Regular files reached from the root. */
    uint64_t files;
    /** Directories reached from the root, the root included. */
    uint64_t dirs;
    /** Blocks in use (metadata, journal and reachable data). */
    uint64_t blocks_used;
    /** Inodes with an unknown type or an impossible size. */
    uint64_t bad_inodes;
    /** Block pointers outside the data area (cleared by a repair). */
    uint64_t bad_pointers;
    /** Blocks claimed by two owners (reported, not repaired). */
    uint64_t dup_blocks;
    /** Blocks marked used that nothing reaches (freed by a repair). */
    uint64_t block_leaks;
    /** Reachable blocks marked free (marked by a repair). */
    uint64_t block_unmarked;
    /** Inodes marked used that no entry reaches (freed by a repair). */
    uint64_t inode_leaks;
    /** Reachable inodes marked free (marked by a repair). */
    uint64_t inode_unmarked;
    /** Inodes whose link count differs from the entries naming them. */
    uint64_t link_counts;
    /** Inodes whose block count differs from the blocks they hold. */
    uint64_t block_counts;
    /** Entries naming a free, invalid or already linked inode, or with a
     *  bad name (removed by a repair). */
    uint64_t bad_entries;
    /** Directories with a bad size or bad "." / ".." entries. */
    uint64_t bad_dirs;
    /** Sum of every problem count above. */
    uint64_t problems;
    /** Problems a repair fixed (0 without #MK_FSCK_REPAIR). */
    uint64_t repaired;
} mk_fsck_report_t;

/**
 * @brief Check (and with #MK_FSCK_REPAIR repair) the file system on an
 *        unmounted device.
 *
 * Replays a committed journal transaction first (as mount does), then
 * checks the superblock, walks every directory from the root, checks every
 * inode reached (type, size, block pointers, block count, link count) and
 * compares both allocation bitmaps with what is reachable. Never crashes
 * or hangs on a damaged device. Thread-safe: serialised with mount,
 * unmount and mkfs.
 * @param k Context.
 * @param dev Device handle from blk.h.
 * @param flags 0 (check only) or #MK_FSCK_REPAIR.
 * @param[out] out Report; @c out->size must be at least the size of the
 *        1.0 structure. Written on success only.
 * @retval 0 The check ran; @c out->problems says whether anything was
 *         wrong and @c out->repaired how much was fixed.
 * @retval MK_EINVAL @p k or @p out is NULL, @p out->size is too small or
 *         @p flags has unknown bits.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a device.
 * @retval MK_EBUSY The device is mounted.
 * @retval MK_ENOFS The device holds no libmk file system (blank or foreign).
 * @retval MK_ECORRUPT The superblock, the bitmaps' geometry or the root
 *         directory is beyond repair.
 * @retval MK_EIO The device failed.
 * @retval MK_ENOMEM The host is out of memory.
 * @since 1.0
 */
MK_API int mk_fs_fsck(mk_t *k, mk_dev_t dev, uint32_t flags, mk_fsck_report_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_FS_H */
