/*
 * core.h - internal interface of the core layer: the context structure,
 * context validation, handle tables, hash maps, names, wait deadlines and
 * process life-cycle hooks.
 *
 * Core sits at the bottom: it calls no other module, except that
 * context.c assembles the modules at mk_create() and takes them apart at
 * mk_destroy() (the one wiring point, through their mk__<mod>_init/_fini).
 *
 * Rules:
 *  - Every public entry point starts with MK__CHECK(k) so a NULL or destroyed
 *    context gets an error code, never a crash.
 *  - A handle table (mk__htab) and a hash map (mk__hmap, mk__nmap) do no
 *    locking of their own: the module that owns one protects it with the
 *    module's lock, and that lock also guards the lifetime of what it holds.
 *  - Module state is opaque outside its module: struct mk holds pointers to
 *    forward-declared structs only.
 */
#ifndef MK_SRC_CORE_H
#define MK_SRC_CORE_H

#include <microkernel/core.h>
#include <microkernel/trace.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MK__MAGIC_LIVE 0x6d6b4c56u /* "mkLV" */
#define MK__MAGIC_DEAD 0x6d6b4444u /* "mkDD" */

/* Handle type tags (top byte of a handle). Never reuse a number. */
enum mk__htype {
    MK__H_HEAP = 1,
    MK__H_BLOCK = 2,
    MK__H_QUEUE = 3,
    MK__H_SEM = 4,
    MK__H_DEV = 5,
    MK__H_FD = 6,
    MK__H_MUTEX = 7,
    MK__H_TERM = 8,  /* wait kind only (terminal read), never a handle */
    MK__H_RPC = 9,   /* wait kind only (RPC call or receive), never a handle */
};

struct mk__mem;
struct mk__proc;
struct mk__ipc;
struct mk__sync;
struct mk__blk;
struct mk__vfs;
struct mk__irq;
struct mk__rpc;
struct mk__trace;

/* Called when a process is created (may fail: the creation is rolled back
 * by calling the exit hooks of the hooks that already ran) and when it is
 * destroyed (must release everything the module holds for that pid). */
typedef int (*mk__proc_create_fn)(mk_t *k, mk_pid_t pid);
typedef void (*mk__proc_exit_fn)(mk_t *k, mk_pid_t pid);

#define MK__HOOKS_MAX 8

struct mk__hook {
    mk__proc_create_fn on_create;
    mk__proc_exit_fn on_exit;
};

/* The context. Contexts are kept on a global free list after mk_destroy
 * (never returned to the host allocator), so a call made with a destroyed
 * context reads a dead magic number instead of freed memory. */
struct mk {
    _Atomic uint32_t magic;
    mk_config_t cfg; /* defaults resolved */
    _Atomic uint64_t ticks;
    struct mk__mem *mem;
    struct mk__proc *proc;
    struct mk__ipc *ipc;
    struct mk__sync *sync;
    struct mk__blk *blk;
    struct mk__vfs *vfs;
    struct mk__irq *irq;
    struct mk__rpc *rpc;
    struct mk__trace *trace;
    _Atomic int trace_on; /* nonzero while a ring or callback is installed */
    /* Advances the virtual clock, firing timers and ending time slices; set
     * by the scheduler (proc) at init so mk_clock_advance, a core call,
     * reaches it without calling up a layer. NULL: plain counter. */
    void (*clock_fn)(mk_t *k, uint64_t ticks);
    /* Kernel entry for the calls of modules that do not block in the
     * scheduler (mem, blk, fs, vfs): charges a body's call and is a
     * preemption point (mk__sched_enter). The scheduler sets it when the
     * first body is spawned, so a program of host threads only pays one
     * relaxed load per call. NULL: no body has ever existed. */
    _Atomic(int (*)(mk_t *k)) enter_fn;
    struct mk__hook hooks[MK__HOOKS_MAX];
    int nhooks;
    struct mk *next_free; /* global free list link */
};

/* Returns 0 for a live context, MK_EINVAL for NULL, MK_EBADH if destroyed. */
static inline int mk__check(const mk_t *k)
{
    if (k == NULL)
        return MK_EINVAL;
    if (atomic_load_explicit(&k->magic, memory_order_acquire) != MK__MAGIC_LIVE)
        return MK_EBADH;
    return 0;
}

