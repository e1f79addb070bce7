/*
 * registry.h - named-object registry: the "handle table + name map under a
 * rwlock + reference count" that named queues (ipc), semaphores and mutexes
 * (sync) share.
 *
 * An object embeds struct mk__robj (anywhere; recover the object with
 * containerof-style arithmetic or put it first). The registry holds one
 * reference while the object is published; every lookup (get by handle,
 * find by name) returns the object with one more reference, which the
 * caller drops with mk__robj_unref when its call is over, including after
 * waiting in the object. mk__registry_remove unpublishes (handle turns
 * stale: later lookups get NULL -> MK_EBADH; the name becomes free) and
 * hands the registry's reference to the caller, who marks the object dead,
 * wakes its waiters and unrefs; the last unref calls the object's free
 * function. So a delete racing a blocked waiter never frees under it.
 *
 * Locking: the registry's rwlock guards the two maps only, never the
 * objects. Lock order: registry lock -> the object's own lock; never take
 * the registry lock while holding an object lock.
 */
#ifndef MK_SRC_REGISTRY_H
#define MK_SRC_REGISTRY_H

#include "core.h"

struct mk__robj;
typedef void (*mk__robj_free_fn)(struct mk__robj *o);

struct mk__robj {
    _Atomic uint32_t refs;
    uint64_t handle;              /* set when published */
    char name[MK_NAME_MAX + 1];   /* set when published */
    mk__robj_free_fn free_fn;
};

typedef struct mk__registry {
    pthread_rwlock_t lock;
    mk__htab_t tab;    /* handle -> struct mk__robj* */
    mk__nmap_t names;  /* name -> struct mk__robj* */
} mk__registry_t;

/* The object starts with one reference (the creator's, which becomes the
 * registry's on a successful add). */
void mk__robj_init(struct mk__robj *o, mk__robj_free_fn free_fn);
void mk__robj_ref(struct mk__robj *o);
void mk__robj_unref(struct mk__robj *o);

/* MK_ENOMEM if the lock cannot be made. */
int mk__registry_init(mk__registry_t *r, uint8_t htype);
/* Frees every object still published, whatever its count (context
 * teardown: nobody waits any more; references still held belong to
 * process bodies abandoned by mk_destroy, which never run again). */
void mk__registry_fini(mk__registry_t *r);
/* Publish o under name (checked by the caller with mk__name_check; copied
 * into o->name); sets o->handle. MK_EEXIST (name taken) or MK_ENOMEM: the
 * caller still owns its reference and frees the object. */
int mk__registry_add(mk__registry_t *r, struct mk__robj *o, const char *name);
/* Publish as above, but only if accept(o, ctx) returns 0 under the write
 * lock (e.g. a system-wide limit); its error otherwise. */
int mk__registry_add_if(mk__registry_t *r, struct mk__robj *o, const char *name,
                        int (*accept)(mk__registry_t *r, void *ctx), void *ctx);
/* +1 reference, or NULL if h is stale, forged or of another type. */
struct mk__robj *mk__registry_get(mk__registry_t *r, uint64_t h);
/* +1 reference, or NULL if no object has that name. */
struct mk__robj *mk__registry_find(mk__registry_t *r, const char *name);
/* Unpublish; returns o with the registry's reference now the caller's, or
 * NULL if h is not published. If expect is not NULL, removes only that
 * object (h may have been reused otherwise cannot happen: generations). */
struct mk__robj *mk__registry_remove(mk__registry_t *r, uint64_t h);
/* Number of published objects. */
uint32_t mk__registry_count(mk__registry_t *r);
/* Call fn on every published object under the read lock (fn may take the
 * object's lock, must not call back into the registry). */
void mk__registry_foreach(mk__registry_t *r, void (*fn)(struct mk__robj *o, void *ctx),
                          void *ctx);

#endif /* MK_SRC_REGISTRY_H */
