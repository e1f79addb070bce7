/*
 * test-sync.c - public API of counting semaphores: create/open/delete,
 * counting, the maximum, timeouts, and bad input on every call (NULL and
 * destroyed contexts, stale and forged handles, names, ranges), checking
 * after each refusal that the count did not change. Blocking across
 * threads is in test-threads.c.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* More semaphores than one chunk of the semaphore table holds (the table
 * grows while others use it without a lock): every one keeps its own
 * count, deleted ones are re-used with new handles. */
START_TEST(semaphores_across_table_chunks)
{
    mk_t *k = new_kernel();
    enum { N = 2600 };
    static mk_sem_t s[N];
    char name[16];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(name, sizeof name, "t%u", i);
        ck_assert_int_eq(mk_sem_create(k, name, i % 1000, 0, &s[i]), 0);
    }
    for (uint32_t i = 0; i < N; i += 3)
        ck_assert_int_eq(mk_sem_delete(k, s[i]), 0);
    for (uint32_t i = 0; i < N; i += 3) {
        snprintf(name, sizeof name, "u%u", i);
        mk_sem_t h;
        ck_assert_int_eq(mk_sem_create(k, name, 7, 0, &h), 0);
        ck_assert_int_eq(mk_sem_post(k, s[i]), MK_EBADH);
        ck_assert_uint_ne(h, s[i]);
        ck_assert_uint_eq(value(k, h), 7);
    }
    for (uint32_t i = 0; i < N; i++) {
        if (i % 3 == 0)
            continue;
        ck_assert_int_eq(mk_sem_post(k, s[i]), 0);
        ck_assert_uint_eq(value(k, s[i]), i % 1000 + 1);
    }
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* Semaphore objects are re-used after a delete (the handle's slot comes
 * back with a new generation): no handle of an earlier incarnation may
 * reach the new one, and the new one starts from its own count and max. */
START_TEST(stale_handles_never_reach_a_reused_slot)
{
    mk_t *k = new_kernel();
    enum { N = 64 };
    mk_sem_t old[N];
    mk_sem_t cur;
    ck_assert_int_eq(mk_sem_create(k, "r", 5, 9, &cur), 0);
    for (int i = 0; i < N; i++) {
        old[i] = cur;
        ck_assert_int_eq(mk_sem_delete(k, cur), 0);
        ck_assert_int_eq(mk_sem_create(k, i % 2 ? "r" : "r2", 0, 1, &cur), 0);
        ck_assert_uint_eq(value(k, cur), 0);            /* not the old count */
        ck_assert_int_eq(mk_sem_post(k, cur), 0);
        ck_assert_int_eq(mk_sem_post(k, cur), MK_ERANGE); /* the new max (1) */
        for (int j = 0; j <= i; j++) {
            uint32_t v = 77;
            ck_assert_uint_ne(old[j], cur);
            ck_assert_int_eq(mk_sem_post(k, old[j]), MK_EBADH);
            ck_assert_int_eq(mk_sem_trywait(k, old[j]), MK_EBADH);
            ck_assert_int_eq(mk_sem_wait(k, old[j], 3), MK_EBADH);
            ck_assert_int_eq(mk_sem_value(k, old[j], &v), MK_EBADH);
            ck_assert_int_eq(mk_sem_delete(k, old[j]), MK_EBADH);
            ck_assert_uint_eq(v, 77);
        }
        ck_assert_uint_eq(value(k, cur), 1); /* untouched by the stale calls */
        ck_assert_int_eq(mk_sem_trywait(k, cur), 0);
        ck_assert_int_eq(mk_sem_trywait(k, cur), MK_EAGAIN);
    }
    mk_sem_t byname;
    ck_assert_int_eq(mk_sem_open(k, N % 2 ? "r2" : "r", &byname), 0);
    ck_assert_uint_eq(byname, cur);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* Many host threads post and wait on one semaphore at once (the lock-free
 * fast path and the locked path racing): every post is matched by one
 * successful wait, so the count ends where it started. Run under TSan. */
struct hammer {
    mk_t *k;
    mk_sem_t s;
    int rounds;
    int bad;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < h->rounds; i++) {
        if (mk_sem_post(h->k, h->s) != 0 || mk_sem_wait(h->k, h->s, MK_FOREVER) != 0)
            h->bad++;
        if (i % 7 == 0 && mk_sem_trywait(h->k, h->s) == 0 && mk_sem_post(h->k, h->s) != 0)
            h->bad++;
    }
    return NULL;
}

