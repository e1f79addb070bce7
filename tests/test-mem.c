/*
 * test-mem.c - public API of the mem module: the three heap kinds and their
 * exact statistics, byte integrity under random allocation, quotas,
 * violations, sharing, ownership, process destruction, a caller-supplied
 * region, concurrency, per-thread caches (cross-thread free, exit, reset
 * and destroy with cached blocks, exact quota credit, thread exit, several
 * contexts), and bad input on every call.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_SIZE (1u << 20)
#define DHEAP (256u << 10)

static mk_t *new_ctx(uint64_t default_quota)
{
    mk_config_t c;
    mk_config_init(&c);
    c.mem_size = MEM_SIZE;
    c.default_heap_size = DHEAP;
    c.default_quota = default_quota;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    return k;
}

static mk_heap_stats_t stats(mk_t *k, mk_heap_t h)
{
    mk_heap_stats_t s;
    memset(&s, 0xee, sizeof s);
    s.size = sizeof s;
    ck_assert_int_eq(mk_heap_stats(k, h, &s), 0);
    ck_assert_uint_eq(s.used + s.free, s.capacity);
    return s;
}

static mk_block_info_t info(mk_t *k, mk_block_t b)
{
    mk_block_info_t i;
    memset(&i, 0xee, sizeof i);
    i.size = sizeof i;
    ck_assert_int_eq(mk_mem_info(k, b, &i), 0);
    return i;
}

static mk_block_t alloc_ok(mk_t *k, mk_pid_t pid, mk_heap_t h, uint64_t size)
{
    mk_block_t b = 0;
    ck_assert_int_eq(mk_mem_alloc(k, pid, h, size, &b), 0);
    ck_assert_uint_ne(b, 0);
    return b;
}

/* Free-list block footprint: payload rounded to 16 plus a 16-byte tag. */
static uint64_t fl_foot(uint64_t n)
{
    uint64_t f = ((n + 15) & ~(uint64_t)15) + MK_HEAP_FREELIST_OVERHEAD;
    return f < 32 ? 32 : f;
}

static uint8_t pat(uint64_t seed, uint64_t i)
{
    return (uint8_t)((seed * 131u + i * 7u + (i >> 8)) ^ (seed >> 3));
}

static void fill(mk_t *k, mk_pid_t pid, mk_block_t b, uint64_t n, uint64_t seed)
{
    uint8_t *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    for (uint64_t i = 0; i < n; i++)
        buf[i] = pat(seed, i);
    ck_assert_int_eq(mk_mem_write(k, pid, b, 0, buf, n), 0);
    free(buf);
}

static void verify(mk_t *k, mk_pid_t pid, mk_block_t b, uint64_t n, uint64_t seed)
{
    uint8_t *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(mk_mem_read(k, pid, b, 0, buf, n), 0);
    for (uint64_t i = 0; i < n; i++)
        if (buf[i] != pat(seed, i))
            ck_abort_msg("block %llx byte %llu corrupted", (unsigned long long)b,
                         (unsigned long long)i);
    free(buf);
}

/* ---- default heap and free-list behaviour -------------------------------- */

START_TEST(default_heap_starts_empty)
{
    mk_t *k = new_ctx(0);
    mk_heap_stats_t s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.size, sizeof s);
    ck_assert_uint_eq(s.kind, MK_HEAP_FREELIST);
    ck_assert_uint_eq(s.capacity, DHEAP);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.free, DHEAP);
    ck_assert_uint_eq(s.largest_free, DHEAP);
    ck_assert_uint_eq(s.high_water, 0);
    ck_assert_uint_eq(s.live_blocks + s.allocs + s.frees + s.failed + s.requested, 0);
    ck_assert_uint_eq(s.fragmentation_permille, 0);
    ck_assert_uint_eq(s.reserved, 0);
    mk_destroy(k);
}
END_TEST

START_TEST(freelist_split_and_coalesce_exact_stats)
{
    mk_t *k = new_ctx(0);
    const uint64_t cap = DHEAP;
    mk_block_t a = alloc_ok(k, 0, MK_HEAP_DEFAULT, 100);
    mk_block_t b = alloc_ok(k, 0, MK_HEAP_DEFAULT, 100000);
    mk_block_t c = alloc_ok(k, 0, MK_HEAP_DEFAULT, 300);
    uint64_t fa = fl_foot(100), fb = fl_foot(100000), fc = fl_foot(300);
    mk_heap_stats_t s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.used, fa + fb + fc);
    ck_assert_uint_eq(s.largest_free, cap - (fa + fb + fc));
    ck_assert_uint_eq(s.live_blocks, 3);
    ck_assert_uint_eq(s.requested, 100400);
    ck_assert_uint_eq(s.fragmentation_permille, 0);
    /* Blocks are laid out in order, each after the previous one's tag. */
    mk_block_info_t ia = info(k, a), ib = info(k, b), ic = info(k, c);
    ck_assert_uint_eq(ib.addr, ia.addr + fa);
    ck_assert_uint_eq(ic.addr, ib.addr + fb);
    ck_assert_uint_eq(ia.addr % MK_MEM_ALIGN, 0);
    ck_assert_uint_eq(ia.heap, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(ia.bytes, 100);

    /* A hole in the middle: free space is split in two. */
    ck_assert_int_eq(mk_mem_free(k, 0, b), 0);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.used, fa + fc);
    ck_assert_uint_eq(s.free, cap - fa - fc);
    ck_assert_uint_eq(s.largest_free, cap - (fa + fb + fc));
    ck_assert_uint_eq(s.fragmentation_permille, (uint32_t)(fb * 1000 / (cap - fa - fc)));
    ck_assert_uint_ne(s.fragmentation_permille, 0);

    /* Freeing a merges it with the hole. */
    ck_assert_int_eq(mk_mem_free(k, 0, a), 0);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.used, fc);
    ck_assert_uint_eq(s.largest_free, cap - (fa + fb + fc));
    /* Take the whole tail, so the merged hole is the only free extent:
     * its size proves the coalesce, and a request of exactly its size
     * lands at its start. */
    uint64_t tail = cap - (fa + fb + fc);
    mk_block_t t = alloc_ok(k, 0, MK_HEAP_DEFAULT, tail - 16);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.largest_free, fa + fb);
    ck_assert_uint_eq(s.free, fa + fb);
    ck_assert_uint_eq(s.fragmentation_permille, 0);
    mk_block_t x;
    ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, fa + fb - 15, &x), MK_ENOMEM);
    mk_block_t d = alloc_ok(k, 0, MK_HEAP_DEFAULT, fa + fb - 16);
    ck_assert_uint_eq(info(k, d).addr, ia.addr);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, cap);
    ck_assert_int_eq(mk_mem_free(k, 0, d), 0);
    ck_assert_int_eq(mk_mem_free(k, 0, t), 0);

    /* Freeing the last block coalesces everything back to one extent. */
    ck_assert_int_eq(mk_mem_free(k, 0, c), 0);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.largest_free, cap);
    ck_assert_uint_eq(s.fragmentation_permille, 0);
    ck_assert_uint_eq(s.high_water, cap);
    ck_assert_uint_eq(s.failed, 1);
    ck_assert_uint_eq(s.allocs, 5);
    ck_assert_uint_eq(s.frees, 5);
    ck_assert_uint_eq(s.live_blocks, 0);
    ck_assert_uint_eq(s.requested, 0);
    mk_destroy(k);
}
END_TEST

START_TEST(freelist_fills_exactly_and_fails_cleanly)
{
    mk_t *k = new_ctx(0);
    mk_block_t all = alloc_ok(k, 0, MK_HEAP_DEFAULT, DHEAP - MK_HEAP_FREELIST_OVERHEAD);
    mk_heap_stats_t s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.used, DHEAP);
    ck_assert_uint_eq(s.largest_free, 0);
    ck_assert_uint_eq(s.fragmentation_permille, 0);
    mk_block_t x = 77;
    ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, 1, &x), MK_ENOMEM);
    ck_assert_uint_eq(x, 77); /* out untouched on failure */
    ck_assert_int_eq(mk_mem_free(k, 0, all), 0);
    ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, DHEAP, &x), MK_ENOMEM);
    ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, UINT64_MAX, &x), MK_ENOMEM);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.failed, 3);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.largest_free, DHEAP);

    /* Many small blocks, freed in an interleaved order: all coalesces. */
    mk_block_t bl[200];
    for (int i = 0; i < 200; i++)
        bl[i] = alloc_ok(k, 0, MK_HEAP_DEFAULT, 1 + (uint64_t)i * 7);
    for (int i = 0; i < 200; i += 2)
        ck_assert_int_eq(mk_mem_free(k, 0, bl[i]), 0);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_gt(s.fragmentation_permille, 0);
    for (int i = 1; i < 200; i += 2)
        ck_assert_int_eq(mk_mem_free(k, 0, bl[i]), 0);
    s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.largest_free, DHEAP);
    ck_assert_uint_eq(s.fragmentation_permille, 0);
    mk_destroy(k);
}
END_TEST

/* ---- bump heap ---------------------------------------------------------- */

