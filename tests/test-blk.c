/*
 * test-blk.c - public API of the blk module: RAM, image and callback block
 * devices; the write-back buffer cache (write-back, eviction order, dirty
 * write-back before eviction, hit/miss accounting, I/O errors that must
 * not lose data, persistence of images across contexts); bad input on
 * every call; concurrent use from several host threads.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a callback device that counts everything ----------------------------- */

struct cbdev {
    uint8_t *mem;
    uint32_t bs;
    uint64_t n;
    int reads, writes, syncs, closes;
    int rcalls;     /* read callbacks (a multi-block read counts once) */
    int wcalls;     /* write callbacks */
    int fail_multi; /* multi-block reads (read-ahead) fail */
    int fail_read, fail_write, fail_sync;
    int cut_after; /* > 0: writes fail once cut_after - 1 have succeeded */
};

static int cb_read(void *ctx, uint64_t blockno, void *buf, uint32_t count)
{
    struct cbdev *d = ctx;
    ck_assert_uint_lt(blockno + count - 1, d->n);
    ck_assert_uint_ge(count, 1);
    if (d->fail_read || (d->fail_multi && count > 1))
        return MK_EIO;
    d->rcalls++;
    d->reads += (int)count;
    memcpy(buf, d->mem + blockno * d->bs, (size_t)count * d->bs);
    return 0;
}

static int cb_write(void *ctx, uint64_t blockno, const void *buf, uint32_t count)
{
    struct cbdev *d = ctx;
    ck_assert_uint_lt(blockno + count - 1, d->n);
    if (d->fail_write || (d->cut_after > 0 && d->writes >= d->cut_after - 1))
        return MK_EIO;
    d->wcalls++;
    d->writes += (int)count;
    memcpy(d->mem + blockno * d->bs, buf, (size_t)count * d->bs);
    return 0;
}

static int cb_sync(void *ctx)
{
    struct cbdev *d = ctx;
    if (d->fail_sync)
        return MK_EIO;
    d->syncs++;
    return 0;
}

static void cb_close(void *ctx)
{
    struct cbdev *d = ctx;
    d->closes++;
}

static const mk_blk_ops_t cb_ops = {
    sizeof(mk_blk_ops_t), cb_read, cb_write, cb_sync, cb_close,
};

static void cbdev_init(struct cbdev *d, uint32_t bs, uint64_t n)
{
    memset(d, 0, sizeof *d);
    d->bs = bs;
    d->n = n;
    d->mem = calloc(n, bs);
    ck_assert_ptr_nonnull(d->mem);
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

/* A context with an explicit cache configuration: replacement policy,
 * read-ahead window (1 = off) and dirty threshold in percent (100 = write
 * back only to make room). */
static mk_t *make_ctx_cfg(uint32_t cache_blocks, uint32_t policy, uint32_t readahead,
                          uint32_t dirty_pct)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = cache_blocks;
    c.cache_policy = policy;
    c.cache_readahead = readahead;
    c.cache_dirty_pct = dirty_pct;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    return k;
}

/* Plain LRU, no read-ahead, no threshold write-back: the tests of the
 * classic write-back cache's exact order of evictions and device calls. */
static mk_t *make_lru_ctx(uint32_t cache_blocks)
{
    return make_ctx_cfg(cache_blocks, MK_CACHE_POLICY_LRU, 1, 100);
}

static mk_cache_stats_t stats(mk_t *k)
{
    mk_cache_stats_t s;
    memset(&s, 0xa5, sizeof s);
    s.size = sizeof s;
    ck_assert_int_eq(mk_cache_stats(k, &s), 0);
    return s;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31u + i * 7u + 1u);
}

/* ---- RAM devices ------------------------------------------------------------ */

START_TEST(ram_roundtrip_and_zeros)
{
    mk_t *k = make_ctx(0);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "/dev/ram0", 512, 64, &d), 0);
    ck_assert_uint_ne(d, 0);
    uint32_t bs = 0;
    uint64_t n = 0;
    ck_assert_int_eq(mk_blk_info(k, d, &bs, &n), 0);
    ck_assert_uint_eq(bs, 512);
    ck_assert_uint_eq(n, 64);
    ck_assert_int_eq(mk_blk_info(k, d, NULL, NULL), 0);

    uint8_t buf[512], got[512];
    memset(got, 0xff, sizeof got);
    ck_assert_int_eq(mk_blk_read(k, d, 63, 0, got, sizeof got), 0);
    for (size_t i = 0; i < sizeof got; i++)
        ck_assert_uint_eq(got[i], 0);

    fill(buf, 100, 3);
    ck_assert_int_eq(mk_blk_write(k, d, 5, 200, buf, 100), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 5, 0, got, 512), 0);
    for (size_t i = 0; i < 512; i++)
        ck_assert_uint_eq(got[i], (i >= 200 && i < 300) ? buf[i - 200] : 0);
    /* partial overwrite keeps the other bytes */
    uint8_t x = 0x77;
    ck_assert_int_eq(mk_blk_write(k, d, 5, 250, &x, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 5, 200, got, 100), 0);
    ck_assert_uint_eq(got[50], 0x77);
    ck_assert_uint_eq(got[49], buf[49]);
    ck_assert_uint_eq(got[51], buf[51]);

    /* survives flush + eviction of everything: the RAM device kept it */
    ck_assert_int_eq(mk_cache_flush(k, 0), 0);
    uint64_t ev = 99;
    do {
        ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    } while (ev == 1);
    ck_assert_uint_eq(ev, 0);
    ck_assert_uint_eq(stats(k).cached, 0);
    ck_assert_int_eq(mk_blk_read(k, d, 5, 250, got, 1), 0);
    ck_assert_uint_eq(got[0], 0x77);

    mk_dev_t l;
    ck_assert_int_eq(mk_blk_lookup(k, "/dev/ram0", &l), 0);
    ck_assert_uint_eq(l, d);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(ram_large_device_is_sparse)
{
    mk_t *k = make_ctx(8);
    mk_dev_t d;
    /* 256 MiB: only what is written takes memory */
    ck_assert_int_eq(mk_blk_create_ram(k, "big", 0, 65536, &d), 0);
    uint32_t bs;
    uint64_t n;
    ck_assert_int_eq(mk_blk_info(k, d, &bs, &n), 0);
    ck_assert_uint_eq(bs, MK_BLK_SIZE_DEFAULT);
    ck_assert_uint_eq(n, 65536);
    uint8_t buf[64], got[64];
    for (uint64_t b = 0; b < 65536; b += 4099) {
        fill(buf, sizeof buf, (unsigned)b);
        ck_assert_int_eq(mk_blk_write(k, d, b, 4000, buf, sizeof buf), 0);
    }
    ck_assert_int_eq(mk_blk_write(k, d, 65535, 0, "end", 3), 0);
    /* cache of 8: most blocks went to the device through eviction */
    for (uint64_t b = 0; b < 65536; b += 4099) {
        fill(buf, sizeof buf, (unsigned)b);
        ck_assert_int_eq(mk_blk_read(k, d, b, 4000, got, sizeof got), 0);
        ck_assert_mem_eq(got, buf, sizeof buf);
    }
    ck_assert_int_eq(mk_blk_read(k, d, 65535, 0, got, 3), 0);
    ck_assert_mem_eq(got, "end", 3);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- write-back ------------------------------------------------------------- */

START_TEST(writes_reach_device_only_on_flush)
{
    mk_t *k = make_ctx(16);
    struct cbdev cd;
    cbdev_init(&cd, 512, 32);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 32, &d), 0);
    uint8_t buf[512], got[512];
    for (unsigned b = 0; b < 3; b++) {
        fill(buf, sizeof buf, b);
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, buf, sizeof buf), 0);
    }
    /* whole-block writes need no read; nothing reached the device */
    ck_assert_int_eq(cd.writes, 0);
    ck_assert_int_eq(cd.reads, 0);
    for (unsigned b = 0; b < 3; b++)
        for (size_t i = 0; i < 512; i++)
            ck_assert_uint_eq(cd.mem[b * 512 + i], 0);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.dirty, 3);
    ck_assert_uint_eq(s.cached, 3);
    ck_assert_uint_eq(s.dev_writes, 0);
    /* reads are served from the cache */
    fill(buf, sizeof buf, 1);
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, got, sizeof got), 0);
    ck_assert_mem_eq(got, buf, sizeof buf);
    ck_assert_int_eq(cd.reads, 0);

    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    ck_assert_int_eq(cd.writes, 3);
    ck_assert_int_eq(cd.syncs, 1);
    for (unsigned b = 0; b < 3; b++) {
        fill(buf, sizeof buf, b);
        ck_assert_mem_eq(cd.mem + b * 512, buf, sizeof buf);
    }
    s = stats(k);
    ck_assert_uint_eq(s.dirty, 0);
    ck_assert_uint_eq(s.cached, 3);
    ck_assert_uint_eq(s.writebacks, 3);
    ck_assert_uint_eq(s.dev_writes, 3);
    /* nothing dirty: a second flush writes nothing */
    ck_assert_int_eq(mk_cache_flush(k, 0), 0);
    ck_assert_int_eq(cd.writes, 3);

    /* a partial write of an uncached block reads it first */
    ck_assert_int_eq(mk_cache_evict(k, NULL), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 10, 5, "ab", 2), 0);
    ck_assert_int_eq(cd.reads, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
    /* destroy wrote it back, synced and closed exactly once */
    ck_assert_int_eq(cd.writes, 4);
    ck_assert_mem_eq(cd.mem + 10 * 512 + 5, "ab", 2);
    ck_assert_int_eq(cd.closes, 1);
    free(cd.mem);
}
END_TEST

