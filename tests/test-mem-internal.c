/*
 * test-mem-internal.c - the mem module's internals: the TLSF size mapping,
 * full structural checks of every heap kind after every operation, proof
 * that the checker notices corruption, the "fits iff largest_free is big
 * enough" property of the free-list heap, and the violation notifier.
 */
#include "mem/heap.h"

#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static mk_t *new_ctx(void)
{
    mk_config_t c;
    mk_config_init(&c);
    c.mem_size = 1u << 20;
    c.default_heap_size = 256u << 10;
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    return k;
}

static mk_heap_stats_t stats(mk_t *k, mk_heap_t h)
{
    mk_heap_stats_t s = {.size = sizeof s};
    ck_assert_int_eq(mk_heap_stats(k, h, &s), 0);
    return s;
}

START_TEST(tlsf_mapping_is_monotone_and_in_range)
{
    uint32_t pfl = 0, psl = 0;
    for (uint64_t size = MK__TLSF_MIN_BLOCK; size < ((uint64_t)1 << 22); size += 16) {
        uint32_t fl, sl;
        mk__tlsf_mapping(size, &fl, &sl);
        ck_assert_uint_lt(fl, MK__TLSF_FL_COUNT);
        ck_assert_uint_lt(sl, MK__TLSF_SL_COUNT);
        /* Lists are ordered by size: (fl, sl) never goes backwards. */
        ck_assert(fl > pfl || (fl == pfl && sl >= psl));
        pfl = fl;
        psl = sl;
    }
    for (int bit = 22; bit <= 40; bit++) {
        uint32_t fl, sl;
        mk__tlsf_mapping(((uint64_t)1 << bit) - 16, &fl, &sl);
        ck_assert_uint_lt(fl, MK__TLSF_FL_COUNT);
        mk__tlsf_mapping((uint64_t)1 << bit, &fl, &sl);
        ck_assert_uint_lt(fl, MK__TLSF_FL_COUNT);
        ck_assert_uint_eq(sl, 0);
    }
    uint32_t fl, sl;
    mk__tlsf_mapping(32, &fl, &sl);
    ck_assert_uint_eq(fl, 0);
    ck_assert_uint_eq(sl, 2);
    mk__tlsf_mapping(MK__TLSF_SMALL, &fl, &sl);
    ck_assert_uint_eq(fl, 1);
    ck_assert_uint_eq(sl, 0);
}
END_TEST

static void churn(mk_t *k, mk_heap_t h, int steps, unsigned seed, uint64_t maxsz)
{
    enum { N = 128 };
    mk_block_t bl[N] = {0};
    for (int step = 0; step < steps; step++) {
        int i = (int)(rand_r(&seed) % N);
        if (bl[i] != 0) {
            ck_assert_int_eq(mk_mem_free(k, 0, bl[i]), 0);
            bl[i] = 0;
        } else {
            uint64_t n = 1 + rand_r(&seed) % maxsz;
            int rc = mk_mem_alloc(k, 0, h, n, &bl[i]);
            ck_assert(rc == 0 || rc == MK_ENOMEM);
            if (rc != 0)
                bl[i] = 0;
        }
        ck_assert_int_eq(mk__heap_check(k, h), 0);
        if (h != MK_HEAP_DEFAULT)
            ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), 0);
    }
    for (int i = 0; i < N; i++)
        if (bl[i] != 0)
            ck_assert_int_eq(mk_mem_free(k, 0, bl[i]), 0);
    ck_assert_int_eq(mk__heap_check(k, h), 0);
    ck_assert_uint_eq(stats(k, h).used, 0);
}

START_TEST(every_kind_stays_consistent_after_every_op)
{
    mk_t *k = new_ctx();
    mk_heap_t fl, fx, bp;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FREELIST, 32768, &fl), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 32768, &fx), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 32768, &bp), 0);
    churn(k, MK_HEAP_DEFAULT, 3000, 1, 5000);
    churn(k, fl, 3000, 2, 1500);   /* small heap: runs full often */
    churn(k, fx, 3000, 3, 3000);   /* some requests fall back */
    churn(k, bp, 3000, 4, 700);
    ck_assert_int_eq(mk__heap_check(k, 0x0100000500000009ull), MK_EBADH);
    mk_destroy(k);
}
END_TEST

