/*
 * bench-dir.c - large directories (issue 4: "looking up a name in a
 * directory of 100,000 entries costs about what it costs in a directory of
 * 10"). Directories of 10, 1,000 and 100,000 empty files on a 4 KiB-block
 * image file; per directory size:
 *
 *  dir/<op>/<n>/warm    the file system mounted and its blocks cached (a
 *                       cache of 16,384 blocks: the whole image):
 *                       lookup-hit  mk_vfs_stat of a random existing name,
 *                       lookup-miss mk_vfs_stat of a random absent name,
 *                       create-unlink  open(O_CREAT|O_EXCL) + close +
 *                                  unlink of a new name.
 *  dir/<op>/<n>/cold    right after a remount: a fresh mk_t over the same
 *                       image (nothing cached), mount, then 200 lookups
 *                       of random names (hits or misses) timed together;
 *                       each run is a new context (wall clock: the work is
 *                       reads from the image file); the -reads rows give
 *                       the device blocks read per lookup.
 * Each 100,000 row is printed against the 10 row of the same operation,
 * so ratio = median(100,000 entries) / median(10 entries): 1.0 means the
 * size of the directory does not matter. Every operation formats its path
 * with snprintf (a few tens of ns, the same at every size).
 *
 * Usage: bench-dir [--json] [--runs N] [--quick] [--filter S]
 *        env BENCH_DIR_IMAGE: the image file (default /dev/shm/bench-dir.img,
 *        removed at the end).
 * Public API only; built by meson, never run by the test suite.
 */
#include <microkernel/mk.h>

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(call)                                                                 \
    do {                                                                            \
        int rc_ = (call);                                                           \
        if (rc_ != 0) {                                                             \
            fprintf(stderr, "%s:%d: %s = %s\n", __FILE__, __LINE__, #call,          \
                    mk_strerror(rc_));                                              \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

enum { BS = 4096, NBLOCKS = 32768, COLD_OPS = 200, NSIZES = 3 };
static const int sizes[NSIZES] = {10, 1000, 100000};
static const char *img;

struct dctx {
    mk_t *k;
    int n;        /* entries in the directory */
    uint64_t seed, ctr;
};

/* A context whose cache holds the whole image (16,384 blocks = 64 MiB),
 * so "warm" means every block cached, whatever the directory's size. */
static mk_t *new_ctx(void)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = 16384;
    mk_t *k;
    CHECK(mk_create(&c, &k));
    return k;
}

static mk_t *open_ctx(mk_dev_t *dev)
{
    mk_t *k = new_ctx();
    CHECK(mk_blk_open_image(k, "img", img, BS, 0, 0, dev));
    return k;
}

static void make_files(mk_t *k, int n)
{
    char p[64];
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "/d%d/f%06d", n, i);
        mk_fd_t fd;
        CHECK(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL, &fd));
        CHECK(mk_vfs_close(k, MK_PID_KERNEL, fd));
    }
}

static void lookup(struct dctx *c, int hit)
{
    char p[64];
    int i = (int)(bh_rand(&c->seed) % (uint64_t)c->n);
    snprintf(p, sizeof p, "/d%d/%c%06d", c->n, hit ? 'f' : 'm', i);
    mk_stat_t st;
    st.size = sizeof st;
    int rc = mk_vfs_stat(c->k, p, &st);
    if (rc != (hit ? 0 : MK_ENOENT)) {
        fprintf(stderr, "stat %s: %s\n", p, mk_strerror(rc));
        exit(1);
    }
}

static void w_hit(void *arg, uint64_t iters)
{
    for (uint64_t i = 0; i < iters; i++)
        lookup(arg, 1);
}

static void w_miss(void *arg, uint64_t iters)
{
    for (uint64_t i = 0; i < iters; i++)
        lookup(arg, 0);
}

