/*
 * test-blk-internal.c - the blk module's internal interface (src/blk/blk.h)
 * that the file system uses: pinned buffers (mk__buf_get / dirty / put),
 * pins against eviction and removal, device refs, NOREAD, invalidation,
 * geometry, and the busy-buffer protocol when device I/O runs without the
 * cache lock (a buffer re-dirtied during its write-back stays dirty; a
 * second user of a buffer being read in waits for it instead of reading
 * garbage or reading twice), also for blocks being read ahead; threshold
 * write-back leaves pinned dirty buffers alone (they may belong to an
 * uncommitted fs transaction).
 */
#include <microkernel/mk.h>

#include "blk/blk.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A callback device whose reads or writes can be held at a gate. */
struct gdev {
    uint8_t *mem;
    uint32_t bs;
    pthread_mutex_t m;
    pthread_cond_t c;
    int reads, writes;
    int fail_read;
    int fail_multi; /* multi-block reads (read-ahead) fail */
    bool gate_read, gate_write; /* hold the next I/O until released */
    bool entered, released;
};

static void gate(struct gdev *d, bool *which)
{
    /* called with d->m held */
    if (!*which)
        return;
    *which = false;
    d->entered = true;
    pthread_cond_broadcast(&d->c);
    while (!d->released)
        pthread_cond_wait(&d->c, &d->m);
    d->released = false;
}

static int g_read(void *ctx, uint64_t blockno, void *buf, uint32_t count)
{
    struct gdev *d = ctx;
    pthread_mutex_lock(&d->m);
    gate(d, &d->gate_read);
    int fail = d->fail_read || (d->fail_multi && count > 1);
    if (!fail) {
        d->reads += (int)count;
        memcpy(buf, d->mem + blockno * d->bs, (size_t)count * d->bs);
    }
    pthread_mutex_unlock(&d->m);
    return fail ? MK_EIO : 0;
}

static int g_write(void *ctx, uint64_t blockno, const void *buf, uint32_t count)
{
    struct gdev *d = ctx;
    pthread_mutex_lock(&d->m);
    /* copy first: the gate then models a slow device after the DMA */
    memcpy(d->mem + blockno * d->bs, buf, (size_t)count * d->bs);
    d->writes += (int)count;
    gate(d, &d->gate_write);
    pthread_mutex_unlock(&d->m);
    return 0;
}

static const mk_blk_ops_t g_ops = {sizeof(mk_blk_ops_t), g_read, g_write, NULL, NULL};

static void gdev_init(struct gdev *d, uint32_t bs, uint64_t n)
{
    memset(d, 0, sizeof *d);
    d->bs = bs;
    d->mem = calloc(n, bs);
    ck_assert_ptr_nonnull(d->mem);
    pthread_mutex_init(&d->m, NULL);
    pthread_cond_init(&d->c, NULL);
}

static void gdev_fini(struct gdev *d)
{
    free(d->mem);
    pthread_mutex_destroy(&d->m);
    pthread_cond_destroy(&d->c);
}

static void wait_entered(struct gdev *d)
{
    pthread_mutex_lock(&d->m);
    while (!d->entered)
        pthread_cond_wait(&d->c, &d->m);
    d->entered = false;
    pthread_mutex_unlock(&d->m);
}

static void release(struct gdev *d)
{
    pthread_mutex_lock(&d->m);
    d->released = true;
    pthread_cond_broadcast(&d->c);
    pthread_mutex_unlock(&d->m);
}

static mk_t *make_ctx(uint32_t cache_blocks)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = cache_blocks;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    return k;
}

static mk_cache_stats_t stats(mk_t *k)
{
    mk_cache_stats_t s;
    s.size = sizeof s;
    ck_assert_int_eq(mk_cache_stats(k, &s), 0);
    return s;
}