START_TEST(checker_notices_a_broken_boundary_tag)
{
    mk_t *k = new_ctx();
    mk_block_t a, b;
    ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, 64, &a), 0);
    ck_assert_int_eq(mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, 64, &b), 0);
    ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), 0);
    void *p;
    ck_assert_int_eq(mk_mem_ptr(k, 0, b, &p), 0);
    uint64_t saved;
    uint8_t *tag = (uint8_t *)p - 8; /* size|flags word of b's header */
    memcpy(&saved, tag, 8);
    uint64_t bad = saved + 16;
    memcpy(tag, &bad, 8);
    ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), MK_ECORRUPT);
    bad = saved | 1; /* claims to be free but is on no list */
    memcpy(tag, &bad, 8);
    ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), MK_ECORRUPT);
    memcpy(tag, &saved, 8);
    ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), 0);
    ck_assert_int_eq(mk_mem_free(k, 0, a), 0);
    ck_assert_int_eq(mk_mem_free(k, 0, b), 0);
    ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), 0);
    mk_destroy(k);
}
END_TEST

/* With the list scan on the fallback path, a free-list allocation fails
 * exactly when no free block is large enough. */
START_TEST(freelist_succeeds_iff_largest_free_fits)
{
    mk_t *k = new_ctx();
    enum { N = 256 };
    mk_block_t bl[N] = {0};
    unsigned seed = 99;
    int fails = 0;
    for (int step = 0; step < 20000; step++) {
        int i = (int)(rand_r(&seed) % N);
        if (bl[i] != 0) {
            ck_assert_int_eq(mk_mem_free(k, 0, bl[i]), 0);
            bl[i] = 0;
            continue;
        }
        uint64_t n = 1 + rand_r(&seed) % 8000;
        uint64_t need = ((n + 15) & ~(uint64_t)15) + 16;
        if (need < 32)
            need = 32;
        bool fits = stats(k, MK_HEAP_DEFAULT).largest_free >= need;
        int rc = mk_mem_alloc(k, 0, MK_HEAP_DEFAULT, n, &bl[i]);
        ck_assert_int_eq(rc, fits ? 0 : MK_ENOMEM);
        if (rc != 0) {
            bl[i] = 0;
            fails++;
        }
    }
    ck_assert_int_gt(fails, 0); /* the heap did run full */
    ck_assert_int_eq(mk__heap_check(k, MK_HEAP_DEFAULT), 0);
    mk_destroy(k);
}
END_TEST

struct seen {
    int calls;
    mk_pid_t pid;
    int code;
};

static void on_violation(mk_t *k, mk_pid_t pid, int code, void *arg)
{
    (void)k;
    struct seen *s = arg;
    s->calls++;
    s->pid = pid;
    s->code = code;
}

/* A fixed heap keeps one emptied frame per class as a spare; the spare is
 * still free memory: another class takes it when no other frame is left,
 * and the checker accounts for it. */
START_TEST(fixed_spare_frame_is_reused_by_any_class)
{
    mk_t *k = new_ctx();
    mk_heap_t h;
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 2 * MK_HEAP_FIXED_SLAB, &h), 0);
    mk_block_t a, b[3];
    /* Class 16: takes frame 0; freeing its only block leaves it spare. */
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(mk_mem_alloc(k, 0, h, 16, &a), 0);
        ck_assert_int_eq(mk__heap_check(k, h), 0);
        ck_assert_int_eq(mk_mem_free(k, 0, a), 0);
        ck_assert_int_eq(mk__heap_check(k, h), 0);
    }
    mk_heap_stats_t st = stats(k, h);
    ck_assert_uint_eq(st.used, 0);
    ck_assert_uint_eq(st.largest_free, 2 * MK_HEAP_FIXED_SLAB);
    /* Class 2048: two per frame. The fresh frame 1 holds two; the third
     * must take class 16's spare frame, the only memory left. */
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mk_mem_alloc(k, 0, h, 2048, &b[i]), 0);
        ck_assert_int_eq(mk__heap_check(k, h), 0);
    }
    ck_assert_int_eq(mk_mem_alloc(k, 0, h, 16, &a), MK_ENOMEM);
    st = stats(k, h);
    ck_assert_uint_eq(st.used, 3 * 2048);
    ck_assert_uint_eq(st.live_blocks, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(mk_mem_free(k, 0, b[i]), 0);
        ck_assert_int_eq(mk__heap_check(k, h), 0);
    }
    st = stats(k, h);
    ck_assert_uint_eq(st.used, 0);
    ck_assert_uint_eq(st.largest_free, 2 * MK_HEAP_FIXED_SLAB);
    /* Both frames are free again (one spare, one pooled): two classes
     * can each take a whole frame. */
    ck_assert_int_eq(mk_mem_alloc(k, 0, h, 1024, &b[0]), 0);
    ck_assert_int_eq(mk_mem_alloc(k, 0, h, 64, &b[1]), 0);
    ck_assert_int_eq(mk__heap_check(k, h), 0);
    ck_assert_int_eq(mk_mem_free(k, 0, b[0]), 0);
    ck_assert_int_eq(mk_mem_free(k, 0, b[1]), 0);
    ck_assert_int_eq(mk__heap_check(k, h), 0);
    ck_assert_int_eq(mk_heap_destroy(k, h), 0);
    mk_destroy(k);
}
END_TEST

