/*
 * test-proc.c - public API of the process table: create (chosen and
 * assigned pids), exists, state, count, list, destroy, what destroy
 * releases, concurrent create/destroy, and bad input on every call.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
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

START_TEST(create_chosen_pid)
{
    mk_t *k = new_kernel();
    mk_pid_t got = 0;
    ck_assert_int_eq(mk_proc_exists(k, 42), MK_ENOENT);
    ck_assert_int_eq(mk_proc_create(k, 42, &got), 0);
    ck_assert_uint_eq(got, 42);
    ck_assert_int_eq(mk_proc_exists(k, 42), 0);
    /* out may be NULL when the pid is chosen */
    ck_assert_int_eq(mk_proc_create(k, 7, NULL), 0);
    ck_assert_int_eq(mk_proc_exists(k, 7), 0);
    ck_assert_int_eq(mk_proc_create(k, MK_PID_MAX, &got), 0);
    ck_assert_uint_eq(got, MK_PID_MAX);
    uint32_t n = 0;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(create_assigns_lowest_free_pid)
{
    mk_t *k = new_kernel();
    mk_pid_t p;
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_uint_eq(p, 1);
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_uint_eq(p, 2);
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_uint_eq(p, 4); /* 3 was taken by the caller */
    ck_assert_int_eq(mk_proc_destroy(k, 2), 0);
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_uint_eq(p, 2); /* freed pid is the lowest again */
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_uint_eq(p, 5);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(create_refuses_taken_and_out_of_range)
{
    mk_t *k = new_kernel();
    mk_pid_t p = 999;
    ck_assert_int_eq(mk_proc_create(k, 9, NULL), 0);
    ck_assert_int_eq(mk_proc_create(k, 9, &p), MK_EEXIST);
    ck_assert_uint_eq(p, 999); /* out untouched on failure */
    ck_assert_int_eq(mk_proc_create(k, MK_PID_MAX + 1, &p), MK_EINVAL);
    ck_assert_int_eq(mk_proc_create(k, UINT32_MAX, &p), MK_EINVAL);
    ck_assert_int_eq(mk_proc_create(k, 0, NULL), MK_EINVAL);
    ck_assert_uint_eq(p, 999);
    uint32_t n;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(mk_proc_exists(k, 9), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(state_of_new_process_is_ready)
{
    mk_t *k = new_kernel();
    uint32_t st = 0;
    ck_assert_int_eq(mk_proc_create(k, 11, NULL), 0);
    ck_assert_int_eq(mk_proc_state(k, 11, &st), 0);
    ck_assert_uint_eq(st, MK_PROC_READY);
    st = 77;
    ck_assert_int_eq(mk_proc_state(k, 12, &st), MK_ENOENT);
    ck_assert_int_eq(mk_proc_state(k, 0, &st), MK_ENOENT);
    ck_assert_int_eq(mk_proc_state(k, MK_PID_MAX + 1, &st), MK_ENOENT);
    ck_assert_uint_eq(st, 77);
    ck_assert_int_eq(mk_proc_state(k, 11, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_proc_destroy(k, 11), 0);
    ck_assert_int_eq(mk_proc_state(k, 11, &st), MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(kernel_pid_is_not_a_process)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_exists(k, MK_PID_KERNEL), MK_ENOENT);
    ck_assert_int_eq(mk_proc_destroy(k, MK_PID_KERNEL), MK_EPERM);
    uint32_t n = 5;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_proc_list(k, NULL, 0, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(destroy_removes_only_that_process)
{
    mk_t *k = new_kernel();
    for (mk_pid_t p = 1; p <= 5; p++)
        ck_assert_int_eq(mk_proc_create(k, p, NULL), 0);
    ck_assert_int_eq(mk_proc_destroy(k, 3), 0);
    ck_assert_int_eq(mk_proc_destroy(k, 3), MK_ENOENT);
    ck_assert_int_eq(mk_proc_destroy(k, 99), MK_ENOENT);
    ck_assert_int_eq(mk_proc_destroy(k, MK_PID_MAX + 1), MK_ENOENT);
    mk_pid_t list[8];
    uint32_t n = 0;
    ck_assert_int_eq(mk_proc_list(k, list, 8, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(list[0], 1);
    ck_assert_uint_eq(list[1], 2);
    ck_assert_uint_eq(list[2], 4);
    ck_assert_uint_eq(list[3], 5);
    /* The pid is reusable at once. */
    ck_assert_int_eq(mk_proc_create(k, 3, NULL), 0);
    ck_assert_int_eq(mk_proc_exists(k, 3), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(list_is_ascending_and_reports_total)
{
    mk_t *k = new_kernel();
    const mk_pid_t made[] = {1000, 3, 77, 1, 500000, 12};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
        ck_assert_int_eq(mk_proc_create(k, made[i], NULL), 0);
    mk_pid_t list[16];
    uint32_t n = 0;
    ck_assert_int_eq(mk_proc_list(k, list, 16, &n), 0);
    ck_assert_uint_eq(n, 6);
    const mk_pid_t want[] = {1, 3, 12, 77, 1000, 500000};
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(list[i], want[i]);
    /* Too small: the lowest pids, the total count, nothing past cap. */
    mk_pid_t small[4] = {0, 0, 0, 0xdead};
    ck_assert_int_eq(mk_proc_list(k, small, 3, &n), 0);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(small[0], 1);
    ck_assert_uint_eq(small[1], 3);
    ck_assert_uint_eq(small[2], 12);
    ck_assert_uint_eq(small[3], 0xdead);
    /* Count only. */
    n = 0;
    ck_assert_int_eq(mk_proc_list(k, NULL, 0, &n), 0);
    ck_assert_uint_eq(n, 6);
    /* Bad input, count untouched. */
    n = 123;
    ck_assert_int_eq(mk_proc_list(k, NULL, 4, &n), MK_EINVAL);
    ck_assert_uint_eq(n, 123);
    ck_assert_int_eq(mk_proc_list(k, list, 4, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_proc_count(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(many_processes)
{
    mk_t *k = new_kernel();
    enum { N = 2000 };
    for (mk_pid_t i = 1; i <= N; i++) {
        mk_pid_t p;
        ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
        ck_assert_uint_eq(p, i);
    }
    for (mk_pid_t i = 2; i <= N; i += 2)
        ck_assert_int_eq(mk_proc_destroy(k, i), 0);
    static mk_pid_t list[N];
    uint32_t n;
    ck_assert_int_eq(mk_proc_list(k, list, N, &n), 0);
    ck_assert_uint_eq(n, N / 2);
    for (uint32_t i = 0; i < n; i++)
        ck_assert_uint_eq(list[i], 2 * i + 1);
    mk_pid_t p;
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    ck_assert_uint_eq(p, 2);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(destroy_releases_mailbox)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 4, NULL), 0);
    ck_assert_int_eq(mk_mbox_send(k, 4, 1, "hello", 5, MK_NO_WAIT), 0);
    uint32_t c = 0;
    ck_assert_int_eq(mk_mbox_count(k, 4, &c), 0);
    ck_assert_uint_eq(c, 1);
    ck_assert_int_eq(mk_proc_destroy(k, 4), 0);
    ck_assert_int_eq(mk_mbox_send(k, 4, 1, "x", 1, MK_NO_WAIT), MK_ENOENT);
    ck_assert_int_eq(mk_mbox_count(k, 4, &c), MK_ENOENT);
    /* A new process with the same pid starts with an empty mailbox. */
    ck_assert_int_eq(mk_proc_create(k, 4, NULL), 0);
    ck_assert_int_eq(mk_mbox_count(k, 4, &c), 0);
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(null_context_is_refused)
{
    uint32_t u;
    mk_pid_t p, list[2];
    ck_assert_int_eq(mk_proc_create(NULL, 1, &p), MK_EINVAL);
    ck_assert_int_eq(mk_proc_exists(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_proc_destroy(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_proc_state(NULL, 1, &u), MK_EINVAL);
    ck_assert_int_eq(mk_proc_count(NULL, &u), MK_EINVAL);
    ck_assert_int_eq(mk_proc_list(NULL, list, 2, &u), MK_EINVAL);
}
END_TEST

START_TEST(destroyed_context_is_refused)
{
    mk_t *k = new_kernel();
    ck_assert_int_eq(mk_proc_create(k, 1, NULL), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    uint32_t u = 5;
    mk_pid_t p = 9, list[2] = {0, 0};
    ck_assert_int_eq(mk_proc_create(k, 2, &p), MK_EBADH);
    ck_assert_int_eq(mk_proc_exists(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_proc_destroy(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_proc_state(k, 1, &u), MK_EBADH);
    ck_assert_int_eq(mk_proc_count(k, &u), MK_EBADH);
    ck_assert_int_eq(mk_proc_list(k, list, 2, &u), MK_EBADH);
    ck_assert_uint_eq(u, 5);
    ck_assert_uint_eq(p, 9);
    ck_assert_uint_eq(list[0], 0);
}
END_TEST

/* ---- concurrency --------------------------------------------------- */

struct creator {
    mk_t *k;
    mk_pid_t pids[200];
    int rc;
};

static void *create_many(void *arg)
{
    struct creator *c = arg;
    c->rc = 0;
    for (int i = 0; i < 200; i++) {
        int rc = mk_proc_create(c->k, 0, &c->pids[i]);
        if (rc != 0)
            c->rc = rc;
    }
    return NULL;
}

START_TEST(concurrent_assigned_pids_are_distinct)
{
    mk_t *k = new_kernel();
    struct creator cs[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        cs[i].k = k;
        ck_assert_int_eq(pthread_create(&th[i], NULL, create_many, &cs[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    static unsigned char seen[1601];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(cs[i].rc, 0);
        for (int j = 0; j < 200; j++) {
            mk_pid_t p = cs[i].pids[j];
            ck_assert_uint_ge(p, 1);
            ck_assert_uint_le(p, 1600);
            ck_assert_uint_eq(seen[p], 0);
            seen[p] = 1;
        }
    }
    uint32_t n;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 1600);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

struct destroyer {
    mk_t *k;
    int wins;
    int other;
};

static void *destroy_all(void *arg)
{
    struct destroyer *d = arg;
    d->wins = 0;
    d->other = 0;
    for (mk_pid_t p = 1; p <= 500; p++) {
        int rc = mk_proc_destroy(d->k, p);
        if (rc == 0)
            d->wins++;
        else if (rc != MK_ENOENT)
            d->other++;
    }
    return NULL;
}

START_TEST(concurrent_destroy_succeeds_once)
{
    mk_t *k = new_kernel();
    for (mk_pid_t p = 1; p <= 500; p++)
        ck_assert_int_eq(mk_proc_create(k, p, NULL), 0);
    struct destroyer ds[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        ds[i].k = k;
        ck_assert_int_eq(pthread_create(&th[i], NULL, destroy_all, &ds[i]), 0);
    }
    int wins = 0;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(ds[i].other, 0);
        wins += ds[i].wins;
    }
    ck_assert_int_eq(wins, 500);
    uint32_t n;
    ck_assert_int_eq(mk_proc_count(k, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static Suite *proc_suite(void)
{
    Suite *s = suite_create("proc");
    TCase *tc = tcase_create("public");
    tcase_add_test(tc, create_chosen_pid);
    tcase_add_test(tc, create_assigns_lowest_free_pid);
    tcase_add_test(tc, create_refuses_taken_and_out_of_range);
    tcase_add_test(tc, state_of_new_process_is_ready);
    tcase_add_test(tc, kernel_pid_is_not_a_process);
    tcase_add_test(tc, destroy_removes_only_that_process);
    tcase_add_test(tc, list_is_ascending_and_reports_total);
    tcase_add_test(tc, many_processes);
    tcase_add_test(tc, destroy_releases_mailbox);
    tcase_add_test(tc, null_context_is_refused);
    tcase_add_test(tc, destroyed_context_is_refused);
    tcase_add_test(tc, concurrent_assigned_pids_are_distinct);
    tcase_add_test(tc, concurrent_destroy_succeeds_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(proc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
