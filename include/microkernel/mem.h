/**
 * @file mem.h
 * @brief Simulated memory: heaps, memory blocks, quotas, sharing.
 *
 * A context owns one simulated memory of @c mem_size bytes (see
 * ::mk_config_t), either allocated by the library or supplied by the caller.
 * Heaps are carved from it; memory blocks are carved from heaps. A block's
 * bytes are real bytes inside the simulated memory: they are read and
 * written through bounds-checked calls (mk_mem_read(), mk_mem_write()) or,
 * for C code, through a raw pointer (mk_mem_ptr()).
 *
 * Three heap kinds exist (after the allocators of the "microkernel" seed):
 *  - #MK_HEAP_BUMP: sequential allocation; a free only counts, and the whole
 *    heap becomes reusable when its last live block is freed (or on
 *    mk_heap_reset()).
 *  - #MK_HEAP_FREELIST: blocks of any size, split on allocation and
 *    coalesced with their free neighbours on free, kept on segregated free
 *    lists with two-level bitmaps so that allocation and free take bounded
 *    time (TLSF, Masmano et al., ECRTS 2004).
 *  - #MK_HEAP_FIXED: power-of-two size classes from
 *    #MK_HEAP_FIXED_MIN_CLASS to #MK_HEAP_FIXED_MAX_CLASS bytes, one list per
 *    class, carved in slabs of #MK_HEAP_FIXED_SLAB bytes; larger requests
 *    fall back to a free-list heap (the default heap unless another is set
 *    with mk_heap_set_fallback()).
 *
 * Every context starts with the default free-list heap (#MK_HEAP_DEFAULT) of
 * @c default_heap_size bytes; the rest of the simulated memory is available
 * to mk_heap_create().
 *
 * Each block has an owner pid. Each process (and the kernel, pid 0) has a
 * usage account: bytes requested by the blocks it owns, a quota, and a count
 * of memory violations (allocations refused by the quota, accesses out of a
 * block's bounds, accesses to a block it may not touch). Destroying a process
 * frees every block it owns and withdraws every share made to it.
 *
 * Thread safety: every function may be called from any host thread at the
 * same time on the same context; bytes are never copied under the
 * context's memory lock (a copy of up to 256 bytes by a block's owner may
 * be made under a per-thread cache's lock, see below).
 *
 * Per-thread caches (after Bonwick & Adams, "Magazines and Vmem", USENIX
 * 2001): each host thread that allocates keeps, per context and per heap,
 * small stacks of blocks it freed (requests up to 512 bytes; bump and
 * free-list heaps by size rounded to #MK_MEM_ALIGN, fixed-block heaps by
 * size class), and quota credit for one pid at a time, charged to that
 * pid's account in batches of up to 16 KiB. When a thread allocates for
 * that pid a size whose stack is not empty and its credit covers it, or
 * frees a block it allocated, the call takes only that thread's cache
 * lock; any other case takes the context's memory lock (one short
 * critical section; the allocators are O(1)). None of this changes what
 * the API reports:
 *  - a freed block's handle is dead at once, whichever cache the block
 *    sits in (@c MK_EBADH for a second free, a read, mk_mem_info());
 *  - mk_mem_usage() and mk_mem_check() report the exact bytes of the
 *    blocks the pid owns, and an allocation fails with @c MK_EQUOTA only
 *    when those exact bytes plus the request exceed the quota: the credit
 *    other threads hold for the pid is taken back before refusing;
 *  - mk_heap_stats(), mk_heap_reset() and mk_heap_destroy() first return
 *    every cached block of the heap to it, so cached blocks count as free
 *    and never keep a heap busy; an allocation that finds the heap full
 *    does the same before failing with @c MK_ENOMEM;
 *  - destroying a process frees its blocks wherever they are cached; a
 *    thread that exits gives its cache back (its live blocks stay live);
 *    mk_destroy() releases every cache.
 * What the caches do change: between such calls, a pid's account inside
 * the library may be charged up to 16 KiB + 512 bytes per thread more than
 * its blocks use (unused credit; at most the quota); a heap holds the
 * cached blocks as allocated until one of the calls above returns them, so
 * a bump heap is reused from its start only then; a block freed and
 * allocated again by the same thread usually comes back at the same
 * address; and in a free-list heap a request may be served by a parked
 * block carved for up to 48 bytes more (its @c used then counts the
 * larger block). A thread parks at most 64 blocks per free-list heap, so
 * returning them (before @c MK_ENOMEM) adds a bounded number of frees to
 * the heap's worst-case operation.
 */