START_TEST(bump_reuses_after_last_free_and_reset)
{
    mk_t *k = new_ctx(0);
    mk_heap_t h = 0;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 4096, &h), 0);
    ck_assert_uint_ne(h, MK_HEAP_DEFAULT);
    mk_block_t a = alloc_ok(k, 0, h, 100), b = alloc_ok(k, 0, h, 200);
    mk_block_info_t ia = info(k, a), ib = info(k, b);
    ck_assert_uint_eq(ib.addr, ia.addr + 112); /* sequential, no overhead */
    ck_assert_uint_eq(ia.heap, h);
    mk_heap_stats_t s = stats(k, h);
    ck_assert_uint_eq(s.kind, MK_HEAP_BUMP);
    ck_assert_uint_eq(s.capacity, 4096);
    ck_assert_uint_eq(s.used, 320);
    ck_assert_uint_eq(s.largest_free, 4096 - 320);

    /* A free only counts: the space is not reused while a block lives. */
    ck_assert_int_eq(mk_mem_free(k, 0, a), 0);
    s = stats(k, h);
    ck_assert_uint_eq(s.used, 320);
    ck_assert_uint_eq(s.frees, 1);
    ck_assert_uint_eq(s.live_blocks, 1);
    ck_assert_int_eq(mk_heap_reset(k, h), MK_EBUSY);
    mk_block_t c = alloc_ok(k, 0, h, 4096 - 320);
    ck_assert_uint_eq(info(k, c).addr, ia.addr + 320);
    mk_block_t x;
    ck_assert_int_eq(mk_mem_alloc(k, 0, h, 1, &x), MK_ENOMEM);
    s = stats(k, h);
    ck_assert_uint_eq(s.used, 4096);
    ck_assert_uint_eq(s.largest_free, 0);
    ck_assert_uint_eq(s.failed, 1);

    /* The last free makes the whole heap reusable. */
    ck_assert_int_eq(mk_mem_free(k, 0, b), 0);
    ck_assert_uint_eq(stats(k, h).used, 4096);
    ck_assert_int_eq(mk_mem_free(k, 0, c), 0);
    s = stats(k, h);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.largest_free, 4096);
    ck_assert_uint_eq(s.high_water, 4096);
    mk_block_t d = alloc_ok(k, 0, h, 10);
    ck_assert_uint_eq(info(k, d).addr, ia.addr);
    ck_assert_int_eq(mk_heap_reset(k, h), MK_EBUSY);
    ck_assert_int_eq(mk_mem_free(k, 0, d), 0);
    ck_assert_int_eq(mk_heap_reset(k, h), 0);
    ck_assert_uint_eq(stats(k, h).used, 0);
    ck_assert_uint_eq(stats(k, h).allocs, 4);

    ck_assert_int_eq(mk_heap_reset(k, MK_HEAP_DEFAULT), MK_ENOTSUP);
    ck_assert_int_eq(mk_heap_destroy(k, h), 0);
    ck_assert_int_eq(mk_heap_reset(k, h), MK_EBADH);
    mk_destroy(k);
}
END_TEST

/* ---- fixed-block heap ---------------------------------------------------- */

START_TEST(fixed_classes_slabs_and_fallback)
{
    mk_t *k = new_ctx(0);
    mk_heap_t h;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 10000, &h), 0); /* -> 3 slabs */
    mk_heap_stats_t s = stats(k, h);
    ck_assert_uint_eq(s.kind, MK_HEAP_FIXED);
    ck_assert_uint_eq(s.capacity, 3 * MK_HEAP_FIXED_SLAB);
    ck_assert_uint_eq(s.largest_free, 3 * MK_HEAP_FIXED_SLAB);
    ck_assert_uint_eq(s.fragmentation_permille, 0);

    mk_block_t b16 = alloc_ok(k, 0, h, 1);
    mk_block_t b16b = alloc_ok(k, 0, h, 16);
    mk_block_t b32 = alloc_ok(k, 0, h, 17);
    mk_block_t big1 = alloc_ok(k, 0, h, 2048);
    mk_block_info_t i1 = info(k, b16), i2 = info(k, b16b), i3 = info(k, b32), i4 = info(k, big1);
    ck_assert_uint_eq(i1.heap, h);
    ck_assert_uint_eq(i2.addr, i1.addr + 16);            /* same slab, next slot */
    ck_assert_uint_eq(i3.addr, i1.addr + MK_HEAP_FIXED_SLAB); /* class 32: own slab */
    ck_assert_uint_eq(i4.addr, i1.addr + 2 * MK_HEAP_FIXED_SLAB);
    s = stats(k, h);
    ck_assert_uint_eq(s.used, 16 + 16 + 32 + 2048);
    ck_assert_uint_eq(s.requested, 1 + 16 + 17 + 2048);
    ck_assert_uint_eq(s.largest_free, 2048); /* the 2048 slab has a free slot */

    /* Larger than the largest class: served by the default heap. */
    mk_heap_stats_t d0 = stats(k, MK_HEAP_DEFAULT);
    mk_block_t fb = alloc_ok(k, 0, h, 2049);
    ck_assert_uint_eq(info(k, fb).heap, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).live_blocks, d0.live_blocks + 1);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, d0.used + fl_foot(2049));
    ck_assert_uint_eq(stats(k, h).allocs, 4);

    /* Exhaust: every slab is taken; only classes with a free slot serve. */
    mk_block_t big2 = alloc_ok(k, 0, h, 1500);
    ck_assert_uint_eq(stats(k, h).largest_free, 32);
    mk_block_t x;
    ck_assert_int_eq(mk_mem_alloc(k, 0, h, 64, &x), MK_ENOMEM);
    ck_assert_uint_eq(stats(k, h).failed, 1);
    mk_block_t more32 = alloc_ok(k, 0, h, 30);
    ck_assert_uint_eq(info(k, more32).addr, i3.addr + 32);

    /* Emptying a slab returns it: another class can take it. */
    ck_assert_int_eq(mk_mem_free(k, 0, b16), 0);
    ck_assert_int_eq(mk_mem_alloc(k, 0, h, 64, &x), MK_ENOMEM); /* slab still has b16b */
    ck_assert_int_eq(mk_mem_free(k, 0, b16b), 0);
    ck_assert_uint_eq(stats(k, h).largest_free, MK_HEAP_FIXED_SLAB);
    mk_block_t b64 = alloc_ok(k, 0, h, 64);
    ck_assert_uint_eq(info(k, b64).addr, i1.addr);
    /* A freed slot is reused first. */
    ck_assert_int_eq(mk_mem_free(k, 0, big1), 0);
    mk_block_t big3 = alloc_ok(k, 0, h, 1025);
    ck_assert_uint_eq(info(k, big3).addr, i4.addr);

    /* Another fallback heap; a fallback cannot be destroyed. */
    mk_heap_t fl, bump;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 65536, &fl), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 4096, &bump), 0);
    ck_assert_int_eq(mk_heap_set_fallback(k, h, bump), MK_EINVAL);
    ck_assert_int_eq(mk_heap_set_fallback(k, fl, fl), MK_EINVAL);
    ck_assert_int_eq(mk_heap_set_fallback(k, h, fl), 0);
    mk_block_t fb2 = alloc_ok(k, 0, h, 5000);
    ck_assert_uint_eq(info(k, fb2).heap, fl);
    ck_assert_int_eq(mk_mem_free(k, 0, fb2), 0);
    ck_assert_int_eq(mk_heap_destroy(k, fl), MK_EBUSY);
    ck_assert_int_eq(mk_heap_set_fallback(k, h, MK_HEAP_DEFAULT), 0);
    ck_assert_int_eq(mk_heap_destroy(k, fl), 0);
    ck_assert_int_eq(mk_heap_destroy(k, bump), 0);

    ck_assert_int_eq(mk_heap_destroy(k, h), MK_EBUSY);
    mk_block_t rest[] = {b32, more32, big2, b64, big3, fb};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        ck_assert_int_eq(mk_mem_free(k, 0, rest[i]), 0);
    s = stats(k, h);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.live_blocks, 0);
    ck_assert_uint_eq(s.high_water, 32 + 32 + 2048 + 2048 + 64); /* after b64 and big3 */
    ck_assert_int_eq(mk_heap_destroy(k, h), 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, 0);
    mk_destroy(k);
}
END_TEST

/* ---- heaps carved from the arena ------------------------------------------ */

START_TEST(heap_create_first_fit_and_destroy)
{
    mk_t *k = new_ctx(0);
    mk_heap_t a, b, c, d;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 65536, &a), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 65536, &b), 0);
    mk_block_t ba = alloc_ok(k, 0, a, 1), bb = alloc_ok(k, 0, b, 1);
    uint64_t addr_a = info(k, ba).addr;
    ck_assert_uint_eq(addr_a, DHEAP + 16);            /* right after the default heap */
    ck_assert_uint_eq(info(k, bb).addr, addr_a + 65536);
    ck_assert_int_eq(mk_heap_destroy(k, a), MK_EBUSY);
    ck_assert_int_eq(mk_mem_free(k, 0, ba), 0);
    ck_assert_int_eq(mk_heap_destroy(k, a), 0);
    ck_assert_int_eq(mk_heap_destroy(k, a), MK_EBADH);
    mk_block_t x;
    ck_assert_int_eq(mk_mem_alloc(k, 0, a, 1, &x), MK_EBADH);
    /* The hole left by a is reused by the next heap that fits in it. */
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 1000, &c), 0);
    ck_assert_uint_eq(stats(k, c).capacity, 1008);
    mk_block_t bc = alloc_ok(k, 0, c, 1);
    ck_assert_uint_eq(info(k, bc).addr, DHEAP);
    ck_assert_uint_ne(c, a); /* a new handle, a's stays stale */
    /* The arena's end: MEM_SIZE - DHEAP - 65536 - 1008 bytes are left in two gaps. */
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, MEM_SIZE - DHEAP - 65536, &d),
                     MK_ENOMEM);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, MEM_SIZE - DHEAP - 2 * 65536, &d), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 65536, &d), MK_ENOMEM);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 65536 - 1008, &d), 0);
    ck_assert_int_eq(mk_heap_destroy(k, MK_HEAP_DEFAULT), MK_EPERM);
    mk_destroy(k); /* releases every heap and block */
}
END_TEST

/* ---- byte integrity under random allocation -------------------------------- */

struct live {
    mk_block_t b;
    uint64_t n, seed, addr;
    mk_heap_t heap;
};

