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
 * Two kinds of process exist. A process made with mk_proc_create() has no
 * body: host threads act on its behalf (it stays #MK_PROC_READY until it
 * is destroyed). A process made with mk_proc_spawn() has a body, a C
 * function run on the simulated CPU by mk_run(): one body at a time,
 * preemptive fixed priorities (#MK_PRIO_MIN … #MK_PRIO_MAX, a higher number
 * runs first) with round-robin time slices of mk_config_t::quantum_ticks
 * inside a level; the next process is chosen in O(1) (a bitmap of
 * non-empty levels and a FIFO per level).
 *
 * Virtual time: every kernel call made from a body costs #MK_CALL_TICKS
 * tick(s) of CPU time, mk_compute() costs what it says; a slice that runs
 * out preempts the body at its next kernel call (the seed's
 * non-expropriative scheduler). When every process is blocked or asleep the
 * idle CPU jumps the clock to the next timer, so a program gives the same
 * schedule, and the same event trace (trace.h), on every run.
 *
 * Calls that block (mk_sleep(), mk_wait(), semaphore wait, mutex lock,
 * message receive, send to a full queue, …) suspend a calling body and run
 * the next process, with timeouts in virtual ticks; called from a host
 * thread they block the thread with wall-time timeouts (ticks at
 * mk_config_t::tick_hz), as before.
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
    /** Runnable, waiting for the simulated CPU (a process without body
     *  stays in this state). */
    MK_PROC_READY = 1,
    /** Running on the simulated CPU (the body mk_run() executes now). */
    MK_PROC_RUNNING,
    /** Body blocked on an object: semaphore, mutex, message, child. */
    MK_PROC_BLOCKED,
    /** Body sleeping for a number of ticks (mk_sleep()). */
    MK_PROC_SLEEPING,
    /** Body ended and everything it owned released; waits to be reaped
     *  by mk_wait() or mk_proc_destroy(). */
    MK_PROC_ZOMBIE
} mk_proc_state_t;

/** @brief Least urgent priority of a process. @since 1.0 */
#define MK_PRIO_MIN 1u
/** @brief Most urgent priority of a process (runs first). @since 1.0 */
#define MK_PRIO_MAX 31u
/** @brief Priority of a process whose attributes leave it 0. @since 1.0 */
#define MK_PRIO_DEFAULT 16u
/** @brief Virtual ticks of CPU time each kernel call made by a body costs. @since 1.0 */
#define MK_CALL_TICKS 1u

/** @brief mk_proc_attr_t::flags: run the body on its own OS thread instead
 *  of a fiber. Only one body runs at a time either way and the schedule is
 *  the same. Needed for bodies that must run on a real thread, such as
 *  Python callables (ctypes callbacks). In such a body mk_exit() returns
 *  (0) instead of ending the thread, and after mk_exit() or mk_kill() every
 *  kernel call returns @c MK_EDESTROYED: the body must then return
 *  promptly (the binding raises an exception to unwind it). @since 1.0 */
#define MK_PROC_THREAD 0x1u

/** @brief Default stack of a fiber body, in bytes (64 KiB). @since 1.0 */
#define MK_PROC_STACK_DEFAULT ((uint64_t)65536)
/** @brief Smallest stack a body may ask for, in bytes (16 KiB). @since 1.0 */
#define MK_PROC_STACK_MIN ((uint64_t)16384)
/** @brief Largest stack a body may ask for, in bytes (64 MiB). @since 1.0 */
#define MK_PROC_STACK_MAX ((uint64_t)64 << 20)

/**
 * @brief Attributes of a spawned process. Fill with mk_proc_attr_init();
 *        0 in a field means its default.
 * @since 1.0
 */
typedef struct mk_proc_attr {
    /** Size of this structure in bytes; set by mk_proc_attr_init(). */
    uint32_t size;
    /** Base priority, #MK_PRIO_MIN … #MK_PRIO_MAX; 0 = #MK_PRIO_DEFAULT. */
    uint32_t priority;
    /** Stack size in bytes, #MK_PROC_STACK_MIN … #MK_PROC_STACK_MAX;
     *  0 = #MK_PROC_STACK_DEFAULT (and the host default for a thread). */
    uint64_t stack_size;
    /** Flags: 0 or #MK_PROC_THREAD. */
    uint32_t flags;
    /** Reserved, must be 0. */
    uint32_t reserved;
} mk_proc_attr_t;