START_TEST(buf_life_cycle)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    memcpy(g.mem + 3 * 512, "disk", 4);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    mk__buf_t *b = NULL;
    ck_assert_int_eq(mk__buf_get(k, d, 3, 0, &b), 0);
    ck_assert_uint_eq(b->dev, d);
    ck_assert_uint_eq(b->blockno, 3);
    ck_assert_uint_eq(b->size, 512);
    ck_assert_mem_eq(b->data, "disk", 4);
    ck_assert_uint_eq(stats(k).pinned, 1);
    memcpy(b->data, "DISK", 4);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.pinned, 0);
    ck_assert_uint_eq(s.dirty, 1);
    ck_assert_int_eq(g.writes, 0);
    /* the public read sees the cached change */
    char got[4];
    ck_assert_int_eq(mk_blk_read(k, d, 3, 0, got, 4), 0);
    ck_assert_mem_eq(got, "DISK", 4);
    ck_assert_int_eq(mk__blk_flush(k, d), 0);
    ck_assert_int_eq(g.writes, 1);
    ck_assert_mem_eq(g.mem + 3 * 512, "DISK", 4);
    /* a second get of the same block is a hit and shares the buffer */
    mk__buf_t *b1, *b2;
    ck_assert_int_eq(mk__buf_get(k, d, 3, 0, &b1), 0);
    ck_assert_int_eq(mk__buf_get(k, d, 3, 0, &b2), 0);
    ck_assert_ptr_eq(b1, b2);
    ck_assert_uint_eq(stats(k).pinned, 1);
    mk__buf_put(k, b1);
    ck_assert_uint_eq(stats(k).pinned, 1);
    mk__buf_put(k, b2);
    ck_assert_uint_eq(stats(k).pinned, 0);
    /* NULL is ignored */
    mk__buf_dirty(k, NULL);
    mk__buf_put(k, NULL);
    mk__buf_put(NULL, b2);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

