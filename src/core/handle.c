/*
 * handle.c - generation-tagged handle tables.
 *
 * A handle packs a type tag, a generation and a slot index into 64 bits.
 * Freeing a slot bumps its generation, so every handle issued for the old
 * occupant stops matching; a handle of another object type never matches
 * because the tag differs. The table does no locking: its owner's lock
 * protects it (see core.h).
 *
 * Slots live in one array of 16-byte entries, so a lookup is one cache
 * line. Past MK__HUGE_MIN bytes (131072 slots) the array is on 2 MiB
 * pages (hugealloc.c): a lookup of a random handle among 10^6 then costs a
 * cache miss but no TLB miss. Growth doubles, so the copy is amortised
 * O(1) per insert.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define MK__GEN_MASK 0xffffffu

static uint64_t mk__hmake(uint8_t type, uint32_t gen, uint32_t idx)
{
    return ((uint64_t)type << 56) | ((uint64_t)(gen & MK__GEN_MASK) << 32) | idx;
}

void mk__htab_init(mk__htab_t *t, uint8_t type)
{
    memset(t, 0, sizeof *t);
    t->type = type;
}

void mk__htab_fini(mk__htab_t *t)
{
    mk__huge_free(t->slots, (size_t)t->cap * sizeof *t->slots);
    memset(t, 0, sizeof *t);
}

static int mk__htab_grow(mk__htab_t *t)
{
    uint32_t ncap = t->cap ? t->cap * 2 : 16;
    if (ncap <= t->cap || ncap > 0x7fffffffu)
        return MK_ENOMEM;
    struct mk__hslot *s = mk__huge_grow(t->slots, (size_t)t->cap * sizeof *s,
                                        (size_t)ncap * sizeof *s);
    if (s == NULL)
        return MK_ENOMEM;
    /* New slots are chained onto the free list in index order. */
    for (uint32_t i = t->cap; i < ncap; i++) {
        s[i].obj = NULL;
        s[i].gen = 1;
        s[i].next = (i + 1 < ncap) ? i + 2 : t->free_head;
    }
    t->free_head = t->cap + 1;
    t->slots = s;
    t->cap = ncap;
    return 0;
}

int mk__htab_insert(mk__htab_t *t, void *obj, uint64_t *out)
{
    if (t->free_head == 0) {
        int rc = mk__htab_grow(t);
        if (rc != 0)
            return rc;
    }
    uint32_t idx = t->free_head - 1;
    struct mk__hslot *s = &t->slots[idx];
    t->free_head = s->next;
    s->obj = obj;
    s->next = 0;
    t->count++;
    *out = mk__hmake(t->type, s->gen, idx);
    return 0;
}

static struct mk__hslot *mk__htab_slot(const mk__htab_t *t, uint64_t h)
{
    if ((uint8_t)(h >> 56) != t->type)
        return NULL;
    uint32_t idx = (uint32_t)h;
    uint32_t gen = (uint32_t)(h >> 32) & MK__GEN_MASK;
    if (idx >= t->cap)
        return NULL;
    struct mk__hslot *s = &t->slots[idx];
    if (s->obj == NULL || s->gen != gen)
        return NULL;
    return s;
}

void *mk__htab_get(const mk__htab_t *t, uint64_t h)
{
    struct mk__hslot *s = mk__htab_slot(t, h);
    return s ? s->obj : NULL;
}

void *mk__htab_remove(mk__htab_t *t, uint64_t h)
{
    struct mk__hslot *s = mk__htab_slot(t, h);
    if (s == NULL)
        return NULL;
    void *obj = s->obj;
    s->obj = NULL;
    s->gen = (s->gen + 1) & MK__GEN_MASK;
    if (s->gen == 0)
        s->gen = 1;
    s->next = t->free_head;
    t->free_head = (uint32_t)(s - t->slots) + 1;
    t->count--;
    return obj;
}

void *mk__htab_next(const mk__htab_t *t, uint32_t *cursor, uint64_t *h)
{
    for (uint32_t i = *cursor; i < t->cap; i++) {
        if (t->slots[i].obj != NULL) {
            *cursor = i + 1;
            if (h != NULL)
                *h = mk__hmake(t->type, t->slots[i].gen, i);
            return t->slots[i].obj;
        }
    }
    *cursor = t->cap;
    return NULL;
}