#ifndef MICROKERNEL_MEM_H
#define MICROKERNEL_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Handle of a heap; #MK_HEAP_DEFAULT names the default heap. @since 1.0 */
typedef uint64_t mk_heap_t;

/** @brief Handle of a memory block; never 0 for a valid block. @since 1.0 */
typedef uint64_t mk_block_t;

/** @brief The context's default free-list heap; it cannot be destroyed. @since 1.0 */
#define MK_HEAP_DEFAULT ((mk_heap_t)0)

/** @brief Smallest heap size accepted by mk_heap_create(), in bytes. @since 1.0 */
#define MK_HEAP_MIN_SIZE 256u

/** @brief Alignment of every block's first byte within the simulated memory,
 *         and the granularity of bump and free-list heaps, in bytes. @since 1.0 */
#define MK_MEM_ALIGN 16u

/** @brief Bytes of bookkeeping a free-list heap keeps in front of each
 *         block (a boundary tag). @since 1.0 */
#define MK_HEAP_FREELIST_OVERHEAD 16u

/** @brief Smallest size class of a fixed-block heap, in bytes. @since 1.0 */
#define MK_HEAP_FIXED_MIN_CLASS 16u

/** @brief Largest size class of a fixed-block heap, in bytes; larger
 *         requests go to the heap's fallback free-list heap. @since 1.0 */
#define MK_HEAP_FIXED_MAX_CLASS 2048u

/** @brief Slab size of a fixed-block heap, in bytes: the unit in which its
 *         memory is handed to a size class, and the granularity of its
 *         capacity. @since 1.0 */
#define MK_HEAP_FIXED_SLAB 4096u

/** @brief Heap kinds. @since 1.0 */
enum mk_heap_kind {
    /** Sequential (bump) allocator: memory is reused only when every block
     *  has been freed, or on mk_heap_reset(). */
    MK_HEAP_BUMP = 1,
    /** Free-list allocator with split and coalesce, TLSF segregated lists. */
    MK_HEAP_FREELIST = 2,
    /** Fixed-size-block allocator: power-of-two size classes. */
    MK_HEAP_FIXED = 3
};

/**
 * @brief Carve a new heap from the simulated memory.
 *
 * The heap takes the first free range of the simulated memory that is large
 * enough (first fit). Bump and free-list heaps round @p size up to a multiple
 * of #MK_MEM_ALIGN, fixed-block heaps to a multiple of #MK_HEAP_FIXED_SLAB;
 * mk_heap_stats() reports the result as @c capacity. A fixed-block heap
 * falls back to #MK_HEAP_DEFAULT for requests above
 * #MK_HEAP_FIXED_MAX_CLASS until mk_heap_set_fallback() names another heap.
 * @param k Context.
 * @param kind One of ::mk_heap_kind.
 * @param size Bytes of simulated memory for the heap; #MK_HEAP_MIN_SIZE …
 *        free space of the simulated memory.
 * @param[out] out Receives the heap's handle; release it with
 *        mk_heap_destroy() (mk_destroy() releases every heap).
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p out is NULL, @p kind is not a heap kind, or
 *         @p size is 0.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ERANGE @p size is below #MK_HEAP_MIN_SIZE.
 * @retval MK_ENOMEM No free range of the simulated memory is large enough,
 *         or the host could not supply memory for the heap's bookkeeping.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_heap_create(mk_t *k, uint32_t kind, uint64_t size, mk_heap_t *out);

/**
 * @brief Destroy a heap and return its range to the simulated memory.
 * @param k Context.
 * @param h Heap handle. Destroying a heap that was already destroyed is
 *        reported with @c MK_EBADH (the handle is stale).
 * @retval 0 Success; @p h is no longer valid.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p h is stale or forged.
 * @retval MK_EPERM @p h is #MK_HEAP_DEFAULT, which cannot be destroyed.
 * @retval MK_EBUSY The heap still holds live blocks, or a fixed-block heap
 *         uses it as its fallback.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_heap_destroy(mk_t *k, mk_heap_t h);

/**
 * @brief Make the whole of a bump heap available again.
 *
 * A bump heap already resets itself when its last live block is freed;
 * this call does so explicitly. Counters (allocs, frees, failed, high water)
 * are kept.
 * @param k Context.
 * @param h Handle of a bump heap.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p h is stale or forged.
 * @retval MK_EBUSY The heap holds live blocks.
 * @retval MK_ENOTSUP The heap is not a bump heap.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_heap_reset(mk_t *k, mk_heap_t h);

/**
 * @brief Name the free-list heap that serves a fixed-block heap's requests
 *        larger than #MK_HEAP_FIXED_MAX_CLASS.
 *
 * While it is a fallback, @p fallback cannot be destroyed (@c MK_EBUSY).
 * Blocks already allocated stay where they are.
 * @param k Context.
 * @param fixed Handle of a fixed-block heap.
 * @param fallback Handle of a free-list heap (#MK_HEAP_DEFAULT allowed).
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, @p fixed is not a fixed-block heap, or
 *         @p fallback is not a free-list heap.
 * @retval MK_EBADH @p k was destroyed, or a handle is stale or forged.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_heap_set_fallback(mk_t *k, mk_heap_t fixed, mk_heap_t fallback);

/**
 * @brief Heap statistics, a snapshot taken under the heap's lock.
 *
 * Byte counts are exact. For every kind, @c used + @c free = @c capacity.
 * @since 1.0
 */
