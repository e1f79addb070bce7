/*
 * fixed.c - the fixed-size-block heap of seed 004: power-of-two size
 * classes (16 ... 2048 bytes), one list per class.
 *
 * The heap's range is cut into slab frames of MK_HEAP_FIXED_SLAB bytes. A
 * class takes a free frame when it has no free slot and hands it back as
 * soon as the frame's last slot is freed, so memory moves between classes
 * (the slab allocator of J. Bonwick, "The Slab Allocator: An Object-Caching
 * Kernel Memory Allocator", USENIX Summer 1994, without object caching).
 * Each class's list is the list of its frames that have a free slot; each
 * frame chains its freed slots through their first two bytes (a slot
 * index), and hands out never-used slots in order, so a new frame costs
 * O(1) rather than a pass to thread its slots. Allocation and free are
 * O(1).
 *
 * One emptied frame per class is kept aside as that class's spare instead
 * of going back to the pool at once (the hysteresis of Bonwick's slab
 * allocator): an alloc+free pair at a class boundary would otherwise take
 * and return a frame every time (bench-core measured it). A spare is still
 * free memory: any class takes it when the pool is empty, and the
 * statistics count it as unused.
 *
 * Frame records live outside the arena (16 bytes per 4 KiB frame, 0.4% of
 * the heap) so a slab's bytes are all payload. Requests above the largest
 * class never reach this file: heap.c sends them to the fallback heap.
 *
 * Caller holds mem->lock (see heap.h).
 */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

#define SLAB ((uint64_t)MK_HEAP_FIXED_SLAB)

static inline uint64_t cls_size(uint32_t c) { return (uint64_t)1 << (c + MK__FIX_MIN_LOG2); }
static inline uint32_t cls_slots(uint32_t c) { return (uint32_t)(SLAB / cls_size(c)); }

static uint32_t cls_of(uint64_t size)
{
    if (size <= cls_size(0))
        return 0;
    /* ceil(log2(size)) - MIN_LOG2, size in (16, 2048] */
    return (uint32_t)(64 - __builtin_clzll(size - 1)) - MK__FIX_MIN_LOG2;
}

int mk__fixed_init(struct mk__heap *h)
{
    struct mk__fixed *f = &h->u.fixed;
    memset(f, 0, sizeof *f);
    f->nslabs = (uint32_t)(h->cap / SLAB);
    f->slabs = calloc(f->nslabs, sizeof *f->slabs);
    return f->slabs ? 0 : MK_ENOMEM;
}

void mk__fixed_fini(struct mk__heap *h)
{
    free(h->u.fixed.slabs);
    h->u.fixed.slabs = NULL;
}

/* Doubly linked list of frames with a free slot, per class. */
static void partial_push(struct mk__fixed *f, uint32_t c, uint32_t i)
{
    struct mk__slab *s = &f->slabs[i];
    s->prev = 0;
    s->next = f->partial[c];
    if (s->next)
        f->slabs[s->next - 1].prev = i + 1;
    f->partial[c] = i + 1;
}

static void partial_remove(struct mk__fixed *f, uint32_t c, uint32_t i)
{
    struct mk__slab *s = &f->slabs[i];
    if (s->prev)
        f->slabs[s->prev - 1].next = s->next;
    else
        f->partial[c] = s->next;
    if (s->next)
        f->slabs[s->next - 1].prev = s->prev;
    s->next = s->prev = 0;
}

static bool frame_take(struct mk__fixed *f, uint32_t *i)
{
    if (f->free_frames) {
        *i = f->free_frames - 1;
        f->free_frames = f->slabs[*i].next;
        f->nfree_frames--;
        return true;
    }
    if (f->fresh < f->nslabs) {
        *i = f->fresh++;
        return true;
    }
    for (uint32_t c = 0; c < MK__FIX_NCLS; c++) /* last resort: a spare */
        if (f->spare[c]) {
            *i = f->spare[c] - 1;
            f->spare[c] = 0;
            return true;
        }
    return false;
}

int mk__fixed_alloc(struct mk__heap *h, uint64_t size, uint64_t *off)
{
    struct mk__fixed *f = &h->u.fixed;
    if (size > MK_HEAP_FIXED_MAX_CLASS)
        return MK_ENOMEM;
    uint32_t c = cls_of(size), i;
    if (f->partial[c]) {
        i = f->partial[c] - 1;
    } else {
        if (f->spare[c]) {
            i = f->spare[c] - 1;
            f->spare[c] = 0;
        } else if (!frame_take(f, &i))
            return MK_ENOMEM;
        struct mk__slab *s = &f->slabs[i];
        s->cls = (uint16_t)c;
        s->inuse = s->carved = s->free_head = 0;
        partial_push(f, c, i);
    }
    struct mk__slab *s = &f->slabs[i];
    uint64_t frame = (uint64_t)i * SLAB;
    uint32_t slot;
    if (s->free_head) {
        slot = s->free_head - 1u;
        uint16_t next;
        memcpy(&next, h->base + frame + slot * cls_size(c), sizeof next);
        s->free_head = next;
    } else {
        slot = s->carved++;
    }
    if (++s->inuse == cls_slots(c))
        partial_remove(f, c, i);
    f->used += cls_size(c);
    *off = frame + slot * cls_size(c);
    return 0;
}

