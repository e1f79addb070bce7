/**
 * @file blk.h
 * @brief Block devices and the buffer cache.
 *
 * A block device is an array of fixed-size blocks. Three kinds exist:
 *  - RAM devices (mk_blk_create_ram()): sparse, a block takes host memory
 *    only once something other than zeros is written to it; unwritten
 *    blocks read as zeros.
 *  - Image devices (mk_blk_open_image()): a host file accessed with
 *    pread/pwrite/fsync, so the contents persist across runs and contexts.
 *  - Caller devices (mk_blk_register()): a table of callbacks plus a
 *    context pointer, in the manner of littlefs's block device.
 *
 * Every device has a unique name (for example "/dev/sda1") and is named in
 * calls by an opaque, generation-tagged handle, ::mk_dev_t; a handle of a
 * removed device is refused with MK_EBADH.
 *
 * All block I/O goes through one buffer cache per context (capacity
 * @c cache_blocks of ::mk_config_t), in the manner of xv6's bio.c and the
 * 4.4BSD buffer cache: hashed lookup by (device, block), a replacement
 * policy (#MK_CACHE_POLICY_2Q by default, or #MK_CACHE_POLICY_LRU; field
 * @c cache_policy), and write-back: mk_blk_write() only marks the cached
 * block dirty; the device sees the data on mk_cache_flush(), on eviction,
 * on mk_blk_remove(), at mk_destroy(), or when more than
 * @c cache_dirty_pct percent of the cache is dirty (then the oldest
 * unpinned dirty blocks are written back by the call that passed the
 * threshold). A dirty block is never dropped without being written: if the
 * device refuses the write the block stays dirty in the cache and the call
 * reports MK_EIO (threshold write-back reports nothing: the block simply
 * stays dirty).
 *
 * Read-ahead: a miss on the block that follows the last block looked up on
 * the same device reads up to @c cache_readahead blocks in one device
 * call (drivers always receive multi-block reads through the @c count
 * argument of mk_blk_ops_t::read).
 *
 * Events: with tracing on (trace.h) the cache emits MK_EV_CACHE_HIT,
 * MK_EV_CACHE_MISS, MK_EV_CACHE_EVICT and MK_EV_CACHE_WRITEBACK.
 *
 * Thread safety: every function may be called from any host thread at the
 * same time. Device callbacks of one device are never called concurrently
 * (the library serialises them per device), but callbacks of different
 * devices may run at the same time on different threads. A callback must not
 * call back into the blk or cache functions of the same context.
 */
#ifndef MICROKERNEL_BLK_H
#define MICROKERNEL_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Handle of a block device. 0 is never a valid handle.
 * @since 1.0
 */
typedef uint64_t mk_dev_t;

/** @brief Default block size in bytes, used when 0 is passed. @since 1.0 */
#define MK_BLK_SIZE_DEFAULT 4096
/** @brief Smallest block size in bytes. @since 1.0 */
#define MK_BLK_SIZE_MIN 512
/** @brief Largest block size in bytes. @since 1.0 */
#define MK_BLK_SIZE_MAX 65536

/**
 * @brief Buffer cache replacement policy: least recently used (xv6's
 *        bio.c). A long sequential scan flushes everything else. Value of
 *        @c cache_policy in ::mk_config_t. @since 1.0
 */
#define MK_CACHE_POLICY_LRU 1u
/**
 * @brief Buffer cache replacement policy: 2Q (T. Johnson and D. Shasha,
 *        "2Q: A Low Overhead High Performance Buffer Management Replacement
 *        Algorithm", VLDB 1994), full version with Kin = 25 % and
 *        Kout = 50 % of the capacity. Blocks seen once wait in a FIFO
 *        (A1in) and only blocks referenced again after leaving it enter the
 *        LRU main queue (Am), so a scan cannot flush the hot set. The
 *        default. @since 1.0
 */
#define MK_CACHE_POLICY_2Q 2u

/**
 * @brief Flag of mk_blk_open_image(): create the image file if it does not
 *        exist and extend it (with zeros) to @c nblocks blocks if it is
 *        shorter. @since 1.0
 */
#define MK_BLK_CREATE 0x1u

/**
 * @brief Driver of a caller-supplied block device: a table of callbacks.
 *
 * Every callback receives the @c ctx pointer given to mk_blk_register().
 * Block numbers and counts are in blocks of the device's block size; the
 * library never asks for a block at or past the end of the device. Calls on
 * one device are serialised by the library. The library keeps a copy of the
 * table, so it need not outlive mk_blk_register().
 * @since 1.0
 */
