/**
 * @file vfs.h
 * @brief The virtual file system: mount table, paths, descriptors and file
 *        operations.
 *
 * **Mounts.** A formatted device (fs.h) is mounted at an absolute,
 * normalised path ("/", "/mnt", "/mnt/usb": no trailing slash, no empty,
 * "." or ".." component). Several file systems may be mounted at once and
 * mount points may nest. A path is resolved by the mount whose mount point
 * is its longest prefix (component-wise), and the rest of the path is walked
 * inside that file system. A mount point need not exist as a directory in
 * the parent file system: "/mnt" may be mounted with nothing mounted at "/",
 * and a directory of the parent that a mount covers is hidden while the
 * mount lasts. A path under no mount point fails with MK_ENOENT.
 *
 * **Paths** are absolute ("/" first), at most #MK_PATH_MAX bytes, with
 * components of at most #MK_NAME_MAX bytes; repeated slashes are allowed.
 * "." and ".." are resolved lexically, before the mount table is consulted
 * (as Plan 9 and Go's path.Clean do): "/a/b/.." names "/a", and ".." at the
 * root of a mount leads into the parent mount's view of the tree (".." of
 * "/" is "/"). A trailing slash requires the path to name a directory.
 *
 * **Descriptors** belong to a process: each pid (and #MK_PID_KERNEL, the
 * host's own table) has its own set, at most #MK_VFS_OPEN_MAX open at once.
 * A descriptor is a generation-tagged handle: once closed, or when used by
 * another pid, it is refused with MK_EBADH. A pid other than
 * #MK_PID_KERNEL must name a live process (proc.h), else MK_ENOENT; when a
 * process is destroyed its descriptors are closed.
 *
 * **Threads.** Every call may come from any host thread. The mount table
 * has a reader-writer lock (mount and unmount write, everything else
 * reads); each mounted file system has one lock that serialises the
 * operations on it, so calls on different mounts run in parallel. Two
 * threads sharing a descriptor share its offset.
 *
 * **Durability.** Data goes through the write-back buffer cache:
 * mk_vfs_fsync(), mk_vfs_sync(), unmount and mk_destroy() write it to the
 * device. There is no journal yet: a crash between syncs may leave the file
 * system inconsistent. Directories are searched linearly.
 */
#ifndef MICROKERNEL_VFS_H
#define MICROKERNEL_VFS_H

#include <stddef.h>
#include <stdint.h>

#include "blk.h"
#include "core.h"
#include "error.h"
#include "export.h"
#include "fs.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Open-file descriptor: an opaque generation-tagged handle; 0 is never
 *        a valid descriptor. @since 1.0
 */
typedef uint64_t mk_fd_t;

/** @brief Longest path accepted, in bytes, not counting the terminating
 *  NUL; longer paths get MK_ENAMETOOLONG. @since 1.0 */
#define MK_PATH_MAX 1023

/** @brief Most descriptors one process (or the kernel) may hold open at
 *  once; one more gets MK_EMFILE. @since 1.0 */
#define MK_VFS_OPEN_MAX 1024

/** @brief Open for reading only. @since 1.0 */
#define MK_O_RDONLY 0x0
/** @brief Open for writing only. @since 1.0 */
#define MK_O_WRONLY 0x1
/** @brief Open for reading and writing. @since 1.0 */
#define MK_O_RDWR 0x2
/** @brief Create a regular file if the path does not exist (its parent
 *  directory must). @since 1.0 */
#define MK_O_CREAT 0x40
/** @brief With #MK_O_CREAT: fail with MK_EEXIST if the path exists.
 *  Ignored without #MK_O_CREAT. @since 1.0 */
#define MK_O_EXCL 0x80
/** @brief Truncate a regular file to 0 bytes at open; needs write access
 *  (MK_EINVAL with #MK_O_RDONLY). @since 1.0 */
#define MK_O_TRUNC 0x200
/** @brief Every write appends at the end of the file. @since 1.0 */
#define MK_O_APPEND 0x400
/** @brief Fail with MK_ENOTDIR unless the path names a directory. @since 1.0 */
#define MK_O_DIRECTORY 0x10000

/** @brief mk_vfs_seek(): offset from the start of the file. @since 1.0 */
#define MK_SEEK_SET 0
/** @brief mk_vfs_seek(): offset from the current position. @since 1.0 */
#define MK_SEEK_CUR 1
/** @brief mk_vfs_seek(): offset from the end of the file. @since 1.0 */
#define MK_SEEK_END 2