/**
 * @brief Body of a process: runs on the simulated CPU inside mk_run().
 * @param k The context the process belongs to.
 * @param arg The pointer given to mk_proc_spawn().
 * @return The exit status (what mk_wait() reports).
 * @since 1.0
 */
typedef int (*mk_body_fn)(mk_t *k, void *arg);

/** @brief mk_run() stop reason: every spawned process has ended. @since 1.0 */
#define MK_RUN_DONE 1u
/** @brief mk_run() stop reason: the tick limit was reached. @since 1.0 */
#define MK_RUN_TICKS 2u
/** @brief mk_run() stop reason: mk_stop() was called. @since 1.0 */
#define MK_RUN_STOPPED 3u

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
 * @retval MK_EBUSY @p pid is a spawned process whose body has not ended
 *         (use mk_kill() and mk_wait()); an ended one (zombie) is reaped.
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

/**
 * @brief Fill process attributes with defaults (all 0, @c size set).
 * @param[out] attr Structure to fill; NULL is ignored.
 * @since 1.0
 */
MK_API void mk_proc_attr_init(mk_proc_attr_t *attr);

/**
 * @brief Create a process with a body. It becomes #MK_PROC_READY and
 *        runs when mk_run() schedules it.
 *
 * Module set-up runs as for mk_proc_create(). The parent is the calling
 * body (0 when called from a host thread); only the parent may mk_wait()
 * for it. A process whose parent ends is given to the host (parent 0).
 * @param k Context.
 * @param pid The pid to use, 1 … #MK_PID_MAX, or 0 to assign the lowest free.
 * @param attr Attributes, or NULL for every default.
 * @param body Entry function; its return value is the exit status.
 * @param arg Passed to @p body unchanged; the caller keeps ownership.
 * @param[out] out Receives the pid; may be NULL when @p pid is not 0.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p body is NULL, @p pid > #MK_PID_MAX, @p pid
 *         is 0 and @p out is NULL, @c attr->size is too small, a flag is
 *         unknown or @c attr->reserved is not 0.
 * @retval MK_ERANGE Priority or stack size out of range.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EEXIST @p pid is taken.
 * @retval MK_ENOSPC @p pid is 0 and every pid is taken.
 * @retval MK_ENOMEM No memory for the stack or the thread (nothing changed).
 * @since 1.0
 */
MK_API int mk_proc_spawn(mk_t *k, mk_pid_t pid, const mk_proc_attr_t *attr, mk_body_fn body,
                         void *arg, mk_pid_t *out);

/**
 * @brief Run the simulated CPU on the calling thread until every spawned
 *        process has ended, @p max_ticks ticks have passed, or mk_stop().
 *
 * When every process is blocked with no timer pending (waiting for a host
 * thread to post a semaphore, send a message, …) the calling thread waits
 * (wall time) until a host thread wakes one or calls mk_stop(). Call from
 * a host thread, one mk_run() per context at a time.
 * @param k Context.
 * @param max_ticks Virtual ticks to run at most, counted from now;
 *        #MK_FOREVER for no limit; 0 returns at once with #MK_RUN_TICKS.
 * @param[out] reason Receives #MK_RUN_DONE, #MK_RUN_TICKS or
 *        #MK_RUN_STOPPED; may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EBUSY Another thread is in mk_run() for @p k, or the caller is
 *         a body.
 * @since 1.0
 */
MK_API int mk_run(mk_t *k, uint64_t max_ticks, uint32_t *reason);

/**
 * @brief Ask mk_run() to return (#MK_RUN_STOPPED) before it picks the next
 *        process. Sticky until mk_run() has returned; from any thread.
 * @param k Context.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_stop(mk_t *k);

/**
 * @brief The calling process's pid (getpid). Costs #MK_CALL_TICKS in a body.
 * @param k Context.
 * @return The pid of the calling body, or 0 (#MK_PID_KERNEL) from a host
 *         thread and for a NULL or destroyed context.
 * @since 1.0
 */
MK_API mk_pid_t mk_self(mk_t *k);

/**
 * @brief Give the CPU to the next ready process of the same (or a higher)
 *        priority; the caller goes to the tail of its level.
 * @param k Context.
 * @retval 0 Success (also from a host thread, where it does nothing).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EDESTROYED The calling #MK_PROC_THREAD body was killed.
 * @since 1.0
 */
MK_API int mk_yield(mk_t *k);