START_TEST(random_allocs_keep_every_byte)
{
    mk_t *k = new_ctx(0);
    mk_heap_t heaps[3] = {MK_HEAP_DEFAULT, 0, 0};
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 64 * 1024, &heaps[1]), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 128 * 1024, &heaps[2]), 0);
    enum { N = 400 };
    struct live *lv = calloc(N, sizeof *lv);
    uint64_t seed = 12345, nlive = 0;
    srand(7);
    for (int step = 0; step < 6000; step++) {
        int i = rand() % N;
        if (lv[i].b != 0) {
            verify(k, 0, lv[i].b, lv[i].n, lv[i].seed);
            ck_assert_int_eq(mk_mem_free(k, 0, lv[i].b), 0);
            lv[i].b = 0;
            nlive--;
            continue;
        }
        mk_heap_t h = heaps[rand() % 3];
        uint64_t n = (rand() % 4 == 0) ? 1 + (uint64_t)(rand() % 6000) : 1 + (uint64_t)(rand() % 300);
        mk_block_t b;
        int rc = mk_mem_alloc(k, 0, h, n, &b);
        if (rc == MK_ENOMEM)
            continue;
        ck_assert_int_eq(rc, 0);
        mk_block_info_t bi = info(k, b);
        lv[i] = (struct live){b, n, ++seed, bi.addr, bi.heap};
        nlive++;
        fill(k, 0, b, n, seed);
        if (step % 500 == 0) {
            /* No two live blocks overlap, and every byte is intact. */
            for (int p = 0; p < N; p++) {
                if (lv[p].b == 0)
                    continue;
                verify(k, 0, lv[p].b, lv[p].n, lv[p].seed);
                for (int q = p + 1; q < N; q++)
                    if (lv[q].b != 0)
                        ck_assert(lv[p].addr + lv[p].n <= lv[q].addr ||
                                  lv[q].addr + lv[q].n <= lv[p].addr);
            }
        }
    }
    /* Requested bytes per heap equal the sum of the live blocks' sizes. */
    uint64_t req[3] = {0, 0, 0};
    for (int p = 0; p < N; p++)
        if (lv[p].b != 0)
            for (int j = 0; j < 3; j++)
                if (lv[p].heap == heaps[j])
                    req[j] += lv[p].n;
    for (int j = 0; j < 3; j++)
        ck_assert_uint_eq(stats(k, heaps[j]).requested, req[j]);
    uint64_t used;
    ck_assert_int_eq(mk_mem_usage(k, 0, &used, NULL), 0);
    ck_assert_uint_eq(used, req[0] + req[1] + req[2]);
    for (int p = 0; p < N; p++)
        if (lv[p].b != 0) {
            verify(k, 0, lv[p].b, lv[p].n, lv[p].seed);
            ck_assert_int_eq(mk_mem_free(k, 0, lv[p].b), 0);
        }
    for (int j = 0; j < 3; j++) {
        mk_heap_stats_t s = stats(k, heaps[j]);
        ck_assert_uint_eq(s.used, 0);
        ck_assert_uint_eq(s.live_blocks, 0);
        ck_assert_uint_eq(s.allocs, s.frees);
        ck_assert_uint_eq(s.fragmentation_permille, 0);
    }
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).largest_free, DHEAP);
    (void)nlive;
    free(lv);
    mk_destroy(k);
}
END_TEST

/* ---- quotas, violations, bounds ----------------------------------------- */

START_TEST(quota_limits_and_counts_violations)
{
    mk_t *k = new_ctx(1000);
    ck_assert_int_eq(mk_proc_create(k, 10, NULL), 0);
    uint64_t used = 99, quota = 99, v = 99;
    ck_assert_int_eq(mk_mem_usage(k, 10, &used, &quota), 0);
    ck_assert_uint_eq(used, 0);
    ck_assert_uint_eq(quota, 1000);
    mk_block_t a = alloc_ok(k, 10, MK_HEAP_DEFAULT, 600);
    ck_assert_int_eq(mk_mem_check(k, 10, 400), 0);
    ck_assert_int_eq(mk_mem_check(k, 10, 401), MK_EQUOTA);
    ck_assert_int_eq(mk_mem_check(k, 10, UINT64_MAX), MK_EQUOTA);
    ck_assert_int_eq(mk_mem_violations(k, 10, &v), 0);
    ck_assert_uint_eq(v, 0); /* asking is not a violation */
    mk_heap_stats_t before = stats(k, MK_HEAP_DEFAULT);
    mk_block_t x = 5;
    ck_assert_int_eq(mk_mem_alloc(k, 10, MK_HEAP_DEFAULT, 401, &x), MK_EQUOTA);
    ck_assert_uint_eq(x, 5);
    ck_assert_int_eq(mk_mem_violations(k, 10, &v), 0);
    ck_assert_uint_eq(v, 1);
    mk_heap_stats_t after = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(after.used, before.used);
    ck_assert_uint_eq(after.failed, before.failed); /* quota refusals are not heap failures */
    mk_block_t b = alloc_ok(k, 10, MK_HEAP_DEFAULT, 400);
    ck_assert_int_eq(mk_mem_usage(k, 10, &used, NULL), 0);
    ck_assert_uint_eq(used, 1000);
    ck_assert_int_eq(mk_mem_check(k, 10, 1), MK_EQUOTA);

    /* A quota below current use is accepted; allocation then fails. */
    ck_assert_int_eq(mk_mem_set_quota(k, 10, 100), 0);
    ck_assert_int_eq(mk_mem_alloc(k, 10, MK_HEAP_DEFAULT, 1, &x), MK_EQUOTA);
    ck_assert_int_eq(mk_mem_free(k, 10, a), 0);
    ck_assert_int_eq(mk_mem_free(k, 10, b), 0);
    ck_assert_int_eq(mk_mem_check(k, 10, 100), 0);
    mk_block_t c = alloc_ok(k, 10, MK_HEAP_DEFAULT, 100);
    ck_assert_int_eq(mk_mem_alloc(k, 10, MK_HEAP_DEFAULT, 1, &x), MK_EQUOTA);
    ck_assert_int_eq(mk_mem_violations(k, 10, &v), 0);
    ck_assert_uint_eq(v, 3);
    /* 0 means unlimited. */
    ck_assert_int_eq(mk_mem_set_quota(k, 10, 0), 0);
    mk_block_t d = alloc_ok(k, 10, MK_HEAP_DEFAULT, 100000);
    ck_assert_int_eq(mk_mem_usage(k, 10, &used, &quota), 0);
    ck_assert_uint_eq(used, 100100);
    ck_assert_uint_eq(quota, 0);
    ck_assert_int_eq(mk_mem_free(k, 10, c), 0);
    ck_assert_int_eq(mk_mem_free(k, 10, d), 0);

    /* The kernel has no quota. */
    ck_assert_int_eq(mk_mem_set_quota(k, MK_PID_KERNEL, 10), MK_EPERM);
    ck_assert_int_eq(mk_mem_usage(k, MK_PID_KERNEL, NULL, &quota), 0);
    ck_assert_uint_eq(quota, 0);
    ck_assert_int_eq(mk_mem_check(k, MK_PID_KERNEL, UINT64_MAX), 0);
    /* A second process gets the default quota too. */
    ck_assert_int_eq(mk_proc_create(k, 11, NULL), 0);
    ck_assert_int_eq(mk_mem_usage(k, 11, NULL, &quota), 0);
    ck_assert_uint_eq(quota, 1000);
    mk_destroy(k);
}
END_TEST

START_TEST(out_of_bounds_is_efault_and_a_violation)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    mk_block_t b = alloc_ok(k, 3, MK_HEAP_DEFAULT, 64);
    mk_block_t nb = alloc_ok(k, 3, MK_HEAP_DEFAULT, 64); /* neighbour */
    fill(k, 3, b, 64, 1);
    fill(k, 3, nb, 64, 2);
    uint8_t buf[128];
    memset(buf, 0xab, sizeof buf);
    ck_assert_int_eq(mk_mem_read(k, 3, b, 1, buf, 64), MK_EFAULT);
    ck_assert_int_eq(mk_mem_write(k, 3, b, 60, buf, 5), MK_EFAULT);
    ck_assert_int_eq(mk_mem_write(k, 3, b, 65, buf, 0), MK_EFAULT);
    ck_assert_int_eq(mk_mem_read(k, 3, b, UINT64_MAX, buf, 2), MK_EFAULT);
    ck_assert_int_eq(mk_mem_write(k, 3, b, 8, buf, UINT64_MAX - 4), MK_EFAULT);
    uint64_t v;
    ck_assert_int_eq(mk_mem_violations(k, 3, &v), 0);
    ck_assert_uint_eq(v, 5);
    /* Nothing was written, nothing leaked into the neighbour. */
    verify(k, 3, b, 64, 1);
    verify(k, 3, nb, 64, 2);
    /* Edges that are in bounds. */
    ck_assert_int_eq(mk_mem_read(k, 3, b, 64, buf, 0), 0);
    ck_assert_int_eq(mk_mem_read(k, 3, b, 64, NULL, 0), 0);
    ck_assert_int_eq(mk_mem_write(k, 3, b, 63, "z", 1), 0);
    ck_assert_int_eq(mk_mem_read(k, 3, b, 63, buf, 1), 0);
    ck_assert_int_eq(buf[0], 'z');
    ck_assert_int_eq(mk_mem_read(k, 3, b, 10, buf, 4), 0);
    ck_assert_int_eq(buf[0], pat(1, 10));
    ck_assert_int_eq(buf[3], pat(1, 13));
    ck_assert_int_eq(mk_mem_violations(k, 3, &v), 0);
    ck_assert_uint_eq(v, 5);
    /* The raw pointer sees the same bytes. */
    void *p = NULL;
    ck_assert_int_eq(mk_mem_ptr(k, 3, b, &p), 0);
    ck_assert_uint_eq(((uintptr_t)p) % MK_MEM_ALIGN, 0);
    ck_assert_int_eq(((uint8_t *)p)[63], 'z');
    ((uint8_t *)p)[0] = 'A';
    ck_assert_int_eq(mk_mem_read(k, 3, b, 0, buf, 1), 0);
    ck_assert_int_eq(buf[0], 'A');
    mk_destroy(k);
}
END_TEST

/* ---- ownership and sharing ------------------------------------------------ */

