/*
 * replay.c - main() for the mount fuzz target built with the normal
 * compiler: feeds every file of a corpus directory to
 * LLVMFuzzerTestOneInput (the corpus-replay test), or, with --seeds DIR,
 * writes the seed images the corpus started from (an empty file system,
 * a populated one with fragmented files that need extent tree blocks and
 * a sparse file, and images left by power cuts at several points of a
 * workload, some with a committed journal transaction still to replay).
 *
 * Public API only; POSIX directory reading.
 */
#include <microkernel/mk.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

struct mem {
    uint8_t disk[MK_FZ_BSIZE * MK_FZ_NBLOCKS];
    long writes, cut_at;
    int torn;
};

static int m_read(void *ctx, uint64_t b, void *buf, uint32_t n)
{
    struct mem *m = ctx;
    memcpy(buf, m->disk + b * MK_FZ_BSIZE, (size_t)n * MK_FZ_BSIZE);
    return 0;
}

static int m_write(void *ctx, uint64_t b, const void *buf, uint32_t n)
{
    struct mem *m = ctx;
    for (uint32_t i = 0; i < n; i++) {
        long w = ++m->writes;
        if (m->cut_at && w > m->cut_at)
            continue;
        size_t len = MK_FZ_BSIZE;
        if (m->cut_at && w == m->cut_at && !m->torn)
            continue;
        if (m->cut_at && w == m->cut_at)
            len /= 2;
        memcpy(m->disk + (b + i) * MK_FZ_BSIZE, (const uint8_t *)buf + (size_t)i * MK_FZ_BSIZE,
               len);
    }
    return 0;
}

static int workload(struct mem *m, int populate)
{
    mk_t *k;
    if (mk_create(NULL, &k) != 0)
        return -1;
    mk_blk_ops_t ops;
    memset(&ops, 0, sizeof ops);
    ops.size = sizeof ops;
    ops.read = m_read;
    ops.write = m_write;
    mk_dev_t d;
    int rc = mk_blk_register(k, "m", &ops, m, MK_FZ_BSIZE, MK_FZ_NBLOCKS, &d);
    if (rc == 0)
        rc = mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT);
    if (rc == 0 && populate) {
        mk_vfs_mkdir(k, "/dir");
        mk_vfs_mkdir(k, "/dir/sub");
        const char *files[] = {"/a", "/dir/b", "/dir/sub/c", "/big"};
        size_t sizes[] = {10, 700, 1500, 9000};
        static uint8_t buf[9000];
        for (int i = 0; i < 4; i++) {
            memset(buf, 'a' + i, sizes[i]);
            mk_fd_t fd;
            size_t n;
            if (mk_vfs_open(k, MK_PID_KERNEL, files[i], MK_O_WRONLY | MK_O_CREAT, &fd) == 0) {
                mk_vfs_write(k, MK_PID_KERNEL, fd, buf, sizes[i], &n);
                mk_vfs_close(k, MK_PID_KERNEL, fd);
            }
        }
        /* Two files written block by block in turn: each is fragmented
         * into more extents than the inode holds, so it gets an extent
         * tree block (format version 3); /x also has a hole. */
        mk_fd_t fx, fy;
        if (mk_vfs_open(k, MK_PID_KERNEL, "/x", MK_O_RDWR | MK_O_CREAT, &fx) == 0) {
            if (mk_vfs_open(k, MK_PID_KERNEL, "/y", MK_O_RDWR | MK_O_CREAT, &fy) == 0) {
                size_t n;
                for (int i = 0; i < 6; i++) {
                    memset(buf, 'x' + i, MK_FZ_BSIZE);
                    mk_vfs_pwrite(k, MK_PID_KERNEL, fx, buf, MK_FZ_BSIZE,
                                  (uint64_t)i * MK_FZ_BSIZE, &n);
                    mk_vfs_pwrite(k, MK_PID_KERNEL, fy, buf, MK_FZ_BSIZE,
                                  (uint64_t)i * MK_FZ_BSIZE, &n);
                }
                mk_vfs_pwrite(k, MK_PID_KERNEL, fx, "hole", 4, 40 * MK_FZ_BSIZE, &n);
                mk_vfs_close(k, MK_PID_KERNEL, fy);
            }
            mk_vfs_close(k, MK_PID_KERNEL, fx);
        }
        mk_vfs_sync(k);
        mk_vfs_truncate(k, "/y", 2 * MK_FZ_BSIZE + 100);
        mk_vfs_rename(k, "/a", "/dir/a2");
        mk_vfs_unlink(k, "/dir/b");
        mk_vfs_truncate(k, "/big", 3000);
    }
    if (rc == 0)
        rc = mk_vfs_unmount(k, "/");
    mk_destroy(k);
    return rc;
}

static void save(const char *dir, const char *name, const struct mem *m)
{
    size_t len = sizeof m->disk;
    while (len > 0 && m->disk[len - 1] == 0) /* trailing zeros are implied */
        len--;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(m->disk, 1, len, f) != len) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static int seeds(const char *dir)
{
    static struct mem m;
    memset(&m, 0, sizeof m);
    if (workload(&m, 0) != 0)
        return 1;
    save(dir, "seed-empty", &m);
    memset(&m, 0, sizeof m);
    if (workload(&m, 1) != 0)
        return 1;
    save(dir, "seed-populated", &m);
    long total = m.writes;
    for (int i = 1; i <= 12; i++) {
        memset(&m, 0, sizeof m);
        m.cut_at = total * i / 13;
        m.torn = i % 2;
        workload(&m, 1);
        char name[64];
        snprintf(name, sizeof name, "seed-cut-%02d%s", i, m.torn ? "-torn" : "");
        save(dir, name, &m);
    }
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
        return seeds(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR | --seeds DIR\n", argv[0]);
        return 2;
    }
    DIR *dp = opendir(argv[1]);
    if (dp == NULL) {
        perror(argv[1]);
        return 1;
    }
    char *names[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL && n < 4096)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    static uint8_t buf[MK_FZ_BSIZE * MK_FZ_NBLOCKS * 2];
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            perror(path);
            return 1;
        }
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        free(names[i]);
    }
    printf("fuzz-replay: %d corpus files replayed\n", n);
    return n > 0 ? 0 : 1;
}
