/*
 * sched.h - internal interface of the scheduler (proc module) for the
 * layers above: ipc, sync, irq/rpc, terminal, and anything else that blocks
 * or must know which process is calling.
 *
 * THE MODEL (read this before coding against it)
 * ----------------------------------------------
 * One simulated CPU per context. Processes spawned with a body
 * (mk_proc_spawn) run on it, one at a time, only inside mk_run(). A body
 * is either a fiber on the mk_run thread (default) or, with
 * MK_PROC_THREAD, its own OS thread that runs only while it holds the
 * "baton"; both give the same deterministic schedule. Host threads (any
 * thread that is not currently executing a body, including the thread
 * that called mk_run when it is between bodies) are NOT scheduled: they
 * block on condition variables with wall-time deadlines exactly as in the
 * foundation.
 *
 * Time: k->ticks is the virtual clock. It advances only when
 *  - a body enters the kernel (mk__sched_enter charges MK__SCHED_CALL_COST),
 *  - a body computes (mk_compute),
 *  - the CPU is idle and jumps to the next timer (mk_run),
 *  - someone calls mk__sched_clock (the clock "interrupt", e.g. the irq
 *    module or mk_clock_advance).
 * Every path that advances time goes through mk__sched_clock, which fires
 * expired timers (sleep ends, timed waits end), charges the running
 * process's time slice and calls the tick hook (mk__sched_set_tick_hook).
 *
 * Priorities: MK_PRIO_MIN (1) is the least urgent, MK_PRIO_MAX (31) the
 * most urgent, MK_PRIO_DEFAULT 16 (proc.h): a higher number runs first.
 * The effective priority (base, raised by priority inheritance through
 * mk__sched_set_inherited) decides who runs.
 *
 * LOCKING CONTRACT
 * ----------------
 * The scheduler has one lock (the proc table lock). Lock order:
 *     your module's locks  ->  scheduler lock
 * i.e. you may call mk__wq_wake_*, mk__sched_current, mk__sched_prio,
 * mk__sched_set_inherited, mk__proc_alive while holding your own object
 * lock. You must NOT hold any lock of yours across mk__sched_enter or
 * mk__sched_clock (they may switch to another body, which may call into
 * your module). mk__wq_wait releases the lock you pass while it waits and
 * re-takes it before returning; it holds nothing else across the switch.
 *
 * NEVER call a blocking libc primitive (pthread_cond_wait on your own
 * condvar, sleep) from code that may run as a body: a fiber that blocks
 * the OS thread blocks the whole CPU. Use an mk__wq instead; it does the
 * right thing for both kinds of caller.
 */
#ifndef MK_SRC_SCHED_H
#define MK_SRC_SCHED_H

#include "../core/core.h"

#include <microkernel/proc.h>

/* ---- who is calling ---------------------------------------------------- */

/* The pid of the body running on the calling thread for context k, or 0
 * (MK_PID_KERNEL) when the caller is a host thread. Lock-free (a
 * thread-local set at every switch); callable with any lock held. */
mk_pid_t mk__sched_current(mk_t *k);

/* Resolve a public "pid or 0 = self" argument: returns pid when it is not
 * 0, else mk__sched_current(k) (which may itself be 0 for a host thread). */
mk_pid_t mk__sched_self_or(mk_t *k, mk_pid_t pid);

/* ---- kernel entry, charging and preemption ----------------------------- */

/* Ticks charged to a body for each kernel call (each mk__sched_enter). */
#define MK__SCHED_CALL_COST 1u

/* Call at the top of every public kernel call, after MK__CHECK and before
 * taking any lock or reference (it is a preemption point):
 *  - host thread: does nothing, returns 0;
 *  - body: charges MK__SCHED_CALL_COST ticks (through mk__sched_clock), then
 *    switches to another process if the slice ran out (round robin) or a
 *    more urgent process is ready; returns 0 when the body runs again.
 * A killed fiber body never returns from here (its fiber is abandoned;
 * nothing of yours is held yet). A killed or exited THREAD body gets
 * MK_EDESTROYED: return it to the caller at once, without side effects. */
