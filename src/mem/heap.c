/*
 * heap.c - the mem module's assembly and its heaps: the simulated memory
 * (arena), the carving of heaps from it, the heap API (create, destroy,
 * reset, fallback, statistics) and the dispatch to the allocator kinds.
 *
 * Sits on core (handle tables, hash maps, hooks); the allocator kinds sit
 * below it (bump.c, tlsf.c, fixed.c) and block.c above it.
 *
 * The arena is malloc'd at mk_create(), or is the caller's region (then no
 * arena is allocated; only heap records and block records come from the
 * host allocator). Heaps are carved first fit from a list of ranges sorted
 * by offset; the default heap takes the start of the arena.
 *
 * Locks: see heap.h. A heap is only freed under mem->lock after it has
 * left the handle table, every thread cache has given back its blocks of
 * that heap and forgotten it, and carved is 0.
 * Statistics, checks, reset and destroy first flush the thread caches of
 * the heap (tcache.c), so what they see is exactly what a cacheless heap
 * would show: cached blocks were counted as freed when their owner freed
 * them, and the flush returns their bytes to the allocator.
 */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

struct mk__heap *mk__heap_lookup(struct mk__mem *m, mk_heap_t h)
{
    if (h == MK_HEAP_DEFAULT)
        return m->dflt;
    return mk__htab_get(&m->heaps, h);
}

/* ---- kind dispatch ------------------------------------------------------- */

static uint64_t kind_used(const struct mk__heap *h)
{
    switch (h->kind) {
    case MK_HEAP_BUMP: return mk__bump_used(h);
    case MK_HEAP_FREELIST: return mk__tlsf_used(h);
    default: return mk__fixed_used(h);
    }
}

static uint64_t kind_largest(const struct mk__heap *h)
{
    switch (h->kind) {
    case MK_HEAP_BUMP: return mk__bump_largest(h);
    case MK_HEAP_FREELIST: return mk__tlsf_largest(h);
    default: return mk__fixed_largest(h);
    }
}

/* mem->lock held by the caller (block.c). The heap's own lock is not
 * taken here: every path that reaches a heap's allocator state (block
 * alloc/free, reset, destroy, stats, check) already holds mem->lock, so
 * a nested lock would only add two atomic round trips per call. */
int mk__heap_alloc(struct mk__heap *h, uint64_t size, uint64_t *off)
{
    int rc;
    switch (h->kind) {
    case MK_HEAP_BUMP: rc = mk__bump_alloc(h, size, off); break;
    case MK_HEAP_FREELIST: rc = mk__tlsf_alloc(h, size, off); break;
    default: rc = mk__fixed_alloc(h, size, off); break;
    }
    if (rc == 0) {
        h->carved++;
        h->live++;
        h->allocs++;
        h->requested += size;
        uint64_t used = kind_used(h);
        if (used > h->high_water)
            h->high_water = used;
    } else {
        h->failed++;
    }
    return rc;
}

void mk__heap_free(struct mk__heap *h, uint64_t off, uint64_t size)
{
    h->live--;
    h->frees++;
    h->requested -= size;
    mk__heap_raw_free(h, off);
}

void mk__heap_raw_free(struct mk__heap *h, uint64_t off)
{
    h->carved--;
    switch (h->kind) {
    case MK_HEAP_BUMP: mk__bump_free(h, off); break;
    case MK_HEAP_FREELIST: mk__tlsf_free(h, off); break;
    default: mk__fixed_free(h, off); break;
    }
}

/* ---- heap objects and ranges ---------------------------------------------- */

