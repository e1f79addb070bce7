/**
 * @file sync.h
 * @brief Synchronisation: named counting semaphores and mutexes.
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
 * Called from a process body (proc.h), a wait suspends the body and runs the
 * next process; its timeout is then in virtual ticks.
 *
 * Mutexes (the mini-kernel's, seed 003) are named, owned by processes and
 * opened per process: a process may have at most #MK_MUTEX_OPEN_MAX mutexes
 * open, and at most #MK_MUTEX_SYS_MAX mutexes exist at once. A mutex lives
 * while some process (or the kernel, for one a host thread created) has it
 * open; the last close destroys it. Locking is owner-based: only the owner
 * unlocks; a recursive mutex counts its locks. Waiters are served by
 * priority (FIFO among equals), and the owner inherits the priority of its
 * most urgent waiter, transitively through chains of mutexes. A lock that
 * would close a cycle in the wait-for graph fails with @c MK_EDEADLK and
 * the cycle is kept for mk_mutex_deadlock_report(). A process that closes a
 * mutex it holds, or ends, releases it and the next waiter gets it.
 *
 * The pid argument of the mutex calls: a body passes its own pid or 0
 * (= self); a host thread names the process it acts for (it must exist),
 * or 0 for the kernel where allowed (create, open, close).
 *
 * Thread safety: every function may be called from any host thread at the
 * same time; each semaphore has its own lock; the mutexes share one lock
 * (their wait-for graph is global).
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

/** @brief Handle of a mutex; 0 is never valid. @since 1.0 */
typedef uint64_t mk_mutex_t;

/** @brief mk_mutex_create() flag: the owner may lock again (counted). @since 1.0 */
#define MK_MUTEX_RECURSIVE 0x1u
/** @brief Mutexes one process may have open at once. @since 1.0 */
#define MK_MUTEX_OPEN_MAX 16u
/** @brief Mutexes that may exist at once in a context. @since 1.0 */
#define MK_MUTEX_SYS_MAX 64u
/** @brief Longest cycle mk_mutex_deadlock_report() keeps, in processes. @since 1.0 */
#define MK_MUTEX_CYCLE_MAX 64u

/**
 * @brief Create a named mutex and open it for the caller.
 *
 * Called from a body, the body opens it (counted against
 * #MK_MUTEX_OPEN_MAX) and, when #MK_MUTEX_SYS_MAX mutexes exist, waits until
 * one is destroyed (the seed's creators waiting for a free slot). Called
 * from a host thread, the kernel holds it open (close it with pid 0) and a
 * full system gives @c MK_ENOSPC.
 * @param k Context.
 * @param name Name, 1 … #MK_NAME_MAX bytes; copied.
 * @param flags 0 or #MK_MUTEX_RECURSIVE.
 * @param[out] out Receives the handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p name or @p out is NULL, @p name is empty or a
 *         flag is unknown.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_EEXIST A mutex of that name exists.
 * @retval MK_EMFILE The calling body has #MK_MUTEX_OPEN_MAX mutexes open.
 * @retval MK_ENOSPC (host thread) #MK_MUTEX_SYS_MAX mutexes exist.
 * @retval MK_EDESTROYED The calling body was killed while waiting for a slot.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_mutex_create(mk_t *k, const char *name, uint32_t flags, mk_mutex_t *out);

/**
 * @brief Open an existing mutex by name for a process.
 * @param k Context.
 * @param pid Process (0 = the calling body, or the kernel from a host thread).
 * @param name Name of the mutex.
 * @param[out] out Receives the handle.
 * @retval 0 Success (opening a mutex twice counts twice).
 * @retval MK_EINVAL A pointer is NULL or @p name is empty.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_ENOENT No mutex of that name, or no such process.
 * @retval MK_EMFILE @p pid has #MK_MUTEX_OPEN_MAX mutexes open.
 * @since 1.0
 */
MK_API int mk_mutex_open(mk_t *k, mk_pid_t pid, const char *name, mk_mutex_t *out);

/**
 * @brief Close a mutex for a process; if the process holds it, it is
 *        released (the next waiter gets it). The last close destroys it.
 * @param k Context.
 * @param pid Process (0 = the calling body, or the kernel from a host thread).
 * @param m Handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p m is stale or forged.
 * @retval MK_EPERM @p pid does not have @p m open.
 * @retval MK_ENOENT No such process.
 * @since 1.0
 */
MK_API int mk_mutex_close(mk_t *k, mk_pid_t pid, mk_mutex_t m);

/**
 * @brief Lock a mutex for a process, waiting up to @p timeout_ticks.
 * @param k Context.
 * @param pid Process that will own it (0 = the calling body); it must have
 *        @p m open.
 * @param m Handle.
 * @param timeout_ticks #MK_NO_WAIT, ticks, or #MK_FOREVER.
 * @retval 0 Success; @p pid owns @p m (a recursive mutex counts one more).
 * @retval MK_EINVAL @p k is NULL, or @p pid is 0 from a host thread.
 * @retval MK_EBADH @p k destroyed, @p m stale or forged.
 * @retval MK_ENOENT No such process.
 * @retval MK_EPERM @p pid does not have @p m open.
 * @retval MK_EDEADLK @p pid already owns the (non-recursive) mutex, or
 *         waiting would close a cycle of processes waiting for each other
 *         (see mk_mutex_deadlock_report()).
 * @retval MK_EAGAIN @p timeout_ticks is #MK_NO_WAIT and another owns it.
 * @retval MK_ETIMEDOUT Not acquired in time.
 * @retval MK_EDESTROYED The mutex was destroyed, or the waiting process
 *         killed, while waiting.
 * @retval MK_ERANGE The recursion count would overflow.
 * @since 1.0
 */
MK_API int mk_mutex_lock(mk_t *k, mk_pid_t pid, mk_mutex_t m, uint64_t timeout_ticks);

/**
 * @brief Unlock a mutex (one level of a recursive one).
 * @param k Context.
 * @param pid Owner (0 = the calling body).
 * @param m Handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL, or @p pid is 0 from a host thread.
 * @retval MK_EBADH @p k destroyed, @p m stale or forged.
 * @retval MK_EPERM @p pid does not own @p m.
 * @since 1.0
 */
MK_API int mk_mutex_unlock(mk_t *k, mk_pid_t pid, mk_mutex_t m);

/**
 * @brief Read the owner and lock count of a mutex.
 * @param k Context.
 * @param m Handle.
 * @param[out] owner Receives the owner's pid, 0 when unlocked; may be NULL.
 * @param[out] count Receives the lock count (recursion depth); may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k destroyed, @p m stale or forged.
 * @since 1.0
 */
MK_API int mk_mutex_owner(mk_t *k, mk_mutex_t m, mk_pid_t *owner, uint32_t *count);

/**
 * @brief Report the last wait-for cycle that made a lock fail with
 *        @c MK_EDEADLK: @p pids[i] asked for (or waits for) @p mutexes[i],
 *        which @p pids[i+1] holds; the last mutex is held by @p pids[0],
 *        the process whose lock was refused.
 * @param k Context.
 * @param[out] pids Receives up to @p cap pids; may be NULL when @p cap is 0.
 * @param[out] mutexes Receives up to @p cap handles; may be NULL when
 *        @p cap is 0.
 * @param cap Entries each array holds.
 * @param[out] count Receives the cycle length (0: no deadlock seen yet);
 *        may exceed @p cap.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL, or an array is NULL with
 *         @p cap > 0.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_mutex_deadlock_report(mk_t *k, mk_pid_t *pids, mk_mutex_t *mutexes, uint32_t cap,
                                    uint32_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_SYNC_H */
