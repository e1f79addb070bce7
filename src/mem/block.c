/*
 * block.c - memory blocks: allocation and free on behalf of a pid,
 * bounds-checked reads and writes, raw pointers, block info and sharing.
 * Accounts, quotas and the process hooks are in account.c; the per-thread
 * caches and the slot table in tcache.c.
 *
 * Sits on heap.c (mk__heap_alloc / mk__heap_free), tcache.c (thread caches,
 * slots) and core (pid hash map, hooks).
 *
 * Two paths per call (Bonwick & Adams, "Magazines and Vmem", USENIX 2001):
 *  - fast: the calling thread's own cache, under that cache's lock only.
 *    An allocation pops a block of the same size bin that this thread
 *    freed before and spends quota credit the cache already holds for the
 *    pid; a free of a block this thread allocated pushes it back. No table
 *    lock, no allocator, no account: ~1 locked exchange per call.
 *  - slow: everything else, as ONE mem->lock critical section (with the
 *    cache locks it needs nested inside): check the pid, the heap and the
 *    quota, refill credit, carve or release, publish, count. Every error
 *    code is decided on this path, so both paths return the same codes.
 *
 * Block slots: a block's record is its slot (heap.h). Its guard is its
 * "home": mem->lock (home == NULL) or the cache the block lives in. A
 * reader loads home, locks that guard and checks home again (home_lock);
 * home only changes with mem->lock and both cache locks held. Live blocks
 * homed in a cache are all owned by the cache's pid and listed on the
 * cache, so a process exit finds them there (account.c).
 *
 * A read or write pins the block under its guard, copies unlocked, then
 * unpins; a free that finds the block pinned only unpublishes it and the
 * last unpin returns the bytes to the heap, so a copy never lands in memory
 * that has been given to someone else. Exception: a copy of at most 256
 * bytes by the owner of a block homed in a cache is made under that
 * cache's lock, unpinned (copy_small): one lock round trip instead of two.
 */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

#define GEN_MASK 0xffffffu

struct mk__mpid *mk__pid_get(struct mk__mem *m, mk_pid_t pid)
{
    struct mk__mpid *r = m->last_pid;
    if (r != NULL && r->pid == pid)
        return r;
    r = mk__hmap_get(&m->pids, pid);
    if (r != NULL)
        m->last_pid = r;
    return r;
}

/* ---- guards -------------------------------------------------------------------- */

/* Lock b's guard without mem->lock held: returns the cache locked, or NULL
 * with mem->lock held. */
static struct mk__tc *home_lock(struct mk__mem *m, struct mk__mblk *b)
{
    for (;;) {
        struct mk__tc *t = atomic_load_explicit(&b->home, memory_order_acquire);
        if (t == NULL) {
            pthread_mutex_lock(&m->lock);
            if (atomic_load_explicit(&b->home, memory_order_relaxed) == NULL)
                return NULL;
            pthread_mutex_unlock(&m->lock);
            continue;
        }
        mk__tc_lock(t);
        if (atomic_load_explicit(&b->home, memory_order_relaxed) == t)
            return t;
        mk__tc_unlock(t);
    }
}

static void home_unlock(struct mk__mem *m, struct mk__tc *t)
{
    if (t != NULL)
        mk__tc_unlock(t);
    else
        pthread_mutex_unlock(&m->lock);
}

/* With mem->lock held, home cannot change: lock the cache if there is one. */
static struct mk__tc *home_lock_held(struct mk__mblk *b)
{
    struct mk__tc *t = atomic_load_explicit(&b->home, memory_order_relaxed);
    if (t != NULL)
        mk__tc_lock(t);
    return t;
}

static bool slot_valid(const struct mk__mblk *b, mk_block_t bh)
{
    return b->live && b->gen == ((uint32_t)(bh >> 32) & GEN_MASK);
}

