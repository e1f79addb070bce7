/*
 * bench-core-msg.c - bench-core sections for messages, semaphores and the
 * buffer cache (see bench-core.c for the program and harness.h for the
 * method).
 *
 * Messages are 64 bytes. Single-thread: send then receive in one thread
 * (no waiting ever happens; the cost is the call path, the locks and the
 * copy). Cross-thread: a producer thread sends N messages while a consumer
 * thread receives them, both blocking (MK_FOREVER / blocking fds), so the
 * figure includes wake-ups when the consumer drains the queue. Peers: POSIX
 * message queues (mq_send / mq_receive, a system call each) and a pipe.
 * Pub/sub: one publish and one receive per subscriber, against writing to
 * and reading from one pipe per subscriber.
 */
#include "bench-core.h"

#include <microkernel/mk.h>

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MSG 64
#define ITERS_MSG 1000000u
#define ITERS_X 400000u

static void die(const char *what, int rc)
{
    fprintf(stderr, "%s failed: %d\n", what, rc);
    exit(1);
}

static mk_t *mk_plain(uint32_t cache_blocks)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.cache_blocks = cache_blocks;
    mk_t *k = NULL;
    int rc = mk_create(&cfg, &k);
    if (rc != 0)
        die("mk_create", rc);
    return k;
}

typedef struct msgw {
    mk_t *k;
    mk_queue_t q;
    mqd_t mq;
    int fd[2];
    int nsub;
    int pfd[16][2];
} msgw_t;

static void mbox_st(void *arg, uint64_t iters)
{
    msgw_t *w = arg;
    char buf[MSG] = {1};
    uint32_t tag;
    size_t len;
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_mbox_send(w->k, 1, 7, buf, MSG, MK_NO_WAIT);
        if (rc == 0)
            rc = mk_mbox_recv(w->k, 1, &tag, buf, MSG, &len, MK_NO_WAIT);
        if (rc != 0)
            die("mbox", rc);
    }
}

static void queue_st(void *arg, uint64_t iters)
{
    msgw_t *w = arg;
    char buf[MSG] = {1};
    uint32_t tag;
    size_t len;
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_queue_send(w->k, w->q, 7, buf, MSG, MK_NO_WAIT);
        if (rc == 0)
            rc = mk_queue_recv(w->k, w->q, 0, &tag, buf, MSG, &len, MK_NO_WAIT);
        if (rc != 0)
            die("queue", rc);
    }
}

static void mq_st(void *arg, uint64_t iters)
{
    msgw_t *w = arg;
    char buf[MSG] = {1};
    unsigned prio;
    for (uint64_t i = 0; i < iters; i++)
        if (mq_send(w->mq, buf, MSG, 0) != 0 || mq_receive(w->mq, buf, MSG, &prio) != MSG)
            die("mq", errno);
}

static void pipe_st(void *arg, uint64_t iters)
{
    msgw_t *w = arg;
    char buf[MSG] = {1};
    for (uint64_t i = 0; i < iters; i++)
        if (write(w->fd[1], buf, MSG) != MSG || read(w->fd[0], buf, MSG) != MSG)
            die("pipe", errno);
}

/* ---- cross-thread ------------------------------------------------------------ */

typedef struct xarg {
    msgw_t *w;
    uint64_t n;
    int kind; /* 0 mbox, 1 queue, 2 mq, 3 pipe */
} xarg_t;

static void *consumer(void *p)
{
    xarg_t *x = p;
    msgw_t *w = x->w;
    char buf[MSG];
    uint32_t tag;
    size_t len;
    unsigned prio;
    for (uint64_t i = 0; i < x->n; i++) {
        int rc = 0;
        switch (x->kind) {
        case 0: rc = mk_mbox_recv(w->k, 1, &tag, buf, MSG, &len, MK_FOREVER); break;
        case 1: rc = mk_queue_recv(w->k, w->q, 0, &tag, buf, MSG, &len, MK_FOREVER); break;
        case 2: rc = mq_receive(w->mq, buf, MSG, &prio) == MSG ? 0 : -1; break;
        default: {
            size_t got = 0; /* a pipe may return part of a message */
            while (got < MSG) {
                ssize_t r = read(w->fd[0], buf + got, MSG - got);
                if (r <= 0) {
                    rc = -1;
                    break;
                }
                got += (size_t)r;
            }
        }
        }
        if (rc != 0)
            die("consumer", rc);
    }
    return NULL;
}