START_TEST(eviction_writes_dirty_block_first)
{
    mk_t *k = make_lru_ctx(4);
    struct cbdev cd;
    cbdev_init(&cd, 512, 16);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 16, &d), 0);
    uint8_t buf[512];
    for (unsigned b = 0; b < 4; b++) {
        fill(buf, sizeof buf, b + 10);
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, buf, sizeof buf), 0);
    }
    ck_assert_int_eq(cd.writes, 0);
    /* a fifth block needs a buffer: the LRU one (block 0) is written out */
    ck_assert_int_eq(mk_blk_read(k, d, 4, 0, buf, 16), 0);
    ck_assert_int_eq(cd.writes, 1);
    fill(buf, sizeof buf, 10);
    ck_assert_mem_eq(cd.mem, buf, sizeof buf);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.evictions, 1);
    ck_assert_uint_eq(s.writebacks, 1);
    ck_assert_uint_eq(s.cached, 4);
    ck_assert_uint_eq(s.dirty, 3);

    /* explicit eviction: the next LRU block, 1, written first */
    uint64_t ev = 0;
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    ck_assert_uint_eq(ev, 1);
    ck_assert_int_eq(cd.writes, 2);
    fill(buf, sizeof buf, 11);
    ck_assert_mem_eq(cd.mem + 512, buf, sizeof buf);
    s = stats(k);
    ck_assert_uint_eq(s.cached, 3);
    ck_assert_uint_eq(s.dirty, 2);
    ck_assert_uint_eq(s.evictions, 2);
    /* the evicted block reads back from the device, intact */
    uint8_t got[512];
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, got, sizeof got), 0);
    ck_assert_mem_eq(got, buf, sizeof buf);
    ck_assert_int_eq(mk_destroy(k), 0);
    for (unsigned b = 0; b < 4; b++) {
        fill(buf, sizeof buf, b + 10);
        ck_assert_mem_eq(cd.mem + b * 512, buf, sizeof buf);
    }
    free(cd.mem);
}
END_TEST

START_TEST(lru_order_and_hit_miss_counts)
{
    mk_t *k = make_lru_ctx(4);
    struct cbdev cd;
    cbdev_init(&cd, 512, 16);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 16, &d), 0);
    uint8_t x;
    for (unsigned b = 0; b < 4; b++)
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, &x, 1), 0);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.misses, 4);
    ck_assert_uint_eq(s.hits, 0);
    ck_assert_uint_eq(s.dev_reads, 4);
    ck_assert_uint_eq(s.capacity, 4);
    /* touch 0 and 2: LRU order is now 1, 3, 0, 2 */
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, &x, 1), 0);
    s = stats(k);
    ck_assert_uint_eq(s.hits, 2);
    ck_assert_uint_eq(s.misses, 4);
    ck_assert_uint_eq(cd.reads, 4);

    uint64_t ev;
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0); /* evicts 1 */
    ck_assert_uint_eq(ev, 1);
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0); /* evicts 3 */
    ck_assert_uint_eq(ev, 1);
    ck_assert_int_eq(cd.writes, 0); /* clean: nothing written */
    /* 0 and 2 still cached (hits, no device read); 1 and 3 are misses */
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, &x, 1), 0);
    ck_assert_int_eq(cd.reads, 4);
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, &x, 1), 0);
    ck_assert_int_eq(cd.reads, 5);
    ck_assert_int_eq(mk_blk_read(k, d, 3, 0, &x, 1), 0);
    ck_assert_int_eq(cd.reads, 6);
    s = stats(k);
    ck_assert_uint_eq(s.hits, 4);
    ck_assert_uint_eq(s.misses, 6);
    ck_assert_uint_eq(s.evictions, 2);
    ck_assert_uint_eq(s.cached, 4);
    /* LRU now 0, 2, 1, 3: a new block replaces 0 */
    ck_assert_int_eq(mk_blk_read(k, d, 9, 0, &x, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, &x, 1), 0);
    ck_assert_int_eq(cd.reads, 7);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), 0);
    ck_assert_int_eq(cd.reads, 8);
    s = stats(k);
    ck_assert_uint_eq(s.evictions, 4); /* 0 for 9, then 1 for 0 */
    ck_assert_uint_eq(s.hits + s.misses, 13);
    /* evicting everything, then nothing left */
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
        ck_assert_uint_eq(ev, 1);
    }
    ev = 7;
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    ck_assert_uint_eq(ev, 0);
    ck_assert_uint_eq(stats(k).cached, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);
}
END_TEST

START_TEST(mixed_block_sizes_share_the_cache)
{
    mk_t *k = make_ctx(3);
    mk_dev_t a, b, c;
    ck_assert_int_eq(mk_blk_create_ram(k, "a", 512, 8, &a), 0);
    ck_assert_int_eq(mk_blk_create_ram(k, "b", 65536, 4, &b), 0);
    ck_assert_int_eq(mk_blk_create_ram(k, "c", 4096, 8, &c), 0);
    static uint8_t buf[65536], got[65536];
    for (int round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 4; i++) {
            fill(buf, 512, i + 100 * (unsigned)round);
            ck_assert_int_eq(mk_blk_write(k, a, i, 0, buf, 512), 0);
            fill(buf, 65536, i + 200 * (unsigned)round);
            ck_assert_int_eq(mk_blk_write(k, b, i, 0, buf, 65536), 0);
            fill(buf, 4096, i + 300 * (unsigned)round);
            ck_assert_int_eq(mk_blk_write(k, c, i, 0, buf, 4096), 0);
        }
        for (unsigned i = 0; i < 4; i++) {
            fill(buf, 512, i + 100 * (unsigned)round);
            ck_assert_int_eq(mk_blk_read(k, a, i, 0, got, 512), 0);
            ck_assert_mem_eq(got, buf, 512);
            fill(buf, 65536, i + 200 * (unsigned)round);
            ck_assert_int_eq(mk_blk_read(k, b, i, 0, got, 65536), 0);
            ck_assert_mem_eq(got, buf, 65536);
            fill(buf, 4096, i + 300 * (unsigned)round);
            ck_assert_int_eq(mk_blk_read(k, c, i, 0, got, 4096), 0);
            ck_assert_mem_eq(got, buf, 4096);
        }
    }
    ck_assert_uint_le(stats(k).cached, 3);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST


/* ---- replacement policies, read-ahead, threshold write-back ------------------ */

/* Per policy: warm a hot set of 8 blocks so that 2Q holds it in Am (seen,
 * pushed out of A1in, seen again), then scan 200 cold blocks once, then
 * read the hot set again. 2Q must still hold all of it (no device read);
 * LRU must have lost all of it to the scan. */