typedef struct mk_heap_stats {
    /** Size of this structure in bytes; the caller sets it to
     *  sizeof(mk_heap_stats_t). */
    uint32_t size;
    /** Heap kind, one of ::mk_heap_kind. */
    uint32_t kind;
    /** Bytes of simulated memory the heap manages. */
    uint64_t capacity;
    /** Bytes of the heap that are not available to new allocations, in
     *  bytes: for a free-list heap, live blocks with their boundary tags and
     *  rounding; for a bump heap, everything below the bump pointer (freed
     *  blocks included until the heap resets); for a fixed-block heap, the
     *  class sizes of its live blocks. */
    uint64_t used;
    /** Bytes available to new allocations: @c capacity - @c used. */
    uint64_t free;
    /** Largest free extent in bytes: for a free-list heap, the largest free
     *  block (boundary tag included, so the largest request it can satisfy
     *  is this minus #MK_HEAP_FREELIST_OVERHEAD); for a bump heap, the
     *  space above the bump pointer; for a fixed-block heap, the longest
     *  run of unused slabs (#MK_HEAP_FIXED_SLAB bytes each) or, if larger,
     *  the largest size class that has a free slot; 0 when full. */
    uint64_t largest_free;
    /** Highest value @c used has reached, in bytes. Blocks parked in
     *  per-thread caches (see the file description) count as used until
     *  they are returned, so this can exceed the peak of live blocks by
     *  what the caches held at that moment. */
    uint64_t high_water;
    /** Blocks allocated from this heap and not yet freed. */
    uint64_t live_blocks;
    /** Successful allocations from this heap since it was created. */
    uint64_t allocs;
    /** Frees of blocks of this heap since it was created. */
    uint64_t frees;
    /** Allocations refused because the heap had no room (@c MK_ENOMEM);
     *  quota refusals are not counted here. */
    uint64_t failed;
    /** Fragmentation of the free space in permille:
     *  1000 × (1 − @c largest_free / @c free), rounded down; 0 when nothing
     *  is free. */
    uint32_t fragmentation_permille;
    /** Reserved, written as 0 (keeps the next field 8-byte aligned). */
    uint32_t reserved;
    /** Bytes requested by the live blocks of this heap (sum of their sizes
     *  as asked by the callers, before rounding and overhead). */
    uint64_t requested;
} mk_heap_stats_t;

