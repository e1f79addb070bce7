/*
 * heap.h - private to the mem module: the module state, the heap object and
 * the interface each allocator kind (bump.c, tlsf.c, fixed.c) implements.
 *
 * Layout of the simulated memory ("arena"):
 *
 *   base                                                      base + size
 *   |<- default heap ->|<- heap ->|   gap   |<- heap ->|   gap          |
 *
 * Heaps own disjoint ranges, kept on a list sorted by offset; a new heap
 * takes the first gap large enough (first fit: heaps are created rarely).
 * Offsets are relative to the arena base, which is MK_MEM_ALIGN aligned.
 *
 * Locks (order: mem->lock, then at most one heap->lock; never the reverse):
 *  - mem->lock (the "table lock") guards the heap and block handle tables,
 *    the range list, the per-pid accounts and every block record.
 *  - A heap's allocator state and counters are guarded by mem->lock too:
 *    the allocation and free paths of blocks run the allocator inside their
 *    one mem->lock critical section. One critical section per call is
 *    cheaper than several (bench/bench-core.c measured 5 lock round trips
 *    per alloc+free in the earlier design, with a separate heap->lock taken
 *    outside mem->lock), and the allocators are O(1), so it stays short.
 *    heap->lock is still taken (nested) by reset, stats and check; it is
 *    redundant there and kept only so a future per-heap split can reuse it.
 *  - heap->refs counts live blocks plus allocations in flight; it is
 *    raised under mem->lock and may be lowered without it, so destroy and
 *    reset (which run under mem->lock) see every user.
 */
#ifndef MK_SRC_MEM_HEAP_H
#define MK_SRC_MEM_HEAP_H

#include "mem.h"

#define MK__ALIGN ((uint64_t)MK_MEM_ALIGN)
#define MK__ROUND(x) (((x) + MK__ALIGN - 1) & ~(MK__ALIGN - 1))

/* ---- TLSF parameters (Masmano et al., ECRTS 2004, section 4) ------------
 * Second-level lists per first-level range: 2^SL_LOG2. Sizes below
 * SMALL (= 2^(SL_LOG2 + ALIGN_LOG2)) map linearly onto first level 0.
 * A heap is at most 2^40 bytes (the largest simulated memory), so 34 first-
 * level ranges cover it. */
#define MK__TLSF_SL_LOG2 4
#define MK__TLSF_SL_COUNT (1u << MK__TLSF_SL_LOG2)
#define MK__TLSF_ALIGN_LOG2 4
#define MK__TLSF_FL_SHIFT (MK__TLSF_SL_LOG2 + MK__TLSF_ALIGN_LOG2)
#define MK__TLSF_SMALL ((uint64_t)1 << MK__TLSF_FL_SHIFT)
#define MK__TLSF_FL_COUNT 34
#define MK__TLSF_MIN_BLOCK 32u /* header + two free-list links */

struct mk__tlsf {
    uint64_t fl_bitmap;                     /* bit f: some list of range f */
    uint32_t sl_bitmap[MK__TLSF_FL_COUNT];  /* bit s: list (f, s) non-empty */
    uint64_t heads[MK__TLSF_FL_COUNT][MK__TLSF_SL_COUNT]; /* offset or NIL */
    uint64_t free_bytes;
};

/* ---- fixed-block parameters ---------------------------------------------- */
#define MK__FIX_NCLS 8 /* 16, 32, ..., 2048 */
#define MK__FIX_MIN_LOG2 4

struct mk__slab {          /* host-side record of one slab frame */
    uint32_t next, prev;   /* partial list or free-frame stack, index + 1 */
    uint16_t cls;          /* size class index while in use */
    uint16_t inuse;        /* slots handed out */
    uint16_t carved;       /* slots ever handed out (rest never touched) */
    uint16_t free_head;    /* freed-slot chain, slot index + 1, 0 = empty */
};

struct mk__fixed {
    struct mk__slab *slabs;
    uint32_t nslabs;
    uint32_t fresh;                  /* frames [fresh, nslabs) never used */
    uint32_t free_frames;            /* stack of returned frames, index + 1 */
    uint32_t nfree_frames;           /* frames on that stack */
    uint32_t partial[MK__FIX_NCLS];  /* slabs with a free slot, index + 1 */
    uint32_t spare[MK__FIX_NCLS];    /* one emptied frame kept per class */
    uint64_t used;
};

struct mk__bump {
    uint64_t top; /* offset of the first unused byte */
};

struct mk__heap {
    pthread_mutex_t lock;
    uint32_t kind;
    mk_heap_t handle;              /* MK_HEAP_DEFAULT for the default heap */
    uint64_t off, cap;             /* range in the arena */
    uint8_t *base;                 /* arena base + off */

    /* Guarded by mem->lock. */
    _Atomic uint64_t refs;         /* live blocks + allocations in flight */
    uint32_t fallback_users;       /* fixed heaps falling back to this one */
    struct mk__heap *fallback;     /* fixed heaps only */
    struct mk__heap *rprev, *rnext; /* range list, sorted by off */