/* Size bin of a request in a heap of this kind, MK__BIN_NONE if the caches
 * do not take it: bump and free-list heaps bin by the size rounded to
 * MK_MEM_ALIGN (what they carve), fixed heaps by size class. */
static inline uint8_t bin_of(uint32_t kind, uint64_t size)
{
    if (size > MK__BIN_MAXSIZE)
        return MK__BIN_NONE;
    if (kind == MK_HEAP_FIXED)
        return size <= 16 ? 0 : (uint8_t)(64 - __builtin_clzll(size - 1) - MK__FIX_MIN_LOG2);
    return (uint8_t)((size - 1) >> 4);
}

/* The stack to pop for a request of bin `bin`, MK__NBINS if none. A
 * free-list heap's block may serve a request up to MK__FL_SPAN - 1 bins
 * (16 bytes each) smaller than it was carved for: with few blocks parked
 * (MK__TC_FL_CAP), that keeps the hit rate up for mixed sizes, at the cost
 * of up to 48 bytes of rounding in such a block. */
#define MK__FL_SPAN 4u

static inline uint32_t bin_find(const struct mk__tcent *e, uint32_t bin)
{
    if (e->n[bin] != 0)
        return bin;
    if (e->kind != MK_HEAP_FREELIST)
        return MK__NBINS;
    uint32_t end = bin + MK__FL_SPAN < MK__NBINS ? bin + MK__FL_SPAN : MK__NBINS;
    for (uint32_t b = bin + 1; b < end; b++)
        if (e->n[b] != 0)
            return b;
    return MK__NBINS;
}

static bool may_access(const struct mk__mblk *b, mk_pid_t pid)
{
    if (b->owner == pid)
        return true;
    for (uint32_t i = 0; i < b->nshares; i++)
        if (b->shares[i] == pid)
            return true;
    return false;
}

static void list_push(struct mk__mblk **head, struct mk__mblk *b)
{
    b->oprev = NULL;
    b->onext = *head;
    if (*head)
        (*head)->oprev = b;
    *head = b;
}

static void list_unlink(struct mk__mblk **head, struct mk__mblk *b)
{
    if (b->oprev)
        b->oprev->onext = b->onext;
    else
        *head = b->onext;
    if (b->onext)
        b->onext->oprev = b->oprev;
    b->onext = b->oprev = NULL;
}

static void gen_next(struct mk__mblk *b)
{
    b->gen = (b->gen + 1) & GEN_MASK;
    if (b->gen == 0)
        b->gen = 1;
}

/* Count a violation (mem->lock held) and fetch the notifier to call once
 * the lock is dropped. */
static void violation(struct mk__mem *m, struct mk__mpid *r, mk__mem_violation_fn *fn,
                      void **arg)
{
    r->violations++;
    *fn = m->on_violation;
    *arg = m->on_violation_arg;
}

static void notify(mk_t *k, mk__mem_violation_fn fn, void *arg, mk_pid_t pid, int code)
{
    if (fn != NULL)
        fn(k, pid, code, arg);
}

/* ---- unpublish and release (mem->lock held, b's cache t locked) -------------- */

/* Take b away from its owner: stale handle, off the owner's list, bytes
 * uncharged, shares withdrawn. Returns b if its bytes can go back now,
 * NULL if a copy still pins it (the last unpin does it). r: the owner's
 * account (used only when b is homed at mem->lock). */
struct mk__mblk *mk__blk_unpublish(struct mk__mem *m, struct mk__mblk *b, struct mk__mpid *r,
                                   struct mk__tc *t)
{
    b->live = 0;
    gen_next(b);
    if (t != NULL) {
        list_unlink(&t->owned, b);
        t->live -= b->bytes;
    } else if (r != NULL) {
        list_unlink(&r->owned, b);
        r->used -= b->bytes;
    }
    for (uint32_t i = 0; i < b->nshares; i++) {
        struct mk__mpid *o = mk__pid_get(m, b->shares[i]);
        if (o != NULL)
            o->shared_in--;
    }
    b->nshares = 0;
    if (b->pins != 0) {
        b->dead = 1;
        return NULL;
    }
    return b;
}