/** @brief mk_vfs_mount() flag: format the device first if it is blank (an
 *  all-zero block 0). A device holding anything else is never formatted.
 *  @since 1.0 */
#define MK_MOUNT_FORMAT 0x1u

/** @brief Type of a file, in ::mk_stat_t and ::mk_dirent_t. @since 1.0 */
enum mk_file_type {
    MK_FT_REG = 1, /**< Regular file. */
    MK_FT_DIR = 2  /**< Directory. */
};

/**
 * @brief Mount a formatted device at a path.
 *
 * The superblock is validated (magic, CRC-32C checksum, version, geometry)
 * before anything is written; on success it is marked "in use" (not clean)
 * on the device until unmount.
 * @param k Context.
 * @param dev Device handle (blk.h). The device cannot be removed while
 *        mounted.
 * @param mountpoint Absolute normalised path, at most #MK_PATH_MAX bytes;
 *        copied.
 * @param flags 0 or #MK_MOUNT_FORMAT.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, @p mountpoint is not an absolute
 *         normalised path, or @p flags has unknown bits.
 * @retval MK_ENAMETOOLONG @p mountpoint or one of its components is too long.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a device.
 * @retval MK_EBUSY Something is already mounted at @p mountpoint, or @p dev
 *         is already mounted.
 * @retval MK_ENOFS The device holds no libmk file system (blank without
 *         #MK_MOUNT_FORMAT, or foreign data). Nothing is written to it.
 * @retval MK_ECORRUPT The superblock has a bad checksum, version or
 *         geometry, or the root directory is damaged.
 * @retval MK_EIO The device failed.
 * @retval MK_ENOMEM The host is out of memory.
 * @since 1.0
 */
MK_API int mk_vfs_mount(mk_t *k, mk_dev_t dev, const char *mountpoint, uint32_t flags);

/**
 * @brief Unmount the file system mounted at a path.
 *
 * Writes the superblock (free counts, "clean" flag), flushes every dirty
 * block of the device and drops its blocks from the cache, so that a later
 * mount reads the device afresh.
 * @param k Context.
 * @param mountpoint The exact path given to mk_vfs_mount() (normalised form).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @p mountpoint is not an absolute
 *         normalised path.
 * @retval MK_ENAMETOOLONG @p mountpoint is too long.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT Nothing is mounted at @p mountpoint.
 * @retval MK_EBUSY A descriptor is open on the file system, or another mount
 *         point lies inside it.
 * @retval MK_EIO Write-back failed; the file system stays mounted and no
 *         data is dropped.
 * @since 1.0
 */
MK_API int mk_vfs_unmount(mk_t *k, const char *mountpoint);

/**
 * @brief Open (and optionally create) a file or directory.
 *
 * A new descriptor starts at offset 0. Directories may be opened read-only
 * (for mk_vfs_readdir()).
 * @param k Context.
 * @param pid Owner of the descriptor: #MK_PID_KERNEL or a live process.
 * @param path Absolute path.
 * @param flags One of #MK_O_RDONLY, #MK_O_WRONLY, #MK_O_RDWR, or-ed with
 *        #MK_O_CREAT, #MK_O_EXCL, #MK_O_TRUNC, #MK_O_APPEND,
 *        #MK_O_DIRECTORY.
 * @param[out] out The new descriptor; close it with mk_vfs_close() (it is
 *        also closed when @p pid is destroyed, or at mk_destroy()).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, the path is not absolute, @p flags
 *         has unknown bits or an invalid access mode, #MK_O_TRUNC with
 *         #MK_O_RDONLY, or #MK_O_CREAT with #MK_O_DIRECTORY.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT @p pid is not a live process, the path (or its parent
 *         with #MK_O_CREAT) does not exist, or it is under no mount.
 * @retval MK_ENOTDIR A path component is not a directory, or
 *         #MK_O_DIRECTORY / a trailing slash names a regular file.
 * @retval MK_EISDIR A directory opened for writing.
 * @retval MK_EEXIST #MK_O_CREAT | #MK_O_EXCL and the path exists.
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_EMFILE @p pid already has #MK_VFS_OPEN_MAX descriptors open.
 * @retval MK_ENOSPC No free inode, or no free block to grow the directory.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @retval MK_ENOMEM The host is out of memory.
 * @since 1.0
 */
MK_API int mk_vfs_open(mk_t *k, mk_pid_t pid, const char *path, uint32_t flags,
                       mk_fd_t *out);

