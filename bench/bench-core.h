/*
 * bench-core.h - shared declarations of the core benchmark program
 * (bench-core*.c): the sections it runs and the malloc-style workloads that
 * are compiled both into bench-core (glibc malloc) and into the peer
 * programs bench-core-alloc-{mimalloc,jemalloc} (which link an allocator
 * that replaces malloc for the whole process, so each runs in a process of
 * its own and reports back to bench-core through a pipe).
 */
#ifndef BENCH_CORE_H
#define BENCH_CORE_H

#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

#define BC_NSIZES 65536u   /* precomputed random sizes / indices (power of 2) */
#define BC_WINDOW 1024u    /* live blocks of the window workload */
#define BC_SIZE_MIN 16u
#define BC_SIZE_MAX 512u

/* Random sizes 16..512 and window slots, the same sequence for every
 * allocator (seeded with a constant). */
typedef struct bc_seq {
    uint32_t size[BC_NSIZES];
    uint32_t slot[BC_NSIZES];
} bc_seq_t;

static inline void bc_seq_init(bc_seq_t *q)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (uint32_t i = 0; i < BC_NSIZES; i++) {
        q->size[i] = BC_SIZE_MIN + (uint32_t)(bh_rand(&s) % (BC_SIZE_MAX - BC_SIZE_MIN + 1));
        q->slot[i] = (uint32_t)(bh_rand(&s) % BC_WINDOW);
    }
}

/* malloc-style workloads over host malloc/free (whatever allocator the
 * process links). */
typedef struct bc_malloc {
    const bc_seq_t *seq;
    void *live[BC_WINDOW];
} bc_malloc_t;

extern void *volatile bc_sink;

static inline void bc_malloc_pair(void *arg, uint64_t iters)
{
    bc_malloc_t *w = arg;
    for (uint64_t i = 0; i < iters; i++) {
        void *p = malloc(w->seq->size[i & (BC_NSIZES - 1)]);
        bc_sink = p; /* keep the compiler from eliding the pair */
        free(p);
    }
}

static inline void bc_malloc_window(void *arg, uint64_t iters)
{
    bc_malloc_t *w = arg;
    for (uint64_t i = 0; i < iters; i++) {
        uint32_t j = w->seq->slot[i & (BC_NSIZES - 1)];
        free(w->live[j]);
        w->live[j] = malloc(w->seq->size[i & (BC_NSIZES - 1)]);
        bc_sink = w->live[j];
    }
}

static inline void bc_malloc_window_fill(bc_malloc_t *w)
{
    for (uint32_t j = 0; j < BC_WINDOW; j++)
        w->live[j] = malloc(w->seq->size[j]);
}

static inline void bc_malloc_window_drain(bc_malloc_t *w)
{
    for (uint32_t j = 0; j < BC_WINDOW; j++) {
        free(w->live[j]);
        w->live[j] = NULL;
    }
}

#define BC_ITERS_MEM 2000000u

/* Sections of bench-core. */
void bc_mem(const char *self);
void bc_msg(void);
void bc_sem(void);
void bc_cache(void);
void bc_scale(void);

#endif /* BENCH_CORE_H */