static void cross(msgw_t *w, int kind, uint64_t iters)
{
    xarg_t x = {w, iters, kind};
    pthread_t t;
    pthread_create(&t, NULL, consumer, &x);
    char buf[MSG] = {2};
    for (uint64_t i = 0; i < iters; i++) {
        int rc = 0;
        switch (kind) {
        case 0: rc = mk_mbox_send(w->k, 1, 7, buf, MSG, MK_FOREVER); break;
        case 1: rc = mk_queue_send(w->k, w->q, 7, buf, MSG, MK_FOREVER); break;
        case 2: rc = mq_send(w->mq, buf, MSG, 0); break;
        default: rc = write(w->fd[1], buf, MSG) == MSG ? 0 : -1;
        }
        if (rc != 0)
            die("producer", rc);
    }
    pthread_join(t, NULL);
}

static void mbox_x(void *a, uint64_t n) { cross(a, 0, n); }
static void queue_x(void *a, uint64_t n) { cross(a, 1, n); }
static void mq_x(void *a, uint64_t n) { cross(a, 2, n); }
static void pipe_x(void *a, uint64_t n) { cross(a, 3, n); }

/* ---- publish/subscribe ------------------------------------------------------------ */

static void pubsub_mk(void *arg, uint64_t iters)
{
    msgw_t *w = arg;
    char buf[MSG] = {3};
    uint32_t tag;
    size_t len;
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_queue_send(w->k, w->q, 1, buf, MSG, MK_NO_WAIT);
        for (int s = 0; s < w->nsub && rc == 0; s++)
            rc = mk_queue_recv(w->k, w->q, (mk_pid_t)(10 + s), &tag, buf, MSG, &len,
                               MK_NO_WAIT);
        if (rc != 0)
            die("pubsub", rc);
    }
}

static void pubsub_pipe(void *arg, uint64_t iters)
{
    msgw_t *w = arg;
    char buf[MSG] = {3};
    for (uint64_t i = 0; i < iters; i++) {
        for (int s = 0; s < w->nsub; s++)
            if (write(w->pfd[s][1], buf, MSG) != MSG)
                die("pipe write", errno);
        for (int s = 0; s < w->nsub; s++)
            if (read(w->pfd[s][0], buf, MSG) != MSG)
                die("pipe read", errno);
    }
}

