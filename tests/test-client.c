/*
 * test-client.c — the mk_client_ API against a real mkd.
 *
 * Starts the daemon named by $MKD (set by meson) on a private socket in a
 * temporary directory, runs every test against it (Check forks each test;
 * the daemon lives in the parent) and always kills it at the end. Fails —
 * never skips — when $MKD is missing or not executable. Waits are bounded
 * polls, never timing assertions.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microkernel/mk.h>

static char g_dir[64];
static char g_sock[100];
static char g_mipc[100];
static pid_t g_mkd = -1;
static pid_t g_parent = -1; /* Check forks tests: only the parent cleans up */

static void stop_mkd(void)
{
    if (getpid() != g_parent)
        return;
    if (g_mkd > 0) {
        kill(g_mkd, SIGTERM);
        int st;
        waitpid(g_mkd, &st, 0);
        g_mkd = -1;
    }
    if (g_dir[0]) {
        unlink(g_sock);
        unlink(g_mipc);
        rmdir(g_dir);
        g_dir[0] = 0;
    }
}

static void start_mkd(void)
{
    const char *mkd = getenv("MKD");
    if (!mkd || access(mkd, X_OK) != 0) {
        fprintf(stderr, "test-client: mkd was not built (MKD=%s)\n", mkd ? mkd : "(unset)");
        exit(EXIT_FAILURE);
    }
    g_parent = getpid();
    strcpy(g_dir, "/tmp/mk-client-XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        exit(EXIT_FAILURE);
    }
    snprintf(g_sock, sizeof g_sock, "%s/mkd.sock", g_dir);
    snprintf(g_mipc, sizeof g_mipc, "%s/mipc.sock", g_dir);
    g_mkd = fork();
    if (g_mkd == 0) {
        execl(mkd, mkd, "--foreground", "--log-level", "warn", "--socket", g_sock,
              "--mipc-socket", g_mipc, "--max-procs", "8", "--max-queues", "4",
              "--max-client-mem", "1048576", (char *)NULL);
        _exit(127);
    }
    atexit(stop_mkd);
    for (int i = 0; i < 500; i++) { /* up to 10 s for the socket */
        mk_client_t *c;
        if (mk_client_connect(g_sock, &c) == 0) {
            mk_client_close(c);
            return;
        }
        int st;
        if (waitpid(g_mkd, &st, WNOHANG) == g_mkd) {
            fprintf(stderr, "test-client: mkd exited at start-up\n");
            g_mkd = -1;
            exit(EXIT_FAILURE);
        }
        usleep(20000);
    }
    fprintf(stderr, "test-client: mkd never listened on %s\n", g_sock);
    exit(EXIT_FAILURE);
}