START_TEST(buf_get_errors)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    mk__buf_t *b = (mk__buf_t *)&g; /* must stay untouched on error */
    ck_assert_int_eq(mk__buf_get(NULL, d, 0, 0, &b), MK_EINVAL);
    ck_assert_int_eq(mk__buf_get(k, d, 0, 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk__buf_get(k, 0, 0, 0, &b), MK_EBADH);
    ck_assert_int_eq(mk__buf_get(k, d + 1, 0, 0, &b), MK_EBADH);
    ck_assert_int_eq(mk__buf_get(k, d, 8, 0, &b), MK_ERANGE);
    g.fail_read = 1;
    ck_assert_int_eq(mk__buf_get(k, d, 1, 0, &b), MK_EIO);
    ck_assert_ptr_eq(b, (mk__buf_t *)&g);
    ck_assert_uint_eq(stats(k).cached, 0);
    /* NOREAD never touches the device: zeros, no read */
    ck_assert_int_eq(mk__buf_get(k, d, 1, MK__BUF_NOREAD, &b), 0);
    ck_assert_int_eq(g.reads, 0);
    for (uint32_t i = 0; i < b->size; i++)
        ck_assert_uint_eq(b->data[i], 0);
    mk__buf_put(k, b);
    g.fail_read = 0;

    uint32_t bs = 0;
    uint64_t n = 0;
    ck_assert_int_eq(mk__blk_geometry(k, d, &bs, &n), 0);
    ck_assert_uint_eq(bs, 512);
    ck_assert_uint_eq(n, 8);
    ck_assert_int_eq(mk__blk_geometry(k, d + 1, &bs, &n), MK_EBADH);
    ck_assert_int_eq(mk__blk_geometry(NULL, d, &bs, &n), MK_EINVAL);
    ck_assert_int_eq(mk__blk_ref(k, d + 1), MK_EBADH);
    ck_assert_int_eq(mk__blk_ref(NULL, d), MK_EINVAL);
    mk__blk_unref(k, d + 1); /* ignored */
    mk__blk_unref(NULL, d);
    ck_assert_int_eq(mk__blk_flush(k, d + 1), MK_EBADH);
    ck_assert_int_eq(mk__blk_invalidate(k, d + 1), MK_EBADH);
    ck_assert_int_eq(mk__blk_invalidate(NULL, d), MK_EINVAL);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

START_TEST(pinned_buffers_are_never_evicted)
{
    mk_t *k = make_ctx(2);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "r", 512, 16, &d), 0);
    mk__buf_t *a, *b, *c = NULL;
    ck_assert_int_eq(mk__buf_get(k, d, 0, 0, &a), 0);
    ck_assert_int_eq(mk__buf_get(k, d, 1, 0, &b), 0);
    memcpy(a->data, "pinA", 4);
    mk__buf_dirty(k, a);
    ck_assert_int_eq(mk__buf_get(k, d, 2, 0, &c), MK_EBUSY);
    ck_assert_ptr_null(c);
    char x[4];
    ck_assert_int_eq(mk_blk_read(k, d, 5, 0, x, 1), MK_EBUSY);
    uint64_t ev = 5;
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    ck_assert_uint_eq(ev, 0);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.pinned, 2);
    ck_assert_uint_eq(s.cached, 2);
    /* a pinned block (or a pinned buffer's device) cannot be removed */
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EBUSY);
    /* a pinned dirty buffer is still written by flush */
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    ck_assert_uint_eq(stats(k).dirty, 0);
    mk__buf_put(k, b);
    ck_assert_int_eq(mk__buf_get(k, d, 2, 0, &c), 0); /* reuses b's buffer */
    ck_assert_ptr_eq(c, b);
    ck_assert_uint_eq(c->blockno, 2);
    mk__buf_put(k, c);
    mk__buf_put(k, a);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, x, 4), 0);
    ck_assert_mem_eq(x, "pinA", 4);
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_uint_eq(stats(k).cached, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(refs_block_removal)
{
    mk_t *k = make_ctx(4);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "r", 512, 4, &d), 0);
    ck_assert_int_eq(mk__blk_ref(k, d), 0);
    ck_assert_int_eq(mk__blk_ref(k, d), 0);
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EBUSY);
    mk__blk_unref(k, d);
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EBUSY);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, "ok", 2), 0); /* still usable */
    mk__blk_unref(k, d);
    mk__blk_unref(k, d); /* extra unref is harmless */
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(mk__blk_ref(k, d), MK_EBADH);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(invalidate_rereads_from_device)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    memcpy(g.mem, "old!", 4);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    char x[4];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, x, 4), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 1, 0, "dirt", 4), 0);
    mk__buf_t *p;
    ck_assert_int_eq(mk__buf_get(k, d, 2, 0, &p), 0);
    /* the device changes behind the cache: the cache still has the old */
    memcpy(g.mem, "new!", 4);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, x, 4), 0);
    ck_assert_mem_eq(x, "old!", 4);
    ck_assert_int_eq(g.reads, 3);
    ck_assert_int_eq(mk__blk_invalidate(k, d), 0);
    /* dirty block written first, pinned block kept */
    ck_assert_mem_eq(g.mem + 512, "dirt", 4);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.cached, 1);
    ck_assert_uint_eq(s.pinned, 1);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, x, 4), 0);
    ck_assert_mem_eq(x, "new!", 4);
    ck_assert_int_eq(g.reads, 4);
    mk__buf_put(k, p);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

