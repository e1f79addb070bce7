/*
 * account.c - per-process memory accounts: quotas and violations, usage,
 * and the process life-cycle hooks that create an account and, on exit,
 * free every block the process owns.
 *
 * Sits on block.c (unpublish / release), tcache.c (thread caches, credit,
 * slots) and core (pid hash map, hooks).
 *
 * Quota credit: a thread cache (tcache.c) holds credit for one pid: bytes
 * already added to the account's `used` in one batch (up to MK__CREDIT)
 * and spent by that thread's allocations without the table lock. So
 * r->used may exceed the bytes of r's live blocks by the unused credit of
 * each thread cache serving r (at most MK__CREDIT + the last request per
 * thread). That over-count never shows: mk_mem_usage and mk_mem_check
 * subtract every cache's unused credit (mk__acct_exact), and an
 * allocation that would exceed the quota first takes all that credit back
 * and decides on the exact figure; mk_mem_set_quota takes it back too.
 *
 * Locks: mem->lock for every account; cache locks nested inside it.
 * Ownership: an account is created by the create hook and freed by the
 * exit hook (or at fini); caches that hold its credit drop it first.
 */
#include "heap.h"

#include <stdlib.h>
#include <string.h>

int mk_mem_set_quota(mk_t *k, mk_pid_t pid, uint64_t bytes)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__pid_get(m, pid);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (pid == MK_PID_KERNEL)
        rc = MK_EPERM;
    else {
        mk__acct_exact(m, r, NULL, true); /* credit granted under the old quota */
        r->quota = bytes;
        if (bytes != 0 && r->used > bytes) {
            /* Over the new quota: bytes freed by a cache would become
             * credit that lets the pid allocate past it. Unbind those
             * caches; their blocks are then freed under mem->lock. */
            for (struct mk__tc *t = m->tcs; t != NULL; t = t->mnext) {
                mk__tc_lock(t);
                if (t->acct == r)
                    mk__tc_unbind(t);
                mk__tc_unlock(t);
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_usage(mk_t *k, mk_pid_t pid, uint64_t *used, uint64_t *quota)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__pid_get(m, pid);
    uint64_t u = r ? mk__acct_exact(m, r, NULL, false) : 0, q = r ? r->quota : 0;
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
    MK__KERNEL_ENTER(k);
    struct mk__mem *m = k->mem;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__pid_get(m, pid);
    if (r == NULL)
        rc = MK_ENOENT;
    else if (r->quota != 0) {
        uint64_t u = mk__acct_exact(m, r, NULL, false);
        if (u > r->quota || size > r->quota - u)
            rc = MK_EQUOTA;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int mk_mem_violations(mk_t *k, mk_pid_t pid, uint64_t *count)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (count == NULL)
        return MK_EINVAL;
    struct mk__mem *m = k->mem;
    pthread_mutex_lock(&m->lock);
    struct mk__mpid *r = mk__pid_get(m, pid);
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
    if (mk__pid_get(m, pid) != NULL)
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

/* Withdraw the exiting pid's shares from one slot (mem->lock held). */
static void strip_share(struct mk__mem *m, struct mk__mblk *b, void *arg)
{
    mk_pid_t pid = *(const mk_pid_t *)arg;
    struct mk__tc *t = atomic_load_explicit(&b->home, memory_order_relaxed);
    if (t != NULL)
        mk__tc_lock(t);
    if (b->live) {
        for (uint32_t i = 0; i < b->nshares; i++) {
            if (b->shares[i] == pid) {
                b->shares[i] = b->shares[--b->nshares];
                break;
            }
        }
    }
    if (t != NULL)
        mk__tc_unlock(t);
    (void)m;
}

/* Free every block the pid owns, wherever it is homed, and withdraw every
 * share made to it. */
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
        struct mk__mblk *b = mk__blk_unpublish(m, r->owned, r, NULL);
        if (b != NULL)
            mk__blk_release(m, b);
    }
    /* Blocks allocated through thread caches, and the credit they hold:
     * each cache is locked, so no fast path of its thread runs meanwhile,
     * and none finds the account afterwards. */
    for (struct mk__tc *t = m->tcs; t != NULL; t = t->mnext) {
        mk__tc_lock(t);
        if (t->acct == r) {
            while (t->owned != NULL) {
                struct mk__mblk *b = mk__blk_unpublish(m, t->owned, r, t);
                if (b != NULL)
                    mk__blk_release(m, b);
            }
            t->acct = NULL;
            t->reserved = t->live = 0;
        }
        mk__tc_unlock(t);
    }
    if (r->shared_in != 0) {
        /* Rare (shares are few): a pass over the slots beats keeping a
         * reverse index on every share. */
        mk__slots_foreach(m, strip_share, &pid);
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

static void free_shares(struct mk__mem *m, struct mk__mblk *b, void *arg)
{
    (void)m;
    (void)arg;
    free(b->shares);
    b->shares = NULL;
}

/* Context teardown: no other call runs; the slot chunks and the caches
 * themselves are freed by mk__tc_fini afterwards. */
void mk__blocks_fini(mk_t *k)
{
    struct mk__mem *m = k->mem;
    if (m->dir != NULL)
        mk__slots_foreach(m, free_shares, NULL);
    m->last_pid = NULL;
    size_t pc = 0;
    struct mk__mpid *r;
    while ((r = mk__hmap_next(&m->pids, &pc, NULL)) != NULL)
        free(r);
}