START_TEST(only_the_owner_frees)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    mk_block_t b = alloc_ok(k, 1, MK_HEAP_DEFAULT, 32);
    fill(k, 1, b, 32, 9);
    ck_assert_int_eq(mk_mem_free(k, 2, b), MK_EPERM);
    ck_assert_int_eq(mk_mem_free(k, MK_PID_KERNEL, b), MK_EPERM);
    ck_assert_int_eq(mk_mem_free(k, 99, b), MK_ENOENT);
    mk_block_info_t i = info(k, b);
    ck_assert_uint_eq(i.owner, 1);
    ck_assert_uint_eq(i.bytes, 32);
    verify(k, 1, b, 32, 9);
    uint64_t used;
    ck_assert_int_eq(mk_mem_usage(k, 1, &used, NULL), 0);
    ck_assert_uint_eq(used, 32);
    ck_assert_int_eq(mk_mem_usage(k, 2, &used, NULL), 0);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(mk_mem_free(k, 1, b), 0);
    ck_assert_int_eq(mk_mem_free(k, 1, b), MK_EBADH);
    ck_assert_int_eq(mk_mem_usage(k, 1, &used, NULL), 0);
    ck_assert_uint_eq(used, 0);
    /* A freed handle is never reissued: the next block gets a new one. */
    mk_block_t b2 = alloc_ok(k, 1, MK_HEAP_DEFAULT, 32);
    ck_assert_uint_ne(b2, b);
    ck_assert_int_eq(mk_mem_read(k, 1, b, 0, &used, 1), MK_EBADH);
    mk_destroy(k);
}
END_TEST

START_TEST(sharing_grants_and_withdraws_access)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    mk_block_t b = alloc_ok(k, 1, MK_HEAP_DEFAULT, 100);
    fill(k, 1, b, 100, 4);
    char buf[100];
    void *p = NULL;
    uint64_t v;
    ck_assert_int_eq(mk_mem_read(k, 2, b, 0, buf, 10), MK_EPERM);
    ck_assert_int_eq(mk_mem_write(k, 2, b, 0, buf, 10), MK_EPERM);
    ck_assert_int_eq(mk_mem_ptr(k, 2, b, &p), MK_EPERM);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(mk_mem_violations(k, 2, &v), 0);
    ck_assert_uint_eq(v, 3);
    verify(k, 1, b, 100, 4);

    ck_assert_int_eq(mk_mem_share(k, 2, b, 3), MK_EPERM);   /* not the owner */
    ck_assert_int_eq(mk_mem_share(k, 1, b, 1), MK_EINVAL);  /* with itself */
    ck_assert_int_eq(mk_mem_share(k, 1, b, 77), MK_ENOENT); /* no such pid */
    ck_assert_int_eq(mk_mem_share(k, 1, b, 2), 0);
    ck_assert_int_eq(mk_mem_share(k, 1, b, 2), MK_EEXIST);
    ck_assert_int_eq(mk_mem_share(k, 1, b, 3), 0);
    ck_assert_uint_eq(info(k, b).shares, 2);
    verify(k, 2, b, 100, 4);
    ck_assert_int_eq(mk_mem_write(k, 2, b, 50, "shared", 6), 0);
    ck_assert_int_eq(mk_mem_read(k, 3, b, 50, buf, 6), 0);
    ck_assert_int_eq(memcmp(buf, "shared", 6), 0);
    ck_assert_int_eq(mk_mem_ptr(k, 3, b, &p), 0);
    ck_assert_int_eq(memcmp((char *)p + 50, "shared", 6), 0);
    /* A sharer may not free, and its quota is not charged. */
    ck_assert_int_eq(mk_mem_free(k, 2, b), MK_EPERM);
    uint64_t used;
    ck_assert_int_eq(mk_mem_usage(k, 2, &used, NULL), 0);
    ck_assert_uint_eq(used, 0);

    ck_assert_int_eq(mk_mem_unshare(k, 2, b, 3), MK_EPERM);
    ck_assert_int_eq(mk_mem_unshare(k, 1, b, 2), 0);
    ck_assert_int_eq(mk_mem_unshare(k, 1, b, 2), MK_ENOENT);
    ck_assert_int_eq(mk_mem_read(k, 2, b, 0, buf, 1), MK_EPERM);
    ck_assert_uint_eq(info(k, b).shares, 1);

    /* Destroying a sharer withdraws its share; the block lives on. */
    ck_assert_int_eq(mk_proc_destroy(k, 3), 0);
    ck_assert_uint_eq(info(k, b).shares, 0);
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0); /* same pid, new process */
    ck_assert_int_eq(mk_mem_read(k, 3, b, 0, buf, 1), MK_EPERM);
    /* Share with the kernel. */
    ck_assert_int_eq(mk_mem_share(k, 1, b, MK_PID_KERNEL), 0);
    ck_assert_int_eq(mk_mem_read(k, MK_PID_KERNEL, b, 50, buf, 6), 0);
    ck_assert_int_eq(memcmp(buf, "shared", 6), 0);
    /* Destroying the owner frees the block for everyone. */
    ck_assert_int_eq(mk_proc_destroy(k, 1), 0);
    ck_assert_int_eq(mk_mem_read(k, MK_PID_KERNEL, b, 0, buf, 1), MK_EBADH);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, 0);
    mk_destroy(k);
}
END_TEST

START_TEST(destroying_a_process_frees_everything)
{
    mk_t *k = new_ctx(0);
    mk_heap_t fx, bp;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 65536, &fx), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 65536, &bp), 0);
    ck_assert_int_eq(mk_proc_create(k, 5, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 6, NULL), 0);
    mk_block_t keep = alloc_ok(k, 6, MK_HEAP_DEFAULT, 333);
    fill(k, 6, keep, 333, 66);
    mk_block_t bl[60];
    mk_heap_t hs[3] = {MK_HEAP_DEFAULT, fx, bp};
    for (int i = 0; i < 60; i++)
        bl[i] = alloc_ok(k, 5, hs[i % 3], 1 + (uint64_t)i * 37);
    ck_assert_int_eq(mk_mem_share(k, 6, keep, 5), 0);
    ck_assert_int_eq(mk_proc_destroy(k, 5), 0);
    for (int i = 0; i < 60; i++)
        ck_assert_int_eq(mk_mem_info(k, bl[i], &(mk_block_info_t){.size = sizeof(mk_block_info_t)}),
                         MK_EBADH);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, fl_foot(333));
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).live_blocks, 1);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).allocs, 1 + 20 + 1); /* 1 fell back */
    ck_assert_uint_eq(stats(k, fx).used, 0);
    ck_assert_uint_eq(stats(k, bp).used, 0);
    ck_assert_uint_eq(stats(k, fx).allocs, 19);
    ck_assert_uint_eq(stats(k, fx).frees, 19);
    ck_assert_uint_eq(stats(k, bp).frees, 20);
    ck_assert_uint_eq(info(k, keep).shares, 0);
    verify(k, 6, keep, 333, 66);
    uint64_t u;
    ck_assert_int_eq(mk_mem_usage(k, 5, &u, NULL), MK_ENOENT);
    ck_assert_int_eq(mk_mem_violations(k, 5, &u), MK_ENOENT);
    mk_block_t x;
    ck_assert_int_eq(mk_mem_alloc(k, 5, MK_HEAP_DEFAULT, 8, &x), MK_ENOENT);
    /* The heaps are idle again: they can be destroyed. */
    ck_assert_int_eq(mk_heap_destroy(k, fx), 0);
    ck_assert_int_eq(mk_heap_destroy(k, bp), 0);
    /* A re-created pid starts from zero. */
    ck_assert_int_eq(mk_proc_create(k, 5, NULL), 0);
    ck_assert_int_eq(mk_mem_usage(k, 5, &u, NULL), 0);
    ck_assert_uint_eq(u, 0);
    ck_assert_int_eq(mk_mem_violations(k, 5, &u), 0);
    ck_assert_uint_eq(u, 0);
    mk_destroy(k);
}
END_TEST

/* ---- caller-supplied region ---------------------------------------------- */

static _Alignas(64) unsigned char region[300 * 1024 + 64];

START_TEST(caller_region_holds_the_bytes)
{
    unsigned char *r = region + 3; /* deliberately misaligned */
    size_t rsize = 300 * 1024;
    memset(region, 0x5a, sizeof region);
    mk_config_t c;
    mk_config_init(&c);
    c.mem_region = r;
    c.mem_region_size = rsize;
    c.default_heap_size = 128 * 1024;
    mk_t *k;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).capacity, 128 * 1024);
    mk_block_t b = alloc_ok(k, 0, MK_HEAP_DEFAULT, 1000);
    void *p;
    ck_assert_int_eq(mk_mem_ptr(k, 0, b, &p), 0);
    ck_assert((unsigned char *)p >= r);
    ck_assert((unsigned char *)p < r + rsize);
    ck_assert_uint_eq((uint64_t)((unsigned char *)p - r), info(k, b).addr);
    ck_assert_uint_eq(((uintptr_t)p) % MK_MEM_ALIGN, 0);
    fill(k, 0, b, 1000, 3);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(((unsigned char *)p)[i], pat(3, (uint64_t)i));
    /* The rest of the region is there for heaps; nothing beyond it. */
    mk_heap_t h;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 200 * 1024, &h), MK_ENOMEM);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 160 * 1024, &h), 0);
    mk_block_t b2 = alloc_ok(k, 0, h, 160 * 1024 - 16);
    ck_assert_int_eq(mk_mem_ptr(k, 0, b2, &p), 0);
    ck_assert((unsigned char *)p + 160 * 1024 - 16 <= r + rsize);
    fill(k, 0, b2, 160 * 1024 - 16, 4);
    verify(k, 0, b, 1000, 3);
    ck_assert_int_eq(region[0], 0x5a); /* bytes before the region untouched */
    ck_assert_int_eq(region[sizeof region - 1], 0x5a);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- bad input on every call ---------------------------------------------- */