START_TEST(forget_drops_dirty_unpinned_block_unwritten)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    memcpy(g.mem + 2 * 512, "home", 4);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    /* block 2: dirtied through the internal interface, then freed by the
     * "fs": its contents must never reach the device */
    mk__buf_t *p, *q;
    ck_assert_int_eq(mk__buf_get(k, d, 2, 0, &p), 0);
    memcpy(p->data, "dead", 4);
    mk__buf_dirty(k, p);
    mk__buf_put(k, p);
    /* block 3: dirty but pinned while forgotten: it stays, and is written */
    ck_assert_int_eq(mk__buf_get(k, d, 3, MK__BUF_NOREAD, &q), 0);
    memcpy(q->data, "kept", 4);
    mk__buf_dirty(k, q);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.dirty, 2);
    ck_assert_uint_eq(s.cached, 2);
    mk__buf_forget(k, d, 2);
    mk__buf_forget(k, d, 3);
    mk__buf_forget(k, d, 5);        /* not cached: nothing happens */
    mk__buf_forget(k, d, 99);       /* past the device: ignored */
    mk__buf_forget(k, d + 1, 2);    /* forged handle: ignored */
    mk__buf_forget(NULL, d, 2);     /* no context: ignored */
    s = stats(k);
    ck_assert_uint_eq(s.dirty, 1);
    ck_assert_uint_eq(s.cached, 1);
    ck_assert_uint_eq(s.pinned, 1);
    mk__buf_put(k, q);
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    ck_assert_int_eq(g.writes, 1); /* block 3 only */
    ck_assert_mem_eq(g.mem + 2 * 512, "home", 4);
    ck_assert_mem_eq(g.mem + 3 * 512, "kept", 4);
    /* the forgotten block reads back from the device; the freed buffer
     * was reused (nothing leaked: capacity 8, every block fits) */
    char x[4];
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, x, 4), 0);
    ck_assert_mem_eq(x, "home", 4);
    for (uint64_t b = 0; b < 8; b++)
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, x, 4), 0);
    s = stats(k);
    ck_assert_uint_eq(s.cached, 8);
    ck_assert_uint_eq(s.pinned, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

/* mk__buf_get finds a device it pinned from before without the device
 * table (hot table): a removed device must never be reached that way,
 * and a pinned buffer alone must keep its device from being removed. */
START_TEST(hot_device_table_follows_removal)
{
    mk_t *k = make_ctx(8);
    mk_dev_t a, b;
    ck_assert_int_eq(mk_blk_create_ram(k, "a", 512, 8, &a), 0);
    ck_assert_int_eq(mk_blk_write(k, a, 1, 0, "aaaa", 4), 0);
    mk__buf_t *p;
    ck_assert_int_eq(mk__buf_get(k, a, 1, 0, &p), 0); /* slow path: notes a */
    ck_assert_mem_eq(p->data, "aaaa", 4);
    ck_assert_int_eq(mk_blk_remove(k, a), MK_EBUSY); /* pinned */
    mk__buf_put(k, p);
    ck_assert_int_eq(mk__buf_get(k, a, 1, 0, &p), 0); /* fast path */
    ck_assert_uint_eq(p->dev, a);
    ck_assert_uint_eq(p->blockno, 1);
    mk__buf_t *r = NULL;
    ck_assert_int_eq(mk__buf_get(k, a, 8, 0, &r), MK_ERANGE); /* past the end */
    ck_assert_ptr_null(r);
    mk__buf_put(k, p);
    ck_assert_uint_eq(stats(k).pinned, 0);
    ck_assert_int_eq(mk_blk_remove(k, a), 0);
    /* the handle is stale now, cached or not */
    ck_assert_int_eq(mk__buf_get(k, a, 1, 0, &p), MK_EBADH);
    ck_assert_int_eq(mk__buf_get(k, a, 2, 0, &p), MK_EBADH);
    /* a new device (maybe the same slot, another generation) */
    ck_assert_int_eq(mk_blk_create_ram(k, "b", 512, 8, &b), 0);
    ck_assert_uint_ne(a, b);
    ck_assert_int_eq(mk__buf_get(k, b, 1, 0, &p), 0);
    ck_assert_mem_eq(p->data, "\0\0\0\0", 4);
    mk__buf_put(k, p);
    ck_assert_int_eq(mk__buf_get(k, a, 1, 0, &p), MK_EBADH);
    /* more devices than hot slots: each still reads its own blocks */
    mk_dev_t many[6];
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "m%d", i);
        ck_assert_int_eq(mk_blk_create_ram(k, name, 512, 4, &many[i]), 0);
        ck_assert_int_eq(mk_blk_write(k, many[i], 0, 0, name, 3), 0);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 6; i++) {
            char name[8];
            snprintf(name, sizeof name, "m%d", i);
            ck_assert_int_eq(mk__buf_get(k, many[i], 0, 0, &p), 0);
            ck_assert_mem_eq(p->data, name, 3);
            mk__buf_put(k, p);
        }
    ck_assert_int_eq(mk_blk_remove(k, many[2]), 0);
    ck_assert_int_eq(mk__buf_get(k, many[2], 0, 0, &p), MK_EBADH);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(internal_calls_work_during_teardown)
{
    /* mk_destroy marks the context dead before the vfs unmounts, and the
     * unmount still needs the cache: model that moment. */
    mk_t *k = make_ctx(8);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "r", 512, 8, &d), 0);
    ck_assert_int_eq(mk__blk_ref(k, d), 0);
    atomic_store(&k->magic, MK__MAGIC_DEAD);
    mk__buf_t *b;
    ck_assert_int_eq(mk__buf_get(k, d, 1, 0, &b), 0);
    memcpy(b->data, "late", 4);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);
    uint32_t bs;
    ck_assert_int_eq(mk__blk_geometry(k, d, &bs, NULL), 0);
    ck_assert_int_eq(mk__blk_flush(k, d), 0);
    ck_assert_int_eq(mk__blk_invalidate(k, d), 0);
    mk__blk_unref(k, d);
    /* the public calls refuse the dead context meanwhile */
    ck_assert_int_eq(mk_cache_flush(k, 0), MK_EBADH);
    ck_assert_int_eq(mk_blk_info(k, d, NULL, NULL), MK_EBADH);
    atomic_store(&k->magic, MK__MAGIC_LIVE);
    char x[4];
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, x, 4), 0);
    ck_assert_mem_eq(x, "late", 4);
    ck_assert_int_eq(mk_blk_remove(k, d), 0); /* the ref was dropped */
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- busy buffers ---- */