typedef struct mk_blk_ops {
    /** Size of this structure in bytes: set it to sizeof(mk_blk_ops_t). */
    uint32_t size;
    /** Read @p count blocks starting at @p blockno into @p buf
     *  (@p count × block size bytes). Required. Return 0, or MK_EIO on
     *  failure (any non-zero value is treated as MK_EIO). */
    int (*read)(void *ctx, uint64_t blockno, void *buf, uint32_t count);
    /** Write @p count blocks starting at @p blockno from @p buf. Required.
     *  Return 0, or MK_EIO on failure (any non-zero value is treated as
     *  MK_EIO); a failed write leaves the data dirty in the cache. */
    int (*write)(void *ctx, uint64_t blockno, const void *buf, uint32_t count);
    /** Make earlier writes durable; may be NULL (nothing to do). Return 0 or
     *  MK_EIO. */
    int (*sync)(void *ctx);
    /** Release @p ctx; may be NULL. Called exactly once, when the device is
     *  removed by mk_blk_remove() or at mk_destroy(), after the last read,
     *  write or sync. */
    void (*close)(void *ctx);
} mk_blk_ops_t;

/**
 * @brief Create a RAM block device, zero-filled and sparse.
 *
 * Host memory is taken per block on the first write of non-zero data, so a
 * large device costs nothing until it is written.
 * @param k Context.
 * @param name Unique device name, 1 … #MK_NAME_MAX bytes; copied.
 * @param block_size Block size in bytes: a power of two from
 *        #MK_BLK_SIZE_MIN to #MK_BLK_SIZE_MAX, or 0 for
 *        #MK_BLK_SIZE_DEFAULT.
 * @param nblocks Number of blocks, at least 1; @p nblocks × @p block_size
 *        must not exceed 2^62 bytes.
 * @param[out] out Receives the device handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p name or @p out is NULL, @p name is empty, the
 *         block size is invalid or @p nblocks is out of range.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_EEXIST A device of that name exists.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_blk_create_ram(mk_t *k, const char *name, uint32_t block_size,
                             uint64_t nblocks, mk_dev_t *out);

/**
 * @brief Open a host file as a block device (an image).
 *
 * The file is read and written with pread/pwrite and synced with fsync on
 * flush; it stays open until the device is removed. Without
 * #MK_BLK_CREATE the file must exist and, when @p nblocks is 0, its size
 * must be a non-zero multiple of the block size. With #MK_BLK_CREATE a
 * missing file is created and a shorter one extended with zeros to
 * @p nblocks blocks. Opening the same file twice in one context is
 * refused (two caches over one file would disagree).
 * @param k Context.
 * @param name Unique device name, 1 … #MK_NAME_MAX bytes; copied.
 * @param path Host path of the image file; copied.
 * @param block_size Block size in bytes: a power of two from
 *        #MK_BLK_SIZE_MIN to #MK_BLK_SIZE_MAX, or 0 for
 *        #MK_BLK_SIZE_DEFAULT.
 * @param nblocks Number of blocks; 0 means the file's size divided by the
 *        block size. When not 0, the file must hold at least that many
 *        blocks unless #MK_BLK_CREATE is given.
 * @param flags 0 or #MK_BLK_CREATE.
 * @param[out] out Receives the device handle.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, @p name is empty, the block size or
 *         @p flags is invalid, the file size is not a multiple of the block
 *         size, is 0, or is shorter than @p nblocks blocks.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_EEXIST A device of that name exists.
 * @retval MK_EBUSY The file is already open as another device of @p k, or
 *         another OS process has it open (images are locked with flock(2)
 *         while open: two kernels writing back into one file would corrupt
 *         it). Other contexts of the same process may share the file.
 * @retval MK_ENOENT The file does not exist and #MK_BLK_CREATE was not
 *         given.
 * @retval MK_EIO Any other host error (permissions, I/O, extending).
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_blk_open_image(mk_t *k, const char *name, const char *path,
                             uint32_t block_size, uint64_t nblocks, uint32_t flags,
                             mk_dev_t *out);

/**
 * @brief Register a block device driven by caller callbacks.
 * @param k Context.
 * @param name Unique device name, 1 … #MK_NAME_MAX bytes; copied.
 * @param ops Callback table; @c ops->size must be at least the size of the
 *        1.0 structure and @c read and @c write must be set. Copied.
 * @param ctx Passed to every callback. On success the device owns it until
 *        @c ops->close is called; on failure the caller keeps it (close is
 *        not called).
 * @param block_size Block size in bytes: a power of two from
 *        #MK_BLK_SIZE_MIN to #MK_BLK_SIZE_MAX, or 0 for
 *        #MK_BLK_SIZE_DEFAULT.
 * @param nblocks Number of blocks, at least 1; @p nblocks × @p block_size
 *        must not exceed 2^62 bytes.
 * @param[out] out Receives the device handle.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL, @p name is empty, @c ops->size is
 *         too small, a required callback is missing, or the geometry is
 *         invalid.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_EEXIST A device of that name exists.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_blk_register(mk_t *k, const char *name, const mk_blk_ops_t *ops, void *ctx,
                           uint32_t block_size, uint64_t nblocks, mk_dev_t *out);

/**
 * @brief Find a device by name.
 * @param k Context.
 * @param name Device name.
 * @param[out] out Receives the device handle.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @p name is empty.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_ENOENT No device has that name.
 * @since 1.0
 */
