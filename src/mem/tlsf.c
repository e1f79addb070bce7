/*
 * tlsf.c - the free-list heap: Two-Level Segregated Fit.
 *
 * After M. Masmano, I. Ripoll, A. Crespo, J. Real, "TLSF: a new dynamic
 * memory allocator for real-time systems", ECRTS 2004. Free blocks sit on
 * segregated lists indexed by (fl, sl): fl is the power of two below the
 * size, sl splits that range into 2^SL_LOG2 equal parts. A first-level
 * bitmap and one second-level bitmap per fl say which lists are non-empty,
 * so finding a list whose every block fits ("good fit") is two find-first-
 * set operations: malloc and free take O(1), independent of the number of
 * blocks. Blocks are split on allocation and coalesced with both physical
 * neighbours on free, found through boundary tags.
 *
 * The block headers live inside the heap's range of the simulated memory,
 * as in a real allocator, so the bytes of a heap are fully accounted:
 *
 *   block at offset b (16-aligned):
 *   +--------------------+--------------------+------------------------+
 *   | prev_size (u64)    | size | flags (u64) | payload (size - 16)    |
 *   +--------------------+--------------------+------------------------+
 *     prev_size: size of the previous physical block; valid only when
 *                PREV_FREE is set.
 *     size:      whole block incl. header, multiple of 16, >= 32.
 *     flags:     bit 0 FREE, bit 1 PREV_FREE.
 *   a free block's payload starts with next_free, prev_free (u64 offsets,
 *   NIL = all ones).
 *
 * There is no sentinel block: the heap's end is checked explicitly, so the
 * blocks tile the capacity exactly (used + free == capacity).
 *
 * One deviation from the paper: when the good-fit search finds nothing,
 * the one list that may hold a block that fits without being good for every
 * request of its range (the list the request itself maps to) is scanned.
 * Without it, a request could fail while largest_free shows room for it;
 * the scan runs only on the path that would otherwise fail.
 *
 * Caller holds mem->lock (see heap.h). Words in the arena are accessed with memcpy so
 * a caller-supplied region of any declared type is not aliased wrongly.
 */
#include "heap.h"

#include <string.h>

#define NIL UINT64_MAX
#define F_FREE 1u
#define F_PREV_FREE 2u
#define F_MASK 15u
#define HDR 16u

static inline uint64_t ld(const struct mk__heap *h, uint64_t off)
{
    uint64_t v;
    memcpy(&v, h->base + off, sizeof v);
    return v;
}

static inline void st(struct mk__heap *h, uint64_t off, uint64_t v)
{
    memcpy(h->base + off, &v, sizeof v);
}

/* Field accessors, b = block offset. */
static inline uint64_t b_size(const struct mk__heap *h, uint64_t b) { return ld(h, b + 8) & ~(uint64_t)F_MASK; }
static inline uint64_t b_flags(const struct mk__heap *h, uint64_t b) { return ld(h, b + 8) & F_MASK; }
static inline void b_set(struct mk__heap *h, uint64_t b, uint64_t size, uint64_t flags) { st(h, b + 8, size | flags); }
static inline uint64_t b_prev_size(const struct mk__heap *h, uint64_t b) { return ld(h, b); }
static inline void b_set_prev_size(struct mk__heap *h, uint64_t b, uint64_t s) { st(h, b, s); }
static inline uint64_t b_nextf(const struct mk__heap *h, uint64_t b) { return ld(h, b + HDR); }
static inline uint64_t b_prevf(const struct mk__heap *h, uint64_t b) { return ld(h, b + HDR + 8); }
static inline void b_set_nextf(struct mk__heap *h, uint64_t b, uint64_t v) { st(h, b + HDR, v); }
static inline void b_set_prevf(struct mk__heap *h, uint64_t b, uint64_t v) { st(h, b + HDR + 8, v); }

static inline uint32_t fls64(uint64_t x) { return 63u - (uint32_t)__builtin_clzll(x); }
static inline uint32_t ffs64(uint64_t x) { return (uint32_t)__builtin_ctzll(x); }

/* Paper's mapping_insert: the list a block of `size` belongs on. */
void mk__tlsf_mapping(uint64_t size, uint32_t *fl, uint32_t *sl)
{
    if (size < MK__TLSF_SMALL) {
        *fl = 0;
        *sl = (uint32_t)(size / (MK__TLSF_SMALL / MK__TLSF_SL_COUNT));
    } else {
        uint32_t f = fls64(size);
        *sl = (uint32_t)(size >> (f - MK__TLSF_SL_LOG2)) ^ MK__TLSF_SL_COUNT;
        *fl = f - (MK__TLSF_FL_SHIFT - 1);
    }
}

/* Paper's mapping_search: round up so that every block of the list found
 * is large enough (the "good fit" of section 4). */