static void hot_then_scan(uint32_t policy, uint64_t *hot_hits, int *hot_reads)
{
    mk_t *k = make_ctx_cfg(32, policy, 1, 100);
    struct cbdev cd;
    cbdev_init(&cd, 512, 1024);
    for (uint64_t b = 0; b < 1024; b++)
        fill(cd.mem + b * 512, 512, (unsigned)b);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 1024, &d), 0);
    uint8_t got[512], want[512];
    uint64_t b;
    for (b = 0; b < 8; b++) /* hot, first sight */
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, 1), 0);
    for (b = 100; b < 132; b++) /* fill the cache and push the hot set out */
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, 1), 0);
    for (b = 0; b < 8; b++) /* hot again: re-referenced */
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, 1), 0);
    for (b = 200; b < 400; b++) /* the scan: 200 blocks seen once */
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, 1), 0);
    mk_cache_stats_t s0 = stats(k);
    int reads0 = cd.reads;
    for (b = 0; b < 8; b++) {
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, sizeof got), 0);
        fill(want, sizeof want, (unsigned)b);
        ck_assert_mem_eq(got, want, sizeof got);
    }
    mk_cache_stats_t s1 = stats(k);
    ck_assert_uint_eq(s1.policy, policy);
    ck_assert_uint_le(s1.cached, 32);
    *hot_hits = s1.hits - s0.hits;
    *hot_reads = cd.reads - reads0;
    ck_assert_uint_eq(s1.hits + s1.misses, s0.hits + s0.misses + 8);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);
}

START_TEST(scan_keeps_hot_set_under_2q_not_lru)
{
    uint64_t hits;
    int reads;
    hot_then_scan(MK_CACHE_POLICY_2Q, &hits, &reads);
    ck_assert_uint_eq(hits, 8);
    ck_assert_int_eq(reads, 0);
    hot_then_scan(MK_CACHE_POLICY_LRU, &hits, &reads);
    ck_assert_uint_eq(hits, 0);
    ck_assert_int_eq(reads, 8);
}
END_TEST

START_TEST(two_q_evicts_a1in_first_and_default_is_2q)
{
    mk_t *k = make_ctx_cfg(8, 0, 1, 100); /* policy 0: the default */
    mk_config_t cfg;
    mk_config_init(&cfg);
    ck_assert_int_eq(mk_config_get(k, &cfg), 0);
    ck_assert_uint_eq(cfg.cache_policy, MK_CACHE_POLICY_2Q);
    ck_assert_uint_eq(stats(k).policy, MK_CACHE_POLICY_2Q);
    struct cbdev cd;
    cbdev_init(&cd, 512, 64);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 64, &d), 0);
    uint8_t x;
    /* Kin = 2 of 8. Blocks 0..7 fill A1in; a hit does not move a block in
     * the FIFO, so the oldest (0) goes first even though it was just read. */
    for (uint64_t b = 0; b < 8; b++)
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, &x, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), 0);
    uint64_t ev = 0;
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    ck_assert_uint_eq(ev, 1);
    int r = cd.reads;
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, &x, 1), 0); /* still cached */
    ck_assert_int_eq(cd.reads, r);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), 0); /* was evicted */
    ck_assert_int_eq(cd.reads, r + 1);
    /* 0 came back through A1out into Am: evictions now take A1in (1, 2, …)
     * while A1in is over its share, and leave 0 alone */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    r = cd.reads;
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), 0);
    ck_assert_int_eq(cd.reads, r);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);
}
END_TEST

/* A sequential pass of 128 blocks, window `ra`, cache 128 buffers. */
static void sequential_pass(uint32_t ra, struct cbdev *cd, mk_cache_stats_t *out)
{
    mk_t *k = make_ctx_cfg(128, MK_CACHE_POLICY_2Q, ra, 0);
    cbdev_init(cd, 512, 256);
    for (uint64_t b = 0; b < 256; b++)
        fill(cd->mem + b * 512, 512, (unsigned)b);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, cd, 512, 256, &d), 0);
    uint8_t got[512], want[512];
    for (uint64_t b = 0; b < 128; b++) {
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, sizeof got), 0);
        fill(want, sizeof want, (unsigned)b);
        ck_assert_mem_eq(got, want, sizeof got);
    }
    *out = stats(k);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd->mem);
}

START_TEST(readahead_cuts_device_reads_on_a_sequential_pass)
{
    struct cbdev cd;
    mk_cache_stats_t s;
    sequential_pass(1, &cd, &s); /* off */
    ck_assert_int_eq(cd.rcalls, 128);
    ck_assert_uint_eq(s.readahead, 1);
    ck_assert_uint_eq(s.ra_reads, 0);
    ck_assert_uint_eq(s.ra_blocks, 0);
    ck_assert_uint_eq(s.misses, 128);

    sequential_pass(16, &cd, &s);
    /* block 0 alone (no run yet), then 1..16, 17..32, …, 113..128: one
     * device call per window */
    ck_assert_int_eq(cd.rcalls, 9);
    ck_assert_int_eq(cd.reads, 129);
    ck_assert_uint_eq(s.readahead, 16);
    ck_assert_uint_eq(s.ra_reads, 8);
    ck_assert_uint_eq(s.ra_blocks, 8 * 15);
    ck_assert_uint_eq(s.ra_hits, 8 * 15 - 1); /* block 128 never asked for */
    ck_assert_uint_eq(s.misses, 9);
    ck_assert_uint_eq(s.hits, 119);
    ck_assert_uint_eq(s.dev_reads, 129);
}
END_TEST

START_TEST(readahead_stops_at_device_end_and_survives_errors)
{
    mk_t *k = make_ctx_cfg(64, MK_CACHE_POLICY_2Q, 8, 0);
    struct cbdev cd;
    cbdev_init(&cd, 512, 20);
    for (uint64_t b = 0; b < 20; b++)
        fill(cd.mem + b * 512, 512, (unsigned)b);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 20, &d), 0);
    uint8_t got[512], want[512];
    /* 16, 17 -> read-ahead of 17..19 only (cb_read asserts the range) */
    ck_assert_int_eq(mk_blk_read(k, d, 16, 0, got, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 17, 0, got, 1), 0);
    ck_assert_int_eq(cd.reads, 1 + 3);
    ck_assert_uint_eq(stats(k).ra_blocks, 2);
    for (uint64_t b = 18; b < 20; b++) {
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, sizeof got), 0);
        fill(want, sizeof want, (unsigned)b);
        ck_assert_mem_eq(got, want, sizeof got);
    }
    ck_assert_int_eq(cd.reads, 4);
    /* a failing multi-block read: the block asked for is still read alone,
     * the read-ahead blocks are not cached with garbage */
    cd.fail_multi = 1;
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, got, 1), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, got, sizeof got), 0);
    fill(want, sizeof want, 1);
    ck_assert_mem_eq(got, want, sizeof got);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.ra_reads, 1);
    ck_assert_uint_eq(s.cached, 6); /* 16..19, 0, 1: nothing half-read */
    cd.fail_multi = 0;
    for (uint64_t b = 2; b < 6; b++) {
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, sizeof got), 0);
        fill(want, sizeof want, (unsigned)b);
        ck_assert_mem_eq(got, want, sizeof got);
    }
    ck_assert_uint_eq(stats(k).ra_reads, 2);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);
}
END_TEST

