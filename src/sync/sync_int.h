/*
 * sync_int.h - private interface between the files of the sync module
 * (sync.c: module state, set-up, process hooks; sem.c: counting
 * semaphores; mutex.c: seed-003 mutexes).
 *
 * Both kinds of object are published in a named-object registry
 * (core/registry.h). Waiters wait in generic wait queues (proc/sched.h), so
 * a body is suspended and a host thread blocks on a condvar.
 *
 * Lock order: registry lock -> a semaphore's lock -> scheduler lock;
 * mx_lock (all mutex state: owners, waiters, opens, per-process records,
 * the wait-for graph) -> registry lock -> scheduler lock. Never take
 * mx_lock while holding a registry lock.
 */
#ifndef MK_SRC_SYNC_INT_H
#define MK_SRC_SYNC_INT_H

#include "../core/core.h"
#include "../core/registry.h"
#include "../proc/sched.h"

#include <microkernel/sync.h>

struct mk__sync {
    mk__registry_t sems;    /* struct mk__sem */
    mk__registry_t mutexes; /* struct mk__mutex */
    pthread_mutex_t mx_lock;
    mk__hmap_t mxprocs;     /* pid -> struct mk__mxproc* */
    uint32_t mx_count;      /* mutexes that exist (<= MK_MUTEX_SYS_MAX) */
    mk__wq_t slot_wq;       /* creators waiting for a free slot */
    uint32_t cycle_n;       /* last deadlock cycle */
    mk_pid_t cycle_pids[MK_MUTEX_CYCLE_MAX];
    mk_mutex_t cycle_mx[MK_MUTEX_CYCLE_MAX];
};

/* mutex.c: process exit hook (releases and closes everything pid holds). */
void mk__mutex_on_exit(mk_t *k, mk_pid_t pid);

#endif /* MK_SRC_SYNC_INT_H */
