/**
 * @file core.h
 * @brief The kernel context: creation, configuration, destruction, clock.
 *
 * Everything in libmk hangs off one opaque context, ::mk_t. A context owns
 * the simulated memory, the process table, IPC objects, semaphores, block
 * devices with their buffer cache and the mount table. Every call may be made
 * from any host thread at the same time on the same context, except
 * mk_destroy(), which must not race other calls on the same context.
 *
 * Objects are named by opaque 64-bit handles that carry a type tag and a
 * generation count, so a handle that was freed, never issued, or belongs to
 * another kind of object is detected and refused with MK_EBADH.
 */
#ifndef MICROKERNEL_CORE_H
#define MICROKERNEL_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque kernel context. @since 1.0 */
typedef struct mk mk_t;

/**
 * @brief Process identifier. 0 is never a process; #MK_PID_KERNEL names the
 *        kernel itself when host code acts for no process. @since 1.0
 */
typedef uint32_t mk_pid_t;

/** @brief The kernel's own identity: owns what no process owns. @since 1.0 */
#define MK_PID_KERNEL ((mk_pid_t)0)

/** @brief Largest pid a caller may choose (pids are 1 … MK_PID_MAX). @since 1.0 */
#define MK_PID_MAX ((mk_pid_t)0x7fffffff)

/** @brief Timeout value: do not wait at all (try once). @since 1.0 */
#define MK_NO_WAIT ((uint64_t)0)
/** @brief Timeout value: wait without limit. @since 1.0 */
#define MK_FOREVER UINT64_MAX

/**
 * @brief Longest name of a named object (queue, semaphore, device, file name
 *        component), in bytes, not counting the terminating NUL. Longer
 *        names are refused with MK_ENAMETOOLONG. @since 1.0
 */
#define MK_NAME_MAX 59

/**
 * @brief Context configuration.
 *
 * Fill with mk_config_init(), then change what you need. The structure
 * starts with its own size so that fields can be appended in later versions
 * without breaking programs built against older headers; every field whose
 * value is 0 takes its default.
 * @since 1.0
 */
typedef struct mk_config {
    /** Size of this structure in bytes; set by mk_config_init(). */
    uint32_t size;
    /** Clock rate in ticks per second of wall time, used to convert host-
     *  thread timeouts; 1 … 1,000,000, default 1000. */
    uint32_t tick_hz;
    /** Size of the simulated memory in bytes, from which every heap is
     *  carved; 64 KiB … 2^40; default 64 MiB. Ignored when @ref mem_region
     *  is set. */
    uint64_t mem_size;
    /** Caller-supplied memory to use as simulated memory instead of
     *  allocating it; must stay valid and unused by the caller until
     *  mk_destroy() returns; NULL (default) lets the library allocate. */
    void *mem_region;
    /** Size of @ref mem_region in bytes; required when it is set. */
    uint64_t mem_region_size;
    /** Bytes of simulated memory given to the default (free-list) heap;
     *  default half of the simulated memory. */
    uint64_t default_heap_size;
    /** Capacity of the buffer cache in blocks; 1 … 2^24, default 1024. */
    uint32_t cache_blocks;
    /** Time slice (quantum) of a scheduled process in ticks; default 10. */
    uint32_t quantum_ticks;
    /** Memory quota given to a new process, in bytes; default 0 means the
     *  process is limited only by the free memory of the heap. */
    uint64_t default_quota;
    /* ---- appended after the first 1.0 layout (size-versioned) ---- */
    /** Replacement policy of the buffer cache: MK_CACHE_POLICY_LRU (1) or
     *  MK_CACHE_POLICY_2Q (2) of blk.h; default 2Q. */
    uint32_t cache_policy;
    /** Read-ahead window of the buffer cache in blocks: a miss that
     *  continues a sequential run on a device reads up to this many blocks
     *  (the missed one included) in one device call; 1 … 1024, 1 turns
     *  read-ahead off; default 16. */
    uint32_t cache_readahead;
    /** Dirty fraction of the buffer cache, in percent of its capacity,
     *  above which the oldest unpinned dirty blocks are written back;
     *  1 … 100 (100: only when a buffer is needed); default 50. */
    uint32_t cache_dirty_pct;
    /** Reserved, must be 0. */
    uint32_t reserved0;
} mk_config_t;

/**
 * @brief Size in bytes of the first (1.0) layout of ::mk_config_t (up to
 *        @c default_quota), the smallest @c size mk_create() and
 *        mk_config_get() accept. @since 1.0
 */
#define MK_CONFIG_SIZE_V0 56u

/**
 * @brief Fill a configuration with defaults (all fields 0, @c size set).
 * @param[out] cfg Structure to fill; NULL is ignored.
 * @since 1.0
 */
MK_API void mk_config_init(mk_config_t *cfg);

/**
 * @brief Create a kernel context.
 * @param cfg Configuration, or NULL for every default. Its @c size field
 *        must be at least the size of the 1.0 structure.
 * @param[out] out Receives the new context; the caller owns it and must
 *        release it with mk_destroy().
 * @retval 0 Success.
 * @retval MK_EINVAL @p out is NULL, @p cfg->size is too small, or a field is
 *         out of range.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_create(const mk_config_t *cfg, mk_t **out);

/**
 * @brief Destroy a context: flush every dirty buffer, unmount every file
 *        system, close devices, release all memory.
 *
 * Waiters blocked on the context's objects must have returned before this is
 * called. After it returns, any call made with the same pointer returns
 * MK_EBADH or MK_EINVAL instead of touching freed memory.
 * @param k Context, NULL or already destroyed (then nothing happens).
 * @retval 0 Success (also for NULL).
 * @retval MK_EIO Some dirty data could not be written back; the context is
 *         destroyed all the same.
 * @since 1.0
 */
MK_API int mk_destroy(mk_t *k);

/**
 * @brief Read the virtual clock.
 * @param k Context.
 * @param[out] ticks Ticks elapsed since the context was created.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p ticks is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_clock_now(mk_t *k, uint64_t *ticks);

/**
 * @brief Advance the virtual clock by @p ticks (host code driving time).
 * @param k Context.
 * @param ticks Ticks to add; 0 … 2^62.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL or @p ticks is too large.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_clock_advance(mk_t *k, uint64_t ticks);

/**
 * @brief Read back the effective configuration of a context (defaults
 *        resolved to their values).
 * @param k Context.
 * @param[in,out] cfg Structure whose @c size the caller set (mk_config_init
 *        does); at most that many bytes are written.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @c cfg->size is too small.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_config_get(mk_t *k, mk_config_t *cfg);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_CORE_H */