static void w_create_unlink(void *arg, uint64_t iters)
{
    struct dctx *c = arg;
    char p[64];
    for (uint64_t i = 0; i < iters; i++) {
        snprintf(p, sizeof p, "/d%d/z%08llu", c->n, (unsigned long long)c->ctr++);
        mk_fd_t fd;
        CHECK(mk_vfs_open(c->k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL, &fd));
        CHECK(mk_vfs_close(c->k, MK_PID_KERNEL, fd));
        CHECK(mk_vfs_unlink(c->k, p));
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Right after a remount: per run a fresh context, mount, COLD_OPS lookups
 * timed together. *reads = device blocks read per lookup (median run). */
static bh_stat_t cold(int n, int hit, double *reads)
{
    int runs = bh_runs();
    double *v = malloc((size_t)runs * sizeof *v), *rd = malloc((size_t)runs * sizeof *rd);
    if (v == NULL || rd == NULL)
        exit(1);
    for (int r = 0; r < runs; r++) {
        mk_dev_t dev;
        struct dctx c = {open_ctx(&dev), n, 0x9e3779b97f4a7c15ull + (uint64_t)r, 0};
        CHECK(mk_vfs_mount(c.k, dev, "/", 0));
        mk_cache_stats_t a, b;
        a.size = b.size = sizeof a;
        CHECK(mk_cache_stats(c.k, &a));
        uint64_t t0 = bh_now_ns();
        for (int i = 0; i < COLD_OPS; i++)
            lookup(&c, hit);
        v[r] = (double)(bh_now_ns() - t0) / COLD_OPS;
        CHECK(mk_cache_stats(c.k, &b));
        rd[r] = (double)(b.dev_reads - a.dev_reads) / COLD_OPS;
        CHECK(mk_vfs_unmount(c.k, "/"));
        CHECK(mk_destroy(c.k));
    }
    qsort(v, (size_t)runs, sizeof *v, cmp_double);
    qsort(rd, (size_t)runs, sizeof *rd, cmp_double);
    bh_stat_t s = {v[runs / 2], v[0], v[runs - 1]};
    *reads = rd[runs / 2];
    free(v);
    free(rd);
    return s;
}

int main(int argc, char **argv)
{
    bh_init(argc, argv, "bench-dir");
    img = getenv("BENCH_DIR_IMAGE");
    if (img == NULL)
        img = "/dev/shm/bench-dir.img";
    unlink(img);

    /* The image: one directory per size. */
    mk_t *k;
    mk_dev_t dev;
    k = new_ctx();
    CHECK(mk_blk_open_image(k, "img", img, BS, NBLOCKS, MK_BLK_CREATE, &dev));
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = 110000;
    CHECK(mk_fs_mkfs(k, dev, &o));
    CHECK(mk_vfs_mount(k, dev, "/", 0));
    for (int s = 0; s < NSIZES; s++) {
        char p[32];
        snprintf(p, sizeof p, "/d%d", sizes[s]);
        CHECK(mk_vfs_mkdir(k, p));
        make_files(k, sizes[s]);
    }
    CHECK(mk_vfs_unmount(k, "/"));
    CHECK(mk_destroy(k));

    static const char *ops[3] = {"lookup-hit", "lookup-miss", "create-unlink"};
    static const bh_fn fns[3] = {w_hit, w_miss, w_create_unlink};
    static const uint64_t iters[3] = {20000, 20000, 2000};

    bh_section("warm: mounted, blocks cached (ratio: 100,000 entries / 10 entries)");
    k = open_ctx(&dev);
    CHECK(mk_vfs_mount(k, dev, "/", 0));
    for (int op = 0; op < 3; op++) {
        bh_stat_t st[NSIZES];
        bool have[NSIZES] = {false, false, false};
        for (int s = 0; s < NSIZES; s++) {
            struct dctx c = {k, sizes[s], 12345u + (uint64_t)s, 0};
            char name[64];
            snprintf(name, sizeof name, "dir/%s/%d/warm", ops[op], sizes[s]);
            if (!bh_selected(name))
                continue;
            st[s] = bh_measure(fns[op], &c, bh_iters(iters[op]));
            have[s] = true;
            if (s < NSIZES - 1 || !have[0])
                bh_row(name, NULL, st[s], NULL, NULL);
            else
                bh_row(name, "10 entries", st[s], &st[0], NULL);
        }
    }
    CHECK(mk_vfs_unmount(k, "/"));
    CHECK(mk_destroy(k));

    bh_section("cold: fresh mk_t + mount, then 200 lookups (ratio: 100,000 / 10)");
    for (int hit = 1; hit >= 0; hit--) {
        bh_stat_t st[NSIZES];
        bool have[NSIZES] = {false, false, false};
        for (int s = 0; s < NSIZES; s++) {
            char name[64];
            snprintf(name, sizeof name, "dir/%s/%d/cold", ops[hit ? 0 : 1], sizes[s]);
            if (!bh_selected(name))
                continue;
            double reads;
            st[s] = cold(sizes[s], hit, &reads);
            have[s] = true;
            if (s < NSIZES - 1 || !have[0])
                bh_row(name, NULL, st[s], NULL, NULL);
            else
                bh_row(name, "10 entries", st[s], &st[0], NULL);
            strcat(name, "-reads");
            bh_value(name, reads, "blocks/lookup", "device blocks read, median run");
        }
    }
    if (getenv("BENCH_DIR_IMAGE") == NULL)
        unlink(img);
    return bh_finish();
}