#define MK__CHECK(k)                                                         \
    do {                                                                     \
        int mk__rc_ = mk__check(k);                                          \
        if (mk__rc_ != 0)                                                    \
            return mk__rc_;                                                  \
    } while (0)

/* Kernel entry of a public call of mem, blk, fs or vfs, right after
 * MK__CHECK and before any lock is taken: see struct mk's enter_fn. 0, or
 * the error a killed or destroyed body must return at once. */
static inline int mk__kernel_enter(mk_t *k)
{
    int (*fn)(mk_t *) = atomic_load_explicit(&k->enter_fn, memory_order_relaxed);
    return fn != NULL ? fn(k) : 0;
}

#define MK__KERNEL_ENTER(k)                                                  \
    do {                                                                     \
        int mk__ke_ = mk__kernel_enter(k);                                   \
        if (mk__ke_ != 0)                                                    \
            return mk__ke_;                                                  \
    } while (0)

/* Register process life-cycle hooks (called by module init, in layer order;
 * exit hooks run in reverse order of registration). */
int mk__hook_register(mk_t *k, mk__proc_create_fn on_create, mk__proc_exit_fn on_exit);
int mk__hooks_run_create(mk_t *k, mk_pid_t pid);
void mk__hooks_run_exit(mk_t *k, mk_pid_t pid);

/* ---- names ---------------------------------------------------------- */

/* 0 if name is a valid object name (non-NULL, 1..MK_NAME_MAX bytes),
 * MK_EINVAL for NULL/empty, MK_ENAMETOOLONG past MK_NAME_MAX. */
int mk__name_check(const char *name);
/* FNV-1a, 64 bit. */
uint64_t mk__hash_str(const char *s);
uint64_t mk__hash_u64(uint64_t x);

/* ---- handle tables ---------------------------------------------------- */
/* A handle is [63..56] type tag | [55..32] generation | [31..0] slot index.
 * Generations start at 1 and skip 0 on wrap, so 0 is never a valid handle. */

struct mk__hslot {
    void *obj;      /* NULL when free */
    uint32_t gen;   /* generation of the current or next occupant */
    uint32_t next;  /* free-list link (index + 1, 0 = end) */
};

typedef struct mk__htab {
    struct mk__hslot *slots;
    uint32_t cap;
    uint32_t count;
    uint32_t free_head; /* index + 1, 0 = none */
    uint8_t type;
} mk__htab_t;

void mk__htab_init(mk__htab_t *t, uint8_t type);
void mk__htab_fini(mk__htab_t *t);
/* MK_ENOMEM on allocation failure. */
int mk__htab_insert(mk__htab_t *t, void *obj, uint64_t *out);
/* NULL when h is stale, forged or of another type. */
void *mk__htab_get(const mk__htab_t *t, uint64_t h);
/* Removes and returns the object, NULL if h is not valid. */
void *mk__htab_remove(mk__htab_t *t, uint64_t h);
/* Iterate: start with *cursor = 0; returns next live object and its handle,
 * NULL at the end. Removing the returned object while iterating is allowed. */
void *mk__htab_next(const mk__htab_t *t, uint32_t *cursor, uint64_t *h);

/* ---- big arrays (hugealloc.c) ------------------------------------------ */
/* Zero-filled arrays for the tables above: calloc below MK__HUGE_MIN bytes,
 * at or above it a 2 MiB aligned mapping advised MADV_HUGEPAGE (small pages
 * if the advice fails). Free and grow with the size allocated: the size
 * alone tells which kind. grow = realloc that zero-fills the new part; p is
 * untouched on failure (NULL). */
#define MK__HUGE_MIN ((size_t)2 << 20)
void *mk__huge_alloc(size_t bytes);
void *mk__huge_grow(void *p, size_t old_bytes, size_t new_bytes);
void mk__huge_free(void *p, size_t bytes);
/* Internal tests only, while no big table exists: threshold (0 = default;
 * returns the old one); fail mode 0 none, 1 madvise fails, 2 mmap fails;
 * counters of mappings made, advised, left on small pages. */
size_t mk__huge_set_min(size_t bytes);
void mk__huge_set_fail(int mode);
void mk__huge_stats(uint64_t *mapped, uint64_t *advised, uint64_t *small);

