/*
 * sync_int.h - private interface between the files of the sync module
 * (sync.c: module state, set-up, process hooks; sem.c: counting
 * semaphores; mutex.c: seed-003 mutexes).
 *
 * Mutexes are published in a named-object registry (core/registry.h).
 * Semaphores have their own table (struct mk__semtab, sem.c): type-stable
 * objects that are never freed before mk_destroy, so a handle resolves
 * without a lock (see sem.c). Waiters wait in generic wait queues
 * (proc/sched.h), so a body is suspended and a host thread blocks on a
 * condvar.
 *
 * Lock order: semtab.lock -> a semaphore's lock -> scheduler lock;
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

struct mk__sem;
typedef _Atomic(struct mk__sem *) mk__semp_t;

/* Semaphore table: slot i holds the same object for the life of the
 * context (re-used by later semaphores after a delete, with a new
 * generation). dir[] and the chunks are written once under lock and read
 * without it (acquire loads). 1024 slots per chunk, 4096 chunks (a 32 KiB
 * directory, under malloc's mmap threshold, so mk_create stays cheap): at
 * most 4,194,304 semaphores at once (MK_ENOMEM beyond). */
#define MK__SEMDIR_SHIFT 10u
#define MK__SEMDIR_CHUNK (1u << MK__SEMDIR_SHIFT)
#define MK__SEMDIR_CHUNKS 4096u
struct mk__semtab {
    pthread_mutex_t lock;   /* names, free list, used, growth of dir */
    mk__nmap_t names;       /* name -> struct mk__sem* (live ones) */
    struct mk__sem *free;   /* deleted objects, re-used last-in first-out */
    uint32_t used;          /* slots ever handed out */
    _Atomic(mk__semp_t *) dir[MK__SEMDIR_CHUNKS];
};

int mk__semtab_init(struct mk__semtab *t);
void mk__semtab_fini(struct mk__semtab *t);

struct mk__sync {
    struct mk__semtab sems; /* struct mk__sem (sem.c) */
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
