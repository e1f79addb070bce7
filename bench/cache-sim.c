/*
 * cache-sim.c - trace-driven comparison of the buffer cache's replacement
 * policies (LRU and 2Q, blk.h) at several cache sizes.
 *
 * Two traces of block numbers:
 *  (a) "scan+hot": a hot set of 512 blocks read at random, interleaved 1:1
 *      with a sequential scan over a cold area that is never read twice
 *      (the case 2Q was designed for: Johnson & Shasha, VLDB 1994, §3);
 *  (b) "fs": a real file-system workload on libmk (creates, whole-file
 *      reads with a skewed popularity, overwrites, unlinks, and a large
 *      file read sequentially now and then), recorded from the cache's
 *      own MK_EV_CACHE_HIT / MK_EV_CACHE_MISS trace events, which carry
 *      (device, block) for every lookup the file system makes.
 * Each trace is then replayed through the real cache (mk_blk_read on a
 * RAM device, read-ahead off, no threshold write-back) in a fresh context
 * per (policy, size), and the hit ratio read from mk_cache_stats().
 *
 * Usage: cache-sim [--quick]. Prints a Markdown table. Deterministic
 * (fixed RNG seeds). Public API only; not run by the test suite.
 */
#include <microkernel/mk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                 \
    do {                                                                            \
        int rc_ = (call);                                                           \
        if (rc_ != 0) {                                                             \
            fprintf(stderr, "%s:%d: %s = %s\n", __FILE__, __LINE__, #call,          \
                    mk_strerror(rc_));                                              \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

static uint64_t rng(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

struct trace {
    uint64_t *blk;
    size_t n, cap;
    uint64_t dev; /* device whose events are kept */
    uint64_t max;
};

static void trace_add(struct trace *t, uint64_t b)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 65536;
        t->blk = realloc(t->blk, t->cap * sizeof *t->blk);
        if (t->blk == NULL)
            exit(1);
    }
    t->blk[t->n++] = b;
    if (b > t->max)
        t->max = b;
}

/* ---- (a) scan + hot set ---------------------------------------------------------- */

static void make_scan_hot(struct trace *t, size_t n)
{
    uint64_t s = 42, next_scan = 1000000;
    for (size_t i = 0; i < n; i++) {
        if (i & 1)
            trace_add(t, next_scan++);
        else
            trace_add(t, rng(&s) % 512);
    }
}

/* ---- (b) a recorded file-system workload ----------------------------------------- */

static void on_event(void *ctx, const mk_event_t *ev)
{
    struct trace *t = ctx;
    if ((ev->type == MK_EV_CACHE_HIT || ev->type == MK_EV_CACHE_MISS) && ev->a == t->dev)
        trace_add(t, ev->b);
}

static void write_file(mk_t *k, const char *path, size_t size, uint8_t seed)
{
    static uint8_t buf[4096];
    memset(buf, seed, sizeof buf);
    mk_fd_t fd;
    CHECK(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC, &fd));
    for (size_t off = 0; off < size; off += sizeof buf) {
        size_t len = size - off < sizeof buf ? size - off : sizeof buf, nw;
        CHECK(mk_vfs_write(k, MK_PID_KERNEL, fd, buf, len, &nw));
    }
    CHECK(mk_vfs_close(k, MK_PID_KERNEL, fd));
}

static void read_file(mk_t *k, const char *path)
{
    static uint8_t buf[4096];
    mk_fd_t fd;
    CHECK(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd));
    size_t nr;
    do {
        CHECK(mk_vfs_read(k, MK_PID_KERNEL, fd, buf, sizeof buf, &nr));
    } while (nr == sizeof buf);
    CHECK(mk_vfs_close(k, MK_PID_KERNEL, fd));
}