int mk__sched_enter(mk_t *k);
/* Statement form for public calls returning int. */
#define MK__SCHED_ENTER(k)                                                   \
    do {                                                                     \
        int mk__e_ = mk__sched_enter(k);                                     \
        if (mk__e_ != 0)                                                     \
            return mk__e_;                                                   \
    } while (0)

/* Use CPU time: advance the clock by n ticks on behalf of the running
 * body, being preempted wherever a slice ends or a timer wakes a more
 * urgent process (the time is split exactly). Host thread: advances the
 * clock (like mk__sched_clock) and returns. Same return as enter. */
int mk__sched_compute(mk_t *k, uint64_t n);

/* ---- the clock interrupt hook ------------------------------------------ */

/* Advance the virtual clock by n ticks NOW: fire every timer whose
 * deadline is <= the new time (sleepers and timed waiters become ready
 * with MK_ETIMEDOUT / 0), charge the running body's slice, and mark a
 * reschedule when the slice ended or a more urgent process became ready.
 * Never switches itself: the running body switches at its next kernel
 * entry (the seed's "non-expropriative" software interrupt). Callable from
 * any thread with no module lock held. The irq engineer's clock line may
 * call this, or install a tick hook to see every advance. */
void mk__sched_clock(mk_t *k, uint64_t n);

/* Called (with NO lock held) after the clock moved from `from` to `to`
 * (to > from). One hook per context; fn == NULL removes it. The irq module
 * uses it to raise its clock line once per advance. Must not block. */
typedef void (*mk__tick_fn)(mk_t *k, uint64_t from, uint64_t to, void *ctx);
void mk__sched_set_tick_hook(mk_t *k, mk__tick_fn fn, void *ctx);
/* The hook's gate (open after mk__sched_set_tick_hook). While it is
 * closed the scheduler does not call the hook but counts the advance (see
 * mk__sched_tick_skipped): the hook's owner closes it when a call would
 * only count, which saves every kernel entry an unlock, an indirect call
 * and a relock. Callable from any thread with any lock held. */
void mk__sched_tick_gate(mk_t *k, bool open);
/* Advances (with to > from) not passed to the hook because its gate was
 * closed, since the context was made. Lock-free. */
uint64_t mk__sched_tick_skipped(mk_t *k);

/* ---- wait queues -------------------------------------------------------- */

/* One waiter. Lives on the waiter's own stack (fiber or thread) for the
 * duration of mk__wq_wait; touched by others only under the object lock
 * passed to mk__wq_wait. Treat as opaque. */
struct mk__wait {
    struct mk__wait *prev, *next;
    mk_pid_t pid;          /* process waiting, or the pid a host thread acts for */
    bool body;             /* true: a scheduled body (suspended), false: host thread */
    int state;             /* 0 pending, 1 woken */
    int code;              /* wake code given by the waker */
    uint32_t prio;         /* ordering key for mk__wq_wake_best (higher = first) */
    void *pcb;             /* bodies: the waiter's pcb (alive while queued) */
    pthread_cond_t cond;   /* host threads only */
};

/* A generic wait queue (FIFO). Embedded in your object, protected by your
 * object's lock (the one you pass to mk__wq_wait). kind is the handle type
 * tag (enum mk__htype) and obj the object's handle or id: they are what the
 * MK_EV_BLOCK event reports. */
typedef struct mk__wq {
    struct mk__wait *head, *tail;
    uint32_t n;            /* waiters queued */
    uint32_t kind;
    uint64_t obj;
} mk__wq_t;

void mk__wq_init(mk__wq_t *wq, uint32_t kind, uint64_t obj);

/* Wait on wq. `lock` is your object's mutex, held on entry and on return
 * (released during the wait). The caller checks its condition first and
 * handles MK_NO_WAIT itself (this function with timeout 0 returns
 * MK_ETIMEDOUT at once). `as_pid` is the pid a host thread acts for
 * (recorded in the waiter; 0 if none); ignored for bodies (their own pid).
 *   body:        suspended (state BLOCKED, MK_EV_BLOCK); the next process
 *                runs; the timeout is in virtual ticks (a timer).
 *   host thread: pthread condvar with an mk__deadline wall-time deadline.
 * Returns the code passed to the waker (0 or a negative MK_E code, e.g.
 * MK_EDESTROYED when the object is deleted), MK_ETIMEDOUT when the timeout
 * elapsed first, MK_EDESTROYED when the calling body was killed while
 * waiting, MK_ENOMEM if a host condvar could not be made. A wake always
 * wins over a timeout that happens at the same time: if the return is not
 * MK_ETIMEDOUT / killed, the waker's hand-off (unit, message, ownership)
 * is yours. On return the waiter is no longer in wq. */