MK_API int mk_blk_lookup(mk_t *k, const char *name, mk_dev_t *out);

/**
 * @brief Remove a device: write back its dirty blocks, sync it, drop its
 *        blocks from the cache and close it (calls @c close of a caller
 *        device, closes an image file, frees a RAM device's memory).
 *
 * The handle and the name become free; later calls with the handle get
 * MK_EBADH.
 * @param k Context.
 * @param dev Device handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed or @p dev is stale, forged or 0.
 * @retval MK_EBUSY The device is in use: mounted, one of its blocks is
 *         pinned, another thread is doing I/O on it or removing it. Nothing
 *         was changed.
 * @retval MK_EIO Writing back or syncing failed; the device stays, its
 *         dirty blocks stay in the cache.
 * @since 1.0
 */
MK_API int mk_blk_remove(mk_t *k, mk_dev_t dev);

/**
 * @brief Geometry of a device.
 * @param k Context.
 * @param dev Device handle.
 * @param[out] block_size Receives the block size in bytes; may be NULL.
 * @param[out] nblocks Receives the number of blocks; may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a live device.
 * @since 1.0
 */
MK_API int mk_blk_info(mk_t *k, mk_dev_t dev, uint32_t *block_size, uint64_t *nblocks);

/**
 * @brief Read bytes of one block through the buffer cache.
 * @param k Context.
 * @param dev Device handle.
 * @param blockno Block number, 0 … nblocks − 1.
 * @param offset Byte offset inside the block.
 * @param[out] buf Receives @p len bytes; may be NULL only if @p len is 0.
 * @param len Number of bytes; @p offset + @p len must not exceed the block
 *        size.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, or @p buf is NULL with @p len > 0.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a live device.
 * @retval MK_ERANGE @p blockno is at or past the end of the device.
 * @retval MK_EMSGSIZE @p offset + @p len exceeds the block size.
 * @retval MK_EBUSY Every buffer of the cache is pinned, or the device is
 *         being removed.
 * @retval MK_EIO The device failed to read the block, or every evictable
 *         buffer was dirty and could not be written back.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_blk_read(mk_t *k, mk_dev_t dev, uint64_t blockno, uint32_t offset, void *buf,
                       size_t len);

/**
 * @brief Write bytes of one block through the buffer cache (write-back).
 *
 * The block is read into the cache first unless the whole block is
 * written; the bytes outside [@p offset, @p offset + @p len) are kept. The
 * block is marked dirty; the device sees it at the next flush, eviction,
 * removal or mk_destroy().
 * @param k Context.
 * @param dev Device handle.
 * @param blockno Block number, 0 … nblocks − 1.
 * @param buf The @p len bytes to write; may be NULL only if @p len is 0.
 * @param offset Byte offset inside the block.
 * @param len Number of bytes; @p offset + @p len must not exceed the block
 *        size.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, or @p buf is NULL with @p len > 0.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a live device.
 * @retval MK_ERANGE @p blockno is at or past the end of the device.
 * @retval MK_EMSGSIZE @p offset + @p len exceeds the block size.
 * @retval MK_EBUSY Every buffer of the cache is pinned, or the device is
 *         being removed.
 * @retval MK_EIO The device failed to read the block, or every evictable
 *         buffer was dirty and could not be written back.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_blk_write(mk_t *k, mk_dev_t dev, uint64_t blockno, uint32_t offset,
                        const void *buf, size_t len);

/**
 * @brief Write every dirty block of a device (or of every device) to the
 *        device, then ask the device to sync.
 *
 * Blocks whose write fails stay dirty in the cache, so a later flush can
 * retry them; the other blocks are still written.
 * @param k Context.
 * @param dev Device handle, or 0 for every device.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed or @p dev is not a live device.
 * @retval MK_EBUSY @p dev is being removed.
 * @retval MK_EIO A write or a sync failed.
 * @since 1.0
 */
