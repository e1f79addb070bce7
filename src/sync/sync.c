/*
 * sync.c - sync module state: the maps of named synchronisation objects.
 *
 * Sits on core only. Semaphores belong to the context, not to a process,
 * so this module registers no process hooks yet; mutexes (a later version)
 * are owned by processes and will register an on_exit hook here to release
 * the mutexes a dying process holds.
 */
#include "sync_int.h"

#include <stdlib.h>

int mk__sync_init(mk_t *k)
{
    struct mk__sync *s = calloc(1, sizeof *s);
    if (s == NULL)
        return MK_ENOMEM;
    if (pthread_rwlock_init(&s->lock, NULL) != 0) {
        free(s);
        return MK_ENOMEM;
    }
    mk__htab_init(&s->sems, MK__H_SEM);
    mk__nmap_init(&s->sem_names);
    k->sync = s;
    return 0;
}

void mk__sync_fini(mk_t *k)
{
    struct mk__sync *s = k->sync;
    if (s == NULL)
        return;
    mk__sem_fini_all(s);
    mk__htab_fini(&s->sems);
    mk__nmap_fini(&s->sem_names);
    pthread_rwlock_destroy(&s->lock);
    free(s);
    k->sync = NULL;
}