int mk__wq_wait(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                mk_pid_t as_pid);

/* Same, with an ordering key for priority-ordered waking (higher = first;
 * pass the effective priority). mk__wq_wait uses key 0 (pure FIFO). */
int mk__wq_wait_prio(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                     mk_pid_t as_pid, uint32_t prio);

/* As mk__wq_wait (FIFO), but when a waker's hand-off ended a body's wait
 * it returns the waker's code with `lock` RELEASED and *held = false (the
 * waker unlinked the node, so there is nothing left to do under it; this
 * saves re-taking the object lock after every hand-off). In every other
 * case (host thread, timeout, kill, error) *held = true and `lock` is held
 * as with mk__wq_wait. */
int mk__wq_wait_handoff(mk_t *k, mk__wq_t *wq, pthread_mutex_t *lock, uint64_t timeout_ticks,
                        mk_pid_t as_pid, bool *held);

/* Wake the oldest waiter with `code` (object lock held). Returns the pid
 * the waiter acts for (0 for a plain host thread), or -1 if wq was empty:
 * test `>= 0`. A woken body becomes READY (MK_EV_WAKE); a host thread is
 * signalled. */
int64_t mk__wq_wake_one(mk_t *k, mk__wq_t *wq, int code);
/* Wake the waiter with the highest key (FIFO among equals); as above. */
int64_t mk__wq_wake_best(mk_t *k, mk__wq_t *wq, int code);
/* Wake every waiter with `code`; returns how many. */
uint32_t mk__wq_wake_all(mk_t *k, mk__wq_t *wq, int code);
/* Wake every waiter acting for pid with `code` (exit hooks); returns count. */
uint32_t mk__wq_wake_pid(mk_t *k, mk__wq_t *wq, mk_pid_t pid, int code);
/* The waiter acting for pid, or NULL (to change its key, e.g. for priority
 * inheritance: set ->prio under the object lock). */
struct mk__wait *mk__wq_find(mk__wq_t *wq, mk_pid_t pid);
static inline bool mk__wq_empty(const mk__wq_t *wq) { return wq->head == NULL; }

/* ---- priorities ---------------------------------------------------------- */

/* Effective priority of pid (higher = more urgent), or MK_PRIO_DEFAULT for
 * pid 0 and for unknown pids. */
uint32_t mk__sched_prio(mk_t *k, mk_pid_t pid);
/* Base priority of pid (what mk_proc_spawn / mk_proc_set_priority set). */
uint32_t mk__sched_base_prio(mk_t *k, mk_pid_t pid);
/* Set the priority pid inherits from the lock waiters it blocks
 * (MK_PRIO_NONE = no inheritance). Its effective priority becomes
 * max(base, inherited); emits MK_EV_PRIO when it changes and requeues the
 * process if it is ready. Returns 0 or MK_ENOENT. */
#define MK_PRIO_NONE 0u
int mk__sched_set_inherited(mk_t *k, mk_pid_t pid, uint32_t inherited);

/* ---- killing ------------------------------------------------------------- */

/* Kill pid with exit status `status` (what mk_kill and the default
 * exception handler do): a body ends (blocked/sleeping: woken with
 * MK_EDESTROYED, then terminated at its next kernel entry), a body-less
 * process is destroyed. Exit hooks run (everything it owns is released).
 * Returns 0, MK_ENOENT, or MK_EPERM for pid 0. */
int mk__sched_kill(mk_t *k, mk_pid_t pid, int status);

/* ---- trace helpers ------------------------------------------------------- */

/* Emit an event for the calling process (mk__sched_current; 0 for a host
 * thread). See trace.h for a/b per type. */
static inline void mk__trace_self(mk_t *k, uint32_t type, uint64_t a, uint64_t b)
{
    if (atomic_load_explicit(&k->trace_on, memory_order_relaxed))
        mk__trace_emit_slow(k, type, mk__sched_current(k), a, b);
}

#endif /* MK_SRC_SCHED_H */