struct job {
    mk_t *k;
    mk_dev_t d;
    uint64_t blockno;
    int rc;
    char got[8];
};

static void *flush_job(void *arg)
{
    struct job *j = arg;
    j->rc = mk_cache_flush(j->k, j->d);
    return NULL;
}

static void *read_job(void *arg)
{
    struct job *j = arg;
    j->rc = mk_blk_read(j->k, j->d, j->blockno, 0, j->got, sizeof j->got);
    return NULL;
}

START_TEST(redirty_during_writeback_is_kept)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 4, 0, "first", 5), 0);
    g.gate_write = true;
    struct job j = {k, d, 4, 1, {0}};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, flush_job, &j), 0);
    wait_entered(&g); /* "first" is on the device; the write has not returned */
    /* the buffer is busy (write-back) but valid: a hit does not wait */
    mk__buf_t *b;
    ck_assert_int_eq(mk__buf_get(k, d, 4, 0, &b), 0);
    ck_assert_mem_eq(b->data, "first", 5);
    memcpy(b->data, "secnd", 5);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);
    release(&g);
    pthread_join(t, NULL);
    ck_assert_int_eq(j.rc, 0);
    ck_assert_mem_eq(g.mem + 4 * 512, "first", 5);
    /* the change made during the write is not forgotten */
    ck_assert_uint_eq(stats(k).dirty, 1);
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    ck_assert_mem_eq(g.mem + 4 * 512, "secnd", 5);
    ck_assert_uint_eq(stats(k).dirty, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

START_TEST(second_reader_waits_for_read_in)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    memcpy(g.mem + 6 * 512, "sixsix", 6);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    g.gate_read = true;
    struct job j1 = {k, d, 6, 1, {0}}, j2 = {k, d, 6, 1, {0}};
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, read_job, &j1), 0);
    wait_entered(&g); /* t1 holds the buffer busy, reading */
    ck_assert_int_eq(pthread_create(&t2, NULL, read_job, &j2), 0);
    /* give t2 a chance to find the busy buffer (the result is the same
     * either way: this is not a timing assertion) */
    usleep(20000);
    release(&g);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ck_assert_int_eq(j1.rc, 0);
    ck_assert_int_eq(j2.rc, 0);
    ck_assert_mem_eq(j1.got, "sixsix", 6);
    ck_assert_mem_eq(j2.got, "sixsix", 6);
    ck_assert_int_eq(g.reads, 1); /* read once */
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.misses, 1);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

