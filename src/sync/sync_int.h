/*
 * sync_int.h - private interface between the files of the sync module
 * (sync.c: module state and set-up; sem.c: counting semaphores). Mutexes
 * arrive in a later version as mutex.c with their own table here.
 *
 * Lock order: struct mk__sync.lock (rwlock over the maps) -> an object's
 * own mutex. Never take sync.lock while holding an object's mutex.
 */
#ifndef MK_SRC_SYNC_INT_H
#define MK_SRC_SYNC_INT_H

#include "../core/core.h"

#include <microkernel/sync.h>

struct mk__sync {
    pthread_rwlock_t lock;  /* guards the maps below, not the objects */
    mk__htab_t sems;        /* handle -> struct mk__sem* */
    mk__nmap_t sem_names;   /* name -> struct mk__sem* */
};

/* sem.c: drop every semaphore at context teardown (no waiters left). */
void mk__sem_fini_all(struct mk__sync *s);

#endif /* MK_SRC_SYNC_INT_H */
