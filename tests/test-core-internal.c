/*
 * test-core-internal.c - the core's internal building blocks: handle
 * tables (stale, forged and wrong-type handles), the u64 hash map with
 * backward-shift deletion, the name map and name validation.
 */
#include "core/core.h"

#include <check.h>
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

int main(void)
{
    Suite *s = suite_create("core-internal");
    TCase *tc = tcase_create("internal");
    tcase_add_test(tc, handles_detect_stale_and_forged);
    tcase_add_test(tc, handles_grow_and_iterate);
    tcase_add_test(tc, hmap_insert_delete_many);
    tcase_add_test(tc, nmap_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