    /* Guarded by mem->lock (see the lock notes above). */
    uint64_t high_water, live, allocs, frees, failed, requested;
    union {
        struct mk__bump bump;
        struct mk__tlsf tlsf;
        struct mk__fixed fixed;
    } u;
};

/* Per-pid account (pid 0, the kernel, has one from init to fini). */
struct mk__mpid {
    mk_pid_t pid;
    uint64_t serial;      /* distinguishes a re-created pid */
    uint64_t used;        /* bytes requested by owned blocks (+ in flight) */
    uint64_t quota;       /* 0 = unlimited */
    uint64_t violations;
    uint64_t shared_in;   /* blocks shared with this pid */
    struct mk__mblk *owned; /* list of owned blocks */
};

/* A memory block (host-side record; the bytes are in the arena). */
struct mk__mblk {
    mk_block_t handle;
    mk_pid_t owner;
    uint32_t nshares, capshares;
    mk_pid_t *shares;
    struct mk__heap *heap;
    uint64_t off;          /* payload offset within the heap */
    uint64_t bytes;        /* requested size */
    uint64_t pins;         /* reads/writes copying right now */
    bool dead;             /* freed while pinned: last unpin releases */
    struct mk__mblk *onext, *oprev; /* owner's list */
};

struct mk__mem {
    pthread_mutex_t lock;
    uint8_t *base;         /* aligned arena start */
    uint64_t size;         /* usable arena bytes from base */
    uint64_t base_addr;    /* offset of base from the region's start */
    void *owned_arena;     /* malloc'd arena, NULL for a caller region */
    mk__htab_t heaps;      /* MK__H_HEAP */
    mk__htab_t blocks;     /* MK__H_BLOCK */
    mk__hmap_t pids;       /* pid -> struct mk__mpid */
    uint64_t serial;
    struct mk__heap *dflt;
    struct mk__heap *ranges; /* sorted by off */
    mk__mem_violation_fn on_violation;
    void *on_violation_arg;
    /* Block records come from chunks (a slab of records) and go back to a
     * free list, so alloc and free cost no host malloc/free. Guarded by
     * mem->lock; chunks are released at fini. */
    struct mk__mblk *rec_free;
    struct mk__rchunk *rec_chunks;
    /* One-entry cache of the last pid account looked up (mem->lock):
     * a run of calls for the same pid skips the hash probe. Cleared when
     * that account is removed. */
    struct mk__mpid *last_pid;
};

/* ---- allocator kinds (mem->lock held by the caller) ---------------------
 * alloc: *off receives the payload offset within the heap; returns 0 or
 * MK_ENOMEM. free: off as returned by alloc. used: bytes not available.
 * largest: see mk_heap_stats_t.largest_free. check: 0 or MK_ECORRUPT. */
void mk__bump_init(struct mk__heap *h);
int mk__bump_alloc(struct mk__heap *h, uint64_t size, uint64_t *off);
void mk__bump_free(struct mk__heap *h, uint64_t off);
uint64_t mk__bump_used(const struct mk__heap *h);
uint64_t mk__bump_largest(const struct mk__heap *h);
int mk__bump_check(const struct mk__heap *h);

void mk__tlsf_init(struct mk__heap *h);
int mk__tlsf_alloc(struct mk__heap *h, uint64_t size, uint64_t *off);
void mk__tlsf_free(struct mk__heap *h, uint64_t off);
uint64_t mk__tlsf_used(const struct mk__heap *h);
uint64_t mk__tlsf_largest(const struct mk__heap *h);
int mk__tlsf_check(const struct mk__heap *h);
/* Exposed for the internal tests: the (fl, sl) list a free block of
 * `size` bytes is kept on. */
void mk__tlsf_mapping(uint64_t size, uint32_t *fl, uint32_t *sl);

int mk__fixed_init(struct mk__heap *h);   /* MK_ENOMEM */
void mk__fixed_fini(struct mk__heap *h);
int mk__fixed_alloc(struct mk__heap *h, uint64_t size, uint64_t *off);
void mk__fixed_free(struct mk__heap *h, uint64_t off);
uint64_t mk__fixed_used(const struct mk__heap *h);
uint64_t mk__fixed_largest(const struct mk__heap *h);
int mk__fixed_check(const struct mk__heap *h);

/* ---- heap.c, used by block.c ------------------------------------------ */
/* Resolve a heap handle (MK_HEAP_DEFAULT = the default heap); mem->lock
 * held. NULL if stale or forged. */
struct mk__heap *mk__heap_lookup(struct mk__mem *m, mk_heap_t h);
/* Allocate / free in one heap, maintaining counters; mem->lock held. */
int mk__heap_alloc(struct mk__heap *h, uint64_t size, uint64_t *off);
void mk__heap_free(struct mk__heap *h, uint64_t off, uint64_t size);

/* ---- block.c, used by heap.c ---------------------------------------------- */
int mk__blocks_init(mk_t *k);
void mk__blocks_fini(mk_t *k);

#endif /* MK_SRC_MEM_HEAP_H */