static void mapping_search(uint64_t size, uint32_t *fl, uint32_t *sl)
{
    if (size >= MK__TLSF_SMALL)
        size += ((uint64_t)1 << (fls64(size) - MK__TLSF_SL_LOG2)) - 1;
    mk__tlsf_mapping(size, fl, sl);
}

static void list_insert(struct mk__heap *h, uint64_t b)
{
    struct mk__tlsf *t = &h->u.tlsf;
    uint32_t fl, sl;
    mk__tlsf_mapping(b_size(h, b), &fl, &sl);
    uint64_t head = t->heads[fl][sl];
    b_set_nextf(h, b, head);
    b_set_prevf(h, b, NIL);
    if (head != NIL)
        b_set_prevf(h, head, b);
    t->heads[fl][sl] = b;
    t->fl_bitmap |= (uint64_t)1 << fl;
    t->sl_bitmap[fl] |= 1u << sl;
    t->free_bytes += b_size(h, b);
}

static void list_remove(struct mk__heap *h, uint64_t b)
{
    struct mk__tlsf *t = &h->u.tlsf;
    uint32_t fl, sl;
    mk__tlsf_mapping(b_size(h, b), &fl, &sl);
    uint64_t n = b_nextf(h, b), p = b_prevf(h, b);
    if (n != NIL)
        b_set_prevf(h, n, p);
    if (p != NIL)
        b_set_nextf(h, p, n);
    else {
        t->heads[fl][sl] = n;
        if (n == NIL) {
            t->sl_bitmap[fl] &= ~(1u << sl);
            if (t->sl_bitmap[fl] == 0)
                t->fl_bitmap &= ~((uint64_t)1 << fl);
        }
    }
    t->free_bytes -= b_size(h, b);
}

/* Tell the block after b (if any) whether b is free and how big it is. */
static void set_next_prev(struct mk__heap *h, uint64_t b, uint64_t size, bool is_free)
{
    uint64_t n = b + size;
    if (n >= h->cap)
        return;
    uint64_t fl = b_flags(h, n);
    if (is_free) {
        b_set_prev_size(h, n, size);
        fl |= F_PREV_FREE;
    } else {
        fl &= ~(uint64_t)F_PREV_FREE;
    }
    b_set(h, n, b_size(h, n), fl);
}

void mk__tlsf_init(struct mk__heap *h)
{
    struct mk__tlsf *t = &h->u.tlsf;
    t->fl_bitmap = 0;
    memset(t->sl_bitmap, 0, sizeof t->sl_bitmap);
    for (int f = 0; f < MK__TLSF_FL_COUNT; f++)
        for (unsigned s = 0; s < MK__TLSF_SL_COUNT; s++)
            t->heads[f][s] = NIL;
    t->free_bytes = 0;
    /* One free block spans the heap (cap is a multiple of 16, >= 256). */
    b_set_prev_size(h, 0, 0);
    b_set(h, 0, h->cap, F_FREE);
    list_insert(h, 0);
}

static uint64_t find_suitable(struct mk__heap *h, uint64_t need)
{
    struct mk__tlsf *t = &h->u.tlsf;
    uint32_t fl, sl;
    mapping_search(need, &fl, &sl);
    if (fl < MK__TLSF_FL_COUNT) {
        uint32_t slmap = sl < 32 ? t->sl_bitmap[fl] & (~0u << sl) : 0;
        if (slmap == 0) {
            uint64_t flmap = fl + 1 < 64 ? t->fl_bitmap & (~(uint64_t)0 << (fl + 1)) : 0;
            if (flmap != 0) {
                fl = ffs64(flmap);
                slmap = t->sl_bitmap[fl];
            }
        }
        if (slmap != 0)
            return t->heads[fl][ffs64(slmap)];
    }
    /* Not in the paper: see the file comment. */
    mk__tlsf_mapping(need, &fl, &sl);
    if (fl >= MK__TLSF_FL_COUNT)
        return NIL;
    for (uint64_t b = t->heads[fl][sl]; b != NIL; b = b_nextf(h, b))
        if (b_size(h, b) >= need)
            return b;
    return NIL;
}

int mk__tlsf_alloc(struct mk__heap *h, uint64_t size, uint64_t *off)
{
    if (size > h->cap)
        return MK_ENOMEM;
    uint64_t need = MK__ROUND(size) + HDR;
    if (need < MK__TLSF_MIN_BLOCK)
        need = MK__TLSF_MIN_BLOCK;
    if (need > h->cap)
        return MK_ENOMEM;
    uint64_t b = find_suitable(h, need);
    if (b == NIL)
        return MK_ENOMEM;
    list_remove(h, b);
    uint64_t bsize = b_size(h, b);
    uint64_t bflags = b_flags(h, b) & F_PREV_FREE; /* prev is never free: coalesced */
    if (bsize - need >= MK__TLSF_MIN_BLOCK) {
        /* Split: the remainder stays free, right after the block. */
        uint64_t r = b + need, rsize = bsize - need;
        b_set(h, r, rsize, F_FREE); /* its prev (our block) is in use */
        set_next_prev(h, r, rsize, true);
        list_insert(h, r);
        bsize = need;
    } else {
        set_next_prev(h, b, bsize, false);
    }
    b_set(h, b, bsize, bflags);
    *off = b + HDR;
    return 0;
}

