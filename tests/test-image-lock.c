/*
 * test-image-lock.c - an image file is locked against other OS processes
 * while a device has it open (mk_blk_open_image, flock(2)), and shared by
 * the contexts of one process. Public API only; the other process is a
 * fork()ed child that reports through its exit status.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BS 512u
#define NB 64u

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/mk-lock-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/disk.img", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

static mk_t *make_ctx(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    return k;
}

/* In a child process: open the image (with flags/nblocks) in a fresh
 * context; exit 0 if the result is want (and, on success, block 3 starts
 * with expect when expect is not NULL), 1 otherwise. */
static pid_t child_open(int want, uint32_t flags, uint64_t nblocks, const char *expect)
{
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        mk_t *k = NULL;
        if (mk_create(NULL, &k) != 0)
            _exit(2);
        mk_dev_t d = 0;
        int rc = mk_blk_open_image(k, "img", path, BS, nblocks, flags, &d);
        int ok = rc == want;
        if (ok && rc == 0 && expect != NULL) {
            char got[16] = {0};
            ok = mk_blk_read(k, d, 3, 0, got, strlen(expect)) == 0 &&
                 memcmp(got, expect, strlen(expect)) == 0;
        }
        if (ok && rc != 0)
            ok = d == 0; /* out-parameter untouched on failure */
        mk_destroy(k);
        _exit(ok ? 0 : 1);
    }
    return c;
}

static int child_status(pid_t c)
{
    int st = 0;
    ck_assert_int_eq(waitpid(c, &st, 0), c);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

START_TEST(other_process_is_refused_while_open)
{
    mk_t *k = make_ctx();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_open_image(k, "img", path, BS, NB, MK_BLK_CREATE, &d), 0);
    ck_assert_int_eq(mk_blk_write(k, d, 3, 0, "kept", 4), 0);

    ck_assert_int_eq(child_status(child_open(MK_EBUSY, 0, 0, NULL)), 0);
    /* a refused open with MK_BLK_CREATE and a larger size changes nothing */
    ck_assert_int_eq(child_status(child_open(MK_EBUSY, MK_BLK_CREATE, 4 * NB, NULL)), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, (off_t)(BS * NB));

    /* the holder still works, and after it closes the other process may open
     * the image and finds the written-back data */
    char got[4];
    ck_assert_int_eq(mk_blk_read(k, d, 3, 0, got, 4), 0);
    ck_assert_mem_eq(got, "kept", 4);
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(child_status(child_open(0, 0, 0, "kept")), 0);
    /* and the child's exit released it again */
    ck_assert_int_eq(mk_blk_open_image(k, "img", path, BS, 0, 0, &d), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(lock_dies_with_a_killed_holder)
{
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    {
        mk_t *k = make_ctx();
        mk_dev_t d;
        ck_assert_int_eq(mk_blk_open_image(k, "img", path, BS, NB, MK_BLK_CREATE, &d), 0);
        ck_assert_int_eq(mk_destroy(k), 0);
    }
    pid_t holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        mk_t *k = NULL;
        mk_dev_t d;
        if (mk_create(NULL, &k) != 0 || mk_blk_open_image(k, "img", path, BS, 0, 0, &d) != 0)
            _exit(1);
        (void)!write(ready[1], "x", 1);
        for (;;)
            pause(); /* killed below, never closes the device */
    }
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    mk_t *k = make_ctx();
    mk_dev_t d = 0;
    ck_assert_int_eq(mk_blk_open_image(k, "img", path, BS, 0, 0, &d), MK_EBUSY);
    ck_assert_uint_eq(d, 0);
    ck_assert_int_eq(kill(holder, SIGKILL), 0);
    ck_assert_int_eq(child_status(holder), 100 + SIGKILL);
    ck_assert_int_eq(mk_blk_open_image(k, "img", path, BS, 0, 0, &d), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    close(ready[0]);
    close(ready[1]);
}
END_TEST

START_TEST(contexts_of_one_process_share_the_lock)
{
    mk_t *a = make_ctx(), *b = make_ctx();
    mk_dev_t da, db;
    ck_assert_int_eq(mk_blk_open_image(a, "img", path, BS, NB, MK_BLK_CREATE, &da), 0);
    ck_assert_int_eq(mk_blk_open_image(b, "img", path, BS, 0, 0, &db), 0);
    /* one context still refuses the same file twice */
    mk_dev_t dup = 0;
    ck_assert_int_eq(mk_blk_open_image(a, "again", path, BS, 0, 0, &dup), MK_EBUSY);
    ck_assert_uint_eq(dup, 0);

    /* closing one context's device keeps the process's lock: b still has it */
    ck_assert_int_eq(mk_destroy(a), 0);
    ck_assert_int_eq(child_status(child_open(MK_EBUSY, 0, 0, NULL)), 0);
    ck_assert_int_eq(mk_blk_write(b, db, 3, 0, "from-b", 6), 0);
    ck_assert_int_eq(mk_blk_remove(b, db), 0);
    ck_assert_int_eq(child_status(child_open(0, 0, 0, "from-b")), 0);
    ck_assert_int_eq(mk_destroy(b), 0);
}
END_TEST

static Suite *lock_suite(void)
{
    Suite *s = suite_create("image-lock");
    TCase *tc = tcase_create("flock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, other_process_is_refused_while_open);
    tcase_add_test(tc, lock_dies_with_a_killed_holder);
    tcase_add_test(tc, contexts_of_one_process_share_the_lock);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lock_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