START_TEST(dirty_threshold_writes_back_oldest_blocks)
{
    mk_t *k = make_ctx_cfg(16, MK_CACHE_POLICY_2Q, 1, 0); /* default 50 % */
    struct cbdev cd;
    cbdev_init(&cd, 512, 64);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 64, &d), 0);
    uint8_t buf[512];
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.dirty_limit, 8);
    for (unsigned b = 0; b < 8; b++) {
        fill(buf, sizeof buf, b + 50);
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, buf, sizeof buf), 0);
    }
    ck_assert_int_eq(cd.writes, 0); /* at the limit, not past it */
    /* the ninth dirty block passes 50 %: the oldest are written back down
     * to three quarters of the limit (6) */
    fill(buf, sizeof buf, 58);
    ck_assert_int_eq(mk_blk_write(k, d, 8, 0, buf, sizeof buf), 0);
    ck_assert_int_eq(cd.writes, 3);
    for (unsigned b = 0; b < 3; b++) {
        fill(buf, sizeof buf, b + 50);
        ck_assert_mem_eq(cd.mem + b * 512, buf, sizeof buf);
    }
    s = stats(k);
    ck_assert_uint_eq(s.dirty, 6);
    ck_assert_uint_eq(s.cached, 9); /* written back, not evicted */
    ck_assert_uint_eq(s.threshold_writebacks, 3);
    ck_assert_uint_eq(s.writebacks, 3);
    ck_assert_uint_eq(s.evictions, 0);
    /* a re-dirtied old block goes to the young end */
    ck_assert_int_eq(mk_blk_write(k, d, 3, 0, "again", 5), 0);
    ck_assert_int_eq(cd.writes, 3);
    /* a failing device: threshold write-back reports nothing, keeps data */
    cd.fail_write = 1;
    for (unsigned b = 9; b < 12; b++) {
        fill(buf, sizeof buf, b + 50);
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, buf, sizeof buf), 0);
    }
    s = stats(k);
    ck_assert_uint_eq(s.dirty, 9);
    ck_assert_uint_eq(s.threshold_writebacks, 3);
    cd.fail_write = 0;
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    for (unsigned b = 0; b < 12; b++) {
        fill(buf, sizeof buf, b + 50);
        if (b == 3)
            memcpy(buf, "again", 5);
        ck_assert_mem_eq(cd.mem + b * 512, buf, sizeof buf);
    }
    ck_assert_uint_eq(stats(k).dirty, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);

    /* 100 %: nothing is written before the cache is full */
    k = make_ctx_cfg(16, MK_CACHE_POLICY_2Q, 1, 100);
    cbdev_init(&cd, 512, 64);
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 64, &d), 0);
    for (unsigned b = 0; b < 16; b++)
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, "z", 1), 0);
    ck_assert_int_eq(cd.writes, 0);
    s = stats(k);
    ck_assert_uint_eq(s.dirty, 16);
    ck_assert_uint_eq(s.dirty_limit, 16);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(cd.writes, 16);
    free(cd.mem);
}
END_TEST

START_TEST(cache_config_is_validated_and_reported)
{
    mk_config_t c;
    mk_t *k = NULL;
    const struct {
        uint32_t policy, ra, pct, res;
    } bad[] = {{3, 0, 0, 0}, {99, 0, 0, 0}, {0, 1025, 0, 0}, {0, 0, 101, 0}, {0, 0, 0, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mk_config_init(&c);
        c.cache_policy = bad[i].policy;
        c.cache_readahead = bad[i].ra;
        c.cache_dirty_pct = bad[i].pct;
        c.reserved0 = bad[i].res;
        k = (mk_t *)&c; /* must stay untouched */
        ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
        ck_assert_ptr_eq(k, (mk_t *)&c);
    }
    /* defaults resolved and visible */
    mk_config_init(&c);
    ck_assert_int_eq(mk_create(&c, &k), 0);
    mk_config_t got;
    memset(&got, 0xff, sizeof got);
    got.size = sizeof got;
    ck_assert_int_eq(mk_config_get(k, &got), 0);
    ck_assert_uint_eq(got.cache_policy, MK_CACHE_POLICY_2Q);
    ck_assert_uint_eq(got.cache_readahead, 16);
    ck_assert_uint_eq(got.cache_dirty_pct, 50);
    ck_assert_uint_eq(got.reserved0, 0);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.policy, MK_CACHE_POLICY_2Q);
    ck_assert_uint_eq(s.readahead, 16);
    ck_assert_uint_eq(s.dirty_limit, 512);
    /* a first-layout caller: only those bytes are read and written */
    memset(&got, 0xee, sizeof got);
    got.size = MK_CONFIG_SIZE_V0;
    ck_assert_int_eq(mk_config_get(k, &got), 0);
    ck_assert_uint_eq(got.size, MK_CONFIG_SIZE_V0);
    ck_assert_uint_eq(got.cache_blocks, 1024);
    ck_assert_uint_eq(got.cache_policy, 0xeeeeeeeeu);
    got.size = MK_CONFIG_SIZE_V0 - 1;
    ck_assert_int_eq(mk_config_get(k, &got), MK_EINVAL);
    memset(&s, 0xee, sizeof s);
    s.size = MK_CACHE_STATS_SIZE_V0;
    ck_assert_int_eq(mk_cache_stats(k, &s), 0);
    ck_assert_uint_eq(s.capacity, 1024);
    ck_assert_uint_eq(s.policy, 0xeeeeeeeeu);
    ck_assert_int_eq(mk_destroy(k), 0);
    /* an old-layout config with garbage after it: defaults for the rest */
    memset(&c, 0xee, sizeof c);
    mk_config_init(&c);
    c.size = MK_CONFIG_SIZE_V0;
    c.cache_policy = 77;
    c.cache_blocks = 64;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    ck_assert_uint_eq(stats(k).policy, MK_CACHE_POLICY_2Q);
    ck_assert_uint_eq(stats(k).capacity, 64);
    ck_assert_int_eq(mk_destroy(k), 0);
    /* LRU asked for, LRU reported */
    k = make_ctx_cfg(0, MK_CACHE_POLICY_LRU, 1, 100);
    s = stats(k);
    ck_assert_uint_eq(s.policy, MK_CACHE_POLICY_LRU);
    ck_assert_uint_eq(s.readahead, 1);
    ck_assert_uint_eq(s.dirty_limit, 1024);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

struct evlog {
    mk_event_t ev[64];
    int n;
};

static void on_event(void *ctx, const mk_event_t *ev)
{
    struct evlog *l = ctx;
    if (ev->type >= MK_EV_CACHE_HIT && ev->type <= MK_EV_CACHE_WRITEBACK && l->n < 64)
        l->ev[l->n++] = *ev;
}

START_TEST(cache_emits_trace_events)
{
    mk_t *k = make_lru_ctx(2);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "r", 512, 16, &d), 0);
    struct evlog log = {.n = 0};
    ck_assert_int_eq(mk_trace_set_callback(k, on_event, &log), 0);
    ck_assert_int_eq(mk_trace_enable(k, 64), 0);
    uint8_t x = 1;
    ck_assert_int_eq(mk_blk_write(k, d, 5, 0, &x, 1), 0); /* miss 5 */
    ck_assert_int_eq(mk_blk_read(k, d, 5, 0, &x, 1), 0);  /* hit 5 */
    ck_assert_int_eq(mk_blk_read(k, d, 6, 0, &x, 1), 0);  /* miss 6 */
    ck_assert_int_eq(mk_blk_read(k, d, 7, 0, &x, 1), 0);  /* miss 7: 5 out */
    const uint32_t want[][2] = {
        {MK_EV_CACHE_MISS, 5}, {MK_EV_CACHE_HIT, 5},       {MK_EV_CACHE_MISS, 6},
        {MK_EV_CACHE_MISS, 7}, {MK_EV_CACHE_WRITEBACK, 5}, {MK_EV_CACHE_EVICT, 5},
    };
    ck_assert_int_eq(log.n, 6);
    for (int i = 0; i < 6; i++) {
        ck_assert_uint_eq(log.ev[i].type, want[i][0]);
        ck_assert_uint_eq(log.ev[i].a, d);
        ck_assert_uint_eq(log.ev[i].b, want[i][1]);
    }
    /* the ring got them too */
    mk_event_t ev[16];
    size_t n = 0;
    ck_assert_int_eq(mk_trace_read(k, ev, 16, &n), 0);
    ck_assert_uint_eq(n, 6);
    ck_assert_int_eq(mk_trace_set_callback(k, NULL, NULL), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(write_back_coalesces_runs_of_blocks)
{
    mk_t *k = make_lru_ctx(64);
    struct cbdev cd;
    cbdev_init(&cd, 512, 64);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 64, &d), 0);
    uint8_t buf[512];
    const unsigned blocks[] = {9, 3, 4, 5, 6, 7, 8, 20, 40, 41};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        fill(buf, sizeof buf, blocks[i]);
        ck_assert_int_eq(mk_blk_write(k, d, blocks[i], 0, buf, sizeof buf), 0);
    }
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    /* runs 3..9, 20, 40..41: three driver calls, ten blocks */
    ck_assert_int_eq(cd.wcalls, 3);
    ck_assert_int_eq(cd.writes, 10);
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        fill(buf, sizeof buf, blocks[i]);
        ck_assert_mem_eq(cd.mem + blocks[i] * 512, buf, sizeof buf);
    }
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.writebacks, 10);
    ck_assert_uint_eq(s.dev_writes, 10);
    ck_assert_uint_eq(s.dirty, 0);
    /* a run whose write fails stays dirty as a whole, then succeeds */
    for (unsigned b = 30; b < 34; b++)
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, "run", 3), 0);
    cd.fail_write = 1;
    ck_assert_int_eq(mk_cache_flush(k, d), MK_EIO);
    ck_assert_uint_eq(stats(k).dirty, 4);
    cd.fail_write = 0;
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    for (unsigned b = 30; b < 34; b++)
        ck_assert_mem_eq(cd.mem + b * 512, "run", 3);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);
}
END_TEST

