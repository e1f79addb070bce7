/*
 * bump.c - the bump (sequential, "stack") heap of seed 004.
 *
 * Allocation advances a pointer through the heap's range; a free only
 * lowers the live-block count kept by heap.c, and when that reaches zero
 * the whole range is reusable again (the pointer returns to the start).
 * Nothing is written into the arena, so the heap has no per-block
 * overhead: a block takes its size rounded up to MK_MEM_ALIGN.
 *
 * Caller holds mem->lock (see heap.h); heap.c lowers h->carved (blocks
 * carved and not returned, including blocks parked in thread caches)
 * before calling free, so the range is reused only when no cache holds a
 * block of it either.
 */
#include "heap.h"

void mk__bump_init(struct mk__heap *h)
{
    h->u.bump.top = 0;
}

int mk__bump_alloc(struct mk__heap *h, uint64_t size, uint64_t *off)
{
    uint64_t room = h->cap - h->u.bump.top;
    if (size > room || MK__ROUND(size) > room)
        return MK_ENOMEM;
    *off = h->u.bump.top;
    h->u.bump.top += MK__ROUND(size);
    return 0;
}

void mk__bump_free(struct mk__heap *h, uint64_t off)
{
    (void)off;
    if (h->carved == 0)
        h->u.bump.top = 0; /* the last live block is gone: reuse everything */
}

uint64_t mk__bump_used(const struct mk__heap *h)
{
    return h->u.bump.top;
}

uint64_t mk__bump_largest(const struct mk__heap *h)
{
    return h->cap - h->u.bump.top;
}

int mk__bump_check(const struct mk__heap *h)
{
    const uint64_t top = h->u.bump.top;
    if (top > h->cap || top % MK__ALIGN != 0 || (h->carved == 0 && top != 0))
        return MK_ECORRUPT;
    return 0;
}