/**
 * @brief End the calling body with @p status. A fiber body does not return
 *        from this call; a #MK_PROC_THREAD body gets 0 and must return.
 *        Everything the process owns is released (exit hooks).
 * @param k Context.
 * @param status Exit status, reported by mk_wait().
 * @retval 0 (#MK_PROC_THREAD body only) the exit is recorded.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EPERM Called from a host thread (not a process).
 * @since 1.0
 */
MK_API int mk_exit(mk_t *k, int32_t status);

/**
 * @brief Kill a process. A body ends with status -1 (a blocked or sleeping
 *        body is woken and ends at once; a killer killing itself ends as by
 *        mk_exit()); a process without body is destroyed as by
 *        mk_proc_destroy(). Everything it owns is released: held mutexes
 *        pass to their next waiter, its mailbox is deleted, …
 * @param k Context.
 * @param pid Process to kill.
 * @retval 0 Success.
 * @retval MK_EPERM @p pid is 0 (the kernel).
 * @retval MK_ENOENT No such process, or it has already ended (zombie).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_kill(mk_t *k, mk_pid_t pid);

/**
 * @brief Wait for a child to end and reap it (its pid becomes free).
 * @param k Context.
 * @param pid A spawned process whose parent is the caller (a body, or 0 =
 *        the host for processes spawned by host threads or orphaned).
 * @param timeout_ticks #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @param[out] status Receives the exit status (-1 when killed); may be NULL.
 * @retval 0 Success; the child is gone.
 * @retval MK_EAGAIN @p timeout_ticks is #MK_NO_WAIT and the child runs.
 * @retval MK_ETIMEDOUT The child did not end in time.
 * @retval MK_ENOENT No such process, or it has no body.
 * @retval MK_EPERM The caller is not its parent, or @p pid is the caller.
 * @retval MK_EBUSY Another caller is already waiting for it.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EDESTROYED The calling body was killed while waiting.
 * @since 1.0
 */
MK_API int mk_wait(mk_t *k, mk_pid_t pid, uint64_t timeout_ticks, int32_t *status);

/**
 * @brief Sleep for @p ticks virtual ticks (state #MK_PROC_SLEEPING).
 *
 * From a host thread: waits @p ticks at mk_config_t::tick_hz wall time.
 * @param k Context.
 * @param ticks Ticks to sleep; 0 behaves as mk_yield(); at most 2^62.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL or @p ticks is too large.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EDESTROYED The calling body was killed while sleeping.
 * @since 1.0
 */
MK_API int mk_sleep(mk_t *k, uint64_t ticks);

/**
 * @brief Use @p ticks ticks of CPU time (a body computing). The body can be
 *        preempted inside (slice end, more urgent process woken): the time
 *        is split exactly. From a host thread: advances the clock.
 * @param k Context.
 * @param ticks Ticks of CPU time, at most 2^62.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL or @p ticks is too large.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_EDESTROYED The calling #MK_PROC_THREAD body was killed.
 * @since 1.0
 */
MK_API int mk_compute(mk_t *k, uint64_t ticks);

/**
 * @brief Change the base priority of a process.
 * @param k Context.
 * @param pid Process (0 = the calling body).
 * @param priority #MK_PRIO_MIN … #MK_PRIO_MAX.
 * @retval 0 Success.
 * @retval MK_ERANGE @p priority out of range.
 * @retval MK_ENOENT No such process (or 0 from a host thread).
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_set_priority(mk_t *k, mk_pid_t pid, uint32_t priority);

/**
 * @brief Read the base and effective priority of a process (the effective
 *        one is raised by priority inheritance while the process holds a
 *        mutex a more urgent process waits for).
 * @param k Context.
 * @param pid Process (0 = the calling body).
 * @param[out] base Receives the base priority; may be NULL.
 * @param[out] effective Receives the effective priority; may be NULL.
 * @retval 0 Success.
 * @retval MK_ENOENT No such process.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_priority(mk_t *k, mk_pid_t pid, uint32_t *base, uint32_t *effective);

/**
 * @brief CPU time a process has used, in ticks (kernel calls and compute).
 * @param k Context.
 * @param pid Process (zombies included).
 * @param[out] ticks Receives the ticks.
 * @retval 0 Success.
 * @retval MK_ENOENT No such process.
 * @retval MK_EINVAL @p k or @p ticks is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @since 1.0
 */
MK_API int mk_proc_cpu_ticks(mk_t *k, mk_pid_t pid, uint64_t *ticks);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_PROC_H */