void bc_msg(void)
{
    if (!bh_section_selected("msg/"))
        return;
    bh_section("messages: 64-byte send+receive (ns per message)");
    static msgw_t w;
    w.k = mk_plain(0);
    int rc = mk_proc_create(w.k, 1, NULL);
    if (rc != 0)
        die("mk_proc_create", rc);
    mk_queue_attr_t qa;
    mk_queue_attr_init(&qa);
    qa.msg_max = MSG;
    if ((rc = mk_queue_create(w.k, "bench", &qa, &w.q)) != 0)
        die("mk_queue_create", rc);
    struct mq_attr ma = {0};
    ma.mq_maxmsg = 10; /* the default /proc/sys/fs/mqueue/msg_max */
    ma.mq_msgsize = MSG;
    mq_unlink("/libmk-bench");
    w.mq = mq_open("/libmk-bench", O_RDWR | O_CREAT, 0600, &ma);
    if (w.mq == (mqd_t)-1)
        die("mq_open", errno);
    if (pipe(w.fd) != 0)
        die("pipe", errno);

    bh_compare("msg/st/mbox", "POSIX mq", ITERS_MSG, mbox_st, &w, mq_st, &w, "target <= 0.1");
    bh_compare("msg/st/queue", "POSIX mq", ITERS_MSG, queue_st, &w, mq_st, &w, "target <= 0.1");
    bh_compare("msg/st/mbox-vs-pipe", "pipe", ITERS_MSG, mbox_st, &w, pipe_st, &w, NULL);
    bh_compare("msg/st/queue-vs-pipe", "pipe", ITERS_MSG, queue_st, &w, pipe_st, &w, NULL);
    bh_use_wall_clock(true); /* two threads hand messages over */
    bh_compare("msg/xthread/mbox", "pipe", ITERS_X, mbox_x, &w, pipe_x, &w, "target <= 0.5");
    bh_compare("msg/xthread/queue", "pipe", ITERS_X, queue_x, &w, pipe_x, &w, "target <= 0.5");
    bh_compare("msg/xthread/mbox-vs-mq", "POSIX mq", ITERS_X, mbox_x, &w, mq_x, &w, NULL);
    bh_compare("msg/xthread/queue-vs-mq", "POSIX mq", ITERS_X, queue_x, &w, mq_x, &w, NULL);
    bh_use_wall_clock(false);
    mq_close(w.mq);
    mq_unlink("/libmk-bench");
    close(w.fd[0]);
    close(w.fd[1]);

    bh_section("publish/subscribe: one publish + every subscriber receives (ns per publish)");
    for (int i = 0; i < 16; i++) {
        if ((rc = mk_proc_create(w.k, (mk_pid_t)(10 + i), NULL)) != 0)
            die("mk_proc_create", rc);
        if (pipe(w.pfd[i]) != 0)
            die("pipe", errno);
    }
    int subs[] = {1, 4, 16};
    for (int si = 0; si < 3; si++) {
        char qn[32], name[64], peer[32];
        snprintf(qn, sizeof qn, "pub%d", subs[si]);
        mk_queue_attr_init(&qa);
        qa.mode = MK_QUEUE_PUBSUB;
        qa.msg_max = MSG;
        if ((rc = mk_queue_create(w.k, qn, &qa, &w.q)) != 0)
            die("mk_queue_create", rc);
        for (int s = 0; s < subs[si]; s++)
            if ((rc = mk_queue_subscribe(w.k, w.q, (mk_pid_t)(10 + s))) != 0)
                die("subscribe", rc);
        w.nsub = subs[si];
        snprintf(name, sizeof name, "msg/pubsub/%d", subs[si]);
        snprintf(peer, sizeof peer, "%d pipe%s", subs[si], subs[si] > 1 ? "s" : "");
        bh_compare(name, peer, ITERS_MSG / (uint64_t)subs[si], pubsub_mk, &w, pubsub_pipe, &w,
                   NULL);
    }
    for (int i = 0; i < 16; i++) {
        close(w.pfd[i][0]);
        close(w.pfd[i][1]);
    }
    mk_destroy(w.k);
}

/* ---- semaphores ------------------------------------------------------------------- */

typedef struct semw {
    mk_t *k;
    mk_sem_t a, b;
    sem_t pa, pb;
    uint64_t n;
} semw_t;

static void sem_mk(void *arg, uint64_t iters)
{
    semw_t *w = arg;
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_sem_post(w->k, w->a);
        if (rc == 0)
            rc = mk_sem_wait(w->k, w->a, MK_FOREVER);
        if (rc != 0)
            die("sem", rc);
    }
}

static void sem_posix(void *arg, uint64_t iters)
{
    semw_t *w = arg;
    for (uint64_t i = 0; i < iters; i++)
        if (sem_post(&w->pa) != 0 || sem_wait(&w->pa) != 0)
            die("sem_t", errno);
}

/* Ping-pong: the main thread posts a and waits b; the partner waits a and
 * posts b. Each round trip is two hand-offs, each a wake-up of a blocked
 * thread. */