START_TEST(image_read_ahead_and_coalesced_writes)
{
    char path[] = "/tmp/mk-blk-ra-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    uint8_t buf[1024], got[1024];
    mk_t *k = make_ctx_cfg(256, MK_CACHE_POLICY_2Q, 16, 0);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_open_image(k, "img", path, 1024, 200, MK_BLK_CREATE, &d), 0);
    for (unsigned b = 0; b < 200; b++) {
        fill(buf, sizeof buf, b * 3);
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, buf, sizeof buf), 0);
    }
    ck_assert_int_eq(mk_destroy(k), 0); /* written back (pwritev runs) */
    k = make_ctx_cfg(256, MK_CACHE_POLICY_2Q, 16, 0);
    ck_assert_int_eq(mk_blk_open_image(k, "img", path, 1024, 0, 0, &d), 0);
    for (unsigned b = 0; b < 200; b++) {
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, sizeof got), 0);
        fill(buf, sizeof buf, b * 3);
        ck_assert_mem_eq(got, buf, sizeof buf);
    }
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_gt(s.ra_reads, 0);
    ck_assert_uint_lt(s.misses, 200 / 8); /* about one per 16 blocks */
    ck_assert_uint_eq(s.dev_reads, 200);
    ck_assert_int_eq(mk_destroy(k), 0);
    unlink(path);
}
END_TEST

/* ---- image files -------------------------------------------------------------- */

static void tmp_path(char *p, size_t n, const char *tag)
{
    snprintf(p, n, "/tmp/test-blk-%ld-%s.img", (long)getpid(), tag);
    unlink(p);
}

START_TEST(image_persists_across_contexts)
{
    char path[128];
    tmp_path(path, sizeof path, "persist");
    uint8_t buf[1024], got[1024];

    /* context 1: create, write, destroy (destroy writes back) */
    mk_t *k = make_ctx(0);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_open_image(k, "/dev/sda1", path, 1024, 16, MK_BLK_CREATE, &d), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 16 * 1024);
    fill(buf, sizeof buf, 42);
    ck_assert_int_eq(mk_blk_write(k, d, 7, 0, buf, sizeof buf), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 15, 1000, "tail", 4), 0);
    ck_assert_int_eq(mk_destroy(k), 0);

    /* context 2: size taken from the file, data read back */
    k = make_ctx(0);
    ck_assert_int_eq(mk_blk_open_image(k, "/dev/sda1", path, 1024, 0, 0, &d), 0);
    uint32_t bs;
    uint64_t n;
    ck_assert_int_eq(mk_blk_info(k, d, &bs, &n), 0);
    ck_assert_uint_eq(bs, 1024);
    ck_assert_uint_eq(n, 16);
    ck_assert_int_eq(mk_blk_read(k, d, 7, 0, got, sizeof got), 0);
    ck_assert_mem_eq(got, buf, sizeof buf);
    ck_assert_int_eq(mk_blk_read(k, d, 15, 1000, got, 4), 0);
    ck_assert_mem_eq(got, "tail", 4);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, got, 8), 0);
    ck_assert_mem_eq(got, "\0\0\0\0\0\0\0\0", 8);

    /* flush alone puts data in the file, seen by a third context while the
     * second is still alive */
    fill(buf, sizeof buf, 43);
    ck_assert_int_eq(mk_blk_write(k, d, 3, 0, buf, sizeof buf), 0);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, got, sizeof got, 3 * 1024), (ssize_t)sizeof got);
    ck_assert_int_ne(memcmp(got, buf, sizeof buf), 0); /* not yet: write-back */
    ck_assert_int_eq(mk_cache_flush(k, 0), 0);
    ck_assert_int_eq(pread(fd, got, sizeof got, 3 * 1024), (ssize_t)sizeof got);
    ck_assert_mem_eq(got, buf, sizeof buf);
    close(fd);
    mk_t *k3 = make_ctx(0);
    mk_dev_t d3;
    ck_assert_int_eq(mk_blk_open_image(k3, "img", path, 1024, 0, 0, &d3), 0);
    ck_assert_int_eq(mk_blk_read(k3, d3, 3, 0, got, sizeof got), 0);
    ck_assert_mem_eq(got, buf, sizeof buf);
    ck_assert_int_eq(mk_destroy(k3), 0);

    /* remove writes back and closes; the file can be reopened */
    ck_assert_int_eq(mk_blk_write(k, d, 4, 0, "xyz", 3), 0);
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(mk_blk_open_image(k, "/dev/sda1", path, 1024, 0, 0, &d), 0);
    ck_assert_int_eq(mk_cache_evict(k, NULL), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 4, 0, got, 3), 0);
    ck_assert_mem_eq(got, "xyz", 3);
    /* a different block size views the same bytes */
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(mk_blk_open_image(k, "small", path, 512, 0, 0, &d), 0);
    ck_assert_int_eq(mk_blk_info(k, d, &bs, &n), 0);
    ck_assert_uint_eq(n, 32);
    ck_assert_int_eq(mk_blk_read(k, d, 8, 0, got, 3), 0);
    ck_assert_mem_eq(got, "xyz", 3);
    ck_assert_int_eq(mk_destroy(k), 0);
    unlink(path);
}
END_TEST

START_TEST(image_open_errors)
{
    char path[128], odd[128];
    tmp_path(path, sizeof path, "errs");
    tmp_path(odd, sizeof odd, "odd");
    mk_t *k = make_ctx(0);
    mk_dev_t d = 0, d2 = 0;
    /* missing file, no create */
    ck_assert_int_eq(mk_blk_open_image(k, "i", path, 512, 8, 0, &d), MK_ENOENT);
    /* create needs a size: with nblocks 0 it only opens */
    ck_assert_int_eq(mk_blk_open_image(k, "i", path, 512, 0, MK_BLK_CREATE, &d), MK_ENOENT);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(mk_blk_open_image(k, "i", path, 512, 0, 0x2, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, "i", path, 500, 8, MK_BLK_CREATE, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, "i", NULL, 512, 8, MK_BLK_CREATE, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, "i", path, 512, 8, MK_BLK_CREATE, NULL), MK_EINVAL);
    ck_assert_int_eq(access(path, F_OK), -1); /* nothing created on bad input */
    ck_assert_uint_eq(d, 0);

    ck_assert_int_eq(mk_blk_open_image(k, "i", path, 512, 8, MK_BLK_CREATE, &d), 0);
    /* same file twice in one context: refused */
    ck_assert_int_eq(mk_blk_open_image(k, "i2", path, 512, 0, 0, &d2), MK_EBUSY);
    /* duplicate name, even for another file */
    ck_assert_int_eq(mk_blk_open_image(k, "i", odd, 512, 8, MK_BLK_CREATE, &d2), MK_EEXIST);
    ck_assert_int_eq(access(odd, F_OK), -1);
    ck_assert_uint_eq(d2, 0);

    /* size not a multiple of the block size; empty file */
    int fd = open(odd, O_CREAT | O_RDWR, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(mk_blk_open_image(k, "o", odd, 512, 0, 0, &d2), MK_EINVAL);
    ck_assert_int_eq(write(fd, "12345", 5), 5);
    close(fd);
    ck_assert_int_eq(mk_blk_open_image(k, "o", odd, 512, 0, 0, &d2), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, "o", odd, 512, 0, MK_BLK_CREATE, &d2), MK_EINVAL);
    /* shorter than the asked size: refused without create, extended with */
    ck_assert_int_eq(mk_blk_open_image(k, "o", odd, 512, 4, 0, &d2), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, "o", odd, 512, 4, MK_BLK_CREATE, &d2), 0);
    uint8_t got[8];
    ck_assert_int_eq(mk_blk_read(k, d2, 0, 0, got, 5), 0);
    ck_assert_mem_eq(got, "12345", 5);
    ck_assert_int_eq(mk_blk_read(k, d2, 3, 0, got, 8), 0);
    ck_assert_mem_eq(got, "\0\0\0\0\0\0\0\0", 8);
    /* a directory is not an image */
    ck_assert_int_lt(mk_blk_open_image(k, "dir", "/tmp", 512, 0, 0, &d2), 0);
    ck_assert_int_eq(mk_blk_lookup(k, "dir", &d2), MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
    unlink(path);
    unlink(odd);
}
END_TEST

