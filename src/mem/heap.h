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
 * Locks (order: mem->lock, then any number of thread-cache locks, then at
 * most one heap->lock; never the reverse):
 *  - mem->lock (the "table lock") guards the heap handle table, the range
 *    list, the per-pid accounts, the list of thread caches, the pool of
 *    free block slots, and every block slot whose home is NULL.
 *  - A heap's allocator state and counters are guarded by mem->lock too:
 *    the slow paths of blocks run the allocator inside their one mem->lock
 *    critical section (the allocators are O(1), so it stays short).
 *    heap->lock is still taken (nested) by reset, stats and check; it is
 *    redundant there and kept only so a future per-heap split can reuse it.
 *  - A thread cache (struct mk__tc, tcache.c) has a spin lock taken by its
 *    own thread on the fast paths, WITHOUT mem->lock, and by any other
 *    thread only while it holds mem->lock. So a thread holding only a cache
 *    lock never waits for anything, and mem->lock holders may lock any
 *    number of caches: no deadlock. That lock guards the cache's contents
 *    and every block slot whose home is that cache.
 *  - A block slot's "home" (atomic pointer) names its guard; it changes
 *    only with mem->lock AND the old and new cache locks held, so a reader
 *    loads it, locks that guard and checks it again (home_lock, block.c).
 *  - heap->carved counts blocks carved from the allocator and not returned
 *    (live blocks plus blocks parked in thread caches); destroy and reset
 *    first flush every cache of the heap, then require carved == 0.
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
    uint64_t carved;               /* live blocks + blocks in thread caches */
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
    uint64_t used;        /* bytes of owned blocks homed at mem->lock, plus
                           * the credit (reserved) of every thread cache
                           * holding this account (see struct mk__tc) */
    uint64_t quota;       /* 0 = unlimited */
    uint64_t violations;
    uint64_t shared_in;   /* blocks shared with this pid */
    struct mk__mblk *owned; /* owned blocks homed at mem->lock */
};

/* A memory block slot: the host-side record of a block lives in the slot
 * its handle names (one cache line to reach, not a table entry plus a
 * record). Slots sit in chunks that never move (tcache.c), so a handle is
 * resolved without any lock; every other field is read and written under
 * the slot's guard (see heap.h's lock notes): home == NULL -> mem->lock,
 * else that thread cache's lock. */
struct mk__tc;
struct mk__mblk {
    /* What a read or a fast free looks at comes first: with the slot
     * aligned to 64 bytes it is one cache line (one miss at 10^6 blocks). */
    _Alignas(64) _Atomic(struct mk__tc *) home;
    uint32_t idx;          /* own slot index (the handle's low 32 bits) */
    uint32_t gen;          /* generation, 24 bits, never 0 */
    uint8_t live;          /* handed out to a pid */
    uint8_t dead;          /* freed while pinned: last unpin releases */
    uint8_t bin;           /* thread-cache bin, MK__BIN_NONE = not cacheable */
    uint8_t ent;           /* hint: index of the cache entry of its heap */
    mk_pid_t owner;
    struct mk__heap *heap;
    uint64_t off;          /* payload offset within the heap */
    uint64_t bytes;        /* requested size */
    uint32_t nshares, capshares;
    uint64_t pins;         /* reads/writes copying right now */
    /* Second line: sharing and the owner's list. */
    mk_pid_t *shares;
    struct mk__mblk *onext, *oprev; /* owner's list (account or cache) */
};

/* ---- thread caches ("magazines", Bonwick & Adams, USENIX 2001) ----------
 * One per (host thread, context). Per heap used (up to MK__TC_NENT), one
 * stack of freed blocks per size bin: bump and free-list heaps bin by the
 * size rounded to 16 bytes, fixed heaps by size class; requests up to
 * MK__BIN_MAXSIZE only. Blocks enter a stack when their owner thread
 * frees them and leave it when that thread allocates the same bin again.
 * The cache also holds quota credit for one pid at a time: bytes already
 * charged to the pid's account and not yet used by live blocks. */
#define MK__BIN_MAXSIZE 512u
#define MK__NBINS 32u
#define MK__BIN_NONE 0xffu
#define MK__MAG 32u            /* blocks per bin stack */
#define MK__TC_NENT 4u         /* heaps per cache */
#define MK__CREDIT 16384u      /* quota credit taken per refill, bytes */
/* Blocks parked per (thread, free-list heap) at most: giving them all back
 * (flush before MK_ENOMEM, statistics) costs that many TLSF frees, so this
 * bounds what the caches add to the heap's worst-case operation. */
