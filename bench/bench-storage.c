/*
 * bench-storage.c - storage benchmarks of issue 4, each against the system
 * call peer a user would use instead, measured back to back in one run
 * with the shared harness (harness.h: warm-up, >= 5 runs, median / min /
 * max in ns per operation, ratio = libmk / peer).
 *
 *  fs/small-file     open(create) + write 4 KiB + close + unlink per
 *                    operation: libmk's vfs on a RAM device vs the same
 *                    system calls on tmpfs (/dev/shm).
 *  cache/read-4k     4 KiB reads that hit the buffer cache: mk_blk_read of
 *                    a cached block, and mk_vfs_pread of a cached file
 *                    (written without fsync, then again after an fsync
 *                    committed its metadata), vs pread(2) from the page
 *                    cache (a file on /dev/shm).
 *  image/seq-*       sequential write (then flush + fsync) and read of a
 *                    64 MiB image file through the cache, 1 MiB per
 *                    operation, vs dd-style pwrite / pread of 1 MiB chunks
 *                    (+ fsync) on the same file; read-ahead windows 1, 16
 *                    and 64 blocks. Wall clock (the work is I/O).
 *
 * Usage: bench-storage [--json] [--runs N] [--quick] [--filter S]
 *        env BENCH_STORAGE_DIR: directory of the image file (default ".").
 * Public API only; built by meson, never run by the test suite.
 */
#include <microkernel/mk.h>