START_TEST(bad_input_on_every_call)
{
    mk_t *k = new_ctx(0);
    mk_heap_t h = 0;
    mk_block_t b = alloc_ok(k, 0, MK_HEAP_DEFAULT, 64);
    fill(k, 0, b, 64, 8);
    mk_heap_stats_t s = {.size = sizeof s};
    mk_block_info_t bi = {.size = sizeof bi};
    uint64_t u = 0;
    void *p = NULL;
    char buf[8];
    const mk_heap_t forged_h = ((uint64_t)1 << 56) | ((uint64_t)77 << 32) | 3;
    const mk_block_t forged_b = ((uint64_t)2 << 56) | ((uint64_t)77 << 32) | 0;

    /* NULL context. */
    ck_assert_int_eq(mk_heap_create(NULL, MK_HEAP_BUMP, 4096, &h), MK_EINVAL);
    ck_assert_int_eq(mk_heap_destroy(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_heap_reset(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_heap_set_fallback(NULL, 1, 0), MK_EINVAL);
    ck_assert_int_eq(mk_heap_stats(NULL, 0, &s), MK_EINVAL);
    ck_assert_int_eq(mk_mem_alloc(NULL, 0, 0, 8, &b), MK_EINVAL);
    ck_assert_int_eq(mk_mem_free(NULL, 0, b), MK_EINVAL);
    ck_assert_int_eq(mk_mem_read(NULL, 0, b, 0, buf, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_write(NULL, 0, b, 0, buf, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_ptr(NULL, 0, b, &p), MK_EINVAL);
    ck_assert_int_eq(mk_mem_info(NULL, b, &bi), MK_EINVAL);
    ck_assert_int_eq(mk_mem_share(NULL, 0, b, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_unshare(NULL, 0, b, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_set_quota(NULL, 1, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_usage(NULL, 0, &u, &u), MK_EINVAL);
    ck_assert_int_eq(mk_mem_check(NULL, 0, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_violations(NULL, 0, &u), MK_EINVAL);

    /* NULL out-parameters and invalid values. */
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 4096, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_heap_create(k, 0, 4096, &h), MK_EINVAL);
    ck_assert_int_eq(mk_heap_create(k, 4, 4096, &h), MK_EINVAL);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 0, &h), MK_EINVAL);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, MK_HEAP_MIN_SIZE - 1, &h), MK_ERANGE);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, UINT64_MAX, &h), MK_ENOMEM);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, MEM_SIZE, &h), MK_ENOMEM);
    ck_assert_uint_eq(h, 0);
    ck_assert_int_eq(mk_heap_stats(k, 0, NULL), MK_EINVAL);
    s.size = sizeof s - 1;
    ck_assert_int_eq(mk_heap_stats(k, 0, &s), MK_EINVAL);
    s.size = 0;
    ck_assert_int_eq(mk_heap_stats(k, 0, &s), MK_EINVAL);
    s.size = sizeof s;
    mk_block_t nb = 0;
    ck_assert_int_eq(mk_mem_alloc(k, 0, 0, 8, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mem_alloc(k, 0, 0, 0, &nb), MK_EINVAL);
    ck_assert_int_eq(mk_mem_read(k, 0, b, 0, NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_write(k, 0, b, 0, NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_mem_ptr(k, 0, b, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mem_info(k, b, NULL), MK_EINVAL);
    bi.size = 4;
    ck_assert_int_eq(mk_mem_info(k, b, &bi), MK_EINVAL);
    bi.size = sizeof bi;
    ck_assert_int_eq(mk_mem_violations(k, 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_mem_usage(k, 0, NULL, NULL), 0);

    /* Unknown pids. */
    ck_assert_int_eq(mk_mem_alloc(k, 42, 0, 8, &nb), MK_ENOENT);
    ck_assert_int_eq(mk_mem_free(k, 42, b), MK_ENOENT);
    ck_assert_int_eq(mk_mem_read(k, 42, b, 0, buf, 1), MK_ENOENT);
    ck_assert_int_eq(mk_mem_write(k, 42, b, 0, buf, 1), MK_ENOENT);
    ck_assert_int_eq(mk_mem_ptr(k, 42, b, &p), MK_ENOENT);
    ck_assert_int_eq(mk_mem_share(k, 42, b, 0), MK_ENOENT);
    ck_assert_int_eq(mk_mem_share(k, 0, b, 42), MK_ENOENT);
    ck_assert_int_eq(mk_mem_unshare(k, 42, b, 0), MK_ENOENT);
    ck_assert_int_eq(mk_mem_unshare(k, 0, b, 42), MK_ENOENT);
    ck_assert_int_eq(mk_mem_set_quota(k, 42, 1), MK_ENOENT);
    ck_assert_int_eq(mk_mem_usage(k, 42, &u, &u), MK_ENOENT);
    ck_assert_int_eq(mk_mem_check(k, 42, 1), MK_ENOENT);
    ck_assert_int_eq(mk_mem_violations(k, 42, &u), MK_ENOENT);
    ck_assert_int_eq(mk_mem_alloc(k, MK_PID_MAX + 1u, 0, 8, &nb), MK_ENOENT);

    /* Forged handles, and handles of the other kind. */
    ck_assert_int_eq(mk_heap_destroy(k, forged_h), MK_EBADH);
    ck_assert_int_eq(mk_heap_destroy(k, b), MK_EBADH);
    ck_assert_int_eq(mk_heap_reset(k, forged_h), MK_EBADH);
    ck_assert_int_eq(mk_heap_set_fallback(k, forged_h, 0), MK_EBADH);
    ck_assert_int_eq(mk_heap_set_fallback(k, 0, forged_h), MK_EBADH);
    ck_assert_int_eq(mk_heap_stats(k, forged_h, &s), MK_EBADH);
    ck_assert_int_eq(mk_heap_stats(k, UINT64_MAX, &s), MK_EBADH);
    ck_assert_int_eq(mk_mem_alloc(k, 0, forged_h, 8, &nb), MK_EBADH);
    ck_assert_int_eq(mk_mem_alloc(k, 0, b, 8, &nb), MK_EBADH);
    ck_assert_uint_eq(nb, 0);
    ck_assert_int_eq(mk_mem_free(k, 0, forged_b), MK_EBADH);
    ck_assert_int_eq(mk_mem_free(k, 0, 0), MK_EBADH);
    ck_assert_int_eq(mk_mem_free(k, 0, b ^ 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_read(k, 0, forged_b, 0, buf, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_write(k, 0, forged_b, 0, buf, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_ptr(k, 0, forged_b, &p), MK_EBADH);
    ck_assert_int_eq(mk_mem_info(k, forged_b, &bi), MK_EBADH);
    ck_assert_int_eq(mk_mem_share(k, 0, forged_b, 0), MK_EBADH);
    ck_assert_int_eq(mk_mem_unshare(k, 0, forged_b, 0), MK_EBADH);
    ck_assert_ptr_null(p);

    /* Nothing lost or corrupted. */
    verify(k, 0, b, 64, 8);
    mk_heap_stats_t s2 = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s2.live_blocks, 1);
    ck_assert_uint_eq(s2.used, fl_foot(64));
    ck_assert_int_eq(mk_mem_violations(k, 0, &u), 0);
    ck_assert_uint_eq(u, 0);

    /* Destroyed context. */
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 4096, &h), MK_EBADH);
    ck_assert_int_eq(mk_heap_destroy(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_heap_reset(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_heap_set_fallback(k, 1, 0), MK_EBADH);
    ck_assert_int_eq(mk_heap_stats(k, 0, &s), MK_EBADH);
    ck_assert_int_eq(mk_mem_alloc(k, 0, 0, 8, &nb), MK_EBADH);
    ck_assert_int_eq(mk_mem_free(k, 0, b), MK_EBADH);
    ck_assert_int_eq(mk_mem_read(k, 0, b, 0, buf, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_write(k, 0, b, 0, buf, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_ptr(k, 0, b, &p), MK_EBADH);
    ck_assert_int_eq(mk_mem_info(k, b, &bi), MK_EBADH);
    ck_assert_int_eq(mk_mem_share(k, 0, b, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_unshare(k, 0, b, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_set_quota(k, 1, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_usage(k, 0, &u, &u), MK_EBADH);
    ck_assert_int_eq(mk_mem_check(k, 0, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_violations(k, 0, &u), MK_EBADH);
}
END_TEST

START_TEST(create_refuses_bad_memory_config)
{
    mk_config_t c;
    mk_config_init(&c);
    c.mem_size = MEM_SIZE;
    c.default_heap_size = 100; /* below MK_HEAP_MIN_SIZE */
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
    ck_assert_ptr_null(k);
    /* Default heap may take the whole memory; then nothing is left. */
    c.default_heap_size = MEM_SIZE;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).capacity, MEM_SIZE);
    mk_heap_t h;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 4096, &h), MK_ENOMEM);
    mk_destroy(k);
}
END_TEST

/* ---- concurrency ------------------------------------------------------------ */

struct worker {
    mk_t *k;
    mk_pid_t pid;
    mk_heap_t heap;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    enum { N = 64 };
    mk_block_t bl[N] = {0};
    uint64_t n[N];
    unsigned seed = w->pid * 2654435761u;
    uint8_t buf[512], rb[512];
    for (int step = 0; step < 4000; step++) {
        int i = (int)(rand_r(&seed) % N);
        if (bl[i] != 0) {
            if (mk_mem_read(w->k, w->pid, bl[i], 0, rb, n[i]) != 0)
                w->failures++;
            for (uint64_t j = 0; j < n[i]; j++)
                if (rb[j] != (uint8_t)(bl[i] + j))
                    w->failures++;
            if (mk_mem_free(w->k, w->pid, bl[i]) != 0)
                w->failures++;
            bl[i] = 0;
        } else {
            n[i] = 1 + rand_r(&seed) % 512;
            mk_heap_t h = (step & 1) ? w->heap : MK_HEAP_DEFAULT;
            if (mk_mem_alloc(w->k, w->pid, h, n[i], &bl[i]) != 0) {
                bl[i] = 0;
                continue;
            }
            for (uint64_t j = 0; j < n[i]; j++)
                buf[j] = (uint8_t)(bl[i] + j);
            if (mk_mem_write(w->k, w->pid, bl[i], 0, buf, n[i]) != 0)
                w->failures++;
        }
    }
    /* Leave some blocks behind: process destruction must reclaim them. */
    return NULL;
}

START_TEST(threads_allocate_in_parallel)
{
    mk_t *k = new_ctx(0);
    enum { T = 6 };
    pthread_t th[T];
    struct worker w[T];
    uint32_t kinds[3] = {MK_HEAP_FREELIST, MK_HEAP_FIXED, MK_HEAP_BUMP};
    for (int i = 0; i < T; i++) {
        w[i] = (struct worker){k, (mk_pid_t)(i + 1), 0, 0};
        ck_assert_int_eq(mk_proc_create(k, w[i].pid, NULL), 0);
        ck_assert_int_eq(mk_heap_create(k, kinds[i % 3], 64 * 1024, &w[i].heap), 0);
    }
    for (int i = 0; i < T; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(w[i].failures, 0);
    }
    for (int i = 0; i < T; i++)
        ck_assert_int_eq(mk_proc_destroy(k, w[i].pid), 0);
    for (int i = 0; i < T; i++) {
        mk_heap_stats_t s = stats(k, w[i].heap);
        ck_assert_uint_eq(s.used, 0);
        ck_assert_uint_eq(s.live_blocks, 0);
        ck_assert_int_eq(mk_heap_destroy(k, w[i].heap), 0);
    }
    mk_heap_stats_t s = stats(k, MK_HEAP_DEFAULT);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.largest_free, DHEAP);
    ck_assert_uint_eq(s.allocs, s.frees);
    mk_destroy(k);
}
END_TEST

/* Large enough that a copy takes long enough to overlap a free and a
 * rewrite of the same address (the free-list heap reuses it at once). */
#define RACE_BYTES (64u * 1024)

struct racer {
    mk_t *k;
    mk_block_t *slot;
    int stop;
    int bad;
};

static void *reader_main(void *arg)
{
    struct racer *r = arg;
    uint8_t *buf = malloc(RACE_BYTES);
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        mk_block_t b = __atomic_load_n(r->slot, __ATOMIC_ACQUIRE);
        int rc = mk_mem_read(r->k, 0, b, 0, buf, RACE_BYTES);
        bool ok = rc == 0 || rc == MK_EBADH;
        for (size_t j = 1; rc == 0 && j < RACE_BYTES && ok; j++)
            ok = buf[j] == buf[0];
        if (!ok)
            __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
    }
    free(buf);
    return NULL;
}

START_TEST(read_racing_free_never_sees_reused_memory)
{
    mk_t *k = new_ctx(0);
    mk_block_t slot = alloc_ok(k, 0, MK_HEAP_DEFAULT, RACE_BYTES);
    static uint8_t buf[RACE_BYTES];
    memset(buf, 1, sizeof buf);
    ck_assert_int_eq(mk_mem_write(k, 0, slot, 0, buf, sizeof buf), 0);
    struct racer r = {k, &slot, 0, 0};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader_main, &r), 0);
    for (int i = 0; i < 3000; i++) {
        /* Each generation's block holds one uniform byte value. A read that
         * succeeded must see a uniform block, never a half-rewritten one
         * belonging to the next generation at the same address. */
        mk_block_t old = slot, nb;
        ck_assert_int_eq(mk_mem_free(k, 0, old), 0);
        ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, RACE_BYTES, &nb), 0);
        memset(buf, (uint8_t)(i + 2), sizeof buf);
        ck_assert_int_eq(mk_mem_write(k, 0, nb, 0, buf, sizeof buf), 0);
        __atomic_store_n(&slot, nb, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(r.bad, 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).live_blocks, 1);
    mk_destroy(k);
}
END_TEST

/* Block records are recycled from a slab and the last pid account looked
 * up is cached: a recycled record must never revive an old handle, and a
 * destroyed-then-recreated pid must get a fresh account, not the cached
 * one. */
START_TEST(recycled_records_and_recreated_pids_stay_apart)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 7, NULL), 0);
    enum { N = 700 }; /* more than one slab of records */
    static mk_block_t old[N], cur[N];
    for (int i = 0; i < N; i++)
        old[i] = alloc_ok(k, 7, MK_HEAP_DEFAULT, 16 + (uint64_t)i % 100);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(mk_mem_free(k, 7, old[i]), 0);
    for (int i = 0; i < N; i++) {
        cur[i] = alloc_ok(k, 7, MK_HEAP_DEFAULT, 24);
        fill(k, 7, cur[i], 24, (uint64_t)i);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_uint_ne(old[i], cur[i]);
        ck_assert_int_eq(mk_mem_free(k, 7, old[i]), MK_EBADH);
        uint8_t b[4];
        ck_assert_int_eq(mk_mem_read(k, 7, old[i], 0, b, sizeof b), MK_EBADH);
    }
    for (int i = 0; i < N; i++) {
        verify(k, 7, cur[i], 24, (uint64_t)i);
        ck_assert_uint_eq(info(k, cur[i]).bytes, 24);
    }
    uint64_t used = 1, quota = 1;
    ck_assert_int_eq(mk_mem_usage(k, 7, &used, &quota), 0);
    ck_assert_uint_eq(used, 24u * N);

    /* Destroy pid 7 while its account is the cached one, re-create it. */
    ck_assert_int_eq(mk_mem_set_quota(k, 7, 100000), 0);
    ck_assert_int_eq(mk_proc_destroy(k, 7), 0);
    ck_assert_int_eq(mk_mem_usage(k, 7, &used, &quota), MK_ENOENT);
    ck_assert_int_eq(mk_mem_free(k, 7, cur[0]), MK_ENOENT);
    ck_assert_int_eq(mk_proc_create(k, 7, NULL), 0);
    ck_assert_int_eq(mk_mem_usage(k, 7, &used, &quota), 0);
    ck_assert_uint_eq(used, 0);
    ck_assert_uint_eq(quota, 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(mk_mem_free(k, 7, cur[i]), MK_EBADH);
    mk_block_t b = alloc_ok(k, 7, MK_HEAP_DEFAULT, 40);
    ck_assert_int_eq(mk_mem_usage(k, 7, &used, NULL), 0);
    ck_assert_uint_eq(used, 40);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).live_blocks, 1);
    ck_assert_int_eq(mk_mem_free(k, 7, b), 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).live_blocks, 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, 0);
    mk_destroy(k);
}
END_TEST