void mk__fixed_free(struct mk__heap *h, uint64_t off)
{
    struct mk__fixed *f = &h->u.fixed;
    uint32_t i = (uint32_t)(off / SLAB);
    struct mk__slab *s = &f->slabs[i];
    uint32_t c = s->cls;
    uint16_t slot = (uint16_t)((off % SLAB) / cls_size(c));
    bool was_full = s->inuse == cls_slots(c);
    memcpy(h->base + off, &s->free_head, sizeof s->free_head);
    s->free_head = (uint16_t)(slot + 1);
    s->inuse--;
    f->used -= cls_size(c);
    if (s->inuse == 0) {
        if (!was_full)
            partial_remove(f, c, i);
        if (f->spare[c] == 0) {
            /* Keep it as the class's spare (see the head comment). */
            f->spare[c] = i + 1;
        } else {
            /* Empty frame: back to the common pool, any class may take it. */
            s->next = f->free_frames;
            f->free_frames = i + 1;
            f->nfree_frames++;
        }
    } else if (was_full) {
        partial_push(f, c, i);
    }
}

uint64_t mk__fixed_used(const struct mk__heap *h)
{
    return h->u.fixed.used;
}

/* The longest run of unused slab frames (memory any class, or any other
 * use, could take whole), or the largest class with a free slot if that is
 * more. A frame is unused iff it was never touched or its count is 0 (an
 * empty frame is on the free stack or is a class's spare, which any class
 * takes when the stack is empty). O(frames): stats only. */
uint64_t mk__fixed_largest(const struct mk__heap *h)
{
    const struct mk__fixed *f = &h->u.fixed;
    uint64_t run = 0, best = 0;
    for (uint32_t i = 0; i < f->nslabs; i++) {
        if (i >= f->fresh || f->slabs[i].inuse == 0) {
            if (++run > best)
                best = run;
        } else {
            run = 0;
        }
    }
    best *= SLAB;
    for (int c = MK__FIX_NCLS - 1; c >= 0; c--)
        if (f->partial[c]) {
            if (cls_size((uint32_t)c) > best)
                best = cls_size((uint32_t)c);
            break;
        }
    return best;
}

int mk__fixed_check(const struct mk__heap *h)
{
    const struct mk__fixed *f = &h->u.fixed;
    uint64_t used = 0, nfree = 0, npartial = 0;
    if (f->fresh > f->nslabs || (uint64_t)f->nslabs * SLAB != h->cap)
        return MK_ECORRUPT;
    for (uint32_t x = f->free_frames; x; x = f->slabs[x - 1].next) {
        if (x > f->fresh || f->slabs[x - 1].inuse != 0 || ++nfree > f->nslabs)
            return MK_ECORRUPT;
    }
    if (nfree != f->nfree_frames)
        return MK_ECORRUPT;
    uint64_t nspare = 0;
    for (uint32_t c = 0; c < MK__FIX_NCLS; c++) {
        uint32_t x = f->spare[c];
        if (x == 0)
            continue;
        if (x > f->fresh || f->slabs[x - 1].inuse != 0)
            return MK_ECORRUPT;
        for (uint32_t d = 0; d < c; d++)
            if (f->spare[d] == x)
                return MK_ECORRUPT;
        for (uint32_t y = f->free_frames; y; y = f->slabs[y - 1].next)
            if (y == x)
                return MK_ECORRUPT;
        nspare++;
    }
    for (uint32_t c = 0; c < MK__FIX_NCLS; c++) {
        uint32_t prev = 0;
        for (uint32_t x = f->partial[c]; x; prev = x, x = f->slabs[x - 1].next) {
            const struct mk__slab *s = &f->slabs[x - 1];
            if (x > f->fresh || s->cls != c || s->prev != prev || s->inuse == 0 ||
                s->inuse >= cls_slots(c) || ++npartial > f->nslabs)
                return MK_ECORRUPT;
        }
    }
    uint64_t nused_frames = 0, npart2 = 0;
    for (uint32_t i = 0; i < f->fresh; i++) {
        const struct mk__slab *s = &f->slabs[i];
        if (s->inuse == 0)
            continue;
        nused_frames++;
        if (s->cls >= MK__FIX_NCLS || s->inuse > s->carved || s->carved > cls_slots(s->cls))
            return MK_ECORRUPT;
        /* The freed-slot chain holds exactly carved - inuse distinct slots. */
        uint32_t chain = 0;
        for (uint16_t x = s->free_head; x;) {
            if (x > s->carved || ++chain > s->carved)
                return MK_ECORRUPT;
            memcpy(&x, h->base + (uint64_t)i * SLAB + (uint64_t)(x - 1) * cls_size(s->cls),
                   sizeof x);
        }
        if (chain != (uint32_t)(s->carved - s->inuse))
            return MK_ECORRUPT;
        if (s->inuse < cls_slots(s->cls))
            npart2++;
        used += s->inuse * cls_size(s->cls);
    }
    if (nused_frames + nfree + nspare != f->fresh || npart2 != npartial || used != f->used)
        return MK_ECORRUPT;
    return 0;
}