static void record_fs(struct trace *t, int nfiles, int nreads)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = 1u << 16; /* the trace is the lookups: size is irrelevant */
    c.cache_readahead = 1;
    mk_t *k;
    CHECK(mk_create(&c, &k));
    mk_dev_t d;
    CHECK(mk_blk_create_ram(k, "/dev/ram0", 4096, 1u << 17, &d)); /* 512 MiB, sparse */
    CHECK(mk_vfs_mount(k, d, "/m", MK_MOUNT_FORMAT));
    t->dev = d;
    CHECK(mk_trace_set_callback(k, on_event, t));
    CHECK(mk_trace_enable(k, 16));

    char path[64];
    uint64_t s = 7;
    for (int i = 0; i < 16; i++) {
        snprintf(path, sizeof path, "/m/d%d", i);
        CHECK(mk_vfs_mkdir(k, path));
    }
    for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "/m/d%d/f%d", i % 16, i);
        write_file(k, path, 1 + rng(&s) % (48 * 1024), (uint8_t)i);
    }
    write_file(k, "/m/big", 16u << 20, 0xbb);
    for (int r = 0; r < nreads; r++) {
        /* 80 % of the reads go to the first 20 % of the files */
        int i = (rng(&s) % 10 < 8) ? (int)(rng(&s) % (uint64_t)(nfiles / 5))
                                   : (int)(rng(&s) % (uint64_t)nfiles);
        snprintf(path, sizeof path, "/m/d%d/f%d", i % 16, i);
        read_file(k, path);
        if (r % 100 == 0) { /* churn: overwrite one, replace one */
            int j = (int)(rng(&s) % (uint64_t)nfiles);
            snprintf(path, sizeof path, "/m/d%d/f%d", j % 16, j);
            write_file(k, path, 1 + rng(&s) % (48 * 1024), (uint8_t)r);
            j = nfiles / 5 + (int)(rng(&s) % (uint64_t)(nfiles - nfiles / 5));
            snprintf(path, sizeof path, "/m/d%d/f%d", j % 16, j);
            CHECK(mk_vfs_unlink(k, path));
            write_file(k, path, 1 + rng(&s) % (48 * 1024), (uint8_t)r);
        }
        if (r % (nreads / 4) == nreads / 8) /* a backup-style scan */
            read_file(k, "/m/big");
    }
    CHECK(mk_trace_set_callback(k, NULL, NULL));
    CHECK(mk_trace_enable(k, 0));
    CHECK(mk_vfs_unmount(k, "/m"));
    CHECK(mk_destroy(k));
}

/* ---- replay ----------------------------------------------------------------------- */

static double replay(const struct trace *t, uint32_t policy, uint32_t cache_blocks)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = cache_blocks;
    c.cache_policy = policy;
    c.cache_readahead = 1;
    c.cache_dirty_pct = 100;
    mk_t *k;
    CHECK(mk_create(&c, &k));
    mk_dev_t d;
    CHECK(mk_blk_create_ram(k, "/dev/sim", 512, t->max + 1, &d));
    uint8_t x;
    for (size_t i = 0; i < t->n; i++)
        CHECK(mk_blk_read(k, d, t->blk[i], 0, &x, 1));
    mk_cache_stats_t s;
    s.size = sizeof s;
    CHECK(mk_cache_stats(k, &s));
    CHECK(mk_destroy(k));
    return 100.0 * (double)s.hits / (double)(s.hits + s.misses);
}

static void table(const char *name, const struct trace *t, const uint32_t *sizes, int nsizes)
{
    printf("\n### %s (%zu lookups, %llu block numbers up to that count)\n\n", name, t->n,
           (unsigned long long)t->max + 1);
    printf("| cache blocks | LRU hit %% | 2Q hit %% | 2Q − LRU (points) |\n");
    printf("|---:|---:|---:|---:|\n");
    for (int i = 0; i < nsizes; i++) {
        double lru = replay(t, MK_CACHE_POLICY_LRU, sizes[i]);
        double q2 = replay(t, MK_CACHE_POLICY_2Q, sizes[i]);
        printf("| %u | %.2f | %.2f | %+.2f |\n", sizes[i], lru, q2, q2 - lru);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    struct trace a = {0}, b = {0};
    make_scan_hot(&a, quick ? 40000 : 400000);
    const uint32_t sa[] = {128, 256, 512, 768, 1024, 2048};
    table("(a) sequential scan over a cold area, 1:1 with a hot set of 512 blocks", &a, sa, 6);
    record_fs(&b, quick ? 600 : 3000, quick ? 1200 : 6000);
    /* the fs trace uses the real device numbering: replay needs max+1 blocks */
    const uint32_t sb[] = {256, 1024, 4096, 8192, 16384};
    table("(b) file-system workload recorded from MK_EV_CACHE_HIT/MISS", &b, sb, 5);
    free(a.blk);
    free(b.blk);
    return 0;
}