static mk_client_t *conn(void)
{
    mk_client_t *c = NULL;
    ck_assert_int_eq(mk_client_connect(g_sock, &c), 0);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* Bounded poll until pid no longer exists (cleanup is asynchronous). */
static int gone(mk_client_t *c, mk_pid_t pid)
{
    for (int i = 0; i < 500; i++) {
        if (mk_client_proc_exists(c, pid) == MK_ENOENT)
            return 1;
        usleep(10000);
    }
    return 0;
}

START_TEST(connect_bad_input)
{
    mk_client_t *c = (mk_client_t *)0x1;
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_int_eq(mk_client_connect(g_sock, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_client_connect(big, &c), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_client_connect("/nonexistent/mkd.sock", &c), MK_ENOENT);
    ck_assert_ptr_eq(c, (mk_client_t *)0x1); /* untouched on failure */
    ck_assert_int_eq(mk_client_close(NULL), 0);
    char path[MK_CLIENT_PATH_MAX + 1];
    ck_assert_int_eq(mk_client_default_path(NULL, 10), MK_EINVAL);
    ck_assert_int_eq(mk_client_default_path(path, 4), MK_ENAMETOOLONG);
    setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
    ck_assert_int_eq(mk_client_default_path(path, sizeof path), 0);
    ck_assert_str_eq(path, "/run/user/4242/mkd.sock");
    unsetenv("XDG_RUNTIME_DIR");
    ck_assert_int_eq(mk_client_default_path(path, sizeof path), 0);
    char want[64];
    snprintf(want, sizeof want, "/tmp/mkd-%u.sock", (unsigned)getuid());
    ck_assert_str_eq(path, want);
    /* A plain file is not a daemon. */
    char file[160];
    snprintf(file, sizeof file, "%s/not-a-socket", g_dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(mk_client_connect(file, &c), MK_ENOENT);
    unlink(file);
}
END_TEST

START_TEST(handshake_and_ping)
{
    mk_client_t *c = conn();
    uint32_t hz = 0, fmax = 0;
    ck_assert_int_eq(mk_client_tick_hz(c, &hz), 0);
    ck_assert_uint_eq(hz, 1000);
    ck_assert_int_eq(mk_client_frame_max(c, &fmax), 0);
    ck_assert_uint_eq(fmax, 1u << 20);
    ck_assert_int_eq(mk_client_tick_hz(NULL, &hz), MK_EINVAL);
    ck_assert_int_eq(mk_client_tick_hz(c, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_client_frame_max(c, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_client_ping(c, "hello", 5), 0);
    ck_assert_int_eq(mk_client_ping(c, NULL, 0), 0);
    ck_assert_int_eq(mk_client_ping(c, NULL, 3), MK_EINVAL);
    ck_assert_int_eq(mk_client_ping(NULL, "x", 1), MK_EINVAL);
    /* Over the frame limit: refused locally, connection still usable. */
    size_t n = fmax;
    char *big = calloc(1, n);
    ck_assert_int_eq(mk_client_ping(c, big, n), MK_EMSGSIZE);
    ck_assert_int_eq(mk_client_ping(c, big, 1000), 0);
    free(big);
    mk_client_close(c);
}
END_TEST

START_TEST(procs_and_ownership)
{
    mk_client_t *a = conn(), *b = conn();
    mk_pid_t p = 0, q = 0;
    ck_assert_int_eq(mk_client_proc_create(a, 0, &p), 0);
    ck_assert_uint_ne(p, 0);
    ck_assert_int_eq(mk_client_proc_create(a, 4000, &q), 0);
    ck_assert_uint_eq(q, 4000);
    ck_assert_int_eq(mk_client_proc_create(b, 4000, NULL), MK_EEXIST);
    ck_assert_int_eq(mk_client_proc_create(a, 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_client_proc_create(a, MK_PID_MAX + 1u, &q), MK_EINVAL);
    ck_assert_int_eq(mk_client_proc_create(NULL, 0, &q), MK_EINVAL);
    ck_assert_int_eq(mk_client_proc_exists(b, 4000), 0);
    ck_assert_int_eq(mk_client_proc_exists(b, 4001), MK_ENOENT);
    ck_assert_int_eq(mk_client_proc_exists(NULL, 1), MK_EINVAL);
    /* Only the owner destroys or receives. */
    ck_assert_int_eq(mk_client_proc_destroy(b, 4000), MK_EPERM);
    size_t len;
    char buf[8];
    ck_assert_int_eq(mk_client_mbox_recv(b, 4000, NULL, buf, sizeof buf, &len, MK_NO_WAIT),
                     MK_EPERM);
    ck_assert_int_eq(mk_client_proc_destroy(b, 4001), MK_ENOENT);
    ck_assert_int_eq(mk_client_proc_exists(a, 4000), 0);
    ck_assert_int_eq(mk_client_proc_destroy(a, 4000), 0);
    ck_assert_int_eq(mk_client_proc_exists(a, 4000), MK_ENOENT);
    ck_assert_int_eq(mk_client_proc_destroy(a, 4000), MK_ENOENT);
    /* Per-client limit (--max-procs 8): p plus 7 more, then ENOSPC. */
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(mk_client_proc_create(a, 0, &q), 0);
    ck_assert_int_eq(mk_client_proc_create(a, 0, &q), MK_ENOSPC);
    ck_assert_int_eq(mk_client_proc_create(b, 0, &q), 0); /* b unaffected */
    /* Closing a destroys all of its processes. */
    mk_client_close(a);
    ck_assert(gone(b, p));
    ck_assert_int_eq(mk_client_proc_exists(b, q), 0);
    mk_client_close(b);
}
END_TEST

START_TEST(mailboxes)
{
    mk_client_t *a = conn(), *b = conn();
    mk_pid_t p;
    ck_assert_int_eq(mk_client_proc_create(a, 0, &p), 0);
    ck_assert_int_eq(mk_client_mbox_send(b, p, 7, "one", 3, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_client_mbox_send(b, p, 8, "second", 6, MK_NO_WAIT), 0);
    uint32_t n = 0, tag = 0;
    ck_assert_int_eq(mk_client_mbox_count(b, p, &n), 0);
    ck_assert_uint_eq(n, 2);
    char buf[16];
    size_t len = 99;
    /* Too small: MK_EMSGSIZE, message kept, out-params untouched. */
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, buf, 2, &len, MK_NO_WAIT), MK_EMSGSIZE);
    ck_assert_uint_eq(len, 99);
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, buf, sizeof buf, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 7);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(buf, "one", 3);
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, buf, sizeof buf, &len, MK_NO_WAIT), 0);
    ck_assert_uint_eq(tag, 8);
    ck_assert_mem_eq(buf, "second", 6);
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, buf, sizeof buf, &len, MK_NO_WAIT),
                     MK_EAGAIN);
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, buf, sizeof buf, &len, 20),
                     MK_ETIMEDOUT);
    ck_assert_int_eq(mk_client_mbox_send(b, 999999, 0, "x", 1, MK_NO_WAIT), MK_ENOENT);
    ck_assert_int_eq(mk_client_mbox_send(b, p, 0, NULL, 1, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_client_mbox_send(NULL, p, 0, "x", 1, MK_NO_WAIT), MK_EINVAL);
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, buf, sizeof buf, NULL, 0), MK_EINVAL);
    ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, NULL, 4, &len, 0), MK_EINVAL);
    ck_assert_int_eq(mk_client_mbox_count(b, p, NULL), MK_EINVAL);
    /* Full mailbox (capacity 64): EAGAIN, nothing lost. */
    int sent = 0;
    while (mk_client_mbox_send(b, p, (uint32_t)sent, &sent, sizeof sent, MK_NO_WAIT) == 0)
        sent++;
    ck_assert_int_eq(sent, MK_MBOX_CAPACITY_DEFAULT);
    ck_assert_int_eq(mk_client_mbox_send(b, p, 0, "x", 1, 10), MK_ETIMEDOUT);
    for (int i = 0; i < sent; i++) {
        int v;
        ck_assert_int_eq(mk_client_mbox_recv(a, p, &tag, &v, sizeof v, &len, MK_NO_WAIT), 0);
        ck_assert_int_eq(v, i);
        ck_assert_uint_eq(tag, (uint32_t)i);
    }
    mk_client_close(a);
    mk_client_close(b);
}
END_TEST