/**
 * @brief Close a descriptor. Data stays in the cache (see mk_vfs_fsync()).
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor; it is invalid afterwards.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p fd is closed, forged or owned
 *         by another pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @since 1.0
 */
MK_API int mk_vfs_close(mk_t *k, mk_pid_t pid, mk_fd_t fd);

/**
 * @brief Read from the descriptor's offset and advance it.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor opened with read access.
 * @param[out] buf Receives up to @p len bytes (holes read as zeros).
 * @param len Bytes wanted; 0 is allowed.
 * @param[out] nread Bytes read: less than @p len only at end of file
 *        (0 at or past it).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL (@p buf may be NULL when @p len is 0).
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p fd was opened #MK_O_WRONLY.
 * @retval MK_EISDIR @p fd is a directory (use mk_vfs_readdir()).
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_read(mk_t *k, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                       size_t *nread);

/**
 * @brief Write at the descriptor's offset (or at the end with #MK_O_APPEND)
 *        and advance it. Writing past the end leaves a hole that reads as
 *        zeros.
 *
 * When the device fills up part-way, the bytes that fit are written and the
 * call succeeds with a short count; the next write then fails with
 * MK_ENOSPC (the POSIX convention). Data already stored is never lost.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor opened with write access.
 * @param buf Bytes to write (may be NULL when @p len is 0).
 * @param len Number of bytes.
 * @param[out] nwritten Bytes written (equal to @p len unless the device
 *        filled up).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p fd was opened #MK_O_RDONLY.
 * @retval MK_ENOSPC Not one byte could be stored: the device is full.
 * @retval MK_ERANGE The write would pass the largest file size the format
 *         can address.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_write(mk_t *k, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                        size_t *nwritten);

/**
 * @brief Read at an explicit offset; the descriptor's offset is unchanged.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor opened with read access.
 * @param[out] buf Receives up to @p len bytes.
 * @param len Bytes wanted.
 * @param offset Byte offset in the file; past the end reads 0 bytes.
 * @param[out] nread Bytes read.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p fd was opened #MK_O_WRONLY.
 * @retval MK_EISDIR @p fd is a directory.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_pread(mk_t *k, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                        uint64_t offset, size_t *nread);

/**
 * @brief Write at an explicit offset (even with #MK_O_APPEND); the
 *        descriptor's offset is unchanged. Short writes as mk_vfs_write().
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor opened with write access.
 * @param buf Bytes to write.
 * @param len Number of bytes.
 * @param offset Byte offset in the file.
 * @param[out] nwritten Bytes written.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p fd was opened #MK_O_RDONLY.
 * @retval MK_ENOSPC The device is full.
 * @retval MK_ERANGE @p offset + @p len passes the largest file size.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_pwrite(mk_t *k, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                         uint64_t offset, size_t *nwritten);

/**
 * @brief Move the descriptor's offset. Seeking past the end is allowed (a
 *        later write leaves a hole).
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor (file or directory; on a directory only offset 0 with
 *        #MK_SEEK_SET is allowed, and restarts mk_vfs_readdir()).
 * @param offset Signed byte offset relative to @p whence.
 * @param whence #MK_SEEK_SET, #MK_SEEK_CUR or #MK_SEEK_END.
 * @param[out] newpos The new offset from the start of the file (may be NULL).
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, @p whence is unknown, or the result would
 *         be negative (or a bad directory seek).
 * @retval MK_ERANGE The result passes 2^63 - 1.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @since 1.0
 */
MK_API int mk_vfs_seek(mk_t *k, mk_pid_t pid, mk_fd_t fd, int64_t offset, uint32_t whence,
                       uint64_t *newpos);

/**
 * @brief Set the size of an open regular file: shrinking frees the blocks
 *        past the end, growing leaves a hole that reads as zeros.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor opened with write access.
 * @param length New size in bytes.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p fd was opened #MK_O_RDONLY.
 * @retval MK_EISDIR @p fd is a directory.
 * @retval MK_ERANGE @p length passes the largest file size.
 * @retval MK_ENOSPC An indirect block could not be allocated while zeroing.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_ftruncate(mk_t *k, mk_pid_t pid, mk_fd_t fd, uint64_t length);

/**
 * @brief Set the size of a regular file named by path (see mk_vfs_ftruncate()).
 * @param k Context.
 * @param path Absolute path of a regular file.
 * @param length New size in bytes.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p path is NULL, or the path is not absolute.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT The path does not exist or is under no mount.
 * @retval MK_ENOTDIR A path component is not a directory.
 * @retval MK_EISDIR The path names a directory.
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_ERANGE @p length passes the largest file size.
 * @retval MK_ENOSPC An indirect block could not be allocated.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_truncate(mk_t *k, const char *path, uint64_t length);

/**
 * @brief Write the file system holding an open file to its device (every
 *        dirty block of the device and the superblock), then sync the device.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EIO The device failed; the data stays dirty in the cache.
 * @since 1.0
 */