/* ---- per-thread caches (magazines) ------------------------------------------
 * A block freed by the thread that allocated it is parked in that thread's
 * cache and handed out again by its next allocation of the same size bin;
 * quota is charged to the thread in batches (credit). None of it may show
 * through the API: handles stay generation-checked, every error code stays
 * the same, statistics, usage and quota decisions stay exact, and process
 * exit, heap reset/destroy, thread exit and mk_destroy take cached blocks
 * back. A "helper" thread runs steps on request, so each test decides
 * exactly what sits in which thread's cache. */

struct helper {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*step)(struct helper *);
    bool quit;
    mk_t *k;
    mk_pid_t pid;
    mk_heap_t heap, heap2;
    int n;
    mk_block_t b[64];
    uint64_t size[64];
    int rc[64];
};

static void *helper_main(void *arg)
{
    struct helper *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (h->step == NULL && !h->quit)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->step == NULL)
            break;
        void (*step)(struct helper *) = h->step;
        pthread_mutex_unlock(&h->mu);
        step(h);
        pthread_mutex_lock(&h->mu);
        h->step = NULL;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void helper_start(struct helper *h, mk_t *k, mk_pid_t pid)
{
    memset(h, 0, sizeof *h);
    h->k = k;
    h->pid = pid;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    ck_assert_int_eq(pthread_create(&h->th, NULL, helper_main, h), 0);
}

static void helper_run(struct helper *h, void (*step)(struct helper *))
{
    pthread_mutex_lock(&h->mu);
    h->step = step;
    pthread_cond_broadcast(&h->cv);
    while (h->step != NULL)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void helper_stop(struct helper *h)
{
    pthread_mutex_lock(&h->mu);
    h->quit = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

static uint64_t usage(mk_t *k, mk_pid_t pid)
{
    uint64_t used = 12345;
    ck_assert_int_eq(mk_mem_usage(k, pid, &used, NULL), 0);
    return used;
}

/* Helper steps: n blocks of size[i] on heap, written with a pattern. */
static void step_alloc(struct helper *h)
{
    for (int i = 0; i < h->n; i++) {
        h->rc[i] = mk_mem_alloc(h->k, h->pid, h->heap, h->size[i], &h->b[i]);
        if (h->rc[i] == 0) {
            uint8_t buf[512];
            for (uint64_t j = 0; j < h->size[i] && j < sizeof buf; j++)
                buf[j] = pat((uint64_t)i, j);
            h->rc[i] = mk_mem_write(h->k, h->pid, h->b[i], 0, buf, h->size[i]);
        }
    }
}

static void step_free(struct helper *h)
{
    for (int i = 0; i < h->n; i++)
        h->rc[i] = mk_mem_free(h->k, h->pid, h->b[i]);
}

/* Allocate and free each size twice: the blocks end up in the cache. */
static void step_churn(struct helper *h)
{
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < h->n; i++) {
            mk_block_t b;
            h->rc[i] = mk_mem_alloc(h->k, h->pid, h->heap, h->size[i], &b);
            if (h->rc[i] == 0)
                h->rc[i] = mk_mem_free(h->k, h->pid, b);
        }
}

static void expect_rcs(const struct helper *h, int rc)
{
    for (int i = 0; i < h->n; i++)
        ck_assert_int_eq(h->rc[i], rc);
}

START_TEST(cache_keeps_handles_generation_checked)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    mk_heap_t fx;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 65536, &fx), 0);
    mk_block_t b1 = alloc_ok(k, 1, fx, 100);
    uint64_t addr = info(k, b1).addr;
    ck_assert_int_eq(mk_mem_free(k, 1, b1), 0);
    ck_assert_int_eq(mk_mem_free(k, 1, b1), MK_EBADH);
    /* The cached block comes back for the same size class, under a new
     * handle; the old one stays dead for every call. */
    mk_block_t b2 = alloc_ok(k, 1, fx, 120);
    ck_assert_uint_ne(b2, b1);
    ck_assert_uint_eq(info(k, b2).addr, addr);
    ck_assert_uint_eq(info(k, b2).bytes, 120);
    uint8_t buf[120];
    mk_block_info_t bi = {sizeof bi, 0, 0, 0, 0, 0, 0};
    ck_assert_int_eq(mk_mem_free(k, 1, b1), MK_EBADH);
    ck_assert_int_eq(mk_mem_read(k, 1, b1, 0, buf, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_write(k, 1, b1, 0, buf, 1), MK_EBADH);
    ck_assert_int_eq(mk_mem_info(k, b1, &bi), MK_EBADH);
    ck_assert_int_eq(mk_mem_share(k, 1, b1, 2), MK_EBADH);
    fill(k, 1, b2, 120, 9);
    /* Another pid may neither free nor read it; that changes nothing. */
    uint64_t v0 = 0, v1 = 0;
    ck_assert_int_eq(mk_mem_violations(k, 2, &v0), 0);
    ck_assert_int_eq(mk_mem_free(k, 2, b2), MK_EPERM);
    ck_assert_int_eq(mk_mem_read(k, 2, b2, 0, buf, 1), MK_EPERM);
    ck_assert_int_eq(mk_mem_violations(k, 2, &v1), 0);
    ck_assert_uint_eq(v1, v0 + 1);
    ck_assert_int_eq(mk_mem_free(k, 99, b2), MK_ENOENT);
    ck_assert_int_eq(mk_mem_read(k, 1, b2, 100, buf, 21), MK_EFAULT);
    verify(k, 1, b2, 120, 9);
    ck_assert_uint_eq(usage(k, 1), 120);
    ck_assert_uint_eq(usage(k, 2), 0);
    /* A shared block leaves through the slow path and withdraws the share. */
    ck_assert_int_eq(mk_mem_share(k, 1, b2, 2), 0);
    ck_assert_int_eq(mk_mem_read(k, 2, b2, 0, buf, 120), 0);
    ck_assert_int_eq(mk_mem_free(k, 1, b2), 0);
    ck_assert_int_eq(mk_mem_free(k, 1, b2), MK_EBADH);
    ck_assert_int_eq(mk_mem_read(k, 2, b2, 0, buf, 1), MK_EBADH);
    ck_assert_uint_eq(usage(k, 1), 0);
    mk_heap_stats_t s = stats(k, fx);
    ck_assert_uint_eq(s.live_blocks, 0);
    ck_assert_uint_eq(s.allocs, 2);
    ck_assert_uint_eq(s.frees, 2);
    ck_assert_uint_eq(s.requested, 0);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.high_water, 128);
    ck_assert_int_eq(mk_heap_destroy(k, fx), 0);
    mk_destroy(k);
}
END_TEST