START_TEST(failed_read_in_wakes_waiter_who_retries)
{
    mk_t *k = make_ctx(8);
    struct gdev g;
    gdev_init(&g, 512, 8);
    memcpy(g.mem + 2 * 512, "twotwo", 6);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 8, &d), 0);
    g.gate_read = true;
    g.fail_read = 1;
    struct job j1 = {k, d, 2, 1, {0}}, j2 = {k, d, 2, 1, {0}};
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, read_job, &j1), 0);
    wait_entered(&g);
    ck_assert_int_eq(pthread_create(&t2, NULL, read_job, &j2), 0);
    usleep(20000);
    /* the first read fails; the device is healthy for the retry */
    pthread_mutex_lock(&g.m);
    g.released = true;
    pthread_cond_broadcast(&g.c);
    pthread_mutex_unlock(&g.m);
    pthread_join(t1, NULL);
    ck_assert_int_eq(j1.rc, MK_EIO);
    pthread_mutex_lock(&g.m);
    g.fail_read = 0; /* t2 may still be waiting or may have failed too */
    pthread_mutex_unlock(&g.m);
    pthread_join(t2, NULL);
    if (j2.rc == 0)
        ck_assert_mem_eq(j2.got, "twotwo", 6);
    else
        ck_assert_int_eq(j2.rc, MK_EIO);
    char got[6];
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, got, 6), 0);
    ck_assert_mem_eq(got, "twotwo", 6);
    ck_assert_uint_eq(stats(k).cached, 1);
    ck_assert_uint_eq(stats(k).pinned, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

/* Config with explicit read-ahead window and dirty threshold (2Q). */
static mk_t *make_ctx_ra(uint32_t cache_blocks, uint32_t ra, uint32_t pct)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = cache_blocks;
    c.cache_readahead = ra;
    c.cache_dirty_pct = pct;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    return k;
}

START_TEST(threshold_writeback_skips_pinned_buffers)
{
    mk_t *k = make_ctx_ra(16, 1, 50); /* dirty limit 8 */
    struct gdev g;
    gdev_init(&g, 512, 32);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 32, &d), 0);
    mk__buf_t *held[8];
    for (uint64_t b = 0; b < 8; b++) { /* a "transaction": pinned, dirty */
        ck_assert_int_eq(mk__buf_get(k, d, b, MK__BUF_NOREAD, &held[b]), 0);
        memset(held[b]->data, (int)('a' + b), 512);
        mk__buf_dirty(k, held[b]);
    }
    for (uint64_t b = 8; b < 12; b++) {
        mk__buf_t *x;
        ck_assert_int_eq(mk__buf_get(k, d, b, MK__BUF_NOREAD, &x), 0);
        memset(x->data, (int)('a' + b), 512);
        mk__buf_dirty(k, x);
        mk__buf_put(k, x); /* past the limit: write-back, unpinned only */
    }
    ck_assert_int_eq(g.writes, 4); /* 8, 9, 10, 11: each put passed 8 */
    for (uint64_t b = 0; b < 8; b++)
        ck_assert_uint_eq(g.mem[b * 512], 0); /* pinned: never written */
    for (uint64_t b = 8; b < 12; b++)
        ck_assert_uint_eq(g.mem[b * 512], 'a' + b);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.threshold_writebacks, 4);
    ck_assert_uint_eq(s.dirty, 8);
    ck_assert_uint_eq(s.pinned, 8);
    for (uint64_t b = 0; b < 8; b++)
        mk__buf_put(k, held[b]);
    ck_assert_int_eq(g.writes, 4); /* 8 dirty: at the limit, not past */
    ck_assert_int_eq(mk__blk_flush(k, d), 0);
    for (uint64_t b = 0; b < 12; b++)
        ck_assert_uint_eq(g.mem[b * 512 + 511], 'a' + b);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

static void fill_blocks(struct gdev *g, uint64_t n)
{
    for (uint64_t b = 0; b < n; b++)
        snprintf((char *)g->mem + b * g->bs, 8, "blk%02u", (unsigned)b);
}