static void heap_free_obj(struct mk__heap *h)
{
    if (h->kind == MK_HEAP_FIXED)
        mk__fixed_fini(h);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int heap_new(struct mk__mem *m, uint32_t kind, uint64_t off, uint64_t cap,
                    struct mk__heap **out)
{
    struct mk__heap *h = calloc(1, sizeof *h);
    if (h == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return MK_ENOMEM;
    }
    h->kind = kind;
    h->off = off;
    h->cap = cap;
    h->base = m->base + off;
    switch (kind) {
    case MK_HEAP_BUMP: mk__bump_init(h); break;
    case MK_HEAP_FREELIST: mk__tlsf_init(h); break;
    default:
        if (mk__fixed_init(h) != 0) {
            pthread_mutex_destroy(&h->lock);
            free(h);
            return MK_ENOMEM;
        }
        h->fallback = m->dflt;
        break;
    }
    *out = h;
    return 0;
}

/* First fit over the gaps between heaps; mem->lock held. Returns the
 * offset and the range-list node to insert after (NULL = at the head). */
static bool range_find(struct mk__mem *m, uint64_t cap, uint64_t *off, struct mk__heap **after)
{
    uint64_t end = 0;
    struct mk__heap *prev = NULL;
    for (struct mk__heap *r = m->ranges; r != NULL; prev = r, r = r->rnext) {
        if (r->off - end >= cap) {
            *off = end;
            *after = prev;
            return true;
        }
        end = r->off + r->cap;
    }
    if (m->size - end >= cap) {
        *off = end;
        *after = prev;
        return true;
    }
    return false;
}

static void range_link(struct mk__mem *m, struct mk__heap *h, struct mk__heap *after)
{
    h->rprev = after;
    h->rnext = after ? after->rnext : m->ranges;
    if (h->rnext)
        h->rnext->rprev = h;
    if (after)
        after->rnext = h;
    else
        m->ranges = h;
}

static void range_unlink(struct mk__mem *m, struct mk__heap *h)
{
    if (h->rprev)
        h->rprev->rnext = h->rnext;
    else
        m->ranges = h->rnext;
    if (h->rnext)
        h->rnext->rprev = h->rprev;
}

/* ---- public heap API ------------------------------------------------------ */

int mk_heap_create(mk_t *k, uint32_t kind, uint64_t size, mk_heap_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || size == 0 ||
        (kind != MK_HEAP_BUMP && kind != MK_HEAP_FREELIST && kind != MK_HEAP_FIXED))
        return MK_EINVAL;
    if (size < MK_HEAP_MIN_SIZE)
        return MK_ERANGE;
    struct mk__mem *m = k->mem;
    uint64_t gran = kind == MK_HEAP_FIXED ? MK_HEAP_FIXED_SLAB : MK__ALIGN;
    if (size > m->size)
        return MK_ENOMEM;
    uint64_t cap = (size + gran - 1) / gran * gran;

    pthread_mutex_lock(&m->lock);
    uint64_t off;
    struct mk__heap *after, *h;
    int rc = MK_ENOMEM;
    if (range_find(m, cap, &off, &after) && (rc = heap_new(m, kind, off, cap, &h)) == 0) {
        if ((rc = mk__htab_insert(&m->heaps, h, &h->handle)) != 0) {
            heap_free_obj(h);
        } else {
            range_link(m, h, after);
            if (h->fallback)
                h->fallback->fallback_users++;
            *out = h->handle;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_heap_destroy(mk_t *k, mk_heap_t hh)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    if (hh == MK_HEAP_DEFAULT) {
        pthread_mutex_unlock(&m->lock);
        return MK_EPERM;
    }
    struct mk__heap *h = mk__htab_get(&m->heaps, hh);
    int rc = 0;
    if (h == NULL)
        rc = MK_EBADH;
    else if (h->fallback_users != 0)
        rc = MK_EBUSY;
    else {
        mk__tc_flush_heap(m, h, NULL, true); /* cached blocks go home first */
        if (h->carved != 0)
            rc = MK_EBUSY;
    }
    if (rc == 0) {
        mk__htab_remove(&m->heaps, hh);
        range_unlink(m, h);
        if (h->fallback)
            h->fallback->fallback_users--;
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == 0)
        heap_free_obj(h); /* unreachable, uncached and carved == 0: nobody inside */
    return rc;
}

int mk_heap_reset(mk_t *k, mk_heap_t hh)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__heap *h = mk__heap_lookup(m, hh);
    int rc = 0;
    if (h == NULL)
        rc = MK_EBADH;
    else if (h->kind != MK_HEAP_BUMP)
        rc = MK_ENOTSUP;
    else if (mk__tc_flush_heap(m, h, NULL, false), h->carved != 0)
        rc = MK_EBUSY;
    else {
        pthread_mutex_lock(&h->lock);
        mk__bump_init(h);
        pthread_mutex_unlock(&h->lock);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_heap_set_fallback(mk_t *k, mk_heap_t fixed, mk_heap_t fallback)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__heap *f = mk__heap_lookup(m, fixed), *fb = mk__heap_lookup(m, fallback);
    int rc = 0;
    if (f == NULL || fb == NULL)
        rc = MK_EBADH;
    else if (f->kind != MK_HEAP_FIXED || fb->kind != MK_HEAP_FREELIST)
        rc = MK_EINVAL;
    else {
        f->fallback->fallback_users--;
        f->fallback = fb;
        fb->fallback_users++;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_heap_stats(mk_t *k, mk_heap_t hh, mk_heap_stats_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < sizeof(mk_heap_stats_t))
        return MK_EINVAL;
    struct mk__mem *m = k->mem;
    mk_heap_stats_t s;
    memset(&s, 0, sizeof s);
    pthread_mutex_lock(&m->lock);
    struct mk__heap *h = mk__heap_lookup(m, hh);
    if (h == NULL) {
        pthread_mutex_unlock(&m->lock);
        return MK_EBADH;
    }
    mk__tc_flush_heap(m, h, NULL, false);
    pthread_mutex_lock(&h->lock);
    s.size = (uint32_t)sizeof s;
    s.kind = h->kind;
    s.capacity = h->cap;
    s.used = kind_used(h);
    s.free = h->cap - s.used;
    s.largest_free = kind_largest(h);
    s.high_water = h->high_water;
    s.live_blocks = h->live;
    s.allocs = h->allocs;
    s.frees = h->frees;
    s.failed = h->failed;
    s.requested = h->requested;
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&m->lock);
    /* 1000 * (1 - largest/free), computed without floating point. */
    if (s.free != 0)
        s.fragmentation_permille =
            (uint32_t)((s.free - s.largest_free) * 1000 / s.free); /* free <= 2^40 */
    memcpy(out, &s, sizeof s);
    return 0;
}

int mk__heap_check(mk_t *k, mk_heap_t hh)
{
    MK__CHECK(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__heap *h = mk__heap_lookup(m, hh);
    int rc = MK_EBADH;
    if (h != NULL) {
        mk__tc_flush_heap(m, h, NULL, false);
        pthread_mutex_lock(&h->lock);
        switch (h->kind) {
        case MK_HEAP_BUMP: rc = mk__bump_check(h); break;
        case MK_HEAP_FREELIST: rc = mk__tlsf_check(h); break;
        default: rc = mk__fixed_check(h); break;
        }
        if (rc == 0 &&
            (h->high_water < kind_used(h) || h->live > h->allocs || h->live != h->carved))
            rc = MK_ECORRUPT;
        pthread_mutex_unlock(&h->lock);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

void mk__mem_set_violation_hook(mk_t *k, mk__mem_violation_fn fn, void *arg)
{
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    m->on_violation = fn;
    m->on_violation_arg = arg;
    pthread_mutex_unlock(&m->lock);
}

/* ---- module assembly ------------------------------------------------------ */

int mk__mem_init(mk_t *k)
{
    struct mk__mem *m = calloc(1, sizeof *m);
    if (m == NULL)
        return MK_ENOMEM;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return MK_ENOMEM;
    }
    k->mem = m;
    mk__htab_init(&m->heaps, MK__H_HEAP);
    mk__hmap_init(&m->pids);
    if (mk__tc_init(m) != 0) {
        mk__mem_fini(k);
        return MK_ENOMEM;
    }

    uint8_t *region;
    uint64_t rsize;
    if (k->cfg.mem_region != NULL) {
        region = k->cfg.mem_region;
        rsize = k->cfg.mem_region_size;
    } else {
        rsize = k->cfg.mem_size;
        if (rsize > SIZE_MAX || (m->owned_arena = malloc((size_t)rsize)) == NULL) {
            mk__mem_fini(k);
            return MK_ENOMEM;
        }
        region = m->owned_arena;
    }
    /* Align the arena so every block starts MK_MEM_ALIGN aligned. */
    uint64_t skew = (uint64_t)(-(uintptr_t)region & (MK__ALIGN - 1));
    m->base = region + skew;
    m->base_addr = skew;
    m->size = (rsize - skew) & ~(MK__ALIGN - 1);

    uint64_t dsize = k->cfg.default_heap_size & ~(MK__ALIGN - 1);
    if (dsize > m->size)
        dsize = m->size;
    int rc = MK_EINVAL;
    if (dsize < MK_HEAP_MIN_SIZE || (rc = heap_new(m, MK_HEAP_FREELIST, 0, dsize, &m->dflt)) != 0 ||
        (rc = mk__blocks_init(k)) != 0) {
        mk__mem_fini(k);
        return rc;
    }
    m->dflt->handle = MK_HEAP_DEFAULT;
    range_link(m, m->dflt, NULL);
    return 0;
}

void mk__mem_fini(mk_t *k)
{
    struct mk__mem *m = k->mem;
    if (m == NULL)
        return;
    mk__tc_detach(m); /* no thread retires a cache into m after this */
    mk__blocks_fini(k);
    mk__tc_fini(m);
    uint32_t cur = 0;
    struct mk__heap *h;
    while ((h = mk__htab_next(&m->heaps, &cur, NULL)) != NULL)
        heap_free_obj(h);
    if (m->dflt)
        heap_free_obj(m->dflt);
    mk__htab_fini(&m->heaps);
    mk__hmap_fini(&m->pids);
    free(m->owned_arena);
    pthread_mutex_destroy(&m->lock);
    free(m);
    k->mem = NULL;
}