MK_API int mk_cache_flush(mk_t *k, mk_dev_t dev);

/**
 * @brief Evict the unpinned block the replacement policy would evict next
 *        (the least recently used one under #MK_CACHE_POLICY_LRU; under
 *        #MK_CACHE_POLICY_2Q the oldest of the A1in FIFO when it is over
 *        its share, else the least recently used of Am), writing it to its
 *        device first if it is dirty.
 *
 * If that write fails the block stays cached and dirty and the next
 * candidate is tried.
 * @param k Context.
 * @param[out] evicted Receives the number of blocks evicted, 0 (nothing
 *        evictable: the cache is empty or every block is pinned) or 1; may
 *        be NULL.
 * @retval 0 Success (also when nothing could be evicted).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EIO Every candidate was dirty and its write-back failed;
 *         nothing was evicted and nothing lost.
 * @since 1.0
 */
MK_API int mk_cache_evict(mk_t *k, uint64_t *evicted);

/**
 * @brief Buffer cache statistics.
 *
 * The caller sets @c size to sizeof(mk_cache_stats_t); the library writes
 * at most that many bytes, so a caller built against the first layout
 * (#MK_CACHE_STATS_SIZE_V0 bytes, up to @c dev_writes) gets those fields
 * only. Counters count since the context was created.
 * @since 1.0
 */
typedef struct mk_cache_stats {
    /** Size of this structure in bytes, set by the caller. */
    uint32_t size;
    /** Capacity of the cache in blocks (@c cache_blocks of ::mk_config_t). */
    uint32_t capacity;
    /** Blocks currently held in the cache with valid contents. */
    uint64_t cached;
    /** Cached blocks modified and not yet written to their device. */
    uint64_t dirty;
    /** Cached blocks currently pinned by a user (the file system). */
    uint64_t pinned;
    /** Lookups that found the block in the cache. */
    uint64_t hits;
    /** Lookups that had to take a buffer for the block. */
    uint64_t misses;
    /** Valid blocks dropped from the cache to make room or by
     *  mk_cache_evict(). */
    uint64_t evictions;
    /** Dirty blocks successfully written back to their device. */
    uint64_t writebacks;
    /** Blocks read from devices. */
    uint64_t dev_reads;
    /** Blocks written to devices (successful or not). */
    uint64_t dev_writes;
    /* ---- appended after the first 1.0 layout (size-versioned) ---- */
    /** Active replacement policy: #MK_CACHE_POLICY_LRU or
     *  #MK_CACHE_POLICY_2Q (@c cache_policy of ::mk_config_t). */
    uint32_t policy;
    /** Read-ahead window in blocks (@c cache_readahead of ::mk_config_t);
     *  1 means read-ahead is off. */
    uint32_t readahead;
    /** Device reads that brought in blocks ahead of the one requested
     *  (one multi-block device call each). */
    uint64_t ra_reads;
    /** Blocks brought in ahead of need by read-ahead. */
    uint64_t ra_blocks;
    /** Read-ahead blocks that were later looked up (each counted once);
     *  such a lookup also counts in @c hits. */
    uint64_t ra_hits;
    /** Dirty blocks above which threshold write-back starts: capacity ×
     *  @c cache_dirty_pct / 100. */
    uint64_t dirty_limit;
    /** Dirty blocks written back because the dirty count passed
     *  @c dirty_limit (also counted in @c writebacks). */
    uint64_t threshold_writebacks;
} mk_cache_stats_t;

/**
 * @brief Size in bytes of the first (1.0) layout of ::mk_cache_stats_t,
 *        the smallest @c size mk_cache_stats() accepts. @since 1.0
 */
#define MK_CACHE_STATS_SIZE_V0 80u

/**
 * @brief Read the buffer cache statistics.
 * @param k Context.
 * @param[in,out] out Structure whose @c size the caller set.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p out is NULL, or @c out->size is smaller
 *         than the 1.0 structure (#MK_CACHE_STATS_SIZE_V0).
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_cache_stats(mk_t *k, mk_cache_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_BLK_H */
