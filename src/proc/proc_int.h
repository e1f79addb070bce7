/*
 * proc_int.h - private interface between the files of the proc module:
 * proc.c (pid table, spawn, wait, kill, public calls), runq.c (ready
 * queues, timers), sched.c (waking, context switch, mk_run), entry.c
 * (virtual clock, kernel entry), life.c (process life calls), wq.c (wait
 * queues).
 *
 * One lock, struct mk__proc.lock ("the scheduler lock"), guards the pid
 * table, every pcb, the ready queues, the timers and the CPU. Lock order:
 * other modules' locks -> exit_lock -> lock. Exit hooks run with neither
 * held. A pcb is freed only when it is reaped (mk_wait / mk_proc_destroy of
 * a zombie / destroy of a body-less process) or at mk_destroy.
 */
#ifndef MK_SRC_PROC_INT_H
#define MK_SRC_PROC_INT_H

#include "sched.h"
#include "proc.h"

#include <ucontext.h>

enum mk__pphase {
    MK__P_CREATING = 1, /* reserved; hooks running; invisible */
    MK__P_LIVE = 2,     /* visible */
    MK__P_EXITING = 3,  /* exit hooks running; invisible, pid still taken */
    MK__P_ZOMBIE = 4,   /* body ended, hooks done; waits to be reaped */
};

#define MK__NPRIO 32

struct mk__pcb {
    mk_pid_t pid;
    uint8_t phase;        /* enum mk__pphase */
    uint32_t state;       /* mk_proc_state_t */
    uint32_t base_prio, inh_prio, prio; /* prio = max(base, inh) */
    uint64_t created_at;
    uint64_t cpu_ticks;

    /* body (bodied == false: host threads act for it, never scheduled) */
    bool bodied, started, ended, killed, reaping;
    uint32_t flags;       /* MK_PROC_THREAD */
    mk_body_fn body;
    void *arg;
    mk_pid_t parent;
    int32_t status;

    /* scheduling */
    struct mk__pcb *rq_next, *rq_prev;
    bool on_rq;
    uint64_t slice_left;
    struct mk__wait *wait; /* while BLOCKED in mk__wq_wait */
    bool timed_out;        /* a timer ended the wait */
    uint64_t timer_gen;    /* invalidates stale heap entries */

    /* fiber */
    ucontext_t uc;         /* context (portable switch) */
    void *sp;              /* saved stack pointer (fast x86-64 switch) */
    void *stack;
    size_t stack_size;
    void *asan_fake;       /* ASan fake stack of the suspended fiber */
    void *tsan_fiber;
    /* thread */
    pthread_t thread;
    bool thread_made;
    pthread_cond_t baton_cond;
    mk__wq_t exit_wq;      /* mk_wait callers (under exit_lock) */
};

struct mk__timer {
    uint64_t when, seq;
    mk_pid_t pid;
    uint64_t gen;
};

struct mk__proc {
    pthread_mutex_t lock;
    mk__hmap_t table;   /* pid -> struct mk__pcb*, every phase */
    uint32_t live;      /* pcbs in LIVE or ZOMBIE (visible) */
    mk_pid_t hint;

    /* ready queues: bit i of bitmap set <=> rq[i] non-empty */
    uint32_t bitmap;
    struct { struct mk__pcb *head, *tail; } rq[MK__NPRIO];

    /* timers: binary min-heap on (when, seq) */
    struct mk__timer *timers;
    size_t ntimers, timercap;
    uint64_t timer_seq;

    /* the CPU */
    struct mk__pcb *current;   /* running body or NULL */
    struct mk__pcb *baton;     /* THREAD backend: who may run */
    struct mk__pcb *back;      /* the body that last gave the CPU back to mk_run */
    bool in_run, stop, need_resched, dying;
    bool idle;                 /* mk_run waits on run_cond for a host wake */
    uint64_t limit;            /* mk_run's tick limit */
    uint32_t bodies;           /* spawned, not yet ended */
    pthread_cond_t run_cond;   /* mk_run waits here (idle, baton) */
    ucontext_t main_uc;
    void *main_sp;
    const void *main_stack;    /* ASan: the mk_run thread's stack */
    size_t main_stack_size;
    void *tsan_main;

    mk__tick_fn tick_fn;
    void *tick_ctx;
    _Atomic uint32_t tick_quiet;   /* mk__sched_tick_gate: skip the hook */
    _Atomic uint64_t tick_skipped; /* advances not passed to the hook (lock) */

    /* mk_wait: guards every pcb's exit_wq */
    pthread_mutex_t exit_lock;
};

/* runq.c, sched.c and entry.c (lock held unless said otherwise) */
void mk__rq_push(struct mk__proc *p, struct mk__pcb *pcb, bool front);
void mk__rq_remove(struct mk__proc *p, struct mk__pcb *pcb);
/* Highest non-empty priority level, -1 when nothing is ready. */
int mk__rq_top(const struct mk__proc *p);
/* Take the first process of the highest level (NULL when none). */
struct mk__pcb *mk__rq_pick(struct mk__proc *p);
/* Make a BLOCKED or SLEEPING body READY (no-op otherwise). */
void mk__sched_ready_locked(mk_t *k, struct mk__pcb *pcb, int code);
/* Advance the clock by n with the lock held; charges `charge` (may be
 * NULL). Returns the old time (caller runs the tick hook after unlock). */
uint64_t mk__clock_locked(mk_t *k, uint64_t n, struct mk__pcb *charge);
void mk__tick_hook_run(mk_t *k, uint64_t from, uint64_t to);
int mk__timer_add(struct mk__proc *p, struct mk__pcb *pcb, uint64_t when);
/* The earliest timer (NULL when none), and removing it. */
const struct mk__timer *mk__timer_top(struct mk__proc *p);
void mk__timer_pop(struct mk__proc *p);
/* Who runs on this OS thread: the context whose mk_run it is in (or whose
 * THREAD body it is) and the body running, NULL between bodies. The
 * initial-exec TLS model makes each access one %fs-relative load instead
 * of a __tls_get_addr call (the default for a shared library); it takes a
 * few bytes of the static TLS surplus glibc keeps for dlopen'd libraries
 * (the Python binding loads libmk that way). */
struct mk__tls {
    mk_t *k;
    struct mk__pcb *pcb;
};
extern _Thread_local struct mk__tls mk__tls
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* The calling body's pcb, or NULL (host thread). No lock needed. */
static inline struct mk__pcb *mk__self_pcb(mk_t *k)
{
    return mk__tls.k == k ? mk__tls.pcb : NULL;
}
/* Suspend the calling body (its state already set; lock held; returns with
 * it held when the body runs again). */
void mk__switch_out(mk_t *k, struct mk__pcb *self);
/* End the calling body now (lock held). Fibers never return; THREAD
 * bodies return (their kernel calls then fail). */
void mk__body_die(mk_t *k, struct mk__pcb *self, int32_t status);
struct mk__pcb *mk__pcb_get(struct mk__proc *p, mk_pid_t pid);
void mk__pcb_free(struct mk__pcb *pcb);
void mk__sched_fini_bodies(mk_t *k);
/* A body ended (or was killed before it ever ran): release its stack or
 * thread, run the exit hooks, make it a zombie, wake mk_wait callers.
 * Lock held on entry and on return (released inside). */
void mk__sched_finish(mk_t *k, struct mk__pcb *pcb);
int mk__fiber_make(struct mk__pcb *pcb, size_t size);
void mk__prio_update(mk_t *k, struct mk__pcb *pcb);

#endif /* MK_SRC_PROC_INT_H */
