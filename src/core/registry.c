/*
 * registry.c - named-object registry (see registry.h): one generation-
 * tagged handle table and one name map under a rwlock, plus reference
 * counting, shared by named queues, semaphores and mutexes.
 *
 * Sits on core only (handle.c, hmap.c). Lookups take the read lock just
 * long enough to find the object and take a reference; add and remove take
 * the write lock. The registry never locks or frees an object itself
 * except through the object's free function on the last unref.
 */
#include "registry.h"

#include <string.h>

void mk__robj_init(struct mk__robj *o, mk__robj_free_fn free_fn)
{
    atomic_init(&o->refs, 1);
    o->handle = 0;
    o->name[0] = '\0';
    o->free_fn = free_fn;
}

void mk__robj_ref(struct mk__robj *o)
{
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

void mk__robj_unref(struct mk__robj *o)
{
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1)
        o->free_fn(o);
}

int mk__registry_init(mk__registry_t *r, uint8_t htype)
{
    if (pthread_rwlock_init(&r->lock, NULL) != 0)
        return MK_ENOMEM;
    mk__htab_init(&r->tab, htype);
    mk__nmap_init(&r->names);
    return 0;
}

void mk__registry_fini(mk__registry_t *r)
{
    uint32_t cur = 0;
    struct mk__robj *o;
    while ((o = mk__htab_next(&r->tab, &cur, NULL)) != NULL)
        o->free_fn(o); /* whatever references are left belong to bodies
                        * abandoned at mk_destroy: they never run again */
    mk__htab_fini(&r->tab);
    mk__nmap_fini(&r->names);
    pthread_rwlock_destroy(&r->lock);
}

int mk__registry_add_if(mk__registry_t *r, struct mk__robj *o, const char *name,
                        int (*accept)(mk__registry_t *r, void *ctx), void *ctx)
{
    size_t n = strlen(name);
    if (n > MK_NAME_MAX)
        return MK_ENAMETOOLONG;
    memcpy(o->name, name, n + 1);
    int rc;
    pthread_rwlock_wrlock(&r->lock);
    if (mk__nmap_get(&r->names, name) != NULL) {
        rc = MK_EEXIST;
    } else if (accept != NULL && (rc = accept(r, ctx)) != 0) {
        /* refused by the caller's rule */
    } else if ((rc = mk__htab_insert(&r->tab, o, &o->handle)) == 0) {
        rc = mk__nmap_put(&r->names, name, o);
        if (rc != 0)
            mk__htab_remove(&r->tab, o->handle);
    }
    pthread_rwlock_unlock(&r->lock);
    return rc;
}

int mk__registry_add(mk__registry_t *r, struct mk__robj *o, const char *name)
{
    return mk__registry_add_if(r, o, name, NULL, NULL);
}

struct mk__robj *mk__registry_get(mk__registry_t *r, uint64_t h)
{
    pthread_rwlock_rdlock(&r->lock);
    struct mk__robj *o = mk__htab_get(&r->tab, h);
    if (o != NULL)
        mk__robj_ref(o);
    pthread_rwlock_unlock(&r->lock);
    return o;
}

struct mk__robj *mk__registry_find(mk__registry_t *r, const char *name)
{
    pthread_rwlock_rdlock(&r->lock);
    struct mk__robj *o = mk__nmap_get(&r->names, name);
    if (o != NULL)
        mk__robj_ref(o);
    pthread_rwlock_unlock(&r->lock);
    return o;
}

struct mk__robj *mk__registry_remove(mk__registry_t *r, uint64_t h)
{
    pthread_rwlock_wrlock(&r->lock);
    struct mk__robj *o = mk__htab_remove(&r->tab, h);
    if (o != NULL)
        mk__nmap_del(&r->names, o->name);
    pthread_rwlock_unlock(&r->lock);
    return o;
}

uint32_t mk__registry_count(mk__registry_t *r)
{
    pthread_rwlock_rdlock(&r->lock);
    uint32_t n = r->tab.count;
    pthread_rwlock_unlock(&r->lock);
    return n;
}

void mk__registry_foreach(mk__registry_t *r, void (*fn)(struct mk__robj *o, void *ctx),
                          void *ctx)
{
    pthread_rwlock_rdlock(&r->lock);
    uint32_t cur = 0;
    struct mk__robj *o;
    while ((o = mk__htab_next(&r->tab, &cur, NULL)) != NULL)
        fn(o, ctx);
    pthread_rwlock_unlock(&r->lock);
}