MK_API int mk_vfs_fsync(mk_t *k, mk_pid_t pid, mk_fd_t fd);

/**
 * @brief Write every mounted file system to its device (see mk_vfs_fsync()).
 * @param k Context.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EIO A device failed; its data stays dirty in the cache.
 * @since 1.0
 */
MK_API int mk_vfs_sync(mk_t *k);

/**
 * @brief Remove a regular file's name; with its last name the file is freed.
 *
 * As in POSIX, a file that is open (by any pid) can be removed: the name
 * goes at once (the path is free for a new file), the open descriptors go
 * on reading and writing the file (mk_vfs_fstat() shows 0 links), and its
 * inode and blocks are freed when the last descriptor is closed (or its
 * process ends, or the context is destroyed). If the power is cut before
 * that, the unreachable file is what mk_fs_fsck() reports and repairs as
 * a leaked inode and leaked blocks (ext2's behaviour).
 * @param k Context.
 * @param path Absolute path.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p path is NULL, or the path is not absolute.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT The path does not exist or is under no mount.
 * @retval MK_ENOTDIR A path component is not a directory.
 * @retval MK_EISDIR The path names a directory (use mk_vfs_rmdir()).
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_unlink(mk_t *k, const char *path);

/**
 * @brief Create an empty directory (with its "." and ".." entries).
 * @param k Context.
 * @param path Absolute path; its parent must be an existing directory.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p path is NULL, or the path is not absolute.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT The parent does not exist or the path is under no mount.
 * @retval MK_ENOTDIR A path component is not a directory.
 * @retval MK_EEXIST The path exists (a mount point always exists).
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_ENOSPC No free inode or block.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_mkdir(mk_t *k, const char *path);

/**
 * @brief Remove an empty directory.
 * @param k Context.
 * @param path Absolute path.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p path is NULL, or the path is not absolute.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT The path does not exist or is under no mount.
 * @retval MK_ENOTDIR The path (or a component) is not a directory.
 * @retval MK_ENOTEMPTY The directory holds entries besides "." and "..".
 * @retval MK_EBUSY The path is a mount point (the root of a mount), or the
 *         directory is open.
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_rmdir(mk_t *k, const char *path);

/**
 * @brief Rename (move) a file or directory within one mounted file system.
 *
 * An existing target is replaced when it is a regular file (and the source
 * is one too) or an empty directory (and the source is a directory). A
 * replaced file that is open lives on for its descriptors until the last
 * one closes, as for mk_vfs_unlink(); an open directory cannot be replaced.
 * Renaming a path to itself succeeds and changes nothing.
 * @param k Context.
 * @param from Absolute path of an existing file or directory.
 * @param to Absolute path of the new name; its parent must exist.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, a path is not absolute, or a
 *         directory would move into its own subtree.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT @p from (or the parent of @p to) does not exist or is
 *         under no mount.
 * @retval MK_ENOTDIR A path component is not a directory, or a directory
 *         would replace a regular file.
 * @retval MK_EISDIR A regular file would replace a directory.
 * @retval MK_ENOTEMPTY The target is a non-empty directory.
 * @retval MK_EXDEV @p from and @p to are on different mounts.
 * @retval MK_EBUSY @p from or @p to is a mount point, or the target is an
 *         open directory.
 * @retval MK_ENAMETOOLONG A path or a component is too long.
 * @retval MK_ENOSPC The target directory had to grow and the device is full.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_rename(mk_t *k, const char *from, const char *to);

/**
 * @brief File status, filled by mk_vfs_stat() and mk_vfs_fstat().
 *
 * The caller sets @c size; the library writes at most that many bytes.
 * @since 1.0
 */