/**
 * @brief Read a heap's statistics.
 *
 * Every block parked in a per-thread cache of this heap is first returned
 * to it (see the file description), so the figures are those of a heap
 * without caches: exact live blocks, bytes and counts. This takes every
 * thread's cache lock in turn: it is meant for monitoring, not for a hot
 * loop.
 * @param k Context.
 * @param h Heap handle (#MK_HEAP_DEFAULT allowed).
 * @param[in,out] out Structure whose @c size the caller set; at most that
 *        many bytes are written.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p out is NULL, or @c out->size is smaller than
 *         the 1.0 structure.
 * @retval MK_EBADH @p k was destroyed, or @p h is stale or forged.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_heap_stats(mk_t *k, mk_heap_t h, mk_heap_stats_t *out);

/**
 * @brief Allocate a memory block for a process.
 *
 * The block's bytes are not cleared. The requested size counts against the
 * quota of @p pid; a refusal by the quota also counts a memory violation
 * for @p pid.
 * @param k Context.
 * @param pid Owner: a live process, or #MK_PID_KERNEL (never limited).
 * @param heap Heap to allocate from (#MK_HEAP_DEFAULT allowed). A fixed-
 *        block heap passes requests above #MK_HEAP_FIXED_MAX_CLASS to its
 *        fallback heap, which then holds the block.
 * @param size Bytes, 1 … the heap's capacity.
 * @param[out] out Receives the block's handle; the block lives until
 *        mk_mem_free() or the owner's destruction.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p out is NULL, or @p size is 0.
 * @retval MK_EBADH @p k was destroyed, or @p heap is stale or forged.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EQUOTA The allocation would take @p pid past its quota.
 * @retval MK_ENOMEM The heap has no free extent large enough, or the host
 *         could not supply memory for the block's record.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_alloc(mk_t *k, mk_pid_t pid, mk_heap_t heap, uint64_t size, mk_block_t *out);

/**
 * @brief Free a memory block.
 * @param k Context.
 * @param pid The block's owner.
 * @param b Block handle.
 * @retval 0 Success; @p b is no longer valid.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p pid does not own @p b (a process the block is shared
 *         with may not free it either).
 * @since 1.0
 * @note Thread-safe. A read or write of the block running on another thread
 *       completes before the block's memory is reused.
 */
MK_API int mk_mem_free(mk_t *k, mk_pid_t pid, mk_block_t b);

/**
 * @brief Copy bytes out of a memory block.
 * @param k Context.
 * @param pid Reader: the owner or a process the block is shared with.
 * @param b Block handle.
 * @param offset First byte to read, from the start of the block.
 * @param[out] buf Destination of @p len bytes; may be NULL when @p len is 0.
 * @param len Bytes to read; @p offset + @p len must not pass the block's
 *        size.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, or @p buf is NULL and @p len is not 0.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p pid may not access @p b (a memory violation is
 *         counted for @p pid).
 * @retval MK_EFAULT The range passes the end of the block (a memory
 *         violation is counted for @p pid; nothing is copied).
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_read(mk_t *k, mk_pid_t pid, mk_block_t b, uint64_t offset, void *buf,
                       uint64_t len);

/**
 * @brief Copy bytes into a memory block.
 * @param k Context.
 * @param pid Writer: the owner or a process the block is shared with.
 * @param b Block handle.
 * @param offset First byte to write, from the start of the block.
 * @param buf Source of @p len bytes; may be NULL when @p len is 0.
 * @param len Bytes to write; @p offset + @p len must not pass the block's
 *        size.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, or @p buf is NULL and @p len is not 0.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p pid may not access @p b (a memory violation is
 *         counted for @p pid).
 * @retval MK_EFAULT The range passes the end of the block (a memory
 *         violation is counted for @p pid; nothing is written).
 * @since 1.0
 * @note Thread-safe; concurrent writes to overlapping bytes of one block
 *       are not ordered.
 */
MK_API int mk_mem_write(mk_t *k, mk_pid_t pid, mk_block_t b, uint64_t offset,
                        const void *buf, uint64_t len);

/**
 * @brief Get a raw pointer to a block's first byte, for C callers.
 *
 * The pointer addresses the block's size in bytes inside the simulated
 * memory, aligned to #MK_MEM_ALIGN. Nothing checks accesses made through
 * it: writing past the block's size may corrupt the heap.
 * @param k Context.
 * @param pid The owner or a process the block is shared with.
 * @param b Block handle.
 * @param[out] out Receives the pointer; valid until the block is freed (by
 *        mk_mem_free(), the owner's destruction or mk_destroy()). The
 *        caller must not free it.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p out is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p pid may not access @p b (a memory violation is
 *         counted for @p pid).
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_ptr(mk_t *k, mk_pid_t pid, mk_block_t b, void **out);

/**
 * @brief Description of a memory block.
 * @since 1.0
 */
