/*
 * bench-mkd.c — round trip through mkd against a raw Unix-socket ping-pong
 * between two processes, in the same run on the same machine.
 *
 *   bench-mkd [--mkd PATH] [--iters N] [--size BYTES]
 *
 * Starts its own mkd (PATH, default ./daemon/mkd relative to the build
 * directory, or $MKD) on a temporary socket and kills it at the end.
 * Measures, per round trip (median, p99, and messages per second):
 *   raw      client writes SIZE bytes to a peer process over a Unix socket,
 *            the peer echoes them back (the floor any socket daemon pays);
 *   ping     mk_client_ping: client → mkd → client, SIZE bytes each way
 *            (decode, dispatch, encode: the protocol's own cost);
 *   mbox     mk_client_mbox_send of SIZE bytes to our own process followed
 *            by mk_client_mbox_recv: two requests doing real kernel work;
 *   relay    two OS processes ping-pong a message through their mailboxes
 *            in mkd (A send → B's blocked recv wakes on a worker → B sends
 *            back → A's recv): four requests and two worker wake-ups.
 * Not a test: no pass/fail, just the table. Ratios are against raw.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microkernel/mk.h>

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct result {
    const char *name;
    double median_us, p99_us, msgs_per_s;
};

static void summarise(struct result *r, const char *name, uint64_t *ns, int n, uint64_t total)
{
    qsort(ns, (size_t)n, sizeof *ns, cmp_u64);
    r->name = name;
    r->median_us = ns[n / 2] / 1000.0;
    r->p99_us = ns[(int)(n * 0.99)] / 1000.0;
    r->msgs_per_s = n / (total / 1e9);
}

static int full_io(int fd, void *buf, size_t len, int wr)
{
    char *p = buf;
    while (len) {
        ssize_t k = wr ? write(fd, p, len) : read(fd, p, len);
        if (k <= 0) {
            if (k < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static void bench_raw(const char *dir, int iters, size_t size, uint64_t *ns, struct result *r)
{
    char path[100];
    snprintf(path, sizeof path, "%.80s/raw.sock", dir);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 1)) {
        perror("raw socket");
        exit(1);
    }
    pid_t kid = fork();
    if (kid == 0) { /* the echo peer */
        int fd = accept(ls, NULL, NULL);
        char *b = malloc(size);
        while (full_io(fd, b, size, 0) == 0 && full_io(fd, b, size, 1) == 0) {
        }
        _exit(0);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        perror("connect");
        exit(1);
    }
    char *b = calloc(1, size);
    for (int i = 0; i < 1000; i++)
        full_io(fd, b, size, 1), full_io(fd, b, size, 0);
    uint64_t t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        uint64_t a = now_ns();
        full_io(fd, b, size, 1);
        full_io(fd, b, size, 0);
        ns[i] = now_ns() - a;
    }
    summarise(r, "raw Unix socket echo", ns, iters, now_ns() - t0);
    close(fd);
    waitpid(kid, NULL, 0);
    close(ls);
    unlink(path);
    free(b);
}

static void bench_ping(const char *sock, int iters, size_t size, uint64_t *ns, struct result *r)
{
    mk_client_t *c;
    if (mk_client_connect(sock, &c)) {
        fprintf(stderr, "connect to mkd failed\n");
        exit(1);
    }
    char *b = calloc(1, size);
    for (int i = 0; i < 1000; i++)
        mk_client_ping(c, b, size);
    uint64_t t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        uint64_t a = now_ns();
        if (mk_client_ping(c, b, size)) {
            fprintf(stderr, "ping failed\n");
            exit(1);
        }
        ns[i] = now_ns() - a;
    }
    summarise(r, "mkd ping (1 request)", ns, iters, now_ns() - t0);
    mk_client_close(c);
    free(b);
}

static void bench_mbox(const char *sock, int iters, size_t size, uint64_t *ns, struct result *r)
{
    mk_client_t *c;
    mk_pid_t me;
    if (mk_client_connect(sock, &c) || mk_client_proc_create(c, 0, &me)) {
        fprintf(stderr, "mkd set-up failed\n");
        exit(1);
    }
    char *b = calloc(1, size);
    size_t len;
    uint32_t tag;
    uint64_t t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        uint64_t a = now_ns();
        if (mk_client_mbox_send(c, me, 1, b, size, MK_NO_WAIT) ||
            mk_client_mbox_recv(c, me, &tag, b, size, &len, MK_NO_WAIT)) {
            fprintf(stderr, "mbox failed\n");
            exit(1);
        }
        ns[i] = now_ns() - a;
    }
    summarise(r, "mkd mbox send+recv (2 requests)", ns, iters, now_ns() - t0);
    mk_client_close(c);
    free(b);
}