START_TEST(violation_notifier_is_called)
{
    mk_t *k = new_ctx();
    struct seen s = {0, 0, 0};
    mk__mem_set_violation_hook(k, on_violation, &s);
    ck_assert_int_eq(mk_proc_create(k, 4, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 5, NULL), 0);
    ck_assert_int_eq(mk_mem_set_quota(k, 4, 100), 0);
    mk_block_t b;
    ck_assert_int_eq(mk_mem_alloc(k, 4, MK_HEAP_DEFAULT, 101, &b), MK_EQUOTA);
    ck_assert_int_eq(s.calls, 1);
    ck_assert_uint_eq(s.pid, 4);
    ck_assert_int_eq(s.code, MK_EQUOTA);
    ck_assert_int_eq(mk_mem_alloc(k, 4, MK_HEAP_DEFAULT, 100, &b), 0);
    char c;
    ck_assert_int_eq(mk_mem_read(k, 4, b, 100, &c, 1), MK_EFAULT);
    ck_assert_int_eq(s.code, MK_EFAULT);
    ck_assert_int_eq(mk_mem_read(k, 5, b, 0, &c, 1), MK_EPERM);
    ck_assert_int_eq(s.calls, 3);
    ck_assert_uint_eq(s.pid, 5);
    ck_assert_int_eq(s.code, MK_EPERM);
    /* Errors that are not violations do not notify. */
    ck_assert_int_eq(mk_mem_free(k, 5, b), MK_EPERM);
    ck_assert_int_eq(mk_mem_read(k, 4, b ^ 0x100000000ull, 0, &c, 1), MK_EBADH);
    ck_assert_int_eq(s.calls, 3);
    mk__mem_set_violation_hook(k, NULL, NULL);
    ck_assert_int_eq(mk_mem_read(k, 4, b, 100, &c, 1), MK_EFAULT);
    ck_assert_int_eq(s.calls, 3);
    uint64_t v;
    ck_assert_int_eq(mk_mem_violations(k, 4, &v), 0);
    ck_assert_uint_eq(v, 3);
    mk_destroy(k);
}
END_TEST

/* Thread caches, seen from inside: blocks parked in two threads' caches
 * are carved from the heap but free for the API; the structural check
 * (which first returns every cached block) finds each heap consistent,
 * with live == carved, and the slot table hands a freed slot out again
 * only under a new generation. */
struct cache_arg {
    mk_t *k;
    mk_heap_t h[3];
    int bad;
};

static void *cache_thread(void *p)
{
    struct cache_arg *a = p;
    for (int r = 0; r < 3; r++)
        for (int hi = 0; hi < 3; hi++)
            for (uint64_t n = 16; n <= 600; n += 24) {
                mk_block_t b;
                if (mk_mem_alloc(a->k, 0, a->h[hi], n, &b) != 0 ||
                    mk_mem_free(a->k, 0, b) != 0)
                    a->bad++;
            }
    return NULL;
}

