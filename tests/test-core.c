/*
 * test-core.c - public API of the core: version, errors, configuration,
 * context life cycle, the clock, and bad input on each of them.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(version_matches_headers)
{
    ck_assert_uint_eq(mk_version(), MK_VERSION_NUMBER);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", MK_VERSION_MAJOR, MK_VERSION_MINOR,
             MK_VERSION_PATCH);
    ck_assert_str_eq(mk_version_string(), want);
}
END_TEST

START_TEST(every_error_has_name_and_message)
{
    int n = 0;
#define CHECK_ERR(name, num, msg)                                            \
    ck_assert_int_lt(MK_##name, 0);                                          \
    ck_assert_str_eq(mk_strerror(MK_##name), msg);                           \
    ck_assert_str_eq(mk_err_name(MK_##name), "MK_" #name);                   \
    n++;
    MK_ERRNO_MAP(CHECK_ERR)
#undef CHECK_ERR
    ck_assert_int_ge(n, 20);
    ck_assert_str_eq(mk_strerror(0), "success");
    ck_assert_str_eq(mk_err_name(0), "MK_OK");
    ck_assert_str_eq(mk_strerror(-9999), "unknown error");
    ck_assert_str_eq(mk_err_name(12345), "MK_UNKNOWN");
    /* Pinned numbers: these must never change. */
    ck_assert_int_eq(MK_EINVAL, -1);
    ck_assert_int_eq(MK_EBADH, -11);
    ck_assert_int_eq(MK_ECORRUPT, -19);
}
END_TEST

START_TEST(create_with_defaults_and_destroy)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    ck_assert_ptr_nonnull(k);
    mk_config_t c;
    mk_config_init(&c);
    ck_assert_int_eq(mk_config_get(k, &c), 0);
    ck_assert_uint_eq(c.tick_hz, 1000);
    ck_assert_uint_eq(c.mem_size, 64u << 20);
    ck_assert_uint_eq(c.cache_blocks, 1024);
    ck_assert_uint_eq(c.quantum_ticks, 10);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(create_with_caller_region)
{
    size_t sz = 1 << 20;
    void *region = malloc(sz);
    ck_assert_ptr_nonnull(region);
    mk_config_t c;
    mk_config_init(&c);
    c.mem_region = region;
    c.mem_region_size = sz;
    c.tick_hz = 100;
    mk_t *k;
    ck_assert_int_eq(mk_create(&c, &k), 0);
    mk_config_t got;
    mk_config_init(&got);
    ck_assert_int_eq(mk_config_get(k, &got), 0);
    ck_assert_uint_eq(got.mem_size, sz);
    ck_assert_uint_eq(got.tick_hz, 100);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(region);
}
END_TEST

START_TEST(create_rejects_bad_config)
{
    mk_t *k = (mk_t *)0x1;
    mk_config_t c;
    ck_assert_int_eq(mk_create(NULL, NULL), MK_EINVAL);
    mk_config_init(&c);
    c.size = 4; /* older than any layout */
    ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
    mk_config_init(&c);
    c.tick_hz = 2000000;
    ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
    mk_config_init(&c);
    c.mem_size = 100; /* too small */
    ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
    mk_config_init(&c);
    c.mem_region_size = 1 << 20; /* size without region */
    ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
    mk_config_init(&c);
    c.default_heap_size = (uint64_t)1 << 41;
    ck_assert_int_eq(mk_create(&c, &k), MK_EINVAL);
    /* out untouched on failure */
    ck_assert_ptr_eq(k, (mk_t *)0x1);
}
END_TEST

START_TEST(destroyed_context_is_refused)
{
    mk_t *k;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    uint64_t t;
    ck_assert_int_eq(mk_clock_now(k, &t), MK_EBADH);
    ck_assert_int_eq(mk_clock_advance(k, 1), MK_EBADH);
    /* Destroying twice, or NULL, is harmless. */
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(mk_destroy(NULL), 0);
}
END_TEST