#define MK__TC_FL_CAP 64u

struct mk__tcent {
    mk_heap_t hh;          /* heap handle the caller names (0 = default) */
    struct mk__heap *h;    /* NULL = entry unused */
    uint32_t kind;
    uint64_t allocs, frees; /* counted here, merged into h on flush */
    uint64_t req_in, req_out;
    uint32_t total, cap;   /* blocks parked here, and at most */
    uint32_t n[MK__NBINS];
    struct mk__mblk *stack[MK__NBINS][MK__MAG];
};

struct mk__tlink;
struct mk__tc {
    _Atomic int lock;
    struct mk__mem *m;
    struct mk__tlink *link;        /* owning thread's link; NULL = retired */
    struct mk__tc *mnext;          /* m->tcs (mem->lock) */
    /* Guarded by lock: */
    struct mk__mpid *acct;         /* pid whose credit is held, or NULL */
    mk_pid_t pid;
    uint64_t reserved;             /* bytes charged to acct by this cache */
    uint64_t live;                 /* bytes of live blocks homed here */
    struct mk__mblk *owned;        /* live blocks homed here (acct's) */
    struct mk__tcent ent[MK__TC_NENT];
};

/* Block slots: a directory of chunks that never move. A chunk is 2 MiB
 * (16384 slots of 128 bytes, each 64-byte aligned). Slots are initialised
 * when first handed out (m->fresh), so an unused chunk costs address space
 * only. */
#define MK__SLOT_CHUNK_LOG2 14u
#define MK__SLOT_CHUNK (1u << MK__SLOT_CHUNK_LOG2)
#define MK__SLOT_DIR (1u << 14) /* 2^28 blocks at most */