void mk__tlsf_free(struct mk__heap *h, uint64_t off)
{
    uint64_t b = off - HDR;
    uint64_t size = b_size(h, b);
    uint64_t flags = b_flags(h, b);
    /* Coalesce with the previous physical block (boundary tag). */
    if (flags & F_PREV_FREE) {
        uint64_t p = b - b_prev_size(h, b);
        list_remove(h, p);
        size += b_size(h, p);
        flags = b_flags(h, p);
        b = p;
    }
    /* Coalesce with the next physical block. */
    uint64_t n = b + size;
    if (n < h->cap && (b_flags(h, n) & F_FREE)) {
        list_remove(h, n);
        size += b_size(h, n);
    }
    b_set(h, b, size, (flags & F_PREV_FREE) | F_FREE);
    set_next_prev(h, b, size, true);
    list_insert(h, b);
}

uint64_t mk__tlsf_used(const struct mk__heap *h)
{
    return h->cap - h->u.tlsf.free_bytes;
}

uint64_t mk__tlsf_largest(const struct mk__heap *h)
{
    const struct mk__tlsf *t = &h->u.tlsf;
    if (t->fl_bitmap == 0)
        return 0;
    /* Only the highest non-empty list can hold the largest block; its
     * blocks differ by less than one sl step, so scan just that list. */
    uint32_t fl = fls64(t->fl_bitmap);
    uint32_t sl = fls64(t->sl_bitmap[fl]);
    uint64_t best = 0;
    for (uint64_t b = t->heads[fl][sl]; b != NIL; b = b_nextf(h, b))
        if (b_size(h, b) > best)
            best = b_size(h, b);
    return best;
}

int mk__tlsf_check(const struct mk__heap *h)
{
    const struct mk__tlsf *t = &h->u.tlsf;
    uint64_t b = 0, free_bytes = 0, nfree = 0, prev_size = 0;
    bool prev_free = false;
    while (b < h->cap) {
        uint64_t s = b_size(h, b), f = b_flags(h, b);
        if (s < MK__TLSF_MIN_BLOCK || s % MK__ALIGN != 0 || s > h->cap - b)
            return MK_ECORRUPT;
        if (((f & F_PREV_FREE) != 0) != prev_free)
            return MK_ECORRUPT;
        if (prev_free && b_prev_size(h, b) != prev_size)
            return MK_ECORRUPT;
        bool is_free = (f & F_FREE) != 0;
        if (is_free && prev_free)
            return MK_ECORRUPT; /* two adjacent free blocks: missed coalesce */
        if (is_free) {
            free_bytes += s;
            nfree++;
            /* It must be on the list its size maps to. */
            uint32_t fl, sl;
            mk__tlsf_mapping(s, &fl, &sl);
            bool found = false;
            for (uint64_t x = t->heads[fl][sl]; x != NIL; x = b_nextf(h, x))
                if (x == b) {
                    found = true;
                    break;
                }
            if (!found)
                return MK_ECORRUPT;
        }
        prev_free = is_free;
        prev_size = s;
        b += s;
    }
    if (b != h->cap || free_bytes != t->free_bytes)
        return MK_ECORRUPT;
    /* Bitmaps agree with the lists; list links are consistent; every listed
     * block is free; the lists hold exactly the free blocks. */
    uint64_t listed = 0;
    for (uint32_t fl = 0; fl < MK__TLSF_FL_COUNT; fl++) {
        if (((t->fl_bitmap >> fl) & 1) != (t->sl_bitmap[fl] != 0))
            return MK_ECORRUPT;
        for (uint32_t sl = 0; sl < MK__TLSF_SL_COUNT; sl++) {
            uint64_t x = t->heads[fl][sl], prev = NIL;
            if (((t->sl_bitmap[fl] >> sl) & 1) != (x != NIL))
                return MK_ECORRUPT;
            for (; x != NIL; prev = x, x = b_nextf(h, x)) {
                if (x >= h->cap || !(b_flags(h, x) & F_FREE) || b_prevf(h, x) != prev)
                    return MK_ECORRUPT;
                if (++listed > nfree)
                    return MK_ECORRUPT;
            }
        }
    }
    return listed == nfree ? 0 : MK_ECORRUPT;
}