void mk__blk_release(struct mk__mem *m, struct mk__mblk *b)
{
    mk__heap_free(b->heap, b->off, b->bytes);
    mk__slot_put(m, b);
}

/* Give the oldest `count` blocks of one stack back to the heap. */
static void drain(struct mk__mem *m, struct mk__tcent *e, uint32_t bin, uint32_t count)
{
    struct mk__mblk **st = e->stack[bin];
    for (uint32_t j = 0; j < count; j++) {
        mk__heap_raw_free(e->h, st[j]->off);
        mk__slot_put(m, st[j]);
    }
    memmove(&st[0], &st[count], (e->n[bin] - count) * sizeof st[0]);
    e->n[bin] -= count;
    e->total -= count;
}

/* Park a freed block in its cache t if it fits (mem->lock and t held),
 * making room by giving back the 4 oldest blocks of its stack when that is
 * full, or of the fullest stack when the entry is; else release it. At
 * most 4 allocator frees: this path's cost stays bounded and small. */
static void park_or_release(struct mk__mem *m, struct mk__tc *t, struct mk__mblk *b)
{
    if (t != NULL && b->bin != MK__BIN_NONE) {
        for (uint32_t i = 0; i < MK__TC_NENT; i++) {
            struct mk__tcent *e = &t->ent[i];
            if (e->h != b->heap)
                continue;
            if (e->n[b->bin] == MK__MAG || e->total == e->cap) {
                uint32_t v = b->bin;
                if (e->n[v] < 2)
                    for (uint32_t j = 0; j < MK__NBINS; j++)
                        if (e->n[j] > e->n[v])
                            v = j;
                drain(m, e, v, e->n[v] < 4 ? e->n[v] : 4);
            }
            e->stack[b->bin][e->n[b->bin]++] = b;
            e->total++;
            e->frees++;
            e->req_out += b->bytes;
            return;
        }
    }
    mk__blk_release(m, b);
}

/* ---- allocation ------------------------------------------------------------------ */

static void publish(struct mk__mblk *b, mk_pid_t pid, uint64_t size, uint8_t bin)
{
    b->live = 1;
    b->dead = 0;
    b->pins = 0;
    b->owner = pid;
    b->bytes = size;
    b->bin = bin;
}

static bool over_quota(const struct mk__mpid *r, uint64_t need)
{
    return r->quota != 0 && (r->used > r->quota || need > r->quota - r->used);
}