START_TEST(concurrent_posts_and_waits_balance)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "h", 1, 0, &s), 0);
    enum { T = 4 };
    pthread_t t[T];
    struct hammer h[T];
    for (int i = 0; i < T; i++) {
        h[i] = (struct hammer){k, s, 5000, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(h[i].bad, 0);
    }
    ck_assert_uint_eq(value(k, s), 1);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* Delete while host threads wait, post and re-open the name: a waiter
 * wakes with MK_EDESTROYED (or, arriving after the delete, gets
 * MK_EBADH); nobody hangs, nothing else comes back, and the re-created
 * semaphore under the same name is a separate object. Run under TSan. */
struct racer {
    mk_t *k;
    _Atomic uint64_t *h; /* the current handle */
    _Atomic int *stop;
    int unexpected;
    int destroyed;
};

static void *racer_thread(void *arg)
{
    struct racer *r = arg;
    while (!atomic_load(r->stop)) {
        mk_sem_t s = (mk_sem_t)atomic_load(r->h);
        int rc = mk_sem_wait(r->k, s, 2000); /* ticks: 2 s at the default rate */
        if (rc == MK_EDESTROYED)
            r->destroyed++;
        else if (rc != 0 && rc != MK_EBADH && rc != MK_ETIMEDOUT)
            r->unexpected++;
        rc = mk_sem_post(r->k, s);
        if (rc != 0 && rc != MK_EBADH && rc != MK_ERANGE)
            r->unexpected++;
        uint32_t v;
        rc = mk_sem_value(r->k, s, &v);
        if (rc != 0 && rc != MK_EBADH)
            r->unexpected++;
    }
    return NULL;
}

START_TEST(delete_races_waiters_and_posters)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "race", 0, 2, &s), 0);
    _Atomic uint64_t cur = s;
    _Atomic int stop = 0;
    enum { T = 4 };
    pthread_t t[T];
    struct racer r[T];
    for (int i = 0; i < T; i++) {
        r[i] = (struct racer){k, &cur, &stop, 0, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, racer_thread, &r[i]), 0);
    }
    for (int round = 0; round < 300; round++) {
        mk_sem_t old = (mk_sem_t)atomic_load(&cur);
        ck_assert_int_eq(mk_sem_delete(k, old), 0);
        ck_assert_int_eq(mk_sem_create(k, "race", 0, 2, &s), 0);
        ck_assert_uint_ne(s, old);
        ck_assert_int_eq(mk_sem_post(k, old), MK_EBADH);
        atomic_store(&cur, s);
        if (round % 50 == 0) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL); /* let waiters block in the current one */
        }
    }
    atomic_store(&stop, 1);
    ck_assert_int_eq(mk_sem_delete(k, s), 0); /* wakes whoever still waits */
    for (int i = 0; i < T; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(r[i].unexpected, 0);
    }
    mk_sem_t again;
    ck_assert_int_eq(mk_sem_open(k, "race", &again), MK_ENOENT);
    ck_assert_int_eq(mk_sem_create(k, "race", 1, 0, &again), 0);
    ck_assert_uint_eq(value(k, again), 1);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* A waiter blocked on a host thread is woken by the delete itself. */
static void *blocked_waiter(void *arg)
{
    struct racer *r = arg;
    int rc = mk_sem_wait(r->k, (mk_sem_t)atomic_load(r->h), MK_FOREVER);
    if (rc == MK_EDESTROYED)
        r->destroyed++;
    else if (rc != MK_EBADH) /* EBADH: it arrived after the delete */
        r->unexpected++;
    return NULL;
}

START_TEST(delete_wakes_blocked_host_waiters)
{
    mk_t *k = new_kernel();
    mk_sem_t s;
    ck_assert_int_eq(mk_sem_create(k, "w", 0, 0, &s), 0);
    _Atomic uint64_t cur = s;
    _Atomic int stop = 0;
    enum { T = 3 };
    pthread_t t[T];
    struct racer r[T];
    for (int i = 0; i < T; i++) {
        r[i] = (struct racer){k, &cur, &stop, 0, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, blocked_waiter, &r[i]), 0);
    }
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(mk_sem_delete(k, s), 0);
    for (int i = 0; i < T; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(r[i].unexpected, 0);
    }
    /* the slot is re-used: the woken waiters left nothing behind in it */
    mk_sem_t n;
    ck_assert_int_eq(mk_sem_create(k, "w2", 0, 0, &n), 0);
    ck_assert_int_eq(mk_sem_post(k, n), 0);
    ck_assert_uint_eq(value(k, n), 1);
    ck_assert_int_eq(mk_sem_wait(k, n, MK_FOREVER), 0);
    ck_assert_int_eq(mk_sem_trywait(k, n), MK_EAGAIN);
    ck_assert_int_eq(mk_destroy(k), 0);
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
    tcase_add_test(tc, stale_handles_never_reach_a_reused_slot);
    tcase_add_test(tc, semaphores_across_table_chunks);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("threads");
    tcase_set_timeout(tt, 120);
    tcase_add_test(tt, concurrent_posts_and_waits_balance);
    tcase_add_test(tt, delete_races_waiters_and_posters);
    tcase_add_test(tt, delete_wakes_blocked_host_waiters);
    suite_add_tcase(s, tt);
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
