/**
 * @file fs.h
 * @brief The on-disk file system: format (mkfs) and recognise (probe) a
 *        block device.
 *
 * libmk's file system lives on any block device (see blk.h) and is reached
 * only through the buffer cache. Its layout is a superblock (block 0, with a
 * CRC-32C checksum), a block allocation bitmap, an inode allocation bitmap,
 * a table of fixed-size inodes (12 direct block pointers plus single, double
 * and triple indirect blocks) and data blocks; directories are files of
 * fixed-size entries. All integers on disk are little-endian. The disk
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
 *        MK_ECORRUPT. @since 1.0
 */
#define MK_FS_VERSION 1

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

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_FS_H */
