/*
 * test-core-internal.c - the core's internal building blocks: handle
 * tables (stale, forged and wrong-type handles), the u64 hash map with
 * backward-shift deletion, the name map and name validation, and the big
 * arrays under both (hugealloc.c): 2 MiB aligned mappings past the
 * threshold, growth across it, and the fallbacks (madvise refused: small
 * pages; mmap refused: MK_ENOMEM with the table left intact).
 */
#include "core/core.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

START_TEST(handles_detect_stale_and_forged)
{
    mk__htab_t t;
    mk__htab_init(&t, MK__H_BLOCK);
    int a = 1, b = 2;
    uint64_t ha, hb;
    ck_assert_int_eq(mk__htab_insert(&t, &a, &ha), 0);
    ck_assert_int_eq(mk__htab_insert(&t, &b, &hb), 0);
    ck_assert_uint_ne(ha, 0);
    ck_assert_ptr_eq(mk__htab_get(&t, ha), &a);
    ck_assert_ptr_eq(mk__htab_remove(&t, ha), &a);
    ck_assert_ptr_null(mk__htab_get(&t, ha));    /* stale */
    ck_assert_ptr_null(mk__htab_remove(&t, ha)); /* double free */
    uint64_t hc;
    ck_assert_int_eq(mk__htab_insert(&t, &a, &hc), 0);
    ck_assert_uint_ne(hc, ha); /* slot reused with a new generation */
    ck_assert_ptr_null(mk__htab_get(&t, ha));
    ck_assert_ptr_eq(mk__htab_get(&t, hc), &a);
    /* wrong type tag, out-of-range index, zero */
    uint64_t wrong = (hb & ~(0xffull << 56)) | ((uint64_t)MK__H_SEM << 56);
    ck_assert_ptr_null(mk__htab_get(&t, wrong));
    ck_assert_ptr_null(mk__htab_get(&t, hb | 0xffffff));
    ck_assert_ptr_null(mk__htab_get(&t, 0));
    ck_assert_ptr_eq(mk__htab_get(&t, hb), &b);
    mk__htab_fini(&t);
}
END_TEST

START_TEST(handles_grow_and_iterate)
{
    mk__htab_t t;
    mk__htab_init(&t, MK__H_FD);
    static int objs[1000];
    uint64_t h[1000];
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(mk__htab_insert(&t, &objs[i], &h[i]), 0);
    for (int i = 0; i < 1000; i += 2)
        ck_assert_ptr_eq(mk__htab_remove(&t, h[i]), &objs[i]);
    uint32_t cur = 0;
    uint64_t hh;
    int n = 0;
    int *o;
    while ((o = mk__htab_next(&t, &cur, &hh)) != NULL) {
        ck_assert_int_eq((int)(o - objs) % 2, 1);
        ck_assert_uint_eq(hh, h[o - objs]);
        n++;
    }
    ck_assert_int_eq(n, 500);
    ck_assert_uint_eq(t.count, 500);
    mk__htab_fini(&t);
}
END_TEST

START_TEST(hmap_insert_delete_many)
{
    mk__hmap_t m;
    mk__hmap_init(&m);
    static int v[5000];
    for (uint64_t i = 0; i < 5000; i++)
        ck_assert_int_eq(mk__hmap_put(&m, i * 7, &v[i]), 0);
    ck_assert_uint_eq(m.count, 5000);
    /* Delete every third and check all the others survive the shifts. */
    for (uint64_t i = 0; i < 5000; i += 3)
        ck_assert_ptr_eq(mk__hmap_del(&m, i * 7), &v[i]);
    for (uint64_t i = 0; i < 5000; i++) {
        if (i % 3 == 0)
            ck_assert_ptr_null(mk__hmap_get(&m, i * 7));
        else
            ck_assert_ptr_eq(mk__hmap_get(&m, i * 7), &v[i]);
    }
    ck_assert_ptr_null(mk__hmap_del(&m, 1)); /* absent */
    /* Replacing keeps the count. */
    size_t before = m.count;
    ck_assert_int_eq(mk__hmap_put(&m, 7, &v[0]), 0);
    ck_assert_uint_eq(m.count, before);
    ck_assert_ptr_eq(mk__hmap_get(&m, 7), &v[0]);
    mk__hmap_fini(&m);
}
END_TEST