struct mk__mem {
    pthread_mutex_t lock;
    uint8_t *base;         /* aligned arena start */
    uint64_t size;         /* usable arena bytes from base */
    uint64_t base_addr;    /* offset of base from the region's start */
    void *owned_arena;     /* malloc'd arena, NULL for a caller region */
    mk__htab_t heaps;      /* MK__H_HEAP */
    mk__hmap_t pids;       /* pid -> struct mk__mpid */
    uint64_t serial;
    struct mk__heap *dflt;
    struct mk__heap *ranges; /* sorted by off */
    mk__mem_violation_fn on_violation;
    void *on_violation_arg;
    /* Block slots (tcache.c): directory of chunks, read without the
     * lock; free slots on a list (mem->lock). */
    _Atomic(struct mk__mblk *) *dir;
    uint32_t nchunks;
    _Atomic uint32_t fresh;   /* slots [fresh, nchunks * CHUNK) never used;
                               * stored (release) after a slot's first init */
    struct mk__mblk *slot_free;
    /* One-entry cache of the last pid account looked up (mem->lock):
     * a run of calls for the same pid skips the hash probe. Cleared when
     * that account is removed. */
    struct mk__mpid *last_pid;
    /* Thread caches of this context (tcache.c). */
    uint64_t id;              /* unique per context in the process */
    struct mk__tc *tcs;
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
/* Allocate / free in one heap, maintaining counters; mem->lock held.
 * raw_free returns a block parked in a thread cache (its user-level free
 * was already counted). */
int mk__heap_alloc(struct mk__heap *h, uint64_t size, uint64_t *off);
void mk__heap_free(struct mk__heap *h, uint64_t off, uint64_t size);
void mk__heap_raw_free(struct mk__heap *h, uint64_t off);

/* ---- block.c / account.c, used by heap.c -------------------------------- */
int mk__blocks_init(mk_t *k);
void mk__blocks_fini(mk_t *k);
struct mk__mpid *mk__pid_get(struct mk__mem *m, mk_pid_t pid);
/* mem->lock held and b's cache t locked (NULL if b is homed at mem->lock):
 * unpublish returns b when its bytes may go back now (release does it),
 * NULL when a copy pins it (the last unpin releases). */
struct mk__mblk *mk__blk_unpublish(struct mk__mem *m, struct mk__mblk *b, struct mk__mpid *r,
                                   struct mk__tc *t);
void mk__blk_release(struct mk__mem *m, struct mk__mblk *b);

/* ---- tcache.c ------------------------------------------------------------ */
int mk__tc_init(struct mk__mem *m);
void mk__tc_detach(struct mk__mem *m); /* teardown: cut every thread's link, free caches */
void mk__tc_fini(struct mk__mem *m);   /* then: slot chunks */
/* The calling thread's cache for m, without locking; NULL if it has none
 * yet (fast) / created on demand, NULL only when out of host memory. */
struct mk__tlink {
    _Atomic(struct mk__tc *) tc; /* NULL once the context is gone */
    uint64_t mid;                /* the context's unique id */
    struct mk__tlink *next;
};
/* The calling thread's link used last (initial-exec: one load, no call). */
extern _Thread_local struct mk__tlink *mk__last_link __attribute__((tls_model("initial-exec")));

static inline struct mk__tc *mk__tc_mine(struct mk__mem *m)
{
    struct mk__tlink *l = mk__last_link;
    if (l != NULL && l->mid == m->id)
        return atomic_load_explicit(&l->tc, memory_order_relaxed);
    return NULL;
}
struct mk__tc *mk__tc_get(struct mk__mem *m);
void mk__tc_lock_slow(struct mk__tc *t);
static inline void mk__tc_lock(struct mk__tc *t)
{
    if (atomic_exchange_explicit(&t->lock, 1, memory_order_acquire) != 0)
        mk__tc_lock_slow(t);
}
static inline void mk__tc_unlock(struct mk__tc *t)
{
    atomic_store_explicit(&t->lock, 0, memory_order_release);
}
/* Slot table: resolve a handle to its slot without a lock (NULL if it
 * cannot name one); the caller checks gen and live under the guard. */
static inline struct mk__mblk *mk__slot_of(struct mk__mem *m, mk_block_t bh)
{
    if ((uint8_t)(bh >> 56) != MK__H_BLOCK)
        return NULL;
    uint32_t idx = (uint32_t)bh;
    if (idx >= atomic_load_explicit(&m->fresh, memory_order_acquire))
        return NULL; /* never handed out: not even initialised */
    struct mk__mblk *c =
        atomic_load_explicit(&m->dir[idx >> MK__SLOT_CHUNK_LOG2], memory_order_relaxed);
    return &c[idx & (MK__SLOT_CHUNK - 1)];
}
struct mk__mblk *mk__slot_new(struct mk__mem *m); /* mem->lock; NULL = ENOMEM */
void mk__slot_put(struct mk__mem *m, struct mk__mblk *b); /* mem->lock + guard */
static inline mk_block_t mk__slot_handle(const struct mk__mblk *b)
{
    return ((uint64_t)MK__H_BLOCK << 56) | ((uint64_t)b->gen << 32) | b->idx;
}
/* Entries and flushes; mem->lock held, and t's lock where noted. */
struct mk__tcent *mk__tc_ent(struct mk__tc *t, mk_heap_t hh, struct mk__heap *h); /* t locked */
void mk__tc_flush_ent(struct mk__tc *t, struct mk__tcent *e); /* t locked */
/* Flush every cache's entry for h (held = a cache the caller already
 * locked, or NULL); drop the entries too when forget is true. */
void mk__tc_flush_heap(struct mk__mem *m, struct mk__heap *h, struct mk__tc *held, bool forget);
/* Give the credit t holds back to its account (t locked). */
void mk__tc_drop_credit(struct mk__tc *t);
/* Stop t serving its account: credit back, live blocks homed here move to
 * the account (home NULL); O(blocks). mem->lock and t locked. */
void mk__tc_unbind(struct mk__tc *t);
/* Exact bytes charged to r: r->used minus the unused credit of every cache
 * (held: already locked by the caller, or NULL); with reclaim, that credit
 * is also returned to r. */
uint64_t mk__acct_exact(struct mk__mem *m, struct mk__mpid *r, struct mk__tc *held, bool reclaim);
/* Blocks homed in caches (per-block iteration for exit and fini). */
void mk__slots_foreach(struct mk__mem *m, void (*fn)(struct mk__mem *, struct mk__mblk *, void *),
                       void *arg);

#endif /* MK_SRC_MEM_HEAP_H */