/* mem->lock held, r and h valid. t: the caller's cache or NULL. */
static int alloc_locked(struct mk__mem *m, struct mk__tc *t, struct mk__mpid *r, mk_heap_t hh,
                        struct mk__heap *h, uint64_t size, mk_block_t *out,
                        mk__mem_violation_fn *fn, void **arg)
{
    if (t != NULL) {
        mk__tc_lock(t);
        if (t->acct != r && t->owned == NULL) { /* switch the cache to this pid */
            mk__tc_drop_credit(t);
            t->acct = r;
            t->pid = r->pid;
            t->reserved = t->live = 0;
        }
        if (t->acct != r) {
            mk__tc_unlock(t); /* it serves another pid: home this block at mem->lock */
            t = NULL;
        }
    }
    int rc = 0;
    uint64_t avail = t ? t->reserved - t->live : 0;
    uint64_t need = size > avail ? size - avail : 0;
    if (need != 0 && over_quota(r, need)) {
        /* Credit other threads hold may be what is in the way: take it
         * back, then decide on the exact figure. */
        mk__acct_exact(m, r, t, true);
        need = size;
        if (over_quota(r, need)) {
            violation(m, r, fn, arg);
            rc = MK_EQUOTA;
            goto out;
        }
    }
    uint64_t extra = 0;
    if (t != NULL && need != 0) {
        extra = MK__CREDIT;
        if (r->quota != 0 && extra > r->quota - r->used - need)
            extra = r->quota - r->used - need;
    }
    struct mk__heap *ah = h;
    if (h->kind == MK_HEAP_FIXED && size > MK_HEAP_FIXED_MAX_CLASS)
        ah = h->fallback;
    uint8_t bin = bin_of(h->kind, size);
    struct mk__mblk *b = NULL;
    struct mk__tcent *e = NULL;
    if (t != NULL && bin != MK__BIN_NONE) {
        e = mk__tc_ent(t, hh, h);
        uint32_t fb = bin_find(e, bin);
        if (fb != MK__NBINS) {
            bin = (uint8_t)fb;
            b = e->stack[bin][--e->n[bin]];
            e->total--;
            e->allocs++;
            e->req_in += size;
        }
    }
    if (b == NULL) {
        uint64_t off;
        rc = mk__heap_alloc(ah, size, &off);
        if (rc == MK_ENOMEM) {
            /* Blocks parked in caches may be what is missing. */
            mk__tc_flush_heap(m, ah, t, false);
            ah->failed--; /* counted once, below, if the retry fails too */
            rc = mk__heap_alloc(ah, size, &off);
        }
        if (rc == 0 && (b = mk__slot_new(m)) == NULL) {
            mk__heap_free(ah, off, size);
            ah->allocs--;
            ah->frees--;
            ah->failed++;
            rc = MK_ENOMEM;
        }
        if (rc != 0)
            goto out;
        b->heap = ah;
        b->off = off;
        if (t != NULL)
            atomic_store_explicit(&b->home, t, memory_order_release);
    }
    publish(b, r->pid, size, bin);
    b->ent = e ? (uint8_t)(e - t->ent) : 0;
    if (t != NULL) {
        r->used += need + extra;
        t->reserved += need + extra;
        t->live += size;
        list_push(&t->owned, b);
    } else {
        r->used += size;
        list_push(&r->owned, b);
    }
    *out = mk__slot_handle(b);
out:
    if (t != NULL)
        mk__tc_unlock(t);
    return rc;
}

/* Kept out of line so the fast path stays a short leaf-like function. */
__attribute__((noinline)) static int alloc_slow(mk_t *k, mk_pid_t pid, mk_heap_t heap,
                                                uint64_t size, mk_block_t *out)
{
    struct mk__mem *m = k->mem;
    struct mk__tc *t = mk__tc_get(m); /* NULL: out of host memory, go cacheless */
    mk__mem_violation_fn fn = NULL;
    void *arg = NULL;
    mk_block_t bh = 0;
    int rc;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__pid_get(m, pid);
    struct mk__heap *h = mk__heap_lookup(m, heap);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (h == NULL)
        rc = MK_EBADH;
    else
        rc = alloc_locked(m, t, r, heap, h, size, &bh, &fn, &arg);
    pthread_mutex_unlock(&m->lock);
    if (fn != NULL)
        notify(k, fn, arg, pid, rc);
    if (rc == 0)
        *out = bh;
    return rc;
}

int mk_mem_alloc(mk_t *k, mk_pid_t pid, mk_heap_t heap, uint64_t size, mk_block_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || size == 0)
        return MK_EINVAL;
    struct mk__tc *t = mk__tc_mine(k->mem);
    if (t != NULL && size <= MK__BIN_MAXSIZE) {
        mk__tc_lock(t);
        if (t->acct != NULL && t->pid == pid && size <= t->reserved - t->live) {
            for (uint32_t i = 0; i < MK__TC_NENT; i++) {
                struct mk__tcent *e = &t->ent[i];
                if (e->hh != heap || e->h == NULL)
                    continue;
                uint32_t bin = bin_find(e, bin_of(e->kind, size));
                if (bin == MK__NBINS)
                    break;
                struct mk__mblk *b = e->stack[bin][--e->n[bin]];
                e->total--;
                publish(b, pid, size, (uint8_t)bin);
                b->ent = (uint8_t)i;
                e->allocs++;
                e->req_in += size;
                t->live += size;
                list_push(&t->owned, b);
                *out = mk__slot_handle(b);
                mk__tc_unlock(t);
                return 0;
            }
        }
        mk__tc_unlock(t);
    }
    return alloc_slow(k, pid, heap, size, out);
}

