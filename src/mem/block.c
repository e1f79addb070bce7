/*
 * block.c - memory blocks and per-process accounting: allocation and free
 * on behalf of a pid, quotas and violations, bounds-checked reads and
 * writes, raw pointers, sharing, and the process life-cycle hooks.
 *
 * Sits on heap.c (mk__heap_alloc / mk__heap_free, which take the heap's
 * lock) and core (handle table MK__H_BLOCK, pid hash map, hooks).
 *
 * Locks: mem->lock guards the block table, every block record and every
 * pid account; it is never held while bytes are copied, so one slow copy
 * does not stall the others. An allocation or a free is ONE critical
 * section under mem->lock with the heap's lock nested inside (the order
 * heap.h prescribes): check the pid and its quota, carve the block,
 * publish the handle. An earlier version split this into three phases so
 * that heaps would not wait on mem->lock while carving; bench-core showed
 * the five lock round trips per alloc+free cost more than the O(1) carve
 * they kept out of the section (~150-220 ns per pair against ~20 ns for
 * glibc malloc), so the phases were merged.
 * Block records come from a slab of records (free list under mem->lock),
 * not one calloc each; the last pid account looked up is cached.
 * A read or write pins the block under mem->lock, copies unlocked, then
 * unpins; a free that finds the block pinned only unpublishes it and the
 * last unpin returns the bytes to the heap, so a copy never lands in memory
 * that has been given to someone else.
 *
 * Ownership: the record of a block is owned by the table until freed; the
 * owner's account lists it so that process exit frees in O(blocks owned).
 */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

static struct mk__mpid *pid_get(struct mk__mem *m, mk_pid_t pid)
{
    struct mk__mpid *r = m->last_pid;
    if (r != NULL && r->pid == pid)
        return r;
    r = mk__hmap_get(&m->pids, pid);
    if (r != NULL)
        m->last_pid = r;
    return r;
}

/* ---- block records: a slab of records with a free list (mem->lock) ---- */

#define MK__RCHUNK 255u

struct mk__rchunk {
    struct mk__rchunk *next;
    struct mk__mblk recs[MK__RCHUNK];
};

static struct mk__mblk *rec_get(struct mk__mem *m)
{
    if (m->rec_free == NULL) {
        struct mk__rchunk *c = malloc(sizeof *c);
        if (c == NULL)
            return NULL;
        c->next = m->rec_chunks;
        m->rec_chunks = c;
        for (uint32_t i = 0; i < MK__RCHUNK; i++) {
            c->recs[i].onext = m->rec_free;
            m->rec_free = &c->recs[i];
        }
    }
    struct mk__mblk *b = m->rec_free;
    m->rec_free = b->onext;
    memset(b, 0, sizeof *b);
    return b;
}