START_TEST(cache_cross_thread_free_and_read)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    mk_heap_t fx;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 256 * 1024, &fx), 0);
    mk_heap_t heaps[2] = {fx, MK_HEAP_DEFAULT};
    for (int hi = 0; hi < 2; hi++) {
        struct helper h;
        helper_start(&h, k, 1);
        h.heap = heaps[hi];
        h.n = 48;
        uint64_t total = 0;
        for (int i = 0; i < h.n; i++)
            total += h.size[i] = 16 + (uint64_t)i * 10;
        helper_run(&h, step_churn); /* the helper's cache holds blocks now */
        expect_rcs(&h, 0);
        helper_run(&h, step_alloc);
        expect_rcs(&h, 0);
        ck_assert_uint_eq(usage(k, 1), total);
        /* This thread reads every block and frees the even ones. */
        for (int i = 0; i < h.n; i++) {
            uint8_t buf[512];
            ck_assert_int_eq(mk_mem_read(k, 1, h.b[i], 0, buf, h.size[i]), 0);
            for (uint64_t j = 0; j < h.size[i]; j++)
                ck_assert_uint_eq(buf[j], pat((uint64_t)i, j));
        }
        for (int i = 0; i < h.n; i += 2) {
            ck_assert_int_eq(mk_mem_free(k, 1, h.b[i]), 0);
            ck_assert_int_eq(mk_mem_free(k, 1, h.b[i]), MK_EBADH);
            total -= h.size[i];
        }
        ck_assert_uint_eq(usage(k, 1), total);
        /* The helper frees the rest, then allocates again: reuse of what
         * this thread freed into its cache must not hand out a live block. */
        for (int i = 1; i < h.n; i += 2)
            h.b[i / 2] = h.b[i], h.size[i / 2] = h.size[i];
        h.n = 24;
        helper_run(&h, step_free);
        expect_rcs(&h, 0);
        ck_assert_uint_eq(usage(k, 1), 0);
        h.n = 48;
        for (int i = 0; i < h.n; i++)
            h.size[i] = 16 + (uint64_t)i * 10;
        helper_run(&h, step_alloc);
        expect_rcs(&h, 0);
        for (int i = 0; i < h.n; i++)
            for (int j = i + 1; j < h.n; j++) {
                mk_block_info_t a = info(k, h.b[i]), b = info(k, h.b[j]);
                ck_assert(a.addr + a.bytes <= b.addr || b.addr + b.bytes <= a.addr);
            }
        for (int i = 0; i < h.n; i++)
            ck_assert_int_eq(mk_mem_free(k, 1, h.b[i]), 0);
        ck_assert_uint_eq(usage(k, 1), 0);
        mk_heap_stats_t s = stats(k, heaps[hi]);
        ck_assert_uint_eq(s.live_blocks, 0);
        ck_assert_uint_eq(s.requested, 0);
        ck_assert_uint_eq(s.used, 0);
        ck_assert_uint_eq(s.allocs, s.frees);
        ck_assert_uint_eq(s.allocs, 48 * 2 + 48 + 48);
        helper_stop(&h);
    }
    ck_assert_int_eq(mk_heap_destroy(k, fx), 0);
    mk_destroy(k);
}
END_TEST

START_TEST(cache_exit_frees_blocks_cached_in_another_thread)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    mk_heap_t fx;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 65536, &fx), 0);
    struct helper h;
    helper_start(&h, k, 2);
    h.heap = fx;
    h.n = 10;
    for (int i = 0; i < h.n; i++)
        h.size[i] = 20 + (uint64_t)i * 30;
    helper_run(&h, step_churn);
    expect_rcs(&h, 0);
    helper_run(&h, step_alloc); /* 10 live blocks homed in the helper's cache */
    expect_rcs(&h, 0);
    mk_block_t mine = alloc_ok(k, 3, fx, 64); /* another pid's block survives */
    fill(k, 3, mine, 64, 5);
    ck_assert_uint_ne(usage(k, 2), 0);
    ck_assert_int_eq(mk_mem_share(k, 3, mine, 2), 0);
    ck_assert_int_eq(mk_proc_destroy(k, 2), 0);
    for (int i = 0; i < h.n; i++) {
        mk_block_info_t bi = {sizeof bi, 0, 0, 0, 0, 0, 0};
        ck_assert_int_eq(mk_mem_info(k, h.b[i], &bi), MK_EBADH);
    }
    mk_heap_stats_t s = stats(k, fx);
    ck_assert_uint_eq(s.live_blocks, 1);
    ck_assert_uint_eq(s.used, 64);
    ck_assert_uint_eq(info(k, mine).shares, 0);
    verify(k, 3, mine, 64, 5);
    /* The helper's cache no longer serves pid 2: every call says so. */
    helper_run(&h, step_free);
    expect_rcs(&h, MK_ENOENT);
    helper_run(&h, step_alloc);
    expect_rcs(&h, MK_ENOENT);
    /* A new pid 2 starts from zero, on the same cache. */
    ck_assert_int_eq(mk_proc_create(k, 2, NULL), 0);
    ck_assert_uint_eq(usage(k, 2), 0);
    helper_run(&h, step_alloc);
    expect_rcs(&h, 0);
    uint64_t total = 0;
    for (int i = 0; i < h.n; i++)
        total += h.size[i];
    ck_assert_uint_eq(usage(k, 2), total);
    ck_assert_int_eq(mk_proc_destroy(k, 2), 0);
    ck_assert_int_eq(mk_mem_free(k, 3, mine), 0);
    s = stats(k, fx);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.live_blocks, 0);
    ck_assert_uint_eq(s.requested, 0);
    ck_assert_int_eq(mk_heap_destroy(k, fx), 0);
    helper_stop(&h);
    mk_destroy(k);
}
END_TEST

static void step_alloc_on_heap2(struct helper *h)
{
    h->rc[0] = mk_mem_alloc(h->k, h->pid, h->heap2, 64, &h->b[0]);
}

START_TEST(cache_heap_reset_and_destroy_with_cached_blocks)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    mk_heap_t bp, fx;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 8192, &bp), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 65536, &fx), 0);
    mk_block_t first = alloc_ok(k, 1, bp, 64);
    uint64_t start = info(k, first).addr;
    ck_assert_int_eq(mk_mem_free(k, 1, first), 0);
    ck_assert_int_eq(mk_heap_reset(k, bp), 0);
    struct helper h;
    helper_start(&h, k, 1);
    h.n = 8;
    for (int i = 0; i < h.n; i++)
        h.size[i] = 64;
    h.heap = bp;
    helper_run(&h, step_alloc);
    expect_rcs(&h, 0);
    helper_run(&h, step_free); /* 8 blocks of 64 parked in the helper's cache */
    expect_rcs(&h, 0);
    h.heap = fx;
    helper_run(&h, step_churn);
    expect_rcs(&h, 0);
    /* Parked blocks are free: reset and destroy succeed, and the stats
     * look as if no cache existed. */
    mk_heap_stats_t s = stats(k, bp);
    ck_assert_uint_eq(s.used, 0); /* the bump heap's last block went back */
    ck_assert_uint_eq(s.live_blocks, 0);
    ck_assert_uint_eq(s.allocs, 9);
    ck_assert_uint_eq(s.frees, 9);
    ck_assert_int_eq(mk_heap_reset(k, bp), 0);
    ck_assert_int_eq(mk_heap_destroy(k, fx), 0);
    /* The helper's next calls see the destroyed heap and the reset one. */
    h.heap2 = fx;
    helper_run(&h, step_alloc_on_heap2);
    ck_assert_int_eq(h.rc[0], MK_EBADH);
    h.heap2 = bp;
    helper_run(&h, step_alloc_on_heap2);
    ck_assert_int_eq(h.rc[0], 0);
    ck_assert_uint_eq(info(k, h.b[0]).addr, start);
    mk_block_t b2 = alloc_ok(k, 1, bp, 64);
    ck_assert_uint_eq(info(k, b2).addr, start + 64);
    ck_assert_int_eq(mk_heap_reset(k, bp), MK_EBUSY);
    ck_assert_int_eq(mk_heap_destroy(k, bp), MK_EBUSY);
    ck_assert_int_eq(mk_mem_free(k, 1, b2), 0);
    h.n = 1;
    helper_run(&h, step_free);
    expect_rcs(&h, 0);
    ck_assert_int_eq(mk_heap_destroy(k, bp), 0);
    ck_assert_uint_eq(usage(k, 1), 0);
    helper_stop(&h);
    mk_destroy(k);
}
END_TEST

