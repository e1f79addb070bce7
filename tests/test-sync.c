/*
 * test-sync.c - public API of counting semaphores: create/open/delete,
 * counting, the maximum, timeouts, and bad input on every call (NULL and
 * destroyed contexts, stale and forged handles, names, ranges), checking
 * after each refusal that the count did not change. Blocking across
 * threads is in test-threads.c.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mk_t *new_kernel(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    ck_assert_ptr_nonnull(k);
    return k;
}

static uint32_t value(mk_t *k, mk_sem_t s)
{
    uint32_t v = 0xdeadbeefu;
    ck_assert_int_eq(mk_sem_value(k, s, &v), 0);
    return v;
}

START_TEST(create_open_and_count)
{
    mk_t *k = new_kernel();
    mk_sem_t s = 0, s2 = 0;
    ck_assert_int_eq(mk_sem_create(k, "slots", 2, 0, &s), 0);
    ck_assert_uint_ne(s, 0);
    ck_assert_int_eq(mk_sem_open(k, "slots", &s2), 0);
    ck_assert_uint_eq(s2, s);
    ck_assert_uint_eq(value(k, s), 2);
    ck_assert_int_eq(mk_sem_trywait(k, s), 0);
    ck_assert_int_eq(mk_sem_wait(k, s, MK_FOREVER), 0);
    ck_assert_uint_eq(value(k, s), 0);
    ck_assert_int_eq(mk_sem_trywait(k, s), MK_EAGAIN);
    ck_assert_int_eq(mk_sem_wait(k, s, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_uint_eq(value(k, s), 0);
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_uint_eq(value(k, s), 1);
    ck_assert_int_eq(mk_sem_wait(k, s, 10), 0);
    ck_assert_uint_eq(value(k, s), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(wait_times_out_at_zero)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "z", 0, 0, &s), 0);
    ck_assert_int_eq(mk_sem_wait(k, s, 3), MK_ETIMEDOUT);
    ck_assert_uint_eq(value(k, s), 0);
    /* A timed-out waiter left the queue: the next post raises the count. */
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_uint_eq(value(k, s), 1);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(maximum_is_enforced)
{
    mk_t *k = new_kernel();
    mk_sem_t s, b, big;
    ck_assert_int_eq(mk_sem_create(k, "s", 1, 3, &s), 0);
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_int_eq(mk_sem_post(k, s), MK_ERANGE);
    ck_assert_uint_eq(value(k, s), 3);
    ck_assert_int_eq(mk_sem_trywait(k, s), 0);
    ck_assert_int_eq(mk_sem_post(k, s), 0);
    ck_assert_uint_eq(value(k, s), 3);
    /* Binary semaphore. */
    ck_assert_int_eq(mk_sem_create(k, "b", 1, 1, &b), 0);
    ck_assert_int_eq(mk_sem_post(k, b), MK_ERANGE);
    ck_assert_uint_eq(value(k, b), 1);
    /* max 0 means UINT32_MAX. */
    ck_assert_int_eq(mk_sem_create(k, "big", UINT32_MAX - 1, 0, &big), 0);
    ck_assert_int_eq(mk_sem_post(k, big), 0);
    ck_assert_uint_eq(value(k, big), UINT32_MAX);
    ck_assert_int_eq(mk_sem_post(k, big), MK_ERANGE);
    ck_assert_uint_eq(value(k, big), UINT32_MAX);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(create_checks_range_and_names)
{
    mk_t *k = new_kernel();
    mk_sem_t s = 7;
    ck_assert_int_eq(mk_sem_create(k, "r", 4, 3, &s), MK_ERANGE);
    ck_assert_int_eq(mk_sem_create(k, "r", 2, 1, &s), MK_ERANGE);
    ck_assert_int_eq(mk_sem_create(k, NULL, 0, 0, &s), MK_EINVAL);
    ck_assert_int_eq(mk_sem_create(k, "", 0, 0, &s), MK_EINVAL);
    ck_assert_int_eq(mk_sem_create(k, "r", 0, 0, NULL), MK_EINVAL);
    char name[MK_NAME_MAX + 2];
    memset(name, 's', sizeof name);
    name[MK_NAME_MAX + 1] = '\0';
    ck_assert_int_eq(mk_sem_create(k, name, 0, 0, &s), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_sem_open(k, name, &s), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_sem_open(k, NULL, &s), MK_EINVAL);
    ck_assert_int_eq(mk_sem_open(k, "", &s), MK_EINVAL);
    ck_assert_int_eq(mk_sem_open(k, "r", NULL), MK_EINVAL);
    ck_assert_int_eq(mk_sem_open(k, "r", &s), MK_ENOENT); /* failures left nothing */
    ck_assert_uint_eq(s, 7);
    name[MK_NAME_MAX] = '\0';
    ck_assert_int_eq(mk_sem_create(k, name, 5, 5, &s), 0);
    mk_sem_t dup = 9;
    ck_assert_int_eq(mk_sem_create(k, name, 0, 0, &dup), MK_EEXIST);
    ck_assert_uint_eq(dup, 9);
    ck_assert_uint_eq(value(k, s), 5); /* the existing one is untouched */
    ck_assert_int_eq(mk_sem_open(k, name, &dup), 0);
    ck_assert_uint_eq(dup, s);
    ck_assert_int_eq(mk_sem_value(k, s, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(delete_makes_handle_stale)
{
    mk_t *k = new_kernel();
    mk_sem_t s, again, other;
    ck_assert_int_eq(mk_sem_create(k, "d", 1, 0, &s), 0);
    ck_assert_int_eq(mk_sem_create(k, "other", 2, 0, &other), 0);
    ck_assert_int_eq(mk_sem_delete(k, s), 0);
    uint32_t v = 11;
    ck_assert_int_eq(mk_sem_delete(k, s), MK_EBADH);
    ck_assert_int_eq(mk_sem_trywait(k, s), MK_EBADH);
    ck_assert_int_eq(mk_sem_wait(k, s, MK_FOREVER), MK_EBADH);
    ck_assert_int_eq(mk_sem_post(k, s), MK_EBADH);
    ck_assert_int_eq(mk_sem_value(k, s, &v), MK_EBADH);
    ck_assert_uint_eq(v, 11);
    ck_assert_int_eq(mk_sem_open(k, "d", &again), MK_ENOENT);
    ck_assert_int_eq(mk_sem_create(k, "d", 0, 0, &again), 0);
    ck_assert_uint_ne(again, s);
    ck_assert_int_eq(mk_sem_post(k, s), MK_EBADH); /* even with the slot reused */
    ck_assert_uint_eq(value(k, again), 0);
    ck_assert_uint_eq(value(k, other), 2);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(forged_handles)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "s", 1, 0, &s), 0);
    mk_queue_t q;
    ck_assert_int_eq(mk_queue_create(k, "s", NULL, &q), 0); /* another kind */
    const mk_sem_t bad[] = {0,        s + 1, s ^ (1ull << 32), s ^ (1ull << 56),
                            q,        UINT64_MAX, 0x0400000100abcdefull};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t v = 3;
        ck_assert_int_eq(mk_sem_trywait(k, bad[i]), MK_EBADH);
        ck_assert_int_eq(mk_sem_wait(k, bad[i], MK_FOREVER), MK_EBADH);
        ck_assert_int_eq(mk_sem_post(k, bad[i]), MK_EBADH);
        ck_assert_int_eq(mk_sem_value(k, bad[i], &v), MK_EBADH);
        ck_assert_int_eq(mk_sem_delete(k, bad[i]), MK_EBADH);
        ck_assert_uint_eq(v, 3);
    }
    ck_assert_uint_eq(value(k, s), 1);
    uint32_t c;
    ck_assert_int_eq(mk_queue_count(k, q, 0, &c), 0); /* the queue survived */
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(many_semaphores)
{
    mk_t *k = new_kernel();
    enum { N = 500 };
    static mk_sem_t s[N];
    char name[16];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(name, sizeof name, "sem%u", i);
        ck_assert_int_eq(mk_sem_create(k, name, i, 0, &s[i]), 0);
    }
    for (uint32_t i = 0; i < N; i += 2)
        ck_assert_int_eq(mk_sem_delete(k, s[i]), 0);
    for (uint32_t i = 0; i < N; i++) {
        snprintf(name, sizeof name, "sem%u", i);
        mk_sem_t h;
        if (i % 2 == 0) {
            ck_assert_int_eq(mk_sem_open(k, name, &h), MK_ENOENT);
        } else {
            ck_assert_int_eq(mk_sem_open(k, name, &h), 0);
            ck_assert_uint_eq(h, s[i]);
            ck_assert_uint_eq(value(k, h), i);
        }
    }
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static void all_calls_return(mk_t *k, int want)
{
    mk_sem_t s = 0;
    uint32_t v = 0;
    ck_assert_int_eq(mk_sem_create(k, "s", 0, 0, &s), want);
    ck_assert_int_eq(mk_sem_open(k, "s", &s), want);
    ck_assert_int_eq(mk_sem_trywait(k, 1), want);
    ck_assert_int_eq(mk_sem_wait(k, 1, MK_FOREVER), want);
    ck_assert_int_eq(mk_sem_post(k, 1), want);
    ck_assert_int_eq(mk_sem_value(k, 1, &v), want);
    ck_assert_int_eq(mk_sem_delete(k, 1), want);
    ck_assert_uint_eq(s, 0);
    ck_assert_uint_eq(v, 0);
}

START_TEST(null_context_is_refused)
{
    all_calls_return(NULL, MK_EINVAL);
}
END_TEST

START_TEST(destroyed_context_is_refused)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "s", 1, 0, &s), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    all_calls_return(k, MK_EBADH);
    ck_assert_int_eq(mk_sem_post(k, s), MK_EBADH);
}
END_TEST

static Suite *sync_suite(void)
{
    Suite *s = suite_create("sync");
    TCase *tc = tcase_create("semaphore");
    tcase_add_test(tc, create_open_and_count);
    tcase_add_test(tc, wait_times_out_at_zero);
    tcase_add_test(tc, maximum_is_enforced);
    tcase_add_test(tc, create_checks_range_and_names);
    tcase_add_test(tc, delete_makes_handle_stale);
    tcase_add_test(tc, forged_handles);
    tcase_add_test(tc, many_semaphores);
    tcase_add_test(tc, null_context_is_refused);
    tcase_add_test(tc, destroyed_context_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sync_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