/* A child OS process blocks in a receive; the parent's send wakes it. */
START_TEST(blocking_across_processes)
{
    mk_client_t *a = conn();
    mk_sem_t s, done;
    ck_assert_int_eq(mk_client_sem_create(a, "t-block", 0, 10, &s), 0);
    ck_assert_int_eq(mk_client_sem_create(a, "t-done", 0, 10, &done), 0);
    pid_t kid = fork();
    if (kid == 0) {
        mk_client_t *c;
        mk_sem_t ks;
        if (mk_client_connect(g_sock, &c) || mk_client_sem_open(c, "t-block", &ks))
            _exit(2);
        int rc = mk_client_sem_wait(c, ks, MK_FOREVER); /* blocks until the post */
        mk_sem_t kd;
        mk_client_sem_open(c, "t-done", &kd);
        mk_client_sem_post(c, kd);
        _exit(rc == 0 ? 0 : 3);
    }
    /* The daemon keeps serving others while the child waits. */
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(mk_client_ping(a, "x", 1), 0);
    ck_assert_int_eq(mk_client_sem_post(a, s), 0);
    ck_assert_int_eq(mk_client_sem_wait(a, done, 10000), 0);
    int st;
    ck_assert_int_eq(waitpid(kid, &st, 0), kid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    uint32_t v = 9;
    ck_assert_int_eq(mk_client_sem_value(a, s, &v), 0);
    ck_assert_uint_eq(v, 0);
    mk_client_sem_delete(a, s);
    mk_client_sem_delete(a, done);
    mk_client_close(a);
}
END_TEST

START_TEST(semaphores)
{
    mk_client_t *a = conn(), *b = conn();
    mk_sem_t s, s2;
    ck_assert_int_eq(mk_client_sem_create(a, "t-sem", 1, 2, &s), 0);
    ck_assert_int_eq(mk_client_sem_create(a, "t-sem", 1, 2, &s2), MK_EEXIST);
    ck_assert_int_eq(mk_client_sem_open(b, "t-sem", &s2), 0);
    ck_assert_uint_eq(s, s2);
    ck_assert_int_eq(mk_client_sem_open(b, "no-such", &s2), MK_ENOENT);
    char longname[MK_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    ck_assert_int_eq(mk_client_sem_create(a, longname, 0, 1, &s2), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_client_sem_open(a, longname, &s2), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_client_sem_create(a, "t-bad", 3, 2, &s2), MK_ERANGE);
    ck_assert_int_eq(mk_client_sem_create(a, NULL, 0, 1, &s2), MK_EINVAL);
    ck_assert_int_eq(mk_client_sem_wait(b, s, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_client_sem_wait(b, s, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_client_sem_wait(b, s, 20), MK_ETIMEDOUT);
    ck_assert_int_eq(mk_client_sem_post(a, s), 0);
    ck_assert_int_eq(mk_client_sem_post(a, s), 0);
    ck_assert_int_eq(mk_client_sem_post(a, s), MK_ERANGE);
    uint32_t v;
    ck_assert_int_eq(mk_client_sem_value(b, s, &v), 0);
    ck_assert_uint_eq(v, 2);
    ck_assert_int_eq(mk_client_sem_value(b, s, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_client_sem_wait(b, s ^ 0x5a5a0000ull, 0), MK_EBADH); /* forged */
    ck_assert_int_eq(mk_client_sem_delete(b, s), 0);
    ck_assert_int_eq(mk_client_sem_wait(a, s, 0), MK_EBADH); /* stale */
    ck_assert_int_eq(mk_client_sem_post(a, s), MK_EBADH);
    ck_assert_int_eq(mk_client_sem_delete(a, s), MK_EBADH);
    mk_client_close(a);
    mk_client_close(b);
}
END_TEST

START_TEST(queues)
{
    mk_client_t *a = conn(), *b = conn();
    mk_pid_t pa, pb;
    ck_assert_int_eq(mk_client_proc_create(a, 0, &pa), 0);
    ck_assert_int_eq(mk_client_proc_create(b, 0, &pb), 0);
    mk_queue_t w, ps, x;
    ck_assert_int_eq(mk_client_queue_create(a, "t-work", MK_QUEUE_WORK, 8, 64, &w), 0);
    ck_assert_int_eq(mk_client_queue_create(b, "t-work", MK_QUEUE_WORK, 8, 64, &x), MK_EEXIST);
    ck_assert_int_eq(mk_client_queue_open(b, "t-work", &x), 0);
    ck_assert_uint_eq(x, w);
    ck_assert_int_eq(mk_client_queue_open(b, "nope", &x), MK_ENOENT);
    ck_assert_int_eq(mk_client_queue_create(a, "t-bad", 7, 8, 64, &x), MK_EINVAL);
    /* Work queue: each message to one receiver, FIFO. */
    for (uint32_t i = 0; i < 8; i++)
        ck_assert_int_eq(mk_client_queue_send(b, w, i, &i, sizeof i, MK_NO_WAIT), 0);
    ck_assert_int_eq(mk_client_queue_send(b, w, 0, "x", 1, MK_NO_WAIT), MK_EAGAIN);
    ck_assert_int_eq(mk_client_queue_send(b, w, 0, "x", 1, 10), MK_ETIMEDOUT);
    char big[65];
    memset(big, 1, sizeof big);
    ck_assert_int_eq(mk_client_queue_send(b, w, 0, big, sizeof big, 0), MK_EMSGSIZE);
    uint32_t n;
    ck_assert_int_eq(mk_client_queue_count(a, w, 0, &n), 0);
    ck_assert_uint_eq(n, 8);
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t v, tag;
        size_t len;
        mk_client_t *c = i % 2 ? a : b;
        mk_pid_t p = i % 2 ? pa : pb;
        ck_assert_int_eq(mk_client_queue_recv(c, w, p, &tag, &v, sizeof v, &len, 0), 0);
        ck_assert_uint_eq(v, i);
        ck_assert_uint_eq(tag, i);
    }
    uint32_t v;
    size_t len;
    ck_assert_int_eq(mk_client_queue_recv(a, w, pb, NULL, &v, sizeof v, &len, 0), MK_EPERM);
    ck_assert_int_eq(mk_client_queue_recv(a, w, pa, NULL, &v, sizeof v, &len, 0), MK_EAGAIN);
    /* Pub/sub: each message to every subscriber. */
    ck_assert_int_eq(mk_client_queue_create(a, "t-pub", MK_QUEUE_PUBSUB, 4, 16, &ps), 0);
    ck_assert_int_eq(mk_client_queue_subscribe(a, ps, pa), 0);
    ck_assert_int_eq(mk_client_queue_subscribe(b, ps, pb), 0);
    ck_assert_int_eq(mk_client_queue_subscribe(b, ps, pb), MK_EEXIST);
    ck_assert_int_eq(mk_client_queue_subscribe(b, ps, pa), MK_EPERM);
    ck_assert_int_eq(mk_client_queue_subscribe(a, w, pa), MK_ENOTSUP);
    ck_assert_int_eq(mk_client_queue_send(a, ps, 5, "news", 4, 0), 0);
    char buf[16];
    uint32_t tag;
    ck_assert_int_eq(mk_client_queue_recv(a, ps, pa, &tag, buf, sizeof buf, &len, 0), 0);
    ck_assert_mem_eq(buf, "news", 4);
    ck_assert_int_eq(mk_client_queue_recv(b, ps, pb, &tag, buf, sizeof buf, &len, 0), 0);
    ck_assert_mem_eq(buf, "news", 4);
    ck_assert_uint_eq(tag, 5);
    ck_assert_int_eq(mk_client_queue_unsubscribe(b, ps, pb), 0);
    ck_assert_int_eq(mk_client_queue_unsubscribe(b, ps, pb), MK_ENOENT);
    /* Limits: --max-queues 4 per client; --max-client-mem 1 MiB. */
    ck_assert_int_eq(mk_client_queue_create(a, "t-huge", 0, 1024, 65536, &x), MK_EQUOTA);
    ck_assert_int_eq(mk_client_queue_create(a, "t-q3", 0, 2, 8, &x), 0);
    ck_assert_int_eq(mk_client_queue_create(a, "t-q4", 0, 2, 8, &x), 0);
    ck_assert_int_eq(mk_client_queue_create(a, "t-q5", 0, 2, 8, &x), MK_ENOSPC);
    ck_assert_int_eq(mk_client_queue_delete(b, x), 0); /* t-q4: anyone may delete */
    ck_assert_int_eq(mk_client_queue_create(a, "t-q5", 0, 2, 8, &x), 0); /* allowance back */
    ck_assert_int_eq(mk_client_queue_delete(a, x), 0);
    ck_assert_int_eq(mk_client_queue_delete(a, x), MK_EBADH);
    ck_assert_int_eq(mk_client_queue_send(a, x, 0, "x", 1, 0), MK_EBADH);
    ck_assert_int_eq(mk_client_queue_count(a, x, 0, &n), MK_EBADH);
    ck_assert_int_eq(mk_client_queue_count(a, x, 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_client_queue_open(a, "t-q4", &x), MK_ENOENT); /* b deleted it */
    ck_assert_int_eq(mk_client_queue_open(a, "t-q3", &x), 0);
    mk_client_queue_delete(a, x);
    mk_client_queue_delete(a, ps);
    /* Queues outlive their creator. */
    mk_client_close(a);
    ck_assert_int_eq(mk_client_queue_open(b, "t-work", &x), 0);
    ck_assert_int_eq(mk_client_queue_delete(b, x), 0);
    mk_client_close(b);
}
END_TEST

START_TEST(files)
{
    mk_client_t *a = conn(), *b = conn();
    mk_pid_t p;
    ck_assert_int_eq(mk_client_proc_create(a, 0, &p), 0);
    ck_assert_int_eq(mk_client_vfs_mkdir(a, "/t-dir"), 0);
    ck_assert_int_eq(mk_client_vfs_mkdir(a, "/t-dir"), MK_EEXIST);
    ck_assert_int_eq(mk_client_vfs_mkdir(a, "relative"), MK_EINVAL);
    mk_fd_t fd;
    ck_assert_int_eq(mk_client_vfs_open(b, p, "/t-dir/f", MK_O_RDWR | MK_O_CREAT, &fd), MK_EPERM);
    ck_assert_int_eq(mk_client_vfs_open(a, p, "/t-dir/missing", MK_O_RDWR, &fd), MK_ENOENT);
    ck_assert_int_eq(mk_client_vfs_open(a, p, "/t-dir/f", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    size_t n;
    ck_assert_int_eq(mk_client_vfs_write(a, p, fd, "hello, world", 12, &n), 0);
    ck_assert_uint_eq(n, 12);
    ck_assert_int_eq(mk_client_vfs_write(b, p, fd, "x", 1, &n), MK_EPERM);
    uint64_t pos = 77;
    ck_assert_int_eq(mk_client_vfs_seek(a, p, fd, 0, MK_SEEK_SET, &pos), 0);
    ck_assert_uint_eq(pos, 0);
    char buf[32];
    ck_assert_int_eq(mk_client_vfs_read(a, p, fd, buf, 5, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(buf, "hello", 5);
    ck_assert_int_eq(mk_client_vfs_pwrite(a, p, fd, "W", 1, 7, &n), 0);
    ck_assert_int_eq(mk_client_vfs_pread(a, p, fd, buf, sizeof buf, 0, &n), 0);
    ck_assert_uint_eq(n, 12);
    ck_assert_mem_eq(buf, "hello, World", 12);
    ck_assert_int_eq(mk_client_vfs_read(a, p, fd, NULL, 4, &n), MK_EINVAL);
    ck_assert_int_eq(mk_client_vfs_read(a, p, fd ^ 0x777000ull, buf, 4, &n), MK_EBADH);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_client_vfs_stat(b, "/t-dir/f", &st), 0);
    ck_assert_uint_eq(st.bytes, 12);
    ck_assert_uint_eq(st.type, MK_FT_REG);
    st.size = 4;
    ck_assert_int_eq(mk_client_vfs_stat(b, "/t-dir/f", &st), MK_EINVAL);
    st.size = sizeof st;
    ck_assert_int_eq(mk_client_vfs_stat(b, "/t-dir/none", &st), MK_ENOENT);
    ck_assert_int_eq(mk_client_vfs_close(a, p, fd), 0);
    ck_assert_int_eq(mk_client_vfs_close(a, p, fd), MK_EBADH);
    /* A descriptor left open is closed when its owner's connection goes. */
    ck_assert_int_eq(mk_client_vfs_open(a, p, "/t-dir/f", MK_O_RDONLY, &fd), 0);
    mk_client_close(a);
    ck_assert(gone(b, p));
    ck_assert_int_eq(mk_client_vfs_unlink(b, "/t-dir/f"), 0);
    ck_assert_int_eq(mk_client_vfs_unlink(b, "/t-dir/f"), MK_ENOENT);
    ck_assert_int_eq(mk_client_vfs_unlink(b, NULL), MK_EINVAL);
    mk_client_close(b);
}
END_TEST

/* A client killed (SIGKILL) while blocked: its process disappears, its
 * waiters are released, and the daemon keeps serving. */
START_TEST(killed_client_cleaned_up)
{
    mk_client_t *a = conn();
    mk_sem_t s;
    ck_assert_int_eq(mk_client_sem_create(a, "t-kill", 0, 5, &s), 0);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t kid = fork();
    if (kid == 0) {
        mk_client_t *c;
        mk_pid_t p;
        mk_sem_t ks;
        if (mk_client_connect(g_sock, &c) || mk_client_proc_create(c, 0, &p) ||
            mk_client_sem_open(c, "t-kill", &ks))
            _exit(2);
        (void)!write(fds[1], &p, sizeof p);
        mk_client_sem_wait(c, ks, MK_FOREVER); /* killed while here */
        _exit(3);
    }
    close(fds[1]);
    mk_pid_t p = 0;
    ck_assert_int_eq(read(fds[0], &p, sizeof p), (ssize_t)sizeof p);
    close(fds[0]);
    ck_assert_int_eq(mk_client_proc_exists(a, p), 0);
    ck_assert_int_eq(mk_client_mbox_send(a, p, 1, "queued", 6, 0), 0);
    kill(kid, SIGKILL);
    int st;
    waitpid(kid, &st, 0);
    ck_assert(gone(a, p));
    /* The killed waiter must not swallow a later post. */
    ck_assert_int_eq(mk_client_sem_post(a, s), 0);
    ck_assert_int_eq(mk_client_sem_wait(a, s, 10000), 0);
    ck_assert_int_eq(mk_client_ping(a, "alive", 5), 0);
    mk_client_sem_delete(a, s);
    mk_client_close(a);
}
END_TEST

/* Malformed frames on a raw socket get an error or a closed connection,
 * and never take the daemon down. */
START_TEST(raw_garbage)
{
    for (int round = 0; round < 3; round++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", g_sock);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        unsigned char junk[64];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)(i * 37 + round * 11);
        if (round == 1)
            memset(junk, 0xff, 4); /* a 4 GiB length */
        (void)!write(fd, junk, sizeof junk);
        shutdown(fd, SHUT_WR); /* the daemon sees EOF at the latest */
        char tmp[256];
        while (read(fd, tmp, sizeof tmp) > 0) {
        }
        close(fd);
    }
    mk_client_t *a = conn();
    ck_assert_int_eq(mk_client_ping(a, "still here", 10), 0);
    mk_client_close(a);
}
END_TEST

/* Mailbox ping-pong between two OS processes, both receives blocking:
 * each message wakes the other side's parked receive. */
START_TEST(mailbox_ping_pong)
{
    mk_client_t *a = conn();
    mk_pid_t me;
    ck_assert_int_eq(mk_client_proc_create(a, 0, &me), 0);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t kid = fork();
    if (kid == 0) {
        mk_client_t *c;
        mk_pid_t p;
        if (mk_client_connect(g_sock, &c) || mk_client_proc_create(c, 0, &p))
            _exit(2);
        (void)!write(fds[1], &p, sizeof p);
        for (int i = 0; i < 200; i++) {
            uint32_t v, tag;
            size_t len;
            if (mk_client_mbox_recv(c, p, &tag, &v, sizeof v, &len,
                                    i % 2 ? MK_FOREVER : 10000) ||
                len != sizeof v || v != (uint32_t)i)
                _exit(3);
            v++;
            if (mk_client_mbox_send(c, tag, p, &v, sizeof v, MK_FOREVER))
                _exit(4);
        }
        _exit(0);
    }
    close(fds[1]);
    mk_pid_t peer = 0;
    ck_assert_int_eq(read(fds[0], &peer, sizeof peer), (ssize_t)sizeof peer);
    close(fds[0]);
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t v = i, tag;
        size_t len;
        ck_assert_int_eq(mk_client_mbox_send(a, peer, me, &v, sizeof v, MK_FOREVER), 0);
        ck_assert_int_eq(mk_client_mbox_recv(a, me, &tag, &v, sizeof v, &len, 10000), 0);
        ck_assert_uint_eq(v, i + 1);
        ck_assert_uint_eq(tag, peer);
    }
    int st;
    ck_assert_int_eq(waitpid(kid, &st, 0), kid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    mk_client_close(a);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("mkd");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, connect_bad_input);
    tcase_add_test(tc, handshake_and_ping);
    tcase_add_test(tc, procs_and_ownership);
    tcase_add_test(tc, mailboxes);
    tcase_add_test(tc, blocking_across_processes);
    tcase_add_test(tc, mailbox_ping_pong);
    tcase_add_test(tc, semaphores);
    tcase_add_test(tc, queues);
    tcase_add_test(tc, files);
    tcase_add_test(tc, killed_client_cleaned_up);
    tcase_add_test(tc, raw_garbage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    start_mkd();
    SRunner *sr = srunner_create(client_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    stop_mkd();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