/* ---- I/O errors never lose data ------------------------------------------------ */

START_TEST(failed_writes_keep_data_dirty)
{
    mk_t *k = make_ctx(4);
    struct cbdev cd;
    cbdev_init(&cd, 512, 16);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "flaky", &cb_ops, &cd, 512, 16, &d), 0);
    uint8_t buf[512], got[512];
    fill(buf, sizeof buf, 5);
    ck_assert_int_eq(mk_blk_write(k, d, 2, 0, buf, sizeof buf), 0);
    cd.fail_write = 1;
    ck_assert_int_eq(mk_cache_flush(k, d), MK_EIO);
    ck_assert_int_eq(mk_cache_flush(k, 0), MK_EIO);
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_eq(s.dirty, 1);
    ck_assert_uint_eq(s.cached, 1);
    ck_assert_uint_eq(s.writebacks, 0);
    ck_assert_uint_eq(s.dev_writes, 2); /* tried twice */
    /* the only candidate cannot be written: evict refuses, keeps it */
    uint64_t ev = 9;
    ck_assert_int_eq(mk_cache_evict(k, &ev), MK_EIO);
    ck_assert_uint_eq(ev, 9); /* out-param untouched on error */
    ck_assert_uint_eq(stats(k).dirty, 1);
    /* with a clean block around, eviction takes that one instead */
    ck_assert_int_eq(mk_blk_read(k, d, 9, 0, got, 1), 0);
    ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    ck_assert_uint_eq(ev, 1);
    s = stats(k);
    ck_assert_uint_eq(s.cached, 1);
    ck_assert_uint_eq(s.dirty, 1);
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, got, sizeof got), 0);
    ck_assert_mem_eq(got, buf, sizeof buf);
    /* removal must write back first: refused, device and data stay */
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EIO);
    mk_dev_t l;
    ck_assert_int_eq(mk_blk_lookup(k, "flaky", &l), 0);
    ck_assert_uint_eq(l, d);
    ck_assert_int_eq(cd.closes, 0);
    ck_assert_int_eq(mk_blk_read(k, d, 2, 0, got, sizeof got), 0);
    ck_assert_mem_eq(got, buf, sizeof buf);
    /* a full cache of unwritable blocks: a new block cannot get a buffer */
    for (unsigned b = 3; b < 6; b++)
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, buf, sizeof buf), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 12, 0, got, 1), MK_EIO);
    ck_assert_uint_eq(stats(k).dirty, 4);
    /* the device recovers: a later flush writes everything */
    cd.fail_write = 0;
    ck_assert_int_eq(mk_cache_flush(k, 0), 0);
    ck_assert_uint_eq(stats(k).dirty, 0);
    for (unsigned b = 2; b < 6; b++)
        ck_assert_mem_eq(cd.mem + b * 512, buf, sizeof buf);
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(cd.closes, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(cd.closes, 1);
    free(cd.mem);
}
END_TEST

START_TEST(failed_sync_and_read_reported)
{
    mk_t *k = make_ctx(4);
    struct cbdev cd;
    cbdev_init(&cd, 512, 16);
    memset(cd.mem + 512, 0x5a, 512);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 16, &d), 0);
    uint8_t got[16];
    cd.fail_read = 1;
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, got, sizeof got), MK_EIO);
    ck_assert_int_eq(mk_blk_write(k, d, 1, 0, got, 1), MK_EIO); /* partial: needs read */
    ck_assert_uint_eq(stats(k).cached, 0); /* failed reads leave nothing */
    cd.fail_read = 0;
    ck_assert_int_eq(mk_blk_read(k, d, 1, 0, got, sizeof got), 0);
    for (size_t i = 0; i < sizeof got; i++)
        ck_assert_uint_eq(got[i], 0x5a);
    cd.fail_sync = 1;
    ck_assert_int_eq(mk_blk_write(k, d, 1, 0, "q", 1), 0);
    ck_assert_int_eq(mk_cache_flush(k, d), MK_EIO);
    ck_assert_uint_eq(cd.mem[512], 'q'); /* written, only the sync failed */
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EIO);
    cd.fail_sync = 0;
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(cd.closes, 1);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(cd.mem);
}
END_TEST

START_TEST(destroy_reports_lost_writes)
{
    mk_t *k = make_ctx(4);
    struct cbdev cd;
    cbdev_init(&cd, 512, 16);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "cb", &cb_ops, &cd, 512, 16, &d), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, "x", 1), 0);
    cd.fail_write = 1;
    ck_assert_int_eq(mk_destroy(k), MK_EIO);
    ck_assert_int_eq(cd.closes, 1);
    free(cd.mem);
}
END_TEST

START_TEST(write_failure_at_every_point_loses_nothing)
{
    /* The device dies after n good writes, for every n (littlefs's
     * power-cut runner idea): every mk_blk_write that returned 0 must
     * reach the device once it recovers; one that failed changed nothing. */
    for (int n = 1; n <= 10; n++) {
        mk_t *k = make_ctx(3);
        struct cbdev cd;
        cbdev_init(&cd, 512, 16);
        cd.cut_after = n;
        mk_dev_t d;
        ck_assert_int_eq(mk_blk_register(k, "cut", &cb_ops, &cd, 512, 16, &d), 0);
        int ok[10];
        uint8_t buf[512];
        for (unsigned b = 0; b < 10; b++) {
            fill(buf, sizeof buf, b + 50);
            ok[b] = mk_blk_write(k, d, b, 0, buf, sizeof buf);
            ck_assert(ok[b] == 0 || ok[b] == MK_EIO);
        }
        int frc = mk_cache_flush(k, 0);
        ck_assert(frc == 0 || frc == MK_EIO);
        cd.cut_after = 0; /* recovered */
        ck_assert_int_eq(mk_cache_flush(k, 0), 0);
        ck_assert_uint_eq(stats(k).dirty, 0);
        int good = 0;
        for (unsigned b = 0; b < 10; b++) {
            fill(buf, sizeof buf, b + 50);
            if (ok[b] == 0) {
                ck_assert_mem_eq(cd.mem + b * 512, buf, sizeof buf);
                good++;
            } else {
                for (size_t i = 0; i < 512; i++)
                    ck_assert_uint_eq(cd.mem[b * 512 + i], 0);
            }
        }
        ck_assert_int_ge(good, 3); /* the cache alone holds three */
        ck_assert_int_eq(mk_destroy(k), 0);
        free(cd.mem);
    }
}
END_TEST

/* ---- device table -------------------------------------------------------------- */

START_TEST(remove_frees_name_and_handle)
{
    mk_t *k = make_ctx(8);
    struct cbdev cd;
    cbdev_init(&cd, 512, 4);
    mk_dev_t d, d2, r;
    ck_assert_int_eq(mk_blk_register(k, "/dev/x", &cb_ops, &cd, 512, 4, &d), 0);
    ck_assert_int_eq(mk_blk_create_ram(k, "/dev/keep", 512, 4, &r), 0);
    ck_assert_int_eq(mk_blk_write(k, r, 1, 0, "keep", 4), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 3, 0, "data", 4), 0);
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_mem_eq(cd.mem + 3 * 512, "data", 4);
    ck_assert_int_eq(cd.syncs, 1);
    ck_assert_int_eq(cd.closes, 1);
    /* stale handle everywhere */
    uint8_t x;
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), MK_EBADH);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, &x, 1), MK_EBADH);
    ck_assert_int_eq(mk_blk_info(k, d, NULL, NULL), MK_EBADH);
    ck_assert_int_eq(mk_cache_flush(k, d), MK_EBADH);
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EBADH);
    ck_assert_int_eq(mk_blk_lookup(k, "/dev/x", &d2), MK_ENOENT);
    /* the name can be reused; the new handle differs from the old */
    ck_assert_int_eq(mk_blk_create_ram(k, "/dev/x", 512, 4, &d2), 0);
    ck_assert_uint_ne(d2, d);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), MK_EBADH);
    ck_assert_int_eq(mk_blk_read(k, d2, 3, 0, &x, 1), 0);
    ck_assert_uint_eq(x, 0); /* a fresh device, not the old cached data */
    /* the other device is untouched */
    char got[4];
    ck_assert_int_eq(mk_blk_read(k, r, 1, 0, got, 4), 0);
    ck_assert_mem_eq(got, "keep", 4);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(cd.closes, 1);
    free(cd.mem);
}
END_TEST