/* ---- free ------------------------------------------------------------------------- */

/* The block bh owned by pid, under m->lock with its cache locked (*tp):
 * MK_ENOENT (no such pid), MK_EBADH (stale or forged handle) or MK_EPERM
 * (another pid's block). On error nothing stays locked but mem->lock. */
static int owned_block(struct mk__mem *m, mk_pid_t pid, mk_block_t bh, struct mk__mpid **rp,
                       struct mk__mblk **bp, struct mk__tc **tp)
{
    struct mk__mpid *r = mk__pid_get(m, pid);
    struct mk__mblk *b = mk__slot_of(m, bh);
    if (r == NULL)
        return MK_ENOENT;
    if (b == NULL)
        return MK_EBADH;
    struct mk__tc *t = home_lock_held(b);
    int rc = 0;
    if (!slot_valid(b, bh))
        rc = MK_EBADH;
    else if (b->owner != pid)
        rc = MK_EPERM;
    if (rc != 0) {
        if (t != NULL)
            mk__tc_unlock(t);
        return rc;
    }
    *rp = r;
    *bp = b;
    *tp = t;
    return 0;
}

__attribute__((noinline)) static int free_slow(struct mk__mem *m, mk_pid_t pid, mk_block_t bh)
{
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r;
    struct mk__mblk *b;
    struct mk__tc *t;
    int rc = owned_block(m, pid, bh, &r, &b, &t);
    if (rc == 0) {
        struct mk__mblk *rel = mk__blk_unpublish(m, b, r, t);
        if (rel != NULL)
            park_or_release(m, t, rel);
        if (t != NULL)
            mk__tc_unlock(t);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_free(mk_t *k, mk_pid_t pid, mk_block_t bh)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    struct mk__tc *t = mk__tc_mine(m);
    struct mk__mblk *b = mk__slot_of(m, bh);
    if (t != NULL && b != NULL && atomic_load_explicit(&b->home, memory_order_relaxed) == t) {
        mk__tc_lock(t);
        if (atomic_load_explicit(&b->home, memory_order_relaxed) == t && slot_valid(b, bh) &&
            b->owner == pid && b->pins == 0 && b->nshares == 0 && b->bin != MK__BIN_NONE) {
            struct mk__tcent *e = &t->ent[b->ent];
            uint32_t n = e->n[b->bin];
            if (e->h == b->heap && n < MK__MAG && e->total < e->cap) {
                b->live = 0;
                gen_next(b);
                list_unlink(&t->owned, b);
                t->live -= b->bytes;
                e->stack[b->bin][n] = b;
                e->n[b->bin] = n + 1;
                e->total++;
                e->frees++;
                e->req_out += b->bytes;
                mk__tc_unlock(t);
                return 0;
            }
        }
        mk__tc_unlock(t);
    }
    return free_slow(m, pid, bh);
}

/* ---- access ------------------------------------------------------------------------ */

/* Common front of read, write and ptr: find, check access and (for a
 * copy) bounds, pin. Returns the block pinned, or an error. The owner of a
 * block homed in a cache is served under that cache's lock alone; every
 * other case, and every error, under mem->lock. */
static int access_begin(mk_t *k, mk_pid_t pid, mk_block_t bh, uint64_t offset, uint64_t len,
                        bool pin, struct mk__mblk **out, uint8_t **ptr)
{
    struct mk__mem *m = k->mem;
    struct mk__mblk *b = mk__slot_of(m, bh);
    struct mk__tc *t = b ? atomic_load_explicit(&b->home, memory_order_acquire) : NULL;
    if (t != NULL) {
        mk__tc_lock(t);
        if (atomic_load_explicit(&b->home, memory_order_relaxed) == t && slot_valid(b, bh) &&
            b->owner == pid && offset <= b->bytes && len <= b->bytes - offset) {
            if (pin)
                b->pins++;
            *out = b;
            *ptr = b->heap->base + b->off;
            mk__tc_unlock(t);
            return 0;
        }
        mk__tc_unlock(t);
    }
    mk__mem_violation_fn fn = NULL;
    void *arg = NULL;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__pid_get(m, pid);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (b == NULL)
        rc = MK_EBADH;
    else {
        t = home_lock_held(b);
        if (!slot_valid(b, bh))
            rc = MK_EBADH;
        else if (!may_access(b, pid)) {
            violation(m, r, &fn, &arg);
            rc = MK_EPERM;
        } else if (offset > b->bytes || len > b->bytes - offset) {
            violation(m, r, &fn, &arg);
            rc = MK_EFAULT;
        } else {
            if (pin)
                b->pins++;
            *out = b;
            *ptr = b->heap->base + b->off;
        }
        if (t != NULL)
            mk__tc_unlock(t);
    }
    pthread_mutex_unlock(&m->lock);
    notify(k, fn, arg, pid, rc);
    return rc;
}

static void access_end(mk_t *k, struct mk__mblk *b)
{
    struct mk__mem *m = k->mem;
    struct mk__tc *t = home_lock(m, b);
    bool last = --b->pins == 0 && b->dead;
    if (!last) {
        home_unlock(m, t);
        return;
    }
    if (t != NULL) {
        /* Returning bytes needs mem->lock, which comes before the cache
         * lock; nobody else can pin or release a dead block meanwhile. */
        mk__tc_unlock(t);
        pthread_mutex_lock(&m->lock);
        t = home_lock_held(b);
    }
    if (b->dead && b->pins == 0)
        mk__blk_release(m, b);
    if (t != NULL)
        mk__tc_unlock(t);
    pthread_mutex_unlock(&m->lock);
}

/* A small copy by the owner of a block homed in a cache is made under that
 * cache's lock, with no pin: one lock round trip instead of two (a free
 * needs the same lock, so the bytes cannot be handed on meanwhile). The
 * lock is held for at most SMALL_COPY bytes of memcpy. Returns false if
 * the general path must decide (other pid, error, large copy). */
#define SMALL_COPY 256u

static bool copy_small(struct mk__mem *m, mk_pid_t pid, mk_block_t bh, uint64_t offset,
                       void *to, const void *from, uint64_t len)
{
    if (len > SMALL_COPY)
        return false;
    struct mk__mblk *b = mk__slot_of(m, bh);
    struct mk__tc *t = b ? atomic_load_explicit(&b->home, memory_order_acquire) : NULL;
    if (t == NULL)
        return false;
    mk__tc_lock(t);
    bool ok = atomic_load_explicit(&b->home, memory_order_relaxed) == t && slot_valid(b, bh) &&
              b->owner == pid && offset <= b->bytes && len <= b->bytes - offset;
    if (ok) {
        uint8_t *p = b->heap->base + b->off + offset;
        memcpy(to ? to : p, from ? from : p, (size_t)len);
    }
    mk__tc_unlock(t);
    return ok;
}

int mk_mem_read(mk_t *k, mk_pid_t pid, mk_block_t bh, uint64_t offset, void *buf, uint64_t len)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (buf == NULL && len != 0)
        return MK_EINVAL;
    if (len != 0 && copy_small(k->mem, pid, bh, offset, buf, NULL, len))
        return 0;
    struct mk__mblk *b;
    uint8_t *p;
    int rc = access_begin(k, pid, bh, offset, len, true, &b, &p);
    if (rc != 0)
        return rc;
    if (len != 0)
        memcpy(buf, p + offset, (size_t)len);
    access_end(k, b);
    return 0;
}

