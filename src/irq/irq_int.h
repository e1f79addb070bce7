/*
 * irq_int.h - private interface between the files of the irq module:
 * ctl.c (the interrupt controller, module set-up), term.c (terminal input
 * ring and its readers), exc.c (per-process exception handlers).
 *
 * Locks, each a leaf except as noted, never two of ours held at once:
 *   struct mk__irq.lock  - controller state (pending, masks, handlers,
 *                          level); never held while a handler runs.
 *   struct mk__irq.tlock - terminal ring and reader queue; held across
 *                          mk__wq_wait (released while waiting) and while
 *                          waking readers (lock order: ours -> scheduler).
 *   struct mk__irq.xlock - exception handler map; never held while a
 *                          handler runs or a process is killed.
 */
#ifndef MK_SRC_IRQ_INT_H
#define MK_SRC_IRQ_INT_H

#include "irq.h"
#include "../proc/sched.h"

struct mk__irq_h {
    mk_irq_fn fn;
    void *ctx;
};

struct mk__irq_line {
    uint32_t prio;
    uint32_t nh;                 /* handlers attached */
    struct mk__irq_h h[MK_IRQ_HANDLERS_MAX];
    uint32_t running;            /* deliveries of this line in progress */
    uint64_t count;              /* deliveries (clock: slow-path ones) */
};

/* A blocked terminal reader; lives on the reader's stack while it waits. */
struct mk__term_rx {
    struct mk__term_rx *next;
    mk__wq_t wq;                 /* just this reader */
    mk_pid_t pid;
    unsigned char *buf;
    size_t cap;
    size_t got;                  /* characters handed over */
    int rc;                      /* hand-off result (0 or MK_EDESTROYED) */
    bool done;                   /* handed over: got/rc are final */
};

struct mk__irq {
    /* controller */
    pthread_mutex_t lock;
    pthread_cond_t idle;         /* a line's running count fell to 0 */
    uint32_t pending, masked;
    uint32_t level;              /* priority of the handler running, 0 none */
    bool busy;                   /* some thread is delivering */
    _Atomic uintptr_t dthread;   /* the deliverer's thread token, 0 none */
    _Atomic mk_pid_t dpid;       /* the pid running on it (0 = host) */
    mk_pid_t deferred_kill;      /* body to kill when the delivery ends */
    struct mk__irq_line line[MK_IRQ_LINES];
    /* Fast path of the clock tick: nonzero when a tick needs the lock
     * (clock handlers attached, clock masked, or a deliverable line
     * pending). Recomputed under lock by every change of those. */
    _Atomic uint32_t slow;
    _Atomic uint64_t clock_quiet; /* clock deliveries taken lock-free */

    /* terminal */
    pthread_mutex_t tlock;
    unsigned char ring[MK_TERM_BUF_SIZE];
    uint32_t head, count;        /* oldest character, characters held */
    uint64_t refused;
    struct mk__term_rx *rx_head, *rx_tail;

    /* exceptions */
    pthread_mutex_t xlock;
    mk__hmap_t exc;              /* pid -> struct mk__exc_rec* */
};

/* term.c */
void mk__term_deliver(mk_t *k);      /* the terminal line's kernel handler */
void mk__term_on_exit(mk_t *k, mk_pid_t pid);

/* exc.c */
void mk__exc_init(mk_t *k);          /* installs the mem violation notifier */
void mk__exc_fini(mk_t *k);
int mk__exc_on_create(mk_t *k, mk_pid_t pid);
void mk__exc_on_exit(mk_t *k, mk_pid_t pid);

/* ctl.c: true while the calling thread delivers interrupts of k. */
bool mk__irq_in_handler(mk_t *k);
/* ctl.c: set line's pending bit and deliver it if the rules allow (no
 * lock of ours held, no kernel entry: the caller made it). */
void mk__irq_raise_line(mk_t *k, uint32_t line);
/* ctl.c: kill body pid (the one a handler runs in) once the current
 * delivery has finished. */
void mk__irq_defer_kill(mk_t *k, mk_pid_t pid);
/* Kernel entry of a public irq call (mk__sched_enter), skipped inside a
 * handler. 0 or MK_EDESTROYED (a killed thread body). */
int mk__irq_enter(mk_t *k);

#endif /* MK_SRC_IRQ_INT_H */