START_TEST(bad_input_creation)
{
    mk_t *k = make_ctx(0);
    mk_dev_t d = 0;
    char long_name[MK_NAME_MAX + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    char max_name[MK_NAME_MAX + 1];
    memset(max_name, 'm', sizeof max_name - 1);
    max_name[sizeof max_name - 1] = '\0';

    ck_assert_int_eq(mk_blk_create_ram(NULL, "a", 512, 4, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_create_ram(k, NULL, 512, 4, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_create_ram(k, "", 512, 4, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_create_ram(k, long_name, 512, 4, &d), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_blk_create_ram(k, "a", 512, 4, NULL), MK_EINVAL);
    static const uint32_t bad_bs[] = {1, 256, 500, 513, 1000, 3072, 131072, 0x80000000u};
    for (size_t i = 0; i < sizeof bad_bs / sizeof bad_bs[0]; i++) {
        ck_assert_int_eq(mk_blk_create_ram(k, "a", bad_bs[i], 4, &d), MK_EINVAL);
        ck_assert_int_eq(mk_blk_register(k, "a", &cb_ops, NULL, bad_bs[i], 4, &d), MK_EINVAL);
    }
    ck_assert_int_eq(mk_blk_create_ram(k, "a", 512, 0, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_create_ram(k, "a", 512, UINT64_MAX, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_create_ram(k, "a", 65536, UINT64_C(1) << 47, &d), MK_EINVAL);
    ck_assert_uint_eq(d, 0);
    ck_assert_int_eq(mk_blk_create_ram(k, max_name, 65536, UINT64_C(1) << 46, &d), 0);
    ck_assert_int_eq(mk_blk_create_ram(k, max_name, 512, 4, &d), MK_EEXIST);

    mk_blk_ops_t ops = cb_ops;
    ck_assert_int_eq(mk_blk_register(NULL, "r", &ops, NULL, 512, 4, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_register(k, "r", NULL, NULL, 512, 4, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_register(k, "r", &ops, NULL, 512, 4, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_blk_register(k, long_name, &ops, NULL, 512, 4, &d), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_blk_register(k, max_name, &ops, NULL, 512, 4, &d), MK_EEXIST);
    ck_assert_int_eq(mk_blk_register(k, "r", &ops, NULL, 512, 0, &d), MK_EINVAL);
    ops.size = 8;
    ck_assert_int_eq(mk_blk_register(k, "r", &ops, NULL, 512, 4, &d), MK_EINVAL);
    ops = cb_ops;
    ops.read = NULL;
    ck_assert_int_eq(mk_blk_register(k, "r", &ops, NULL, 512, 4, &d), MK_EINVAL);
    ops = cb_ops;
    ops.write = NULL;
    ck_assert_int_eq(mk_blk_register(k, "r", &ops, NULL, 512, 4, &d), MK_EINVAL);
    /* sync and close are optional */
    struct cbdev cd;
    cbdev_init(&cd, 512, 4);
    ops = cb_ops;
    ops.sync = NULL;
    ops.close = NULL;
    mk_dev_t r;
    ck_assert_int_eq(mk_blk_register(k, "r", &ops, &cd, 512, 4, &r), 0);
    ck_assert_int_eq(mk_blk_write(k, r, 0, 0, "z", 1), 0);
    ck_assert_int_eq(mk_cache_flush(k, r), 0);
    ck_assert_uint_eq(cd.mem[0], 'z');

    ck_assert_int_eq(mk_blk_open_image(NULL, "i", "/tmp/x", 512, 4, 0, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, NULL, "/tmp/x", 512, 4, 0, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_open_image(k, long_name, "/tmp/x", 512, 4, 0, &d), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_blk_open_image(k, "r", "/tmp/x", 512, 4, 0, &d), MK_EEXIST);

    ck_assert_int_eq(mk_blk_lookup(NULL, "r", &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_lookup(k, NULL, &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_lookup(k, "", &d), MK_EINVAL);
    ck_assert_int_eq(mk_blk_lookup(k, long_name, &d), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_blk_lookup(k, "r", NULL), MK_EINVAL);
    ck_assert_int_eq(mk_blk_lookup(k, "nope", &d), MK_ENOENT);
    ck_assert_int_eq(mk_blk_lookup(k, "R", &d), MK_ENOENT);
    ck_assert_int_eq(mk_blk_lookup(k, "r", &d), 0);
    ck_assert_uint_eq(d, r);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(cd.closes, 0); /* no close callback given */
    free(cd.mem);
}
END_TEST

START_TEST(bad_input_io)
{
    mk_t *k = make_ctx(0);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "d", 1024, 10, &d), 0);
    uint8_t buf[2048];
    fill(buf, 1024, 9);
    ck_assert_int_eq(mk_blk_write(k, d, 9, 0, buf, 1024), 0);
    uint8_t got[2048];
    memset(got, 0xee, sizeof got);

    ck_assert_int_eq(mk_blk_read(NULL, d, 0, 0, got, 1), MK_EINVAL);
    ck_assert_int_eq(mk_blk_write(NULL, d, 0, 0, buf, 1), MK_EINVAL);
    ck_assert_int_eq(mk_blk_read(k, d, 10, 0, got, 1), MK_ERANGE);
    ck_assert_int_eq(mk_blk_write(k, d, 10, 0, buf, 1), MK_ERANGE);
    ck_assert_int_eq(mk_blk_read(k, d, UINT64_MAX, 0, got, 1), MK_ERANGE);
    ck_assert_int_eq(mk_blk_write(k, d, UINT64_MAX, 0, buf, 1), MK_ERANGE);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, got, 1025), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, buf, 1025), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 1, got, 1024), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 1000, buf, 25), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 1025, got, 0), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_write(k, d, 0, UINT32_MAX, buf, 2), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, got, SIZE_MAX), MK_EMSGSIZE);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, NULL, 1), MK_EINVAL);
    /* edges that are fine */
    ck_assert_int_eq(mk_blk_read(k, d, 0, 1024, NULL, 0), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 1024, NULL, 0), 0);
    ck_assert_int_eq(mk_blk_read(k, d, 9, 1023, got, 1), 0);
    ck_assert_uint_eq(got[0], buf[1023]);

    /* forged and foreign handles */
    const mk_dev_t forged[] = {0, 1, UINT64_MAX, d + 1, d ^ (UINT64_C(1) << 56),
                               d + (UINT64_C(1) << 32), d & 0xffffffffu};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        ck_assert_int_eq(mk_blk_read(k, forged[i], 0, 0, got, 1), MK_EBADH);
        ck_assert_int_eq(mk_blk_write(k, forged[i], 0, 0, buf, 1), MK_EBADH);
        ck_assert_int_eq(mk_blk_info(k, forged[i], NULL, NULL), MK_EBADH);
        ck_assert_int_eq(mk_blk_remove(k, forged[i]), MK_EBADH);
        if (forged[i] != 0)
            ck_assert_int_eq(mk_cache_flush(k, forged[i]), MK_EBADH);
    }
    ck_assert_int_eq(mk_blk_info(NULL, d, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_blk_remove(NULL, d), MK_EINVAL);
    ck_assert_int_eq(mk_cache_flush(NULL, 0), MK_EINVAL);
    ck_assert_int_eq(mk_cache_evict(NULL, NULL), MK_EINVAL);
    mk_cache_stats_t s;
    s.size = sizeof s;
    ck_assert_int_eq(mk_cache_stats(NULL, &s), MK_EINVAL);
    ck_assert_int_eq(mk_cache_stats(k, NULL), MK_EINVAL);
    s.size = MK_CACHE_STATS_SIZE_V0 - 1;
    ck_assert_int_eq(mk_cache_stats(k, &s), MK_EINVAL);
    s.size = 0;
    ck_assert_int_eq(mk_cache_stats(k, &s), MK_EINVAL);
    /* a bigger caller structure: only our bytes are written */
    struct {
        mk_cache_stats_t s;
        uint64_t extra;
    } big;
    memset(&big, 0x33, sizeof big);
    big.s.size = sizeof big;
    ck_assert_int_eq(mk_cache_stats(k, &big.s), 0);
    ck_assert_uint_eq(big.s.size, sizeof big);
    ck_assert_uint_eq(big.extra, 0x3333333333333333u);

    /* nothing above corrupted the data */
    ck_assert_int_eq(mk_blk_read(k, d, 9, 0, got, 1024), 0);
    ck_assert_mem_eq(got, buf, 1024);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(destroyed_context_refused)
{
    mk_t *k = make_ctx(0);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "d", 512, 4, &d), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    uint8_t x = 0;
    mk_blk_ops_t ops = cb_ops;
    mk_cache_stats_t s;
    s.size = sizeof s;
    ck_assert_int_eq(mk_blk_create_ram(k, "e", 512, 4, &d), MK_EBADH);
    ck_assert_int_eq(mk_blk_open_image(k, "e", "/tmp/none", 512, 4, 0, &d), MK_EBADH);
    ck_assert_int_eq(mk_blk_register(k, "e", &ops, NULL, 512, 4, &d), MK_EBADH);
    ck_assert_int_eq(mk_blk_lookup(k, "d", &d), MK_EBADH);
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EBADH);
    ck_assert_int_eq(mk_blk_info(k, d, NULL, NULL), MK_EBADH);
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, &x, 1), MK_EBADH);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, &x, 1), MK_EBADH);
    ck_assert_int_eq(mk_cache_flush(k, 0), MK_EBADH);
    ck_assert_int_eq(mk_cache_evict(k, NULL), MK_EBADH);
    ck_assert_int_eq(mk_cache_stats(k, &s), MK_EBADH);
}
END_TEST