#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#define SYS(call)                                                                   \
    do {                                                                            \
        if ((call) < 0) {                                                           \
            perror(#call);                                                          \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

enum { BS = 4096, MIB = 1 << 20, IMG_MIB = 64 };

static uint8_t page[BS];
static uint8_t chunk[MIB];

static mk_t *make_ctx(uint32_t cache_blocks, uint32_t readahead)
{
    mk_config_t c;
    mk_config_init(&c);
    c.cache_blocks = cache_blocks;
    c.cache_readahead = readahead;
    mk_t *k;
    CHECK(mk_create(&c, &k));
    return k;
}

/* ---- small files ------------------------------------------------------------------ */

struct small {
    mk_t *k;
    char dir[64];
};

static void small_mk(void *arg, uint64_t iters)
{
    struct small *s = arg;
    for (uint64_t i = 0; i < iters; i++) {
        mk_fd_t fd;
        size_t nw;
        CHECK(mk_vfs_open(s->k, MK_PID_KERNEL, "/m/f", MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC,
                          &fd));
        CHECK(mk_vfs_write(s->k, MK_PID_KERNEL, fd, page, BS, &nw));
        CHECK(mk_vfs_close(s->k, MK_PID_KERNEL, fd));
        CHECK(mk_vfs_unlink(s->k, "/m/f"));
    }
}

static void small_sys(void *arg, uint64_t iters)
{
    struct small *s = arg;
    char path[96];
    snprintf(path, sizeof path, "%s/f", s->dir);
    for (uint64_t i = 0; i < iters; i++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        SYS(fd);
        SYS(write(fd, page, BS));
        SYS(close(fd));
        SYS(unlink(path));
    }
}

/* ---- cached 4 KiB reads --------------------------------------------------------------- */

struct rd {
    mk_t *k;
    mk_dev_t dev;
    mk_fd_t mfd;
    int fd;
    uint64_t sink;
};

enum { HOT_BLOCKS = 256 }; /* 1 MiB: fits libmk's cache and the CPU caches alike */

static void read_blk(void *arg, uint64_t iters)
{
    struct rd *r = arg;
    uint8_t buf[BS];
    for (uint64_t i = 0; i < iters; i++) {
        CHECK(mk_blk_read(r->k, r->dev, i % HOT_BLOCKS, 0, buf, BS));
        r->sink += buf[i % BS];
    }
}

static void read_vfs(void *arg, uint64_t iters)
{
    struct rd *r = arg;
    uint8_t buf[BS];
    size_t n;
    for (uint64_t i = 0; i < iters; i++) {
        CHECK(mk_vfs_pread(r->k, MK_PID_KERNEL, r->mfd, buf, BS, (i % HOT_BLOCKS) * BS, &n));
        r->sink += buf[i % BS];
    }
}

static void read_sys(void *arg, uint64_t iters)
{
    struct rd *r = arg;
    uint8_t buf[BS];
    for (uint64_t i = 0; i < iters; i++) {
        if (pread(r->fd, buf, BS, (off_t)((i % HOT_BLOCKS) * BS)) != BS) {
            perror("pread");
            exit(1);
        }
        r->sink += buf[i % BS];
    }
}

/* ---- sequential image I/O ------------------------------------------------------------- */

struct seq {
    mk_t *k;
    mk_dev_t dev;
    int fd;
    uint64_t pos; /* next MiB */
    uint64_t sink;
};

/* One op = 1 MiB; the pass wraps around the 64 MiB image; the last op of
 * a call flushes (libmk: write-back + fsync) or fsyncs (peer). */
static void seqw_mk(void *arg, uint64_t iters)
{
    struct seq *s = arg;
    for (uint64_t i = 0; i < iters; i++, s->pos = (s->pos + 1) % IMG_MIB) {
        uint64_t b0 = s->pos * (MIB / BS);
        for (uint64_t b = 0; b < MIB / BS; b++)
            CHECK(mk_blk_write(s->k, s->dev, b0 + b, 0, chunk + b * BS, BS));
    }
    CHECK(mk_cache_flush(s->k, s->dev));
}

static void seqw_sys(void *arg, uint64_t iters)
{
    struct seq *s = arg;
    for (uint64_t i = 0; i < iters; i++, s->pos = (s->pos + 1) % IMG_MIB)
        SYS(pwrite(s->fd, chunk, MIB, (off_t)(s->pos * MIB)));
    SYS(fsync(s->fd));
}

static void seqr_mk(void *arg, uint64_t iters)
{
    struct seq *s = arg;
    for (uint64_t i = 0; i < iters; i++, s->pos = (s->pos + 1) % IMG_MIB) {
        uint64_t b0 = s->pos * (MIB / BS);
        for (uint64_t b = 0; b < MIB / BS; b++)
            CHECK(mk_blk_read(s->k, s->dev, b0 + b, 0, chunk + b * BS, BS));
        s->sink += chunk[s->pos];
    }
}

static void seqr_sys(void *arg, uint64_t iters)
{
    struct seq *s = arg;
    for (uint64_t i = 0; i < iters; i++, s->pos = (s->pos + 1) % IMG_MIB) {
        if (pread(s->fd, chunk, MIB, (off_t)(s->pos * MIB)) != MIB) {
            perror("pread");
            exit(1);
        }
        s->sink += chunk[s->pos];
    }
}

/* dd bs=4k: the same call granularity as libmk's per-block API */
static void seqw_sys4k(void *arg, uint64_t iters)
{
    struct seq *s = arg;
    for (uint64_t i = 0; i < iters; i++, s->pos = (s->pos + 1) % IMG_MIB)
        for (uint64_t b = 0; b < MIB / BS; b++)
            SYS(pwrite(s->fd, chunk + b * BS, BS, (off_t)(s->pos * MIB + b * BS)));
    SYS(fsync(s->fd));
}

static void seqr_sys4k(void *arg, uint64_t iters)
{
    struct seq *s = arg;
    for (uint64_t i = 0; i < iters; i++, s->pos = (s->pos + 1) % IMG_MIB) {
        for (uint64_t b = 0; b < MIB / BS; b++)
            if (pread(s->fd, chunk + b * BS, BS, (off_t)(s->pos * MIB + b * BS)) != BS) {
                perror("pread");
                exit(1);
            }
        s->sink += chunk[s->pos];
    }
}

static double mbps(bh_stat_t st)
{
    return (double)MIB / 1e6 / (st.median / 1e9); /* MB/s (10^6 bytes) */
}

static void seq_rows(const char *img)
{
    char name[96], note[160];
    bh_use_wall_clock(true);
    for (uint64_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (uint8_t)(i * 7 + 3);
    /* write: libmk (default read-ahead; writes do not read) */
    if (bh_selected("image/seq-write")) {
        mk_t *k = make_ctx(1024, 0);
        struct seq m = {k, 0, -1, 0, 0}, p = {NULL, 0, -1, 0, 0};
        CHECK(mk_blk_open_image(k, "img", img, BS, (uint64_t)IMG_MIB * MIB / BS, MK_BLK_CREATE,
                                &m.dev));
        bh_stat_t sm = bh_measure(seqw_mk, &m, IMG_MIB);
        CHECK(mk_destroy(k));
        p.fd = open(img, O_RDWR);
        SYS(p.fd);
        bh_stat_t sp = bh_measure(seqw_sys, &p, IMG_MIB);
        bh_stat_t s4 = bh_measure(seqw_sys4k, &p, IMG_MIB);
        close(p.fd);
        bh_row("image/seq-write 1 MiB (+fsync per 64 MiB)", "pwrite 1 MiB", sm, &sp, NULL);
        bh_row("image/seq-write 1 MiB (+fsync per 64 MiB)", "pwrite 4 KiB x 256", sm, &s4,
               NULL);
        snprintf(note, sizeof note, "pwrite peer %.0f MB/s (1 MiB), %.0f MB/s (4 KiB)",
                 mbps(sp), mbps(s4));
        bh_value("image/seq-write MB/s", mbps(sm), "MB/s", note);
    }
    const uint32_t windows[] = {1, 16, 64};
    for (int w = 0; w < 3; w++) {
        snprintf(name, sizeof name, "image/seq-read 1 MiB, read-ahead %u", windows[w]);
        if (!bh_selected(name))
            continue;
        mk_t *k = make_ctx(1024, windows[w]);
        struct seq m = {k, 0, -1, 0, 0}, p = {NULL, 0, -1, 0, 0};
        CHECK(mk_blk_open_image(k, "img", img, BS, (uint64_t)IMG_MIB * MIB / BS, MK_BLK_CREATE,
                                &m.dev));
        bh_stat_t sm = bh_measure(seqr_mk, &m, IMG_MIB);
        mk_cache_stats_t cs;
        cs.size = sizeof cs;
        CHECK(mk_cache_stats(k, &cs));
        CHECK(mk_destroy(k));
        p.fd = open(img, O_RDONLY);
        SYS(p.fd);
        bh_stat_t sp = bh_measure(seqr_sys, &p, IMG_MIB);
        bh_stat_t s4 = bh_measure(seqr_sys4k, &p, IMG_MIB);
        close(p.fd);
        bh_row(name, "pread 1 MiB", sm, &sp, NULL);
        bh_row(name, "pread 4 KiB x 256", sm, &s4, NULL);
        snprintf(note, sizeof note,
                 "pread peer %.0f MB/s (1 MiB), %.0f MB/s (4 KiB); %llu driver calls (misses) "
                 "for %llu blocks",
                 mbps(sp), mbps(s4), (unsigned long long)(cs.misses),
                 (unsigned long long)cs.dev_reads);
        snprintf(name, sizeof name, "image/seq-read MB/s, read-ahead %u", windows[w]);
        bh_value(name, mbps(sm), "MB/s", note);
    }
    bh_use_wall_clock(false);
}

int main(int argc, char **argv)
{
    bh_init(argc, argv, "bench-storage");
    memset(page, 0x5a, sizeof page);

    /* tmpfs peer directory */
    struct small sm = {NULL, ""};
    snprintf(sm.dir, sizeof sm.dir, "/dev/shm/bench-storage-%d", (int)getpid());
    SYS(mkdir(sm.dir, 0700));

    bh_section("small files: create + write 4 KiB + close + unlink");
    sm.k = make_ctx(4096, 0);
    mk_dev_t ram;
    CHECK(mk_blk_create_ram(sm.k, "/dev/ram0", BS, 65536, &ram));
    CHECK(mk_vfs_mount(sm.k, ram, "/m", MK_MOUNT_FORMAT));
    bh_compare("fs/small-file create+write4k+close+unlink", "syscalls on tmpfs", 20000,
               small_mk, &sm, small_sys, &sm, "ratio <= 0.5");

    bh_section("4 KiB reads that hit the cache");
    struct rd r = {sm.k, ram, 0, -1, 0};
    /* blk level: blocks 1000.. of the RAM device (outside what mkfs uses
     * is irrelevant: the device is only read) */
    uint8_t buf[BS];
    for (uint64_t b = 0; b < HOT_BLOCKS; b++)
        CHECK(mk_blk_read(sm.k, ram, b, 0, buf, BS));
    /* vfs level: a 1 MiB file */
    size_t nw;
    CHECK(mk_vfs_open(sm.k, MK_PID_KERNEL, "/m/hot", MK_O_RDWR | MK_O_CREAT, &r.mfd));
    for (int i = 0; i < HOT_BLOCKS; i++)
        CHECK(mk_vfs_write(sm.k, MK_PID_KERNEL, r.mfd, page, BS, &nw));
    char path[96];
    snprintf(path, sizeof path, "%s/hot", sm.dir);
    r.fd = open(path, O_RDWR | O_CREAT, 0644);
    SYS(r.fd);
    for (int i = 0; i < HOT_BLOCKS; i++)
        SYS(write(r.fd, page, BS));
    bh_compare("cache/read-4k hit, mk_blk_read", "pread page cache (tmpfs)", 400000, read_blk,
               &r, read_sys, &r, "ratio <= 0.5");
    bh_compare("cache/read-4k hit, mk_vfs_pread", "pread page cache (tmpfs)", 400000, read_vfs,
               &r, read_sys, &r, "ratio <= 0.5");
    /* the same file once its metadata is committed (fsync): the inode and
     * indirect blocks now come from the cache instead of the running
     * transaction */
    CHECK(mk_vfs_fsync(sm.k, MK_PID_KERNEL, r.mfd));
    bh_compare("cache/read-4k hit, mk_vfs_pread after fsync", "pread page cache (tmpfs)", 400000,
               read_vfs, &r, read_sys, &r, NULL);
    mk_cache_stats_t cs;
    cs.size = sizeof cs;
    CHECK(mk_cache_stats(sm.k, &cs));
    bh_value("cache/hit ratio during the read rows", 100.0 * (double)cs.hits /
             (double)(cs.hits + cs.misses), "%", "whole context, incl. small-file rows");
    CHECK(mk_vfs_close(sm.k, MK_PID_KERNEL, r.mfd));
    close(r.fd);
    unlink(path);
    CHECK(mk_destroy(sm.k));
    rmdir(sm.dir);

    bh_section("sequential image I/O, 64 MiB file, 1 MiB per operation (wall clock)");
    const char *dir = getenv("BENCH_STORAGE_DIR");
    char img[512];
    snprintf(img, sizeof img, "%s/bench-storage-%d.img", dir ? dir : ".", (int)getpid());
    seq_rows(img);
    unlink(img);
    if (r.sink == 42) /* keep the reads */
        puts("");
    return bh_finish();
}