START_TEST(caches_keep_every_heap_consistent)
{
    mk_t *k = new_ctx();
    struct cache_arg a = {k, {MK_HEAP_DEFAULT, 0, 0}, 0};
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_FIXED, 65536, &a.h[1]), 0);
    ck_assert_int_eq(mk_heap_create(k, MK_HEAP_BUMP, 65536, &a.h[2]), 0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, cache_thread, &a), 0);
    cache_thread(&a); /* this thread's cache too */
    pthread_join(th, NULL);
    ck_assert_int_eq(a.bad, 0);
    /* A live block of this thread and parked blocks of this thread. */
    mk_block_t keep;
    ck_assert_int_eq(mk_mem_alloc(k, 0, a.h[1], 100, &keep), 0);
    struct mk__mem *m = k->mem;
    struct mk__mblk *slot = mk__slot_of(m, keep);
    ck_assert_ptr_nonnull(slot);
    ck_assert_ptr_eq(mk__slot_of(m, keep ^ ((uint64_t)1 << 40)), slot); /* gen is not the index */
    ck_assert_ptr_null(mk__slot_of(m, (keep & ~(uint64_t)0xffffffffu) | 0x0fffffffu));
    ck_assert_ptr_null(mk__slot_of(m, keep & 0x00ffffffffffffffull)); /* no type tag */
    for (int hi = 0; hi < 3; hi++) {
        ck_assert_int_eq(mk__heap_check(k, a.h[hi]), 0);
        mk_heap_stats_t s = stats(k, a.h[hi]);
        ck_assert_uint_eq(s.live_blocks, hi == 1 ? 1 : 0);
        ck_assert_uint_eq(s.allocs, s.frees + s.live_blocks);
    }
    ck_assert_int_eq(mk_mem_free(k, 0, keep), 0);
    mk_block_t again;
    ck_assert_int_eq(mk_mem_alloc(k, 0, a.h[1], 100, &again), 0);
    ck_assert_ptr_eq(mk__slot_of(m, again), slot); /* same slot, parked and reused */
    ck_assert_uint_ne(again, keep);
    ck_assert_uint_eq((uint32_t)again, (uint32_t)keep);
    ck_assert_int_eq(mk_mem_free(k, 0, keep), MK_EBADH);
    ck_assert_int_eq(mk_mem_free(k, 0, again), 0);
    ck_assert_int_eq(mk__heap_check(k, a.h[1]), 0);
    ck_assert_int_eq(mk_heap_destroy(k, a.h[1]), 0);
    ck_assert_int_eq(mk_heap_destroy(k, a.h[2]), 0);
    mk_destroy(k);
}
END_TEST

/* The internal over-charge that quota credit causes stays within its
 * documented bound: per thread serving the pid, at most MK__CREDIT plus
 * one request (512 bytes on the cached path) above the exact use, never
 * above the quota, and zero once mk_mem_usage-style reclaim runs. */
static void *credit_thread(void *p)
{
    struct cache_arg *a = p;
    mk_block_t b;
    for (int i = 0; i < 5; i++)
        if (mk_mem_alloc(a->k, 1, MK_HEAP_DEFAULT, 100, &b) != 0)
            a->bad++;
    return NULL;
}

START_TEST(quota_credit_overcharge_is_bounded)
{
    for (int quota = 0; quota < 2; quota++) {
        mk_t *k = new_ctx();
        ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
        if (quota)
            ck_assert_int_eq(mk_mem_set_quota(k, 1, 20000), 0);
        struct cache_arg a = {k, {0, 0, 0}, 0};
        pthread_t th[3];
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL, credit_thread, &a), 0);
        for (int i = 0; i < 3; i++)
            pthread_join(th[i], NULL);
        credit_thread(&a); /* this thread holds credit now */
        ck_assert_int_eq(a.bad, 0);
        struct mk__mem *m = k->mem;
        pthread_mutex_lock(&m->lock);
        struct mk__mpid *r = mk__pid_get(m, 1);
        uint64_t exact = mk__acct_exact(m, r, NULL, false);
        uint64_t charged = r->used;
        pthread_mutex_unlock(&m->lock);
        ck_assert_uint_eq(exact, 4 * 5 * 100);
        /* The exited threads gave their credit back: only this one holds. */
        ck_assert_uint_le(charged - exact, MK__CREDIT + MK__BIN_MAXSIZE);
        ck_assert_uint_gt(charged, exact);
        if (quota)
            ck_assert_uint_le(charged, 20000);
        uint64_t used = 0;
        ck_assert_int_eq(mk_mem_usage(k, 1, &used, NULL), 0);
        ck_assert_uint_eq(used, exact);
        ck_assert_int_eq(mk_mem_set_quota(k, 1, 100000), 0); /* reclaims */
        pthread_mutex_lock(&m->lock);
        ck_assert_uint_eq(r->used, exact);
        pthread_mutex_unlock(&m->lock);
        mk_destroy(k);
    }
}
END_TEST

static Suite *mem_internal_suite(void)
{
    Suite *s = suite_create("mem-internal");
    TCase *tc = tcase_create("internal");
    tcase_add_test(tc, tlsf_mapping_is_monotone_and_in_range);
    tcase_add_test(tc, every_kind_stays_consistent_after_every_op);
    tcase_add_test(tc, checker_notices_a_broken_boundary_tag);
    tcase_add_test(tc, freelist_succeeds_iff_largest_free_fits);
    tcase_add_test(tc, violation_notifier_is_called);
    tcase_add_test(tc, fixed_spare_frame_is_reused_by_any_class);
    tcase_add_test(tc, caches_keep_every_heap_consistent);
    tcase_add_test(tc, quota_credit_overcharge_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mem_internal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
