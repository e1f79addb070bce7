/*
 * sync.c - sync module state: the semaphore table, the registry of named
 * mutexes, the mutex lock, and the process-exit hook.
 *
 * Sits on core (registry, hooks) and proc (sched.h wait queues).
 * Semaphores belong to the context, not to a process; mutexes are opened
 * by processes, so the exit hook releases and closes a dying process's
 * mutexes (mutex.c).
 */
#include "sync_int.h"

#include <stdlib.h>

static void mk__sync_on_exit(mk_t *k, mk_pid_t pid)
{
    mk__mutex_on_exit(k, pid);
}

int mk__sync_init(mk_t *k)
{
    struct mk__sync *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MK_ENOMEM;
    if (mk__semtab_init(&s->sems) != 0)
        goto fail_s;
    if (mk__registry_init(&s->mutexes, MK__H_MUTEX) != 0)
        goto fail_sems;
    if (pthread_mutex_init(&s->mx_lock, NULL) != 0)
        goto fail_mx;
    mk__hmap_init(&s->mxprocs);
    mk__wq_init(&s->slot_wq, MK__H_MUTEX, 0);
    k->sync = s;
    int rc = mk__hook_register(k, NULL, mk__sync_on_exit);
    if (rc != 0) {
        mk__sync_fini(k);
        return rc;
    }
    return 0;
fail_mx:
    mk__registry_fini(&s->mutexes);
fail_sems:
    mk__semtab_fini(&s->sems);
fail_s:
    free(s);
    return MK_ENOMEM;
}

void mk__sync_fini(mk_t *k)
{
    struct mk__sync *s = k->sync;
    if (s == NULL)
        return;
    mk__semtab_fini(&s->sems);
    mk__registry_fini(&s->mutexes);
    size_t cur = 0;
    void *v;
    while ((v = mk__hmap_next(&s->mxprocs, &cur, NULL)) != NULL)
        free(v);
    mk__hmap_fini(&s->mxprocs);
    pthread_mutex_destroy(&s->mx_lock);
    free(s);
    k->sync = NULL;
}