static void *pong_mk(void *arg)
{
    semw_t *w = arg;
    for (uint64_t i = 0; i < w->n; i++)
        if (mk_sem_wait(w->k, w->a, MK_FOREVER) != 0 || mk_sem_post(w->k, w->b) != 0)
            die("pong", -1);
    return NULL;
}

static void *pong_posix(void *arg)
{
    semw_t *w = arg;
    for (uint64_t i = 0; i < w->n; i++)
        if (sem_wait(&w->pa) != 0 || sem_post(&w->pb) != 0)
            die("pong", errno);
    return NULL;
}

static void pingpong_mk(void *arg, uint64_t iters)
{
    semw_t *w = arg;
    w->n = iters;
    pthread_t t;
    pthread_create(&t, NULL, pong_mk, w);
    for (uint64_t i = 0; i < iters; i++)
        if (mk_sem_post(w->k, w->a) != 0 || mk_sem_wait(w->k, w->b, MK_FOREVER) != 0)
            die("ping", -1);
    pthread_join(t, NULL);
}

static void pingpong_posix(void *arg, uint64_t iters)
{
    semw_t *w = arg;
    w->n = iters;
    pthread_t t;
    pthread_create(&t, NULL, pong_posix, w);
    for (uint64_t i = 0; i < iters; i++)
        if (sem_post(&w->pa) != 0 || sem_wait(&w->pb) != 0)
            die("ping", errno);
    pthread_join(t, NULL);
}

/* Contended: two threads hammer post+wait on the SAME semaphore. */
static void *hammer_mk(void *arg)
{
    semw_t *w = arg;
    for (uint64_t i = 0; i < w->n; i++)
        if (mk_sem_post(w->k, w->a) != 0 || mk_sem_wait(w->k, w->a, MK_FOREVER) != 0)
            die("hammer", -1);
    return NULL;
}

static void *hammer_posix(void *arg)
{
    semw_t *w = arg;
    for (uint64_t i = 0; i < w->n; i++)
        if (sem_post(&w->pa) != 0 || sem_wait(&w->pa) != 0)
            die("hammer", errno);
    return NULL;
}

static void contended(semw_t *w, uint64_t iters, void *(*fn)(void *))
{
    w->n = iters / 2;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, fn, w);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
}

static void hammer2_mk(void *a, uint64_t n) { contended(a, n, hammer_mk); }
static void hammer2_posix(void *a, uint64_t n) { contended(a, n, hammer_posix); }

void bc_sem(void)
{
    if (!bh_section_selected("sem/"))
        return;
    bh_section("semaphores (ns per post+wait)");
    static semw_t w;
    w.k = mk_plain(0);
    int rc;
    if ((rc = mk_sem_create(w.k, "a", 0, 0, &w.a)) != 0 ||
        (rc = mk_sem_create(w.k, "b", 0, 0, &w.b)) != 0)
        die("mk_sem_create", rc);
    sem_init(&w.pa, 0, 0);
    sem_init(&w.pb, 0, 0);
    bh_compare("sem/uncontended", "POSIX sem_t", 4000000, sem_mk, &w, sem_posix, &w,
               "target <= 1.5");
    bh_use_wall_clock(true);
    bh_compare("sem/contended-2threads", "POSIX sem_t", 1000000, hammer2_mk, &w, hammer2_posix,
               &w, NULL);
    bh_compare("sem/pingpong-2threads", "POSIX sem_t", 200000, pingpong_mk, &w, pingpong_posix,
               &w, NULL);
    bh_use_wall_clock(false);
    sem_destroy(&w.pa);
    sem_destroy(&w.pb);
    mk_destroy(w.k);
}

/* ---- buffer cache ------------------------------------------------------------------- */

#define BLK 4096u
#define HOT 64u                 /* blocks read by the hit workload */
#define MISS_BLOCKS 16384u      /* 64 MiB image: 16 x the cache */
#define MISS_CACHE 1024u