static void step_alloc_until_quota(struct helper *h)
{
    h->n = 0;
    int rc;
    mk_block_t b;
    while ((rc = mk_mem_alloc(h->k, h->pid, h->heap, 100, &b)) == 0)
        h->b[h->n++] = b;
    h->rc[0] = rc;
}

START_TEST(cache_quota_credit_is_exact)
{
    mk_t *k = new_ctx(1000);
    ck_assert_int_eq(mk_proc_create(k, 4, NULL), 0);
    struct helper h;
    helper_start(&h, k, 4);
    h.heap = MK_HEAP_DEFAULT;
    h.n = 1;
    h.size[0] = 100;
    helper_run(&h, step_alloc); /* the helper now holds credit for pid 4 */
    expect_rcs(&h, 0);
    mk_block_t hb = h.b[0];
    /* Usage and check are exact although credit sits in the helper. */
    ck_assert_uint_eq(usage(k, 4), 100);
    ck_assert_int_eq(mk_mem_check(k, 4, 900), 0);
    ck_assert_int_eq(mk_mem_check(k, 4, 901), MK_EQUOTA);
    /* This thread can use what the helper was holding. */
    mk_block_t mine[9];
    for (int i = 0; i < 9; i++)
        mine[i] = alloc_ok(k, 4, MK_HEAP_DEFAULT, 100);
    ck_assert_uint_eq(usage(k, 4), 1000);
    mk_block_t x = 7;
    ck_assert_int_eq(mk_mem_alloc(k, 4, MK_HEAP_DEFAULT, 1, &x), MK_EQUOTA);
    ck_assert_uint_eq(x, 7);
    helper_run(&h, step_alloc_until_quota);
    ck_assert_int_eq(h.rc[0], MK_EQUOTA);
    ck_assert_int_eq(h.n, 0);
    /* Freed in one thread, usable at once in the other, to the byte. */
    ck_assert_int_eq(mk_mem_free(k, 4, mine[0]), 0);
    ck_assert_int_eq(mk_mem_free(k, 4, mine[1]), 0);
    ck_assert_uint_eq(usage(k, 4), 800);
    helper_run(&h, step_alloc_until_quota);
    ck_assert_int_eq(h.rc[0], MK_EQUOTA);
    ck_assert_int_eq(h.n, 2);
    ck_assert_uint_eq(usage(k, 4), 1000);
    uint64_t v = 0;
    ck_assert_int_eq(mk_mem_violations(k, 4, &v), 0);
    ck_assert_uint_eq(v, 3);
    /* Lowering the quota below use: nothing more, even from freed bytes. */
    h.n = 2;
    helper_run(&h, step_free);
    expect_rcs(&h, 0);
    ck_assert_int_eq(mk_mem_set_quota(k, 4, 700), 0);
    helper_run(&h, step_alloc_until_quota);
    ck_assert_int_eq(h.n, 0);
    ck_assert_int_eq(mk_mem_free(k, 4, hb), 0);
    helper_run(&h, step_alloc_until_quota);
    ck_assert_int_eq(h.n, 0); /* 700 still live */
    ck_assert_int_eq(mk_mem_free(k, 4, mine[2]), 0);
    ck_assert_uint_eq(usage(k, 4), 600);
    helper_run(&h, step_alloc_until_quota);
    ck_assert_int_eq(h.n, 1);
    ck_assert_uint_eq(usage(k, 4), 700);
    ck_assert_int_eq(mk_proc_destroy(k, 4), 0);
    ck_assert_uint_eq(stats(k, MK_HEAP_DEFAULT).used, 0);
    helper_stop(&h);
    mk_destroy(k);
}
END_TEST

static void *one_shot(void *arg)
{
    struct helper *h = arg;
    step_churn(h);
    step_alloc(h);
    for (int i = 0; i < 5; i++) /* free 5 of 8: cached; 3 stay live */
        h->rc[i] = mk_mem_free(h->k, h->pid, h->b[i]);
    return NULL;
}

START_TEST(cache_thread_exit_returns_the_cache)
{
    mk_t *k = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    mk_heap_t fx;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 65536, &fx), 0);
    for (int round = 0; round < 20; round++) {
        struct helper h;
        memset(&h, 0, sizeof h);
        h.k = k;
        h.pid = 1;
        h.heap = fx;
        h.n = 8;
        for (int i = 0; i < h.n; i++)
            h.size[i] = 64;
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, one_shot, &h), 0);
        pthread_join(th, NULL);
        expect_rcs(&h, 0);
        /* The thread is gone: its parked blocks went back, its live ones
         * stay live and are now freed by this thread. */
        mk_heap_stats_t s = stats(k, fx);
        ck_assert_uint_eq(s.live_blocks, 3);
        ck_assert_uint_eq(s.used, 3 * 64);
        ck_assert_uint_eq(usage(k, 1), 3 * 64);
        ck_assert_int_eq(mk_heap_destroy(k, fx), MK_EBUSY);
        for (int i = 5; i < 8; i++) {
            verify(k, 1, h.b[i], 64, (uint64_t)i);
            ck_assert_int_eq(mk_mem_free(k, 1, h.b[i]), 0);
        }
        ck_assert_uint_eq(usage(k, 1), 0);
        ck_assert_uint_eq(stats(k, fx).used, 0);
    }
    ck_assert_int_eq(mk_heap_destroy(k, fx), 0);
    mk_destroy(k);
}
END_TEST

START_TEST(cache_several_contexts_and_destroy_with_caches_outstanding)
{
    mk_t *k1 = new_ctx(0), *k2 = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k1, 1, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k2, 1, NULL), 0);
    for (int i = 0; i < 100; i++) {
        mk_block_t a = alloc_ok(k1, 1, MK_HEAP_DEFAULT, 48);
        mk_block_t b = alloc_ok(k2, 1, MK_HEAP_DEFAULT, 48);
        fill(k1, 1, a, 48, 1);
        fill(k2, 1, b, 48, 2);
        verify(k1, 1, a, 48, 1);
        verify(k2, 1, b, 48, 2);
        ck_assert_int_eq(mk_mem_free(k1, 1, a), 0);
        ck_assert_int_eq(mk_mem_free(k2, 1, b), 0);
    }
    ck_assert_uint_eq(stats(k1, MK_HEAP_DEFAULT).allocs, 100);
    ck_assert_uint_eq(stats(k2, MK_HEAP_DEFAULT).allocs, 100);
    /* A helper holds live and parked blocks of k1 when k1 is destroyed;
     * the helper then works on k2 and exits (ASan checks for leaks). */
    struct helper h;
    helper_start(&h, k1, 1);
    h.heap = MK_HEAP_DEFAULT;
    h.n = 6;
    for (int i = 0; i < h.n; i++)
        h.size[i] = 32 + (uint64_t)i;
    helper_run(&h, step_churn);
    helper_run(&h, step_alloc);
    expect_rcs(&h, 0);
    mk_destroy(k1);
    mk_t *k3 = new_ctx(0);
    ck_assert_int_eq(mk_proc_create(k3, 1, NULL), 0);
    h.k = k3;
    helper_run(&h, step_alloc);
    expect_rcs(&h, 0);
    helper_run(&h, step_free);
    expect_rcs(&h, 0);
    h.k = k2;
    helper_run(&h, step_churn);
    expect_rcs(&h, 0);
    helper_stop(&h);
    ck_assert_uint_eq(stats(k3, MK_HEAP_DEFAULT).used, 0);
    ck_assert_uint_eq(stats(k2, MK_HEAP_DEFAULT).used, 0);
    ck_assert_uint_eq(usage(k2, 1), 0);
    mk_destroy(k3);
    /* And this thread's own cache of k2 is outstanding at its destroy. */
    mk_block_t a = alloc_ok(k2, 1, MK_HEAP_DEFAULT, 48);
    ck_assert_int_eq(mk_mem_free(k2, 1, a), 0);
    (void)alloc_ok(k2, 1, MK_HEAP_DEFAULT, 48);
    mk_destroy(k2);
}
END_TEST

static Suite *mem_suite(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("public");
    tcase_add_test(tc, default_heap_starts_empty);
    tcase_add_test(tc, freelist_split_and_coalesce_exact_stats);
    tcase_add_test(tc, freelist_fills_exactly_and_fails_cleanly);
    tcase_add_test(tc, bump_reuses_after_last_free_and_reset);
    tcase_add_test(tc, fixed_classes_slabs_and_fallback);
    tcase_add_test(tc, heap_create_first_fit_and_destroy);
    tcase_add_test(tc, random_allocs_keep_every_byte);
    tcase_add_test(tc, quota_limits_and_counts_violations);
    tcase_add_test(tc, out_of_bounds_is_efault_and_a_violation);
    tcase_add_test(tc, only_the_owner_frees);
    tcase_add_test(tc, sharing_grants_and_withdraws_access);
    tcase_add_test(tc, destroying_a_process_frees_everything);
    tcase_add_test(tc, caller_region_holds_the_bytes);
    tcase_add_test(tc, bad_input_on_every_call);
    tcase_add_test(tc, create_refuses_bad_memory_config);
    tcase_add_test(tc, threads_allocate_in_parallel);
    tcase_add_test(tc, read_racing_free_never_sees_reused_memory);
    tcase_add_test(tc, recycled_records_and_recreated_pids_stay_apart);
    tcase_add_test(tc, cache_keeps_handles_generation_checked);
    tcase_add_test(tc, cache_cross_thread_free_and_read);
    tcase_add_test(tc, cache_exit_frees_blocks_cached_in_another_thread);
    tcase_add_test(tc, cache_heap_reset_and_destroy_with_cached_blocks);
    tcase_add_test(tc, cache_quota_credit_is_exact);
    tcase_add_test(tc, cache_thread_exit_returns_the_cache);
    tcase_add_test(tc, cache_several_contexts_and_destroy_with_caches_outstanding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mem_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
