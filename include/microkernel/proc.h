/**
 * @file proc.h
 * @brief Processes: the pid table and each process's life cycle.
 *
 * A process is named by its pid (1 … #MK_PID_MAX). Creating a process makes
 * every module set up what it keeps per process (a mailbox, a memory quota,
 * …); destroying it releases everything the process owns (memory blocks,
 * mailbox, queue subscriptions, open files, …) and wakes any host thread
 * blocked on those objects with an error. pid 0 (#MK_PID_KERNEL) is the
 * kernel itself: it is never a process, is never created or destroyed and
 * is not listed or counted.
 *
 * This is the foundation of the process module: processes are created in
 * the #MK_PROC_READY state and stay there until they are destroyed. Process
 * bodies, the scheduler, sleep, exit and join arrive in a later version and
 * will use the other states.
 *
 * Thread safety: every function may be called from any host thread at the
 * same time on the same context. A pid that is being created is not visible
 * (mk_proc_exists() says @c MK_ENOENT) until mk_proc_create() returns; a pid
 * that is being destroyed is no longer visible but stays taken (a create of
 * the same pid gets @c MK_EEXIST) until mk_proc_destroy() returns.
 */
#ifndef MICROKERNEL_PROC_H
#define MICROKERNEL_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief State of a process, as reported by mk_proc_state().
 * @since 1.0
 */
typedef enum mk_proc_state {
    /** Runnable, waiting for the simulated CPU (the state of every process
     *  in this version). */
    MK_PROC_READY = 1,
    /** Running on the simulated CPU (reserved for scheduled bodies). */
    MK_PROC_RUNNING,
    /** Blocked on an object: semaphore, mutex, message (reserved for
     *  scheduled bodies). */
    MK_PROC_BLOCKED,
    /** Sleeping for a number of ticks (reserved for scheduled bodies). */
    MK_PROC_SLEEPING,
    /** Exited, waiting to be joined (reserved for scheduled bodies). */
    MK_PROC_ZOMBIE
} mk_proc_state_t;

/**
 * @brief Create a process.
 *
 * Every module's per-process set-up runs (for example the mailbox is
 * created); if one of them fails the creation is rolled back completely and
 * its error is returned.
 * @param k Context.
 * @param pid The pid to use, 1 … #MK_PID_MAX, or 0 to let the library
 *        assign the lowest free pid (≥ 1).
 * @param[out] out Receives the pid of the new process; may be NULL when
 *        @p pid is not 0 (the caller already knows it).
 * @retval 0 Success; the process is in state #MK_PROC_READY.
 * @retval MK_EINVAL @p k is NULL, @p pid > #MK_PID_MAX, or @p pid is 0
 *         and @p out is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EEXIST @p pid is already taken (also while it is being created
 *         or destroyed by another thread).
 * @retval MK_ENOSPC @p pid is 0 and every pid is taken.
 * @retval MK_ENOMEM The host could not supply memory (nothing changed).
 * @since 1.0
 */
MK_API int mk_proc_create(mk_t *k, mk_pid_t pid, mk_pid_t *out);

/**
 * @brief Ask whether a process exists.
 * @param k Context.
 * @param pid Pid to look up; 0 (the kernel) is never a process.
 * @retval 0 The process exists.
 * @retval MK_ENOENT No such process (also for 0, for a pid above
 *         #MK_PID_MAX and for a pid being created or destroyed).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_exists(mk_t *k, mk_pid_t pid);

/**
 * @brief Destroy a process and release everything it owns.
 *
 * Each module's per-process tear-down runs, in reverse layer order: host
 * threads blocked on the process's mailbox return @c MK_EDESTROYED, its queue
 * subscriptions are dropped, its memory blocks are freed, and so on. The pid
 * becomes free for reuse when this returns.
 * @param k Context.
 * @param pid Process to destroy.
 * @retval 0 Success.
 * @retval MK_EPERM @p pid is 0 (#MK_PID_KERNEL), which can never be
 *         destroyed.
 * @retval MK_ENOENT No such process, or another thread is already
 *         destroying it (exactly one concurrent destroy succeeds).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_destroy(mk_t *k, mk_pid_t pid);

/**
 * @brief Read the state of a process.
 * @param k Context.
 * @param pid Process.
 * @param[out] state Receives one of the ::mk_proc_state_t values.
 * @retval 0 Success.
 * @retval MK_ENOENT No such process (also for 0).
 * @retval MK_EINVAL @p k or @p state is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_state(mk_t *k, mk_pid_t pid, uint32_t *state);

/**
 * @brief Count the processes that exist (the kernel, pid 0, is not counted;
 *        pids being created or destroyed are not counted).
 * @param k Context.
 * @param[out] count Receives the number of processes.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_count(mk_t *k, uint32_t *count);

/**
 * @brief List the pids of the processes that exist, in ascending order.
 *
 * The list is a snapshot taken under the table lock. At most @p cap pids are
 * written (the lowest ones); @p count always receives the total number of
 * processes, so a caller whose @p cap was too small sees @p *count > @p cap
 * and can retry with a larger array.
 * @param k Context.
 * @param[out] pids Array of at least @p cap entries; may be NULL when @p cap
 *        is 0 (to ask for the count only).
 * @param cap Number of entries @p pids can hold.
 * @param[out] count Receives the total number of processes (may exceed
 *        @p cap).
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL, or @p pids is NULL while
 *         @p cap is not 0.
 * @retval MK_ENOMEM The host could not supply memory for the sort.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_list(mk_t *k, mk_pid_t *pids, uint32_t cap, uint32_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_PROC_H */