static void rec_put(struct mk__mem *m, struct mk__mblk *b)
{
    free(b->shares);
    b->shares = NULL;
    b->handle = 0;
    b->onext = m->rec_free;
    m->rec_free = b;
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

static void owner_link(struct mk__mpid *r, struct mk__mblk *b)
{
    b->oprev = NULL;
    b->onext = r->owned;
    if (r->owned)
        r->owned->oprev = b;
    r->owned = b;
}

static void owner_unlink(struct mk__mpid *r, struct mk__mblk *b)
{
    if (b->oprev)
        b->oprev->onext = b->onext;
    else
        r->owned = b->onext;
    if (b->onext)
        b->onext->oprev = b->oprev;
    b->onext = b->oprev = NULL;
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

/* Unpublish a block (mem->lock held): out of the table, off its owner's
 * list and its sharers' counts. Returns the block if its bytes can go back
 * to the heap now, NULL if a copy still pins it (the last unpin does it). */
static struct mk__mblk *unpublish(struct mk__mem *m, struct mk__mblk *b, struct mk__mpid *owner)
{
    mk__htab_remove(&m->blocks, b->handle);
    if (owner != NULL) {
        owner_unlink(owner, b);
        owner->used -= b->bytes;
    }
    for (uint32_t i = 0; i < b->nshares; i++) {
        struct mk__mpid *o = pid_get(m, b->shares[i]);
        if (o != NULL)
            o->shared_in--;
    }
    b->nshares = 0;
    if (b->pins != 0) {
        b->dead = true;
        return NULL;
    }
    return b;
}

/* Return the bytes to the heap and the record to the slab; mem->lock
 * held (the heap's lock nests inside it). */
static void release(struct mk__mem *m, struct mk__mblk *b)
{
    struct mk__heap *h = b->heap;
    mk__heap_free(h, b->off, b->bytes);
    atomic_fetch_sub_explicit(&h->refs, 1, memory_order_relaxed);
    rec_put(m, b);
}

int mk_mem_alloc(mk_t *k, mk_pid_t pid, mk_heap_t heap, uint64_t size, mk_block_t *out)
{
    MK__CHECK(k);
    if (out == NULL || size == 0)
        return MK_EINVAL;
    struct mk__mem *m = k->mem;
    mk__mem_violation_fn fn = NULL;
    void *arg = NULL;
    int rc = 0;
    struct mk__mblk *b = NULL;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = pid_get(m, pid);
    struct mk__heap *h = mk__heap_lookup(m, heap);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (h == NULL)
        rc = MK_EBADH;
    else if (r->quota != 0 && (r->used > r->quota || size > r->quota - r->used)) {
        violation(m, r, &fn, &arg);
        rc = MK_EQUOTA;
    } else if ((b = rec_get(m)) == NULL)
        rc = MK_ENOMEM;
    else {
        if (h->kind == MK_HEAP_FIXED && size > MK_HEAP_FIXED_MAX_CLASS)
            h = h->fallback;
        rc = mk__heap_alloc(h, size, &b->off);
        if (rc == 0) {
            rc = mk__htab_insert(&m->blocks, b, &b->handle);
            if (rc != 0)
                mk__heap_free(h, b->off, size); /* carved but not published */
        }
        if (rc == 0) {
            b->owner = pid;
            b->heap = h;
            b->bytes = size;
            owner_link(r, b);
            r->used += size;
            atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
            *out = b->handle;
        } else {
            rec_put(m, b);
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (fn != NULL)
        notify(k, fn, arg, pid, rc);
    return rc;
}

/* The block bh owned by pid, under m->lock: MK_ENOENT (no such pid),
 * MK_EBADH (stale or forged handle) or MK_EPERM (another pid's block). */
static int owned_block(struct mk__mem *m, mk_pid_t pid, mk_block_t bh,
                       struct mk__mpid **rp, struct mk__mblk **bp)
{
    struct mk__mpid *r = pid_get(m, pid);
    struct mk__mblk *b = mk__htab_get(&m->blocks, bh);
    if (r == NULL)
        return MK_ENOENT;
    if (b == NULL)
        return MK_EBADH;
    if (b->owner != pid)
        return MK_EPERM;
    *rp = r;
    *bp = b;
    return 0;
}

int mk_mem_free(mk_t *k, mk_pid_t pid, mk_block_t bh)
{
    MK__CHECK(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r;
    struct mk__mblk *b;
    int rc = owned_block(m, pid, bh, &r, &b);
    if (rc == 0) {
        struct mk__mblk *rel = unpublish(m, b, r);
        if (rel != NULL)
            release(m, rel);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Common front of read, write and ptr: find, check access and (for a
 * copy) bounds, pin. Returns the block pinned, or an error. */
static int access_begin(mk_t *k, mk_pid_t pid, mk_block_t bh, uint64_t offset, uint64_t len,
                        bool pin, struct mk__mblk **out, uint8_t **ptr)
{
    struct mk__mem *m = k->mem;
    mk__mem_violation_fn fn = NULL;
    void *arg = NULL;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = pid_get(m, pid);
    struct mk__mblk *b = mk__htab_get(&m->blocks, bh);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (b == NULL)
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
    pthread_mutex_unlock(&m->lock);
    notify(k, fn, arg, pid, rc);
    return rc;
}

static void access_end(mk_t *k, struct mk__mblk *b)
{
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    if (--b->pins == 0 && b->dead)
        release(m, b);
    pthread_mutex_unlock(&m->lock);
}

int mk_mem_read(mk_t *k, mk_pid_t pid, mk_block_t bh, uint64_t offset, void *buf, uint64_t len)
{
    MK__CHECK(k);
    if (buf == NULL && len != 0)
        return MK_EINVAL;
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
    if (buf == NULL && len != 0)
        return MK_EINVAL;
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
    if (out == NULL || out->size < sizeof(mk_block_info_t))
        return MK_EINVAL;
    struct mk__mem *m = k->mem;
    mk_block_info_t i;
    memset(&i, 0, sizeof i);
    pthread_mutex_lock(&m->lock);
    struct mk__mblk *b = mk__htab_get(&m->blocks, bh);
    if (b != NULL) {
        i.size = (uint32_t)sizeof i;
        i.owner = b->owner;
        i.bytes = b->bytes;
        i.addr = m->base_addr + b->heap->off + b->off;
        i.heap = b->heap->handle;
        i.shares = b->nshares;
    }
    pthread_mutex_unlock(&m->lock);
    if (b == NULL)
        return MK_EBADH;
    memcpy(out, &i, sizeof i);
    return 0;
}

/* Let other read and write b (m->lock held, b owned by someone else). */
static int add_share(struct mk__mem *m, struct mk__mblk *b, mk_pid_t other)
{
    struct mk__mpid *o = pid_get(m, other);
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
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r;
    struct mk__mblk *b;
    int rc = owned_block(m, owner, bh, &r, &b);
    if (rc == 0)
        rc = other == owner ? MK_EINVAL : add_share(m, b, other);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_unshare(mk_t *k, mk_pid_t owner, mk_block_t bh, mk_pid_t other)
{
    MK__CHECK(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r;
    struct mk__mblk *b;
    int rc = owned_block(m, owner, bh, &r, &b);
    if (rc == 0) {
        rc = MK_ENOENT; /* unless other is found among the shares */
        for (uint32_t i = 0; i < b->nshares; i++) {
            if (b->shares[i] == other) {
                b->shares[i] = b->shares[--b->nshares];
                struct mk__mpid *o = pid_get(m, other);
                if (o != NULL)
                    o->shared_in--;
                rc = 0;
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* ---- accounts -------------------------------------------------------------- */

int mk_mem_set_quota(mk_t *k, mk_pid_t pid, uint64_t bytes)
{
    MK__CHECK(k);
    struct mk__mem *m = k->mem;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = pid_get(m, pid);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (pid == MK_PID_KERNEL)
        rc = MK_EPERM;
    else
        r->quota = bytes;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_usage(mk_t *k, mk_pid_t pid, uint64_t *used, uint64_t *quota)
{
    MK__CHECK(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = pid_get(m, pid);
    uint64_t u = r ? r->used : 0, q = r ? r->quota : 0;
    pthread_mutex_unlock(&m->lock);
    if (r == NULL)
        return MK_ENOENT;
    if (used != NULL)
        *used = u;
    if (quota != NULL)
        *quota = q;
    return 0;
}

int mk_mem_check(mk_t *k, mk_pid_t pid, uint64_t size)
{
    MK__CHECK(k);
    struct mk__mem *m = k->mem;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = pid_get(m, pid);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (r->quota != 0 && (r->used > r->quota || size > r->quota - r->used))
        rc = MK_EQUOTA;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_violations(mk_t *k, mk_pid_t pid, uint64_t *count)
{
    MK__CHECK(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = pid_get(m, pid);
    uint64_t v = r ? r->violations : 0;
    pthread_mutex_unlock(&m->lock);
    if (r == NULL)
        return MK_ENOENT;
    *count = v;
    return 0;
}

/* ---- process life cycle ------------------------------------------------------ */

static int on_create(mk_t *k, mk_pid_t pid)
{
    struct mk__mem *m = k->mem;
    if (pid == MK_PID_KERNEL)
        return MK_EINVAL;
    struct mk__mpid *r = calloc(1, sizeof *r);
    if (r == NULL)
        return MK_ENOMEM;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    if (pid_get(m, pid) != NULL)
        rc = MK_EEXIST;
    else {
        r->pid = pid;
        r->quota = k->cfg.default_quota;
        r->serial = ++m->serial;
        rc = mk__hmap_put(&m->pids, pid, r);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc != 0)
        free(r);
    return rc;
}

/* Free every block the pid owns and withdraw every share made to it. */
static void on_exit_(mk_t *k, mk_pid_t pid)
{
    struct mk__mem *m = k->mem;
    if (pid == MK_PID_KERNEL)
        return;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__hmap_del(&m->pids, pid);
    if (r == NULL) {
        pthread_mutex_unlock(&m->lock);
        return;
    }
    if (m->last_pid == r)
        m->last_pid = NULL;
    while (r->owned != NULL) {
        struct mk__mblk *b = unpublish(m, r->owned, r);
        if (b != NULL)
            release(m, b);
    }
    if (r->shared_in != 0) {
        /* Rare (shares are few): a pass over the table beats keeping a
         * reverse index on every share. */
        uint32_t cur = 0;
        struct mk__mblk *b;
        while ((b = mk__htab_next(&m->blocks, &cur, NULL)) != NULL)
            for (uint32_t i = 0; i < b->nshares; i++)
                if (b->shares[i] == pid) {
                    b->shares[i] = b->shares[--b->nshares];
                    break;
                }
    }
    pthread_mutex_unlock(&m->lock);
    free(r);
}

int mk__blocks_init(mk_t *k)
{
    struct mk__mem *m = k->mem;
    struct mk__mpid *kr = calloc(1, sizeof *kr); /* pid 0, no quota */
    if (kr == NULL)
        return MK_ENOMEM;
    kr->serial = ++m->serial;
    int rc = mk__hmap_put(&m->pids, MK_PID_KERNEL, kr);
    if (rc != 0) {
        free(kr);
        return rc;
    }
    return mk__hook_register(k, on_create, on_exit_);
}

void mk__blocks_fini(mk_t *k)
{
    struct mk__mem *m = k->mem;
    uint32_t cur = 0;
    struct mk__mblk *b;
    while ((b = mk__htab_next(&m->blocks, &cur, NULL)) != NULL)
        free(b->shares);
    while (m->rec_chunks != NULL) {
        struct mk__rchunk *c = m->rec_chunks;
        m->rec_chunks = c->next;
        free(c);
    }
    m->rec_free = NULL;
    m->last_pid = NULL;
    size_t pc = 0;
    struct mk__mpid *r;
    while ((r = mk__hmap_next(&m->pids, &pc, NULL)) != NULL)
        free(r);
}