/* ---- threads ------------------------------------------------------------------ */

struct worker {
    mk_t *k;
    mk_dev_t d;
    unsigned id;
    int rc;
};

enum { THREADS = 4, PER_THREAD = 24, ROUNDS = 30 };

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint8_t buf[512], got[512];
    for (unsigned r = 0; r < ROUNDS && w->rc == 0; r++) {
        for (unsigned i = 0; i < PER_THREAD; i++) {
            uint64_t b = w->id * PER_THREAD + i;
            fill(buf, sizeof buf, (unsigned)b * 1000 + r);
            int rc = mk_blk_write(w->k, w->d, b, 0, buf, sizeof buf);
            if (rc == 0)
                rc = mk_blk_read(w->k, w->d, b, 0, got, sizeof got);
            if (rc == 0 && memcmp(got, buf, sizeof buf) != 0)
                rc = -1000;
            /* also read a block another thread owns: any consistent view */
            if (rc == 0)
                rc = mk_blk_read(w->k, w->d, ((w->id + 1) % THREADS) * PER_THREAD + i, 0,
                                 got, 16);
            if (rc == 0 && (i % 7) == 0)
                rc = mk_cache_flush(w->k, (i % 2) ? w->d : 0);
            if (rc == 0 && (i % 5) == 0)
                rc = mk_cache_evict(w->k, NULL);
            if (rc != 0) {
                w->rc = rc;
                break;
            }
        }
    }
    return NULL;
}

/* Sequential passes over the whole device while the workers write: they
 * trigger read-ahead. Every block seen must be whole: zeros (not yet
 * written) or one round's pattern. */
struct scanner {
    mk_t *k;
    mk_dev_t d;
    _Atomic int *stop;
    int rc;
    int passes;
};

static bool some_round(const uint8_t *got, uint64_t b)
{
    uint8_t want[512];
    if (got[0] == 0 && memcmp(got, got + 1, 511) == 0)
        return true;
    for (unsigned r = 0; r < ROUNDS; r++) {
        fill(want, sizeof want, (unsigned)b * 1000 + r);
        if (memcmp(got, want, sizeof want) == 0)
            return true;
    }
    return false;
}

static void *scanner_main(void *arg)
{
    struct scanner *sc = arg;
    uint8_t got[512];
    /* at least one whole pass alone after the workers stopped, so that a
     * run is never broken by their lookups and read-ahead must happen */
    while (sc->rc == 0) {
        bool last = atomic_load(sc->stop);
        for (uint64_t b = 0; b < THREADS * PER_THREAD && sc->rc == 0; b++) {
            int rc = mk_blk_read(sc->k, sc->d, b, 0, got, sizeof got);
            if (rc == 0 && !some_round(got, b))
                rc = -2000;
            sc->rc = rc;
        }
        sc->passes++;
        if (last)
            break;
    }
    return NULL;
}

START_TEST(threads_share_cache_and_device)
{
    /* _i: 0 the defaults (2Q, read-ahead, 50 % threshold), 1 LRU with
     * read-ahead, 2 2Q with a wide window and a 10 % threshold */
    mk_t *k = _i == 0 ? make_ctx(16) /* far fewer buffers than blocks in use */
            : _i == 1 ? make_ctx_cfg(16, MK_CACHE_POLICY_LRU, 4, 0)
                      : make_ctx_cfg(16, MK_CACHE_POLICY_2Q, 64, 10);
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "shared", 512, THREADS * PER_THREAD, &d), 0);
    pthread_t t[THREADS], ts;
    struct worker w[THREADS];
    _Atomic int stop = 0;
    struct scanner sc = {k, d, &stop, 0, 0};
    ck_assert_int_eq(pthread_create(&ts, NULL, scanner_main, &sc), 0);
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct worker){k, d, i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].rc, 0);
    }
    atomic_store(&stop, 1);
    pthread_join(ts, NULL);
    ck_assert_int_eq(sc.rc, 0);
    ck_assert_int_ge(sc.passes, 1); /* at least the pass alone */
    uint8_t buf[512], got[512];
    for (uint64_t b = 0; b < THREADS * PER_THREAD; b++) {
        fill(buf, sizeof buf, (unsigned)b * 1000 + ROUNDS - 1);
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, got, sizeof got), 0);
        ck_assert_mem_eq(got, buf, sizeof buf);
    }
    mk_cache_stats_t s = stats(k);
    ck_assert_uint_le(s.cached, 16);
    ck_assert_uint_gt(s.evictions, 0);
    ck_assert_uint_gt(s.ra_reads, 0); /* the scanner's passes read ahead */
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static Suite *blk_suite(void)
{
    Suite *s = suite_create("blk");
    TCase *tc = tcase_create("devices");
    tcase_add_test(tc, ram_roundtrip_and_zeros);
    tcase_add_test(tc, ram_large_device_is_sparse);
    tcase_add_test(tc, image_persists_across_contexts);
    tcase_add_test(tc, image_open_errors);
    tcase_add_test(tc, remove_frees_name_and_handle);
    suite_add_tcase(s, tc);
    tc = tcase_create("cache");
    tcase_add_test(tc, writes_reach_device_only_on_flush);
    tcase_add_test(tc, eviction_writes_dirty_block_first);
    tcase_add_test(tc, lru_order_and_hit_miss_counts);
    tcase_add_test(tc, mixed_block_sizes_share_the_cache);
    tcase_add_test(tc, failed_writes_keep_data_dirty);
    tcase_add_test(tc, failed_sync_and_read_reported);
    tcase_add_test(tc, destroy_reports_lost_writes);
    tcase_add_test(tc, write_failure_at_every_point_loses_nothing);
    tcase_add_loop_test(tc, threads_share_cache_and_device, 0, 3);
    tcase_add_test(tc, scan_keeps_hot_set_under_2q_not_lru);
    tcase_add_test(tc, two_q_evicts_a1in_first_and_default_is_2q);
    tcase_add_test(tc, readahead_cuts_device_reads_on_a_sequential_pass);
    tcase_add_test(tc, readahead_stops_at_device_end_and_survives_errors);
    tcase_add_test(tc, dirty_threshold_writes_back_oldest_blocks);
    tcase_add_test(tc, cache_config_is_validated_and_reported);
    tcase_add_test(tc, cache_emits_trace_events);
    tcase_add_test(tc, write_back_coalesces_runs_of_blocks);
    tcase_add_test(tc, image_read_ahead_and_coalesced_writes);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_test(tc, bad_input_creation);
    tcase_add_test(tc, bad_input_io);
    tcase_add_test(tc, destroyed_context_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(blk_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