typedef struct cachew {
    mk_t *k;
    mk_dev_t dev;
    int fd;
    uint32_t nblocks;
    uint64_t pos;
    uint64_t stride; /* block = pos * stride mod nblocks */
} cachew_t;

static void cache_mk(void *arg, uint64_t iters)
{
    cachew_t *w = arg;
    static char buf[BLK];
    for (uint64_t i = 0; i < iters; i++) {
        int rc = mk_blk_read(w->k, w->dev, (w->pos++ * w->stride) % w->nblocks, 0, buf, BLK);
        if (rc != 0)
            die("mk_blk_read", rc);
    }
}

static void cache_pread(void *arg, uint64_t iters)
{
    cachew_t *w = arg;
    static char buf[BLK];
    for (uint64_t i = 0; i < iters; i++)
        if (pread(w->fd, buf, BLK, (off_t)(((w->pos++ * w->stride) % w->nblocks) * BLK)) != BLK)
            die("pread", errno);
}

static int shm_file(const char *path, uint32_t nblocks)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open /dev/shm", errno);
    static char buf[BLK];
    for (uint32_t i = 0; i < nblocks; i++) {
        memset(buf, (int)(i & 0xff), sizeof buf);
        if (pwrite(fd, buf, BLK, (off_t)i * BLK) != BLK)
            die("pwrite", errno);
    }
    return fd;
}

void bc_cache(void)
{
    if (!bh_section_selected("cache/"))
        return;
    bh_section("buffer cache: 4 KiB block reads (ns per read)");
    static cachew_t w;
    int rc;
    /* Hit: a RAM device whose HOT blocks are all in the cache. */
    w.k = mk_plain(MISS_CACHE);
    if ((rc = mk_blk_create_ram(w.k, "ram0", BLK, 1024, &w.dev)) != 0)
        die("mk_blk_create_ram", rc);
    static char buf[BLK];
    for (uint32_t i = 0; i < HOT; i++) {
        memset(buf, (int)i, sizeof buf);
        if ((rc = mk_blk_write(w.k, w.dev, i, 0, buf, BLK)) != 0)
            die("mk_blk_write", rc);
    }
    w.fd = shm_file("/dev/shm/libmk-bench-hit", HOT);
    w.nblocks = HOT;
    w.stride = 1;
    bh_compare("cache/hit-4k", "pread tmpfs", 2000000, cache_mk, &w, cache_pread, &w,
               "target <= 0.5");
    close(w.fd);
    unlink("/dev/shm/libmk-bench-hit");
    mk_destroy(w.k);

    /* Miss: a file-backed image 16 times the cache, read with a large
     * prime stride (every block once per cycle, never two neighbours in a
     * row), so every read evicts and reads its block from the file and
     * sequential read-ahead, if the cache does any, cannot turn the misses
     * into hits. */
    const char *img = "/dev/shm/libmk-bench-miss.img";
    w.fd = shm_file(img, MISS_BLOCKS);
    w.k = mk_plain(MISS_CACHE);
    if ((rc = mk_blk_open_image(w.k, "img0", img, BLK, MISS_BLOCKS, 0, &w.dev)) != 0)
        die("mk_blk_open_image", rc);
    w.nblocks = MISS_BLOCKS;
    w.pos = 0;
    w.stride = 7919;
    bh_compare("cache/miss-4k-image", "pread tmpfs", 400000, cache_mk, &w, cache_pread, &w,
               NULL);
    mk_cache_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = (uint32_t)sizeof st;
    if (mk_cache_stats(w.k, &st) == 0 && st.hits + st.misses > 0)
        bh_value("cache/miss-4k-image-hit-rate", (double)st.hits / (double)(st.hits + st.misses),
                 "", "hits / (hits + misses) of the miss workload (should be ~0)");
    mk_destroy(w.k);
    close(w.fd);
    unlink(img);
}