typedef struct mk_block_info {
    /** Size of this structure in bytes; the caller sets it to
     *  sizeof(mk_block_info_t). */
    uint32_t size;
    /** Pid of the owner (#MK_PID_KERNEL for the kernel). */
    mk_pid_t owner;
    /** Size of the block in bytes, as requested. */
    uint64_t bytes;
    /** Offset of the block's first byte in the simulated memory, in bytes
     *  (from the start of @c mem_region when the caller supplied one). */
    uint64_t addr;
    /** Heap holding the block (#MK_HEAP_DEFAULT for the default heap). */
    mk_heap_t heap;
    /** Number of processes the block is shared with. */
    uint32_t shares;
    /** Reserved, written as 0. */
    uint32_t reserved;
} mk_block_info_t;

/**
 * @brief Describe a memory block. Any caller may ask.
 * @param k Context.
 * @param b Block handle.
 * @param[in,out] out Structure whose @c size the caller set; at most that
 *        many bytes are written.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p out is NULL, or @c out->size is smaller than
 *         the 1.0 structure.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_info(mk_t *k, mk_block_t b, mk_block_info_t *out);

/**
 * @brief Let another process read, write and map a block (shared memory).
 *
 * Ownership does not move: only the owner may free the block, and the
 * share ends when either process is destroyed or mk_mem_unshare() is
 * called. A shared block does not count against @p other's quota.
 * @param k Context.
 * @param owner The block's owner.
 * @param b Block handle.
 * @param other Process to share with (#MK_PID_KERNEL allowed); not @p owner.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, or @p other is @p owner.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @retval MK_ENOENT @p owner or @p other is not a live process.
 * @retval MK_EPERM @p owner does not own @p b.
 * @retval MK_EEXIST The block is already shared with @p other.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_share(mk_t *k, mk_pid_t owner, mk_block_t b, mk_pid_t other);

/**
 * @brief Withdraw a share made with mk_mem_share().
 * @param k Context.
 * @param owner The block's owner.
 * @param b Block handle.
 * @param other Process the block is shared with.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p b is stale or forged.
 * @retval MK_ENOENT @p owner is not a live process, or the block is not
 *         shared with @p other.
 * @retval MK_EPERM @p owner does not own @p b.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_unshare(mk_t *k, mk_pid_t owner, mk_block_t b, mk_pid_t other);

/**
 * @brief Set a process's memory quota.
 *
 * The quota bounds the sum of the sizes of the blocks the process owns. A
 * quota below the current use is accepted; further allocations then fail
 * with @c MK_EQUOTA until enough is freed. Quota credit that per-thread
 * caches hold for @p pid (see the file description) is taken back first,
 * so the new quota applies to every later allocation exactly.
 * @param k Context.
 * @param pid A live process (not #MK_PID_KERNEL).
 * @param bytes Quota in bytes; 0 means unlimited. New processes start with
 *        the context's @c default_quota.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT @p pid is not a live process.
 * @retval MK_EPERM @p pid is #MK_PID_KERNEL, which has no quota.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_set_quota(mk_t *k, mk_pid_t pid, uint64_t bytes);

/**
 * @brief Read a process's memory use and quota.
 * @param k Context.
 * @param pid A live process or #MK_PID_KERNEL.
 * @param[out] used Receives the sum of the sizes of the blocks @p pid owns,
 *        in bytes, exactly: quota credit that per-thread caches hold for
 *        @p pid is not counted (see the file description); may be NULL.
 * @param[out] quota Receives the quota in bytes (0 = unlimited); may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT @p pid is not a live process.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_usage(mk_t *k, mk_pid_t pid, uint64_t *used, uint64_t *quota);

/**
 * @brief Ask whether an allocation of @p size bytes would fit @p pid's
 *        quota (microkernel-ultra's check_memory_violation).
 *
 * Only the quota is considered, not whether a heap has room. Nothing is
 * counted. The use compared is exact, as mk_mem_usage() reports it.
 * @param k Context.
 * @param pid A live process or #MK_PID_KERNEL.
 * @param size Bytes.
 * @retval 0 The allocation would fit.
 * @retval MK_EQUOTA It would not.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT @p pid is not a live process.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_check(mk_t *k, mk_pid_t pid, uint64_t size);

/**
 * @brief Read how many memory violations a process has committed: quota
 *        refusals, out-of-bounds reads and writes, and accesses to blocks
 *        it may not touch.
 * @param k Context.
 * @param pid A live process or #MK_PID_KERNEL.
 * @param[out] count Receives the count.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT @p pid is not a live process.
 * @since 1.0
 * @note Thread-safe.
 */
MK_API int mk_mem_violations(mk_t *k, mk_pid_t pid, uint64_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_MEM_H */