int mk_mem_write(mk_t *k, mk_pid_t pid, mk_block_t bh, uint64_t offset, const void *buf,
                 uint64_t len)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (buf == NULL && len != 0)
        return MK_EINVAL;
    if (len != 0 && copy_small(k->mem, pid, bh, offset, NULL, buf, len))
        return 0;
    struct mk__mblk *b;
    uint8_t *p;
    int rc = access_begin(k, pid, bh, offset, len, true, &b, &p);
    if (rc != 0)
        return rc;
    if (len != 0)
        memcpy(p + offset, buf, (size_t)len);
    access_end(k, b);
    return 0;
}

int mk_mem_ptr(mk_t *k, mk_pid_t pid, mk_block_t bh, void **out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL)
        return MK_EINVAL;
    struct mk__mblk *b;
    uint8_t *p;
    /* Not pinned: the pointer's life is the caller's business. */
    int rc = access_begin(k, pid, bh, 0, 0, false, &b, &p);
    if (rc != 0)
        return rc;
    *out = p;
    return 0;
}

int mk_mem_info(mk_t *k, mk_block_t bh, mk_block_info_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < sizeof(mk_block_info_t))
        return MK_EINVAL;
    struct mk__mem *m = k->mem;
    mk_block_info_t i;
    memset(&i, 0, sizeof i);
    struct mk__mblk *b = mk__slot_of(m, bh);
    bool ok = false;
    if (b != NULL) {
        struct mk__tc *t = home_lock(m, b);
        if (slot_valid(b, bh)) {
            ok = true;
            i.size = (uint32_t)sizeof i;
            i.owner = b->owner;
            i.bytes = b->bytes;
            i.addr = m->base_addr + b->heap->off + b->off;
            i.heap = b->heap->handle;
            i.shares = b->nshares;
        }
        home_unlock(m, t);
    }
    if (!ok)
        return MK_EBADH;
    memcpy(out, &i, sizeof i);
    return 0;
}