/* ---- hash maps -------------------------------------------------------- */
/* Open addressing with linear probing and backward-shift deletion; u64 key
 * to pointer. Key 0 is allowed. */

/* Key and value side by side: one cache line per probe, not two. */
struct mk__hent {
    uint64_t key;
    void *val;     /* NULL marks an empty slot */
};

typedef struct mk__hmap {
    struct mk__hent *ents;
    size_t cap;    /* power of two or 0 */
    size_t count;
} mk__hmap_t;

void mk__hmap_init(mk__hmap_t *m);
void mk__hmap_fini(mk__hmap_t *m);
void *mk__hmap_get(const mk__hmap_t *m, uint64_t key);
/* val must not be NULL. Replaces an existing entry. MK_ENOMEM on failure. */
int mk__hmap_put(mk__hmap_t *m, uint64_t key, void *val);
void *mk__hmap_del(mk__hmap_t *m, uint64_t key);
/* Iterate: *cursor starts at 0; returns NULL at the end. Do not modify the
 * map while iterating. */
void *mk__hmap_next(const mk__hmap_t *m, size_t *cursor, uint64_t *key);

/* Name map: string key (copied) to pointer, chained on a 64-bit hash. */
struct mk__nnode;
typedef struct mk__nmap {
    mk__hmap_t by_hash; /* hash -> first mk__nnode */
    size_t count;
} mk__nmap_t;

void mk__nmap_init(mk__nmap_t *m);
void mk__nmap_fini(mk__nmap_t *m);
void *mk__nmap_get(const mk__nmap_t *m, const char *name);
/* MK_EEXIST if present, MK_ENOMEM on failure. */
int mk__nmap_put(mk__nmap_t *m, const char *name, void *val);
void *mk__nmap_del(mk__nmap_t *m, const char *name);

/* ---- time and waiting -------------------------------------------------- */

/* Initialise a condition variable that waits on CLOCK_MONOTONIC. */
int mk__cond_init(pthread_cond_t *c);
/* Absolute CLOCK_MONOTONIC deadline for a host-thread wait of timeout_ticks
 * at the context's tick rate. MK_FOREVER gives has_deadline = false. */
void mk__deadline(const mk_t *k, uint64_t timeout_ticks, struct timespec *abs,
                  bool *has_deadline);
/* Wait on c (mutex m held). Returns 0 when woken (or spuriously), or
 * MK_ETIMEDOUT once the deadline has passed. */
int mk__cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs,
                  bool has_deadline);

/* ---- trace ---------------------------------------------------------- */

int mk__trace_init(mk_t *k);
void mk__trace_fini(mk_t *k);
void mk__trace_emit_slow(mk_t *k, uint32_t type, mk_pid_t pid, uint64_t a, uint64_t b);
/* Record an event (see trace.h for the meaning of a and b per type). Costs
 * one relaxed atomic load while tracing is off. */
static inline void mk__trace_emit(mk_t *k, uint32_t type, mk_pid_t pid, uint64_t a, uint64_t b)
{
    if (atomic_load_explicit(&k->trace_on, memory_order_relaxed))
        mk__trace_emit_slow(k, type, pid, a, b);
}

/* ---- module assembly (implemented by each module) ---------------------- */
int mk__mem_init(mk_t *k);
void mk__mem_fini(mk_t *k);
int mk__proc_init(mk_t *k);
void mk__proc_fini(mk_t *k);
int mk__ipc_init(mk_t *k);
void mk__ipc_fini(mk_t *k);
int mk__sync_init(mk_t *k);
void mk__sync_fini(mk_t *k);
int mk__irq_init(mk_t *k);   /* interrupts, terminal, exceptions */
void mk__irq_fini(mk_t *k);
int mk__rpc_init(mk_t *k);   /* ipc/rpc.c: synchronous call/reply */
void mk__rpc_fini(mk_t *k);
int mk__blk_init(mk_t *k);
int mk__blk_fini(mk_t *k);   /* flushes; MK_EIO if write-back failed */
int mk__vfs_init(mk_t *k);
int mk__vfs_fini(mk_t *k);   /* unmounts; MK_EIO if write-back failed */

#endif /* MK_SRC_CORE_H */
