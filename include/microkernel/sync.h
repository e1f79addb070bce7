/**
 * @file sync.h
 * @brief Synchronisation: named counting semaphores.
 *
 * A semaphore holds a count between 0 and its maximum. Waiting takes one
 * unit (blocking the calling host thread while the count is 0); posting
 * gives one back. Waiters are served strictly in arrival order: a post while
 * threads wait hands its unit directly to the oldest waiter, so a late
 * trywait can never overtake a thread that has been waiting (no starvation).
 *
 * Semaphores are created by name and referred to by a handle (::mk_sem_t)
 * that becomes stale (@c MK_EBADH) once the semaphore is deleted; deleting
 * wakes every waiter with @c MK_EDESTROYED. Semaphores belong to the context,
 * not to a process: destroying a process does not delete them.
 *
 * Timeouts are in ticks of the context clock (see mk_config_t::tick_hz),
 * measured on the host's monotonic clock: #MK_NO_WAIT tries once, #MK_FOREVER
 * waits without limit.
 *
 * Thread safety: every function may be called from any host thread at the
 * same time; each semaphore has its own lock.
 */
#ifndef MICROKERNEL_SYNC_H
#define MICROKERNEL_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Handle of a semaphore; 0 is never valid. @since 1.0 */
typedef uint64_t mk_sem_t;

/**
 * @brief Create a named counting semaphore.
 * @param k Context.
 * @param name Semaphore name, 1 … #MK_NAME_MAX bytes, NUL-terminated; copied.
 * @param initial Initial count, 0 … @p max.
 * @param max Largest count, 1 … UINT32_MAX; 0 means UINT32_MAX.
 * @param[out] out Receives the semaphore's handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p name or @p out is NULL, or @p name is empty.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_ERANGE @p initial > @p max.
 * @retval MK_EEXIST A semaphore of that name exists.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_sem_create(mk_t *k, const char *name, uint32_t initial, uint32_t max,
                         mk_sem_t *out);

/**
 * @brief Find a semaphore by name.
 * @param k Context.
 * @param name Semaphore name.
 * @param[out] out Receives the semaphore's handle (the same handle every
 *        time for the same semaphore).
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p name or @p out is NULL, or @p name is empty.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_ENOENT No semaphore of that name.
 * @since 1.0
 */
MK_API int mk_sem_open(mk_t *k, const char *name, mk_sem_t *out);

/**
 * @brief Take one unit if the count is above 0, without waiting.
 *
 * Fails while other threads are waiting even if a post is in flight: units
 * go to waiters first, in arrival order.
 * @param k Context.
 * @param s Semaphore handle.
 * @retval 0 One unit taken.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p s is stale or forged.
 * @retval MK_EAGAIN The count is 0.
 * @since 1.0
 */
MK_API int mk_sem_trywait(mk_t *k, mk_sem_t s);

/**
 * @brief Take one unit, waiting while the count is 0.
 * @param k Context.
 * @param s Semaphore handle.
 * @param timeout_ticks How long to wait: #MK_NO_WAIT (then this is
 *        mk_sem_trywait()), a number of ticks, or #MK_FOREVER.
 * @retval 0 One unit taken.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p s is stale or forged.
 * @retval MK_EAGAIN The count is 0 and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT No unit became available within @p timeout_ticks.
 * @retval MK_EDESTROYED The semaphore was deleted while the caller waited.
 * @retval MK_ENOMEM The host could not supply a condition variable for the
 *         wait (the count is unchanged).
 * @since 1.0
 */
MK_API int mk_sem_wait(mk_t *k, mk_sem_t s, uint64_t timeout_ticks);

/**
 * @brief Give one unit back: to the oldest waiter if there is one, else to
 *        the count.
 * @param k Context.
 * @param s Semaphore handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p s is stale or forged.
 * @retval MK_ERANGE The count is already at its maximum (it is unchanged).
 * @since 1.0
 */
MK_API int mk_sem_post(mk_t *k, mk_sem_t s);

/**
 * @brief Read the current count (a snapshot: other threads may change it
 *        at once).
 * @param k Context.
 * @param s Semaphore handle.
 * @param[out] value Receives the count, 0 … the maximum.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p value is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p s is stale or forged.
 * @since 1.0
 */
MK_API int mk_sem_value(mk_t *k, mk_sem_t s, uint32_t *value);

/**
 * @brief Delete a semaphore: wake every waiter with @c MK_EDESTROYED, free
 *        its name and make its handle stale.
 * @param k Context.
 * @param s Semaphore handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p s is stale or forged (for
 *         example already deleted).
 * @since 1.0
 */
MK_API int mk_sem_delete(mk_t *k, mk_sem_t s);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_SYNC_H */