typedef struct mk_stat {
    /** Size of this structure in bytes, set by the caller to sizeof(mk_stat_t). */
    uint32_t size;
    /** ::mk_file_type of the file. */
    uint32_t type;
    /** Inode number, unique within its file system (not across mounts). */
    uint64_t ino;
    /** Length of the file in bytes (for a directory: of its entry table). */
    uint64_t bytes;
    /** Device blocks allocated to the file (data and indirect blocks), in
     *  units of the file system's block size; holes take none. */
    uint64_t blocks;
    /** Number of directory entries naming the file (2 + subdirectories for
     *  a directory). */
    uint64_t nlink;
    /** Time of the last change of the inode (creation, size, links), in
     *  virtual-clock ticks (mk_clock_now()). */
    uint64_t ctime;
    /** Time of the last change of the contents, in virtual-clock ticks. */
    uint64_t mtime;
} mk_stat_t;

/**
 * @brief Status of the file or directory at a path.
 * @param k Context.
 * @param path Absolute path (a mount point gives the mounted root).
 * @param[in,out] out Caller sets @c out->size.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, the path is not absolute, or
 *         @c out->size is smaller than the 1.0 structure.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT The path does not exist or is under no mount.
 * @retval MK_ENOTDIR A path component is not a directory.
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_stat(mk_t *k, const char *path, mk_stat_t *out);

/**
 * @brief Status of an open file.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param fd Descriptor.
 * @param[in,out] out Caller sets @c out->size.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @c out->size is too small.
 * @retval MK_EBADH @p k was destroyed, or @p fd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_fstat(mk_t *k, mk_pid_t pid, mk_fd_t fd, mk_stat_t *out);

/**
 * @brief One directory entry, filled by mk_vfs_readdir().
 *
 * The caller sets @c size; the library writes at most that many bytes.
 * @since 1.0
 */
typedef struct mk_dirent {
    /** Size of this structure in bytes, set by the caller to sizeof(mk_dirent_t). */
    uint32_t size;
    /** ::mk_file_type of the entry. */
    uint32_t type;
    /** Inode number of the entry. */
    uint64_t ino;
    /** NUL-terminated name, at most #MK_NAME_MAX bytes ("." and ".." too). */
    char name[MK_NAME_MAX + 1];
} mk_dirent_t;

/**
 * @brief Read the next entry of an open directory.
 *
 * Entries come in on-disk order, starting with "." and "..". Entries added
 * or removed while reading may or may not be seen; none is returned twice.
 * mk_vfs_seek(fd, 0, MK_SEEK_SET) starts over.
 * @param k Context.
 * @param pid Owner of the descriptor.
 * @param dirfd Descriptor of a directory.
 * @param[in,out] ent Caller sets @c ent->size; filled when @p *got is 1.
 * @param[out] got 1 when an entry was returned, 0 at the end.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @c ent->size is too small.
 * @retval MK_EBADH @p k was destroyed, or @p dirfd is not a descriptor of @p pid.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_ENOTDIR @p dirfd is a regular file.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_readdir(mk_t *k, mk_pid_t pid, mk_fd_t dirfd, mk_dirent_t *ent,
                          uint32_t *got);

/**
 * @brief Capacity and usage of a mounted file system, filled by
 *        mk_vfs_statfs().
 *
 * The caller sets @c size; the library writes at most that many bytes.
 * @since 1.0
 */
typedef struct mk_statfs {
    /** Size of this structure in bytes, set by the caller to sizeof(mk_statfs_t). */
    uint32_t size;
    /** Block size of the file system in bytes (the device's). */
    uint32_t block_size;
    /** Total blocks of the file system, metadata included. */
    uint64_t blocks;
    /** Blocks free for data. */
    uint64_t free_blocks;
    /** Total inodes (inode 0 is reserved and not counted as free). */
    uint64_t inodes;
    /** Inodes free for new files and directories. */
    uint64_t free_inodes;
} mk_statfs_t;

/**
 * @brief Capacity and usage of the file system that holds a path.
 * @param k Context.
 * @param path Absolute path of any existing file or directory in the mount.
 * @param[in,out] out Caller sets @c out->size.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, the path is not absolute, or
 *         @c out->size is too small.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT The path does not exist or is under no mount.
 * @retval MK_ENOTDIR A path component is not a directory.
 * @retval MK_ENAMETOOLONG The path or a component is too long.
 * @retval MK_ECORRUPT A damaged on-disk structure was met.
 * @retval MK_EIO The device failed.
 * @since 1.0
 */
MK_API int mk_vfs_statfs(mk_t *k, const char *path, mk_statfs_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_VFS_H */