START_TEST(null_context_is_refused)
{
    uint64_t t;
    mk_config_t c;
    mk_config_init(&c);
    ck_assert_int_eq(mk_clock_now(NULL, &t), MK_EINVAL);
    ck_assert_int_eq(mk_clock_advance(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_config_get(NULL, &c), MK_EINVAL);
    mk_config_init(NULL); /* ignored, no crash */
}
END_TEST

START_TEST(clock_advances)
{
    mk_t *k;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    uint64_t t = 99;
    ck_assert_int_eq(mk_clock_now(k, &t), 0);
    ck_assert_uint_eq(t, 0);
    ck_assert_int_eq(mk_clock_advance(k, 25), 0);
    ck_assert_int_eq(mk_clock_advance(k, 5), 0);
    ck_assert_int_eq(mk_clock_now(k, &t), 0);
    ck_assert_uint_eq(t, 30);
    ck_assert_int_eq(mk_clock_advance(k, UINT64_MAX), MK_EINVAL);
    ck_assert_int_eq(mk_clock_now(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_clock_now(k, &t), 0);
    ck_assert_uint_eq(t, 30);
    mk_destroy(k);
}
END_TEST

START_TEST(many_contexts)
{
    mk_t *ks[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(mk_create(NULL, &ks[i]), 0);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(mk_clock_advance(ks[i], (uint64_t)i), 0);
    }
    for (int i = 0; i < 8; i++) {
        uint64_t t;
        ck_assert_int_eq(mk_clock_now(ks[i], &t), 0);
        ck_assert_uint_eq(t, (uint64_t)i);
        ck_assert_int_eq(mk_destroy(ks[i]), 0);
    }
}
END_TEST


struct cb_log {
    int n;
    uint64_t last_seq;
};

static void count_events(void *ctx, const mk_event_t *ev)
{
    struct cb_log *log = ctx;
    log->n++;
    log->last_seq = ev->seq;
}

START_TEST(trace_ring_and_callback)
{
    mk_t *k;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    mk_event_t ev[8];
    size_t n = 99;
    /* Off: marks are accepted and recorded nowhere. */
    ck_assert_int_eq(mk_trace_mark(k, 0, 1, 2), 0);
    ck_assert_int_eq(mk_trace_read(k, ev, 8, &n), 0);
    ck_assert_uint_eq(n, 0);

    ck_assert_int_eq(mk_trace_enable(k, 4), 0);
    ck_assert_int_eq(mk_clock_advance(k, 5), 0);
    for (uint64_t i = 0; i < 6; i++)
        ck_assert_int_eq(mk_trace_mark(k, 7, i, i * 10), 0);
    uint64_t dropped = 0;
    ck_assert_int_eq(mk_trace_dropped(k, &dropped), 0);
    ck_assert_uint_eq(dropped, 2); /* ring of 4, six events */
    ck_assert_int_eq(mk_trace_read(k, ev, 3, &n), 0);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(ev[i].type, MK_EV_USER);
        ck_assert_uint_eq(ev[i].pid, 7);
        ck_assert_uint_eq(ev[i].a, i + 2); /* the two oldest were dropped */
        ck_assert_uint_eq(ev[i].b, (i + 2) * 10);
        ck_assert_uint_eq(ev[i].tick, 5);
        ck_assert_uint_eq(ev[i].seq, i + 3);
    }
    ck_assert_int_eq(mk_trace_read(k, ev, 8, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(ev[0].a, 5);

    struct cb_log log = {0, 0};
    ck_assert_int_eq(mk_trace_set_callback(k, count_events, &log), 0);
    ck_assert_int_eq(mk_trace_mark(k, 0, 0, 0), 0);
    ck_assert_int_eq(log.n, 1);
    ck_assert_uint_eq(log.last_seq, 7);
    ck_assert_int_eq(mk_trace_set_callback(k, NULL, NULL), 0);
    ck_assert_int_eq(mk_trace_enable(k, 0), 0);
    ck_assert_int_eq(mk_trace_mark(k, 0, 0, 0), 0);
    ck_assert_int_eq(log.n, 1);
    ck_assert_int_eq(mk_trace_read(k, ev, 8, &n), 0);
    ck_assert_uint_eq(n, 0);

    ck_assert_str_eq(mk_event_name(MK_EV_SWITCH), "switch");
    ck_assert_str_eq(mk_event_name(MK_EV_USER), "user");
    ck_assert_str_eq(mk_event_name(0), "unknown");
    ck_assert_str_eq(mk_event_name(100000), "unknown");

    /* Bad input. */
    ck_assert_int_eq(mk_trace_enable(k, (1u << 24) + 1), MK_EINVAL);
    ck_assert_int_eq(mk_trace_read(k, NULL, 1, &n), MK_EINVAL);
    ck_assert_int_eq(mk_trace_read(k, ev, 1, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_trace_dropped(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_trace_enable(NULL, 1), MK_EINVAL);
    ck_assert_int_eq(mk_trace_read(NULL, ev, 1, &n), MK_EINVAL);
    ck_assert_int_eq(mk_trace_set_callback(NULL, NULL, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_trace_mark(NULL, 0, 0, 0), MK_EINVAL);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(mk_trace_enable(k, 1), MK_EBADH);
    ck_assert_int_eq(mk_trace_read(k, ev, 1, &n), MK_EBADH);
    ck_assert_int_eq(mk_trace_dropped(k, &dropped), MK_EBADH);
    ck_assert_int_eq(mk_trace_set_callback(k, NULL, NULL), MK_EBADH);
    ck_assert_int_eq(mk_trace_mark(k, 0, 0, 0), MK_EBADH);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("public");
    tcase_add_test(tc, version_matches_headers);
    tcase_add_test(tc, every_error_has_name_and_message);
    tcase_add_test(tc, create_with_defaults_and_destroy);
    tcase_add_test(tc, create_with_caller_region);
    tcase_add_test(tc, create_rejects_bad_config);
    tcase_add_test(tc, destroyed_context_is_refused);
    tcase_add_test(tc, null_context_is_refused);
    tcase_add_test(tc, clock_advances);
    tcase_add_test(tc, many_contexts);
    tcase_add_test(tc, trace_ring_and_callback);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