static void bench_relay(const char *sock, int iters, size_t size, uint64_t *ns, struct result *r)
{
    int p[2];
    if (pipe(p))
        exit(1);
    pid_t kid = fork();
    if (kid == 0) { /* B: receive, send back */
        mk_client_t *c;
        mk_pid_t me, a;
        if (mk_client_connect(sock, &c) || mk_client_proc_create(c, 0, &me))
            _exit(1);
        (void)!write(p[1], &me, sizeof me);
        char *b = malloc(size);
        size_t len;
        uint32_t tag;
        while (mk_client_mbox_recv(c, me, &tag, b, size, &len, MK_FOREVER) == 0) {
            a = tag;
            if (mk_client_mbox_send(c, a, me, b, len, MK_FOREVER))
                break;
        }
        _exit(0);
    }
    mk_pid_t peer;
    if (read(p[0], &peer, sizeof peer) != sizeof peer)
        exit(1);
    mk_client_t *c;
    mk_pid_t me;
    if (mk_client_connect(sock, &c) || mk_client_proc_create(c, 0, &me))
        exit(1);
    char *b = calloc(1, size);
    size_t len;
    uint32_t tag;
    for (int i = 0; i < 500; i++) {
        mk_client_mbox_send(c, peer, me, b, size, MK_FOREVER);
        mk_client_mbox_recv(c, me, &tag, b, size, &len, MK_FOREVER);
    }
    uint64_t t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        uint64_t a = now_ns();
        if (mk_client_mbox_send(c, peer, me, b, size, MK_FOREVER) ||
            mk_client_mbox_recv(c, me, &tag, b, size, &len, MK_FOREVER)) {
            fprintf(stderr, "relay failed\n");
            exit(1);
        }
        ns[i] = now_ns() - a;
    }
    summarise(r, "mkd relay A->B->A (4 requests)", ns, iters, now_ns() - t0);
    mk_client_close(c);
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    free(b);
}

int main(int argc, char **argv)
{
    const char *mkd = getenv("MKD");
    int iters = 20000;
    size_t size = 64;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mkd") && i + 1 < argc)
            mkd = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = (size_t)atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench-mkd [--mkd PATH] [--iters N] [--size BYTES]\n");
            return 2;
        }
    }
    if (!mkd)
        mkd = "daemon/mkd";
    if (iters < 100 || size < 1 || size > 60000) {
        fprintf(stderr, "bench-mkd: iters >= 100, 1 <= size <= 60000\n");
        return 2;
    }
    if (access(mkd, X_OK)) {
        fprintf(stderr, "bench-mkd: mkd not found at %s (use --mkd)\n", mkd);
        return 1;
    }
    char dir[] = "/tmp/bench-mkd-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char sock[200], msock[200];
    snprintf(sock, sizeof sock, "%s/mkd.sock", dir);
    snprintf(msock, sizeof msock, "%s/mipc.sock", dir);
    pid_t d = fork();
    if (d == 0) {
        execl(mkd, mkd, "--foreground", "--log-level", "error", "--socket", sock,
              "--mipc-socket", msock, (char *)NULL);
        _exit(127);
    }
    mk_client_t *probe = NULL;
    for (int i = 0; i < 500 && mk_client_connect(sock, &probe); i++)
        usleep(10000);
    if (!probe) {
        fprintf(stderr, "bench-mkd: mkd did not start\n");
        kill(d, SIGKILL);
        return 1;
    }
    mk_client_close(probe);

    uint64_t *ns = malloc(sizeof *ns * (size_t)iters);
    struct result r[4];
    bench_raw(dir, iters, size, ns, &r[0]);
    bench_ping(sock, iters, size, ns, &r[1]);
    bench_mbox(sock, iters, size, ns, &r[2]);
    bench_relay(sock, iters, size, ns, &r[3]);
    kill(d, SIGTERM);
    waitpid(d, NULL, 0);
    rmdir(dir);

    printf("bench-mkd: %d round trips of %zu bytes each way\n\n", iters, size);
    printf("| round trip | median µs | p99 µs | msgs/s | median vs raw |\n");
    printf("|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < 4; i++)
        printf("| %s | %.2f | %.2f | %.0f | %.2f× |\n", r[i].name, r[i].median_us, r[i].p99_us,
               r[i].msgs_per_s, r[i].median_us / r[0].median_us);
    free(ns);
    return 0;
}
