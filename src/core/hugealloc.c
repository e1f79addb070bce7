/*
 * hugealloc.c - zero-filled arrays for the core's big tables (handle-table
 * slots, hash-map entries), on transparent huge pages once they are big.
 *
 * Why: with 10^5..10^6 live objects a handle table or hash map is 2-32 MiB
 * and every lookup lands on a random entry. On 4 KiB pages each such
 * lookup is a TLB miss as well as a cache miss, and the page walk itself
 * misses the caches; one 2 MiB page covers 512 times as much, so the
 * dTLB/STLB (a few thousand entries) covers the whole table. See the
 * kernel's Documentation/admin-guide/mm/transhuge.rst: with THP in
 * "madvise" mode only regions marked MADV_HUGEPAGE get huge pages, and
 * only when the region is 2 MiB aligned.
 *
 * Interface (declared in core.h):
 *   mk__huge_alloc(bytes)          zero-filled; NULL when out of memory;
 *   mk__huge_grow(p, old, new)     new zero-filled array holding the first
 *                                  `old` bytes of p, p released (like
 *                                  realloc; p is untouched on failure);
 *   mk__huge_free(p, bytes)        bytes must be what p was allocated with.
 * Below MK__HUGE_MIN (or the test override) the arrays come from calloc
 * and free; at or above it from an anonymous private mmap, 2 MiB aligned
 * and rounded to a 2 MiB multiple, advised MADV_HUGEPAGE, and released
 * with munmap. The size alone decides which, so the caller only has to
 * remember the size (every table already does, as its capacity).
 * If madvise fails (kernel without THP, THP "never", seccomp) the mapping
 * is kept on 4 KiB pages: slower, never wrong. If mmap itself fails the
 * call fails (NULL, the table reports MK_ENOMEM and stays as it was).
 *
 * Locking: none needed for the arrays (each belongs to one table, guarded
 * by its owner's lock). The settings and counters are atomics. The test
 * switches (mk__huge_set_min, mk__huge_set_fail) are for the internal
 * test suite only, used while no big table exists.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MK__HUGE_PAGE ((size_t)2 << 20)

static _Atomic size_t huge_min = MK__HUGE_MIN;
static _Atomic int huge_fail; /* test switch: pretend madvise/mmap fail */
static _Atomic uint64_t st_mapped, st_advised, st_small;

static size_t round_up(size_t bytes)
{
    return (bytes + MK__HUGE_PAGE - 1) & ~(MK__HUGE_PAGE - 1);
}

static bool is_big(size_t bytes)
{
    return bytes != 0 && bytes >= atomic_load_explicit(&huge_min, memory_order_relaxed);
}

/* 2 MiB aligned anonymous mapping: map 2 MiB more, trim both ends. */
static void *map_aligned(size_t len)
{
    if (atomic_load_explicit(&huge_fail, memory_order_relaxed) == 2 ||
        len > SIZE_MAX - MK__HUGE_PAGE)
        return NULL;
    uint8_t *raw = mmap(NULL, len + MK__HUGE_PAGE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + MK__HUGE_PAGE - 1) & ~(uintptr_t)(MK__HUGE_PAGE - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + len + MK__HUGE_PAGE - (p + len));
    if (tail != 0)
        munmap(p + len, tail);
    return p;
}

void *mk__huge_alloc(size_t bytes)
{
    if (!is_big(bytes))
        return calloc(1, bytes ? bytes : 1);
    size_t len = round_up(bytes);
    void *p = map_aligned(len);
    if (p == NULL)
        return NULL;
    atomic_fetch_add_explicit(&st_mapped, 1, memory_order_relaxed);
    int rc = atomic_load_explicit(&huge_fail, memory_order_relaxed) ? -1
                                                                      : madvise(p, len, MADV_HUGEPAGE);
    /* On failure the mapping stays on small pages (see the file comment). */
    atomic_fetch_add_explicit(rc == 0 ? &st_advised : &st_small, 1, memory_order_relaxed);
    return p;
}

void mk__huge_free(void *p, size_t bytes)
{
    if (p == NULL)
        return;
    if (!is_big(bytes))
        free(p);
    else
        munmap(p, round_up(bytes));
}

void *mk__huge_grow(void *p, size_t old_bytes, size_t new_bytes)
{
    if (p == NULL || old_bytes == 0)
        return mk__huge_alloc(new_bytes);
    if (!is_big(new_bytes)) {
        /* Both small (new >= old): realloc, then zero the new part. */
        uint8_t *n = realloc(p, new_bytes);
        if (n != NULL && new_bytes > old_bytes)
            memset(n + old_bytes, 0, new_bytes - old_bytes);
        return n;
    }
    /* A fresh aligned mapping and a copy: the copy is amortised over the
     * doubling, like realloc's, and the new array is 2 MiB aligned, which
     * mremap would not guarantee. */
    uint8_t *n = mk__huge_alloc(new_bytes);
    if (n == NULL)
        return NULL;
    memcpy(n, p, old_bytes < new_bytes ? old_bytes : new_bytes);
    mk__huge_free(p, old_bytes);
    return n;
}

size_t mk__huge_set_min(size_t bytes)
{
    return atomic_exchange(&huge_min, bytes ? bytes : MK__HUGE_MIN);
}

void mk__huge_set_fail(int mode)
{
    atomic_store(&huge_fail, mode);
}

void mk__huge_stats(uint64_t *mapped, uint64_t *advised, uint64_t *small)
{
    *mapped = atomic_load(&st_mapped);
    *advised = atomic_load(&st_advised);
    *small = atomic_load(&st_small);
}