START_TEST(waiter_on_read_ahead_block_gets_its_data)
{
    mk_t *k = make_ctx_ra(64, 16, 0);
    struct gdev g;
    gdev_init(&g, 512, 32);
    fill_blocks(&g, 32);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 32, &d), 0);
    char got[8];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, got, sizeof got), 0);
    g.gate_read = true;
    struct job j1 = {k, d, 1, 1, {0}}, j2 = {k, d, 5, 1, {0}};
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, read_job, &j1), 0);
    wait_entered(&g); /* t1 reads 1..16 in one call, 2..16 busy reading */
    ck_assert_int_eq(pthread_create(&t2, NULL, read_job, &j2), 0);
    usleep(20000); /* t2 finds block 5 busy and waits (either way: same result) */
    release(&g);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ck_assert_int_eq(j1.rc, 0);
    ck_assert_int_eq(j2.rc, 0);
    ck_assert_str_eq(j1.got, "blk01");
    ck_assert_str_eq(j2.got, "blk05");
    ck_assert_int_eq(g.reads, 1 + 16);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.ra_reads, 1);
    ck_assert_uint_eq(s.ra_blocks, 15);
    ck_assert_uint_eq(s.ra_hits, 1);
    ck_assert_uint_eq(s.misses, 2);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

START_TEST(failed_read_ahead_waiter_reads_itself)
{
    mk_t *k = make_ctx_ra(64, 16, 0);
    struct gdev g;
    gdev_init(&g, 512, 32);
    fill_blocks(&g, 32);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "g", &g_ops, &g, 512, 32, &d), 0);
    char got[8];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, got, sizeof got), 0);
    g.gate_read = true;
    g.fail_multi = 1;
    struct job j1 = {k, d, 1, 1, {0}}, j2 = {k, d, 5, 1, {0}};
    pthread_t t1, t2;
    ck_assert_int_eq(pthread_create(&t1, NULL, read_job, &j1), 0);
    wait_entered(&g);
    ck_assert_int_eq(pthread_create(&t2, NULL, read_job, &j2), 0);
    usleep(20000);
    release(&g); /* the multi-block read fails */
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    ck_assert_int_eq(j1.rc, 0); /* block 1 read alone after all */
    ck_assert_int_eq(j2.rc, 0); /* block 5 read by its own caller */
    ck_assert_str_eq(j1.got, "blk01");
    ck_assert_str_eq(j2.got, "blk05");
    ck_assert_int_eq(g.reads, 3); /* 0, 1 and 5, one block each */
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.ra_reads, 0);
    ck_assert_uint_eq(s.cached, 3); /* no read-ahead block left half-read */
    ck_assert_int_eq(mk_destroy(k), 0);
    gdev_fini(&g);
}
END_TEST

static Suite *blk_internal_suite(void)
{
    Suite *s = suite_create("blk-internal");
    TCase *tc = tcase_create("buffers");
    tcase_add_test(tc, buf_life_cycle);
    tcase_add_test(tc, buf_get_errors);
    tcase_add_test(tc, pinned_buffers_are_never_evicted);
    tcase_add_test(tc, refs_block_removal);
    tcase_add_test(tc, invalidate_rereads_from_device);
    tcase_add_test(tc, internal_calls_work_during_teardown);
    tcase_add_test(tc, forget_drops_dirty_unpinned_block_unwritten);
    tcase_add_test(tc, hot_device_table_follows_removal);
    suite_add_tcase(s, tc);
    tc = tcase_create("busy");
    tcase_add_test(tc, redirty_during_writeback_is_kept);
    tcase_add_test(tc, second_reader_waits_for_read_in);
    tcase_add_test(tc, failed_read_in_wakes_waiter_who_retries);
    tcase_add_test(tc, threshold_writeback_skips_pinned_buffers);
    tcase_add_test(tc, waiter_on_read_ahead_block_gets_its_data);
    tcase_add_test(tc, failed_read_ahead_waiter_reads_itself);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(blk_internal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