/* ---- sharing ------------------------------------------------------------------------ */

/* Let other read and write b (m->lock and b's guard held, b owned by
 * someone else). */
static int add_share(struct mk__mem *m, struct mk__mblk *b, mk_pid_t other)
{
    struct mk__mpid *o = mk__pid_get(m, other);
    if (o == NULL)
        return MK_ENOENT;
    if (may_access(b, other))
        return MK_EEXIST;
    if (b->nshares == b->capshares) {
        uint32_t ncap = b->capshares ? b->capshares * 2 : 4;
        mk_pid_t *s = realloc(b->shares, ncap * sizeof *s);
        if (s == NULL)
            return MK_ENOMEM;
        b->shares = s;
        b->capshares = ncap;
    }
    b->shares[b->nshares++] = other;
    o->shared_in++;
    return 0;
}

int mk_mem_share(mk_t *k, mk_pid_t owner, mk_block_t bh, mk_pid_t other)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r;
    struct mk__mblk *b;
    struct mk__tc *t;
    int rc = owned_block(m, owner, bh, &r, &b, &t);
    if (rc == 0) {
        rc = other == owner ? MK_EINVAL : add_share(m, b, other);
        if (t != NULL)
            mk__tc_unlock(t);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_unshare(mk_t *k, mk_pid_t owner, mk_block_t bh, mk_pid_t other)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r;
    struct mk__mblk *b;
    struct mk__tc *t;
    int rc = owned_block(m, owner, bh, &r, &b, &t);
    if (rc == 0) {
        rc = MK_ENOENT; /* unless other is found among the shares */
        for (uint32_t i = 0; i < b->nshares; i++) {
            if (b->shares[i] == other) {
                b->shares[i] = b->shares[--b->nshares];
                struct mk__mpid *o = mk__pid_get(m, other);
                if (o != NULL)
                    o->shared_in--;
                rc = 0;
                break;
            }
        }
        if (t != NULL)
            mk__tc_unlock(t);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}