START_TEST(nmap_names)
{
    mk__nmap_t m;
    mk__nmap_init(&m);
    int a, b;
    ck_assert_int_eq(mk__nmap_put(&m, "alpha", &a), 0);
    ck_assert_int_eq(mk__nmap_put(&m, "beta", &b), 0);
    ck_assert_int_eq(mk__nmap_put(&m, "alpha", &b), MK_EEXIST);
    ck_assert_ptr_eq(mk__nmap_get(&m, "alpha"), &a);
    ck_assert_ptr_null(mk__nmap_get(&m, "gamma"));
    ck_assert_ptr_eq(mk__nmap_del(&m, "alpha"), &a);
    ck_assert_ptr_null(mk__nmap_get(&m, "alpha"));
    ck_assert_ptr_eq(mk__nmap_get(&m, "beta"), &b);
    char longname[MK_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(mk__nmap_put(&m, longname, &a), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk__name_check(longname), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk__name_check(""), MK_EINVAL);
    ck_assert_int_eq(mk__name_check(NULL), MK_EINVAL);
    longname[MK_NAME_MAX] = '\0';
    ck_assert_int_eq(mk__name_check(longname), 0);
    mk__nmap_fini(&m);
}
END_TEST

/* Mappings made so far must all be accounted as advised or left small. */
static void check_huge_counters(uint64_t mapped_before, uint64_t expect_new)
{
    uint64_t mapped, advised, small;
    mk__huge_stats(&mapped, &advised, &small);
    ck_assert_uint_eq(mapped - mapped_before, expect_new);
    ck_assert_uint_eq(advised + small, mapped);
}

START_TEST(huge_alloc_grow_free)
{
    uint64_t m0, a0, s0;
    mk__huge_stats(&m0, &a0, &s0);
    /* Below the threshold: heap memory, zeroed. */
    uint8_t *p = mk__huge_alloc(1000);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(p[i], 0);
    check_huge_counters(m0, 0);
    memset(p, 0xab, 1000);
    /* Grow across the threshold: a 2 MiB aligned mapping, the old bytes
     * kept, the new ones zero. */
    uint8_t *q = mk__huge_grow(p, 1000, MK__HUGE_MIN);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq((uintptr_t)q % MK__HUGE_MIN, 0);
    check_huge_counters(m0, 1);
    for (size_t i = 0; i < 1000; i++)
        ck_assert_uint_eq(q[i], 0xab);
    for (size_t i = 1000; i < MK__HUGE_MIN; i += 4093)
        ck_assert_uint_eq(q[i], 0);
    ck_assert_uint_eq(q[MK__HUGE_MIN - 1], 0);
    q[MK__HUGE_MIN - 1] = 0xcd;
    /* Big to bigger (not a multiple of 2 MiB: rounded up inside). */
    size_t big = 2 * MK__HUGE_MIN + 12345;
    uint8_t *r = mk__huge_grow(q, MK__HUGE_MIN, big);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq((uintptr_t)r % MK__HUGE_MIN, 0);
    check_huge_counters(m0, 2);
    ck_assert_uint_eq(r[0], 0xab);
    ck_assert_uint_eq(r[MK__HUGE_MIN - 1], 0xcd);
    ck_assert_uint_eq(r[MK__HUGE_MIN], 0);
    ck_assert_uint_eq(r[big - 1], 0);
    r[big - 1] = 1;
    mk__huge_free(r, big);
    mk__huge_free(NULL, big); /* no-op */
    /* Small to small through grow, NULL grow = alloc. */
    uint8_t *t = mk__huge_grow(NULL, 0, 64);
    ck_assert_ptr_nonnull(t);
    t[0] = 7;
    uint8_t *u = mk__huge_grow(t, 64, 128);
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(u[0], 7);
    ck_assert_uint_eq(u[127], 0);
    mk__huge_free(u, 128);
    check_huge_counters(m0, 2);
}
END_TEST

START_TEST(huge_fallbacks)
{
    size_t old = mk__huge_set_min(4096);
    uint64_t m0, a0, s0;
    mk__huge_stats(&m0, &a0, &s0);
    /* madvise refused: the mapping is kept on small pages and works. */
    mk__huge_set_fail(1);
    uint8_t *p = mk__huge_alloc(8192);
    ck_assert_ptr_nonnull(p);
    uint64_t m1, a1, s1;
    mk__huge_stats(&m1, &a1, &s1);
    ck_assert_uint_eq(m1, m0 + 1);
    ck_assert_uint_eq(s1, s0 + 1);
    ck_assert_uint_eq(a1, a0);
    ck_assert_uint_eq(p[8191], 0);
    p[8191] = 9;
    /* mmap refused: NULL, and a failed grow leaves the old array alone. */
    mk__huge_set_fail(2);
    ck_assert_ptr_null(mk__huge_alloc(8192));
    ck_assert_ptr_null(mk__huge_grow(p, 8192, 16384));
    ck_assert_uint_eq(p[8191], 9);
    /* Below the threshold nothing is mapped, so nothing fails. */
    void *small = mk__huge_alloc(100);
    ck_assert_ptr_nonnull(small);
    mk__huge_free(small, 100);
    mk__huge_set_fail(0);
    uint8_t *q = mk__huge_grow(p, 8192, 16384);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(q[8191], 9);
    mk__huge_free(q, 16384);
    mk__huge_set_min(old);
}
END_TEST

/* A handle table grown past the real 2 MiB threshold (131072 slots): every
 * handle survives each growth copy, removal and reuse still bump
 * generations, iteration sees exactly the live ones. */
START_TEST(handles_grow_past_huge_threshold)
{
    enum { N = 140000 };
    mk__htab_t t;
    mk__htab_init(&t, MK__H_BLOCK);
    uint64_t *h = malloc(N * sizeof *h);
    char *objs = malloc(N);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(objs);
    uint64_t m0, a0, s0;
    mk__huge_stats(&m0, &a0, &s0);
    for (uint32_t i = 0; i < N; i++)
        ck_assert_int_eq(mk__htab_insert(&t, &objs[i], &h[i]), 0);
    ck_assert_uint_ge(t.cap, 262144u);
    ck_assert_uint_eq((uintptr_t)t.slots % MK__HUGE_MIN, 0);
    check_huge_counters(m0, 2); /* 131072 and 262144 slots */
    for (uint32_t i = 0; i < N; i++)
        ck_assert_ptr_eq(mk__htab_get(&t, h[i]), &objs[i]);
    for (uint32_t i = 0; i < N; i += 2)
        ck_assert_ptr_eq(mk__htab_remove(&t, h[i]), &objs[i]);
    ck_assert_uint_eq(t.count, N / 2);
    uint32_t cur = 0;
    uint64_t hh;
    char *o;
    uint32_t n = 0;
    while ((o = mk__htab_next(&t, &cur, &hh)) != NULL) {
        ck_assert_int_eq((int)((o - objs) % 2), 1);
        ck_assert_uint_eq(hh, h[o - objs]);
        n++;
    }
    ck_assert_uint_eq(n, N / 2);
    /* Reuse: new handles differ from the stale ones, which stay dead. */
    uint64_t again;
    ck_assert_int_eq(mk__htab_insert(&t, &objs[0], &again), 0);
    ck_assert_ptr_eq(mk__htab_get(&t, again), &objs[0]);
    for (uint32_t i = 0; i < N; i += 2) {
        ck_assert_uint_ne(again, h[i]);
        ck_assert_ptr_null(mk__htab_get(&t, h[i]));
    }
    mk__htab_fini(&t);
    free(h);
    free(objs);
}
END_TEST

/* Growth refused (mmap failure) at the threshold crossing: MK_ENOMEM and
 * the handle table and hash map exactly as before; then growth works. */
START_TEST(tables_enomem_at_huge_threshold)
{
    size_t old = mk__huge_set_min(4096); /* 256 slots / entries */
    static int objs[1024];
    mk__htab_t t;
    mk__htab_init(&t, MK__H_QUEUE);
    uint64_t h[1024];
    uint32_t i = 0;
    for (; i < 256; i++)
        ck_assert_int_eq(mk__htab_insert(&t, &objs[i], &h[i]), 0);
    ck_assert_uint_eq(t.cap, 256u);
    mk__hmap_t m;
    mk__hmap_init(&m);
    for (uint64_t k = 0; k < 128; k++) /* cap 256 holds 128 at load 1/2 */
        ck_assert_int_eq(mk__hmap_put(&m, k * 31, &objs[k]), 0);
    ck_assert_uint_eq(m.cap, 256u);
    mk__huge_set_fail(2);
    uint64_t hx = 0;
    ck_assert_int_eq(mk__htab_insert(&t, &objs[i], &hx), MK_ENOMEM);
    ck_assert_uint_eq(hx, 0); /* out-param untouched */
    ck_assert_uint_eq(t.count, 256u);
    ck_assert_uint_eq(t.cap, 256u);
    ck_assert_int_eq(mk__hmap_put(&m, 99999, &objs[0]), MK_ENOMEM);
    ck_assert_uint_eq(m.count, 128u);
    ck_assert_ptr_null(mk__hmap_get(&m, 99999));
    ck_assert_int_eq(mk__hmap_put(&m, 31, &objs[5]), 0); /* replace: no growth */
    ck_assert_ptr_eq(mk__hmap_get(&m, 31), &objs[5]);
    for (uint32_t j = 0; j < 256; j++)
        ck_assert_ptr_eq(mk__htab_get(&t, h[j]), &objs[j]);
    mk__huge_set_fail(1); /* madvise refused: small pages, still works */
    for (; i < 1024; i++)
        ck_assert_int_eq(mk__htab_insert(&t, &objs[i], &h[i]), 0);
    for (uint64_t k = 128; k < 1024; k++)
        ck_assert_int_eq(mk__hmap_put(&m, k * 31, &objs[k]), 0);
    mk__huge_set_fail(0);
    ck_assert_uint_eq((uintptr_t)t.slots % MK__HUGE_MIN, 0);
    ck_assert_uint_eq((uintptr_t)m.ents % MK__HUGE_MIN, 0);
    for (uint32_t j = 0; j < 1024; j++) {
        ck_assert_ptr_eq(mk__htab_get(&t, h[j]), &objs[j]);
        ck_assert_ptr_eq(mk__hmap_get(&m, (uint64_t)j * 31), j == 1 ? &objs[5] : &objs[j]);
    }
    mk__hmap_fini(&m);
    mk__htab_fini(&t);
    mk__huge_set_min(old);
}
END_TEST

/* A hash map past the real threshold (65537+ keys at load 1/2 means
 * 262144 entries, 4 MiB): deletions by backward shift and iteration. */
START_TEST(hmap_grow_past_huge_threshold)
{
    enum { N = 70000 };
    mk__hmap_t m;
    mk__hmap_init(&m);
    char *v = malloc(N);
    ck_assert_ptr_nonnull(v);
    for (uint64_t i = 0; i < N; i++)
        ck_assert_int_eq(mk__hmap_put(&m, i * 0x9e3779b97f4a7c15ull, &v[i]), 0);
    ck_assert_uint_eq(m.count, N);
    ck_assert_uint_ge(m.cap * sizeof *m.ents, MK__HUGE_MIN);
    ck_assert_uint_eq((uintptr_t)m.ents % MK__HUGE_MIN, 0);
    for (uint64_t i = 0; i < N; i += 3)
        ck_assert_ptr_eq(mk__hmap_del(&m, i * 0x9e3779b97f4a7c15ull), &v[i]);
    for (uint64_t i = 0; i < N; i++) {
        void *got = mk__hmap_get(&m, i * 0x9e3779b97f4a7c15ull);
        if (i % 3 == 0)
            ck_assert_ptr_null(got);
        else
            ck_assert_ptr_eq(got, &v[i]);
    }
    size_t cur = 0, n = 0;
    uint64_t key;
    char *o;
    while ((o = mk__hmap_next(&m, &cur, &key)) != NULL) {
        ck_assert_uint_eq(key, (uint64_t)(o - v) * 0x9e3779b97f4a7c15ull);
        ck_assert_int_ne((int)((o - v) % 3), 0);
        n++;
    }
    ck_assert_uint_eq(n, m.count);
    ck_assert_uint_eq(n, N - (N + 2) / 3);
    mk__hmap_fini(&m);
    ck_assert_ptr_null(m.ents);
    ck_assert_uint_eq(m.count, 0);
    free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core-internal");
    TCase *tc = tcase_create("internal");
    tcase_add_test(tc, handles_detect_stale_and_forged);
    tcase_add_test(tc, handles_grow_and_iterate);
    tcase_add_test(tc, hmap_insert_delete_many);
    tcase_add_test(tc, nmap_names);
    tcase_add_test(tc, huge_alloc_grow_free);
    tcase_add_test(tc, huge_fallbacks);
    tcase_add_test(tc, handles_grow_past_huge_threshold);
    tcase_add_test(tc, tables_enomem_at_huge_threshold);
    tcase_add_test(tc, hmap_grow_past_huge_threshold);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
