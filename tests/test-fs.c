/*
 * test-fs.c - public API of the on-disk file system: mkfs and probe, what a
 * formatted device looks like from the outside (several block sizes,
 * indirect blocks, holes, a 64 MiB file), persistence of an image across
 * contexts, refusal of foreign and corrupted devices (never modifying
 * foreign bytes, never crashing on garbage), a full device, and bad input
 * on mk_fs_mkfs / mk_fs_probe / mk_mkfs_opts_init.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static mk_t *new_kernel(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    return k;
}

static mk_dev_t new_ram(mk_t *k, const char *name, uint32_t bs, uint64_t n)
{
    mk_dev_t d = 0;
    ck_assert_int_eq(mk_blk_create_ram(k, name, bs, n, &d), 0);
    return d;
}

/* Deterministic pattern: byte i of a stream seeded by `seed`. */
static uint8_t pat(uint64_t i, uint32_t seed)
{
    uint64_t x = (i / 8) * 0x9e3779b97f4a7c15ull + seed;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return (uint8_t)(x >> (8 * (i % 8)));
}

static void fill(uint8_t *buf, size_t len, uint64_t off, uint32_t seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pat(off + i, seed);
}

static int check_pattern(const uint8_t *buf, size_t len, uint64_t off, uint32_t seed)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pat(off + i, seed))
            return 0;
    return 1;
}

/* Write a whole file (create/truncate) through the VFS. */
static void put_file(mk_t *k, const char *path, const void *data, size_t len)
{
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC,
                                 &fd), 0);
    size_t n = 0;
    ck_assert_int_eq(mk_vfs_write(k, MK_PID_KERNEL, fd, data, len, &n), 0);
    ck_assert_uint_eq(n, len);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
}

/* Read a whole file; returns malloc'ed bytes and its length. */
static uint8_t *get_file(mk_t *k, const char *path, size_t *len)
{
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), 0);
    ck_assert_uint_eq(st.type, MK_FT_REG);
    uint8_t *buf = malloc(st.bytes + 1);
    ck_assert_ptr_nonnull(buf);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd), 0);
    size_t n = 0;
    ck_assert_int_eq(mk_vfs_read(k, MK_PID_KERNEL, fd, buf, st.bytes + 1, &n), 0);
    ck_assert_uint_eq(n, st.bytes);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    *len = n;
    return buf;
}

static mk_statfs_t get_statfs(mk_t *k, const char *path)
{
    mk_statfs_t s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    ck_assert_int_eq(mk_vfs_statfs(k, path, &s), 0);
    return s;
}

/* ---- mkfs and probe ----------------------------------------------------- */

START_TEST(opts_init_sets_size_and_defaults)
{
    mk_mkfs_opts_t o;
    memset(&o, 0xab, sizeof o);
    mk_mkfs_opts_init(&o);
    ck_assert_uint_eq(o.size, sizeof o);
    ck_assert_uint_eq(o.inodes, 0);
    mk_mkfs_opts_init(NULL); /* ignored */
    ck_assert_int_eq(MK_FS_VERSION, 3);
}
END_TEST

START_TEST(probe_blank_mkfs_other)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 4096, 256);
    uint32_t kind = 99;
    ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_BLANK);
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);
    ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_MKFS);
    const char junk[] = "not a file system";
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, junk, sizeof junk), 0);
    ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_OTHER);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mkfs_then_mount_empty_root)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 4096, 1024); /* 4 MiB */
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = 100;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    mk_statfs_t s = get_statfs(k, "/");
    ck_assert_uint_eq(s.block_size, 4096);
    ck_assert_uint_eq(s.blocks, 1024);
    ck_assert_uint_ge(s.inodes, 100);
    ck_assert_uint_eq(s.free_inodes, s.inodes - 1); /* only the root */
    ck_assert_uint_lt(s.free_blocks, 1024);
    ck_assert_uint_gt(s.free_blocks, 1024 - 1024 / 16 - 16); /* journal: 1/16 */

    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/", MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    ck_assert_int_eq(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
    ck_assert_uint_eq(got, 1);
    ck_assert_str_eq(e.name, ".");
    ck_assert_uint_eq(e.type, MK_FT_DIR);
    ck_assert_int_eq(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
    ck_assert_uint_eq(got, 1);
    ck_assert_str_eq(e.name, "..");
    ck_assert_int_eq(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);

    /* A mounted device cannot be formatted again. */
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), MK_EBUSY);
    put_file(k, "/kept", "x", 1);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/kept", &st), 0); /* the refused mkfs changed nothing */
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mkfs_bad_input)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 4096, 64);
    mk_dev_t tiny = new_ram(k, "tiny", 512, 3);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    ck_assert_int_eq(mk_fs_mkfs(NULL, d, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_fs_mkfs(k, 0, NULL), MK_EBADH);
    ck_assert_int_eq(mk_fs_mkfs(k, d ^ 0x100000000ull, NULL), MK_EBADH); /* forged generation */
    ck_assert_int_eq(mk_fs_mkfs(k, 12345, NULL), MK_EBADH);
    o.size = 2;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), MK_EINVAL);
    mk_mkfs_opts_init(&o);
    o.inodes = 0x80000001u;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), MK_EINVAL);
    o.inodes = 1000000; /* far more inodes than 64 blocks can hold */
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), MK_ENOSPC);
    ck_assert_int_eq(mk_fs_mkfs(k, tiny, NULL), MK_ENOSPC);
    uint32_t kind = 7;
    ck_assert_int_eq(mk_fs_probe(k, tiny, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_BLANK); /* a refused mkfs wrote nothing */
    ck_assert_int_eq(mk_fs_probe(NULL, d, &kind), MK_EINVAL);
    ck_assert_int_eq(mk_fs_probe(k, d, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_fs_probe(k, 0, &kind), MK_EBADH);
    /* After a removal the handle is stale. */
    ck_assert_int_eq(mk_blk_remove(k, tiny), 0);
    ck_assert_int_eq(mk_fs_probe(k, tiny, &kind), MK_EBADH);
    ck_assert_int_eq(mk_fs_mkfs(k, tiny, NULL), MK_EBADH);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), MK_EBADH);
    ck_assert_int_eq(mk_fs_probe(k, d, &kind), MK_EBADH);
}
END_TEST

START_TEST(mounted_device_cannot_be_removed)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 1024, 512);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(mk_blk_remove(k, d), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_blk_remove(k, d), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- files of every shape, several block sizes -------------------------- */

static void files_roundtrip(uint32_t bs, uint64_t nblocks)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", bs, nblocks);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    mk_statfs_t before = get_statfs(k, "/");
    ck_assert_uint_eq(before.block_size, bs);
    mk_stat_t root0, root1;
    root0.size = root1.size = sizeof root0;
    ck_assert_int_eq(mk_vfs_stat(k, "/", &root0), 0);
    /* Sizes around the direct / single / double indirect boundaries. */
    uint64_t P = bs / 4;
    size_t sizes[] = {0, 1, bs - 1, bs, bs + 1, 12 * (size_t)bs, 12 * (size_t)bs + 1,
                      (size_t)(12 + (P < 2048 ? P : 3)) * bs + 3};
    char path[32];
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *buf = malloc(sizes[i] + 1);
        fill(buf, sizes[i], 0, i);
        snprintf(path, sizeof path, "/f%u", i);
        put_file(k, path, buf, sizes[i]);
        free(buf);
    }
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(path, sizeof path, "/f%u", i);
        size_t len;
        uint8_t *got = get_file(k, path, &len);
        ck_assert_uint_eq(len, sizes[i]);
        ck_assert(check_pattern(got, len, 0, i));
        free(got);
    }
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(path, sizeof path, "/f%u", i);
        ck_assert_int_eq(mk_vfs_unlink(k, path), 0);
    }
    mk_statfs_t after = get_statfs(k, "/");
    /* Every block came back except those the root directory grew by
     * (directories do not shrink). */
    ck_assert_int_eq(mk_vfs_stat(k, "/", &root1), 0);
    ck_assert_uint_eq(after.free_blocks + (root1.blocks - root0.blocks), before.free_blocks);
    ck_assert_uint_eq(after.free_inodes, before.free_inodes);
    ck_assert_int_eq(mk_destroy(k), 0);
}

START_TEST(files_512)
{
    files_roundtrip(512, 8192);
}
END_TEST

START_TEST(files_1024)
{
    files_roundtrip(1024, 4096);
}
END_TEST

START_TEST(files_4096)
{
    files_roundtrip(4096, 2048);
}
END_TEST

START_TEST(files_65536)
{
    files_roundtrip(65536, 1024);
}
END_TEST

START_TEST(sparse_holes_read_as_zeros)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 1024, 4096);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/sparse", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    size_t n;
    uint64_t far = 2u << 20; /* 2 MiB: inside the double-indirect range */
    ck_assert_int_eq(mk_vfs_pwrite(k, MK_PID_KERNEL, fd, "end", 3, far, &n), 0);
    ck_assert_uint_eq(n, 3);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_fstat(k, MK_PID_KERNEL, fd, &st), 0);
    ck_assert_uint_eq(st.bytes, far + 3);
    ck_assert_uint_le(st.blocks, 3); /* data + indirect + double indirect */
    uint8_t buf[4096];
    memset(buf, 0x55, sizeof buf);
    ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, buf, sizeof buf, far / 2, &n), 0);
    ck_assert_uint_eq(n, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], 0);
    /* Shrink into the middle of a block, grow again: the tail reads zeros. */
    ck_assert_int_eq(mk_vfs_pwrite(k, MK_PID_KERNEL, fd, "abcdefgh", 8, 100, &n), 0);
    ck_assert_int_eq(mk_vfs_ftruncate(k, MK_PID_KERNEL, fd, 103), 0);
    ck_assert_int_eq(mk_vfs_ftruncate(k, MK_PID_KERNEL, fd, 5000), 0);
    ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, buf, 10, 100, &n), 0);
    ck_assert_uint_eq(n, 10);
    ck_assert_mem_eq(buf, "abc\0\0\0\0\0\0\0", 10);
    ck_assert_int_eq(mk_vfs_fstat(k, MK_PID_KERNEL, fd, &st), 0);
    ck_assert_uint_eq(st.bytes, 5000);
    ck_assert_uint_eq(st.blocks, 1); /* the far blocks were freed */
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(file_of_64_mib)
{
    mk_t *k = new_kernel();
    /* 80 MiB of 4 KiB blocks; the RAM device is sparse until written. */
    mk_dev_t d = new_ram(k, "big", 4096, 20480);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    mk_statfs_t before = get_statfs(k, "/");
    const size_t total = 64u << 20, chunk = 1u << 20;
    uint8_t *buf = malloc(chunk);
    ck_assert_ptr_nonnull(buf);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/big", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    for (size_t off = 0; off < total; off += chunk) {
        fill(buf, chunk, off, 64);
        size_t n = 0;
        ck_assert_int_eq(mk_vfs_write(k, MK_PID_KERNEL, fd, buf, chunk, &n), 0);
        ck_assert_uint_eq(n, chunk);
    }
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_fstat(k, MK_PID_KERNEL, fd, &st), 0);
    ck_assert_uint_eq(st.bytes, total);
    /* 16384 data blocks written in order on an empty device: contiguous,
     * so a single extent in the inode maps them and no tree block is
     * needed (the indirect-block format of version 2 needed 17 more). */
    ck_assert_uint_eq(st.blocks, 16384);
    ck_assert_int_eq(mk_vfs_fsync(k, MK_PID_KERNEL, fd), 0);
    uint64_t pos;
    ck_assert_int_eq(mk_vfs_seek(k, MK_PID_KERNEL, fd, 0, MK_SEEK_SET, &pos), 0);
    for (size_t off = 0; off < total; off += chunk) {
        size_t n = 0;
        memset(buf, 0, chunk);
        ck_assert_int_eq(mk_vfs_read(k, MK_PID_KERNEL, fd, buf, chunk, &n), 0);
        ck_assert_uint_eq(n, chunk);
        ck_assert_msg(check_pattern(buf, chunk, off, 64), "mismatch in MiB %zu", off >> 20);
    }
    size_t n = 1;
    ck_assert_int_eq(mk_vfs_read(k, MK_PID_KERNEL, fd, buf, chunk, &n), 0);
    ck_assert_uint_eq(n, 0); /* end of file */
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);

    /* Remount (the cache is dropped), spot-check, then free it all. */
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/big", MK_O_RDONLY, &fd), 0);
    uint64_t probes[] = {0, 48 * 1024, 4u << 20, 33u << 20, total - 4096};
    for (unsigned i = 0; i < 5; i++) {
        ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, buf, 4096, probes[i], &n), 0);
        ck_assert_uint_eq(n, 4096);
        ck_assert(check_pattern(buf, 4096, probes[i], 64));
    }
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/big"), 0);
    mk_statfs_t after = get_statfs(k, "/");
    ck_assert_uint_eq(after.free_blocks, before.free_blocks);
    free(buf);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- persistence ---------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/mk-test-fs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmp(const char *img)
{
    unlink(img);
    rmdir(tmpdir);
}

START_TEST(image_remounts_in_new_context)
{
    make_tmpdir();
    char img[128];
    snprintf(img, sizeof img, "%s/disk.img", tmpdir);
    uint8_t big[20000];
    fill(big, sizeof big, 0, 7);

    /* Context A: format, fill, flush, unmount. */
    mk_t *a = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_open_image(a, "disk", img, 1024, 2048, MK_BLK_CREATE, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(a, d, "/data", MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(mk_vfs_mkdir(a, "/data/docs"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(a, "/data/docs/deep"), 0);
    put_file(a, "/data/hello.txt", "hello, world\n", 13);
    put_file(a, "/data/docs/deep/big.bin", big, sizeof big);
    put_file(a, "/data/docs/gone", "temp", 4);
    ck_assert_int_eq(mk_vfs_unlink(a, "/data/docs/gone"), 0);
    ck_assert_int_eq(mk_vfs_rename(a, "/data/hello.txt", "/data/docs/hello.txt"), 0);
    ck_assert_int_eq(mk_vfs_sync(a), 0);
    ck_assert_int_eq(mk_vfs_unmount(a, "/data"), 0);
    ck_assert_int_eq(mk_destroy(a), 0);

    /* Context B: open the image again, no formatting. */
    mk_t *b = new_kernel();
    ck_assert_int_eq(mk_blk_open_image(b, "disk", img, 1024, 0, 0, &d), 0);
    uint32_t kind;
    ck_assert_int_eq(mk_fs_probe(b, d, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_MKFS);
    ck_assert_int_eq(mk_vfs_mount(b, d, "/", 0), 0);
    size_t len;
    uint8_t *got = get_file(b, "/docs/hello.txt", &len);
    ck_assert_uint_eq(len, 13);
    ck_assert_mem_eq(got, "hello, world\n", 13);
    free(got);
    got = get_file(b, "/docs/deep/big.bin", &len);
    ck_assert_uint_eq(len, sizeof big);
    ck_assert_mem_eq(got, big, sizeof big);
    free(got);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(b, "/hello.txt", &st), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_stat(b, "/docs/gone", &st), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_stat(b, "/docs", &st), 0);
    ck_assert_uint_eq(st.type, MK_FT_DIR);
    ck_assert_uint_eq(st.nlink, 3); /* ".", its entry in "/", "deep/.." */
    /* List /docs: exactly ., .., deep, hello.txt. */
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(b, MK_PID_KERNEL, "/docs", MK_O_RDONLY, &fd), 0);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t g;
    int seen = 0, count = 0;
    while (mk_vfs_readdir(b, MK_PID_KERNEL, fd, &e, &g) == 0 && g == 1) {
        count++;
        if (strcmp(e.name, "deep") == 0 && e.type == MK_FT_DIR)
            seen |= 1;
        if (strcmp(e.name, "hello.txt") == 0 && e.type == MK_FT_REG)
            seen |= 2;
    }
    ck_assert_int_eq(count, 4);
    ck_assert_int_eq(seen, 3);
    ck_assert_int_eq(mk_vfs_close(b, MK_PID_KERNEL, fd), 0);
    /* Context B changes it and only calls mk_destroy (flush + unmount). */
    put_file(b, "/docs/from-b", "bbb", 3);
    ck_assert_int_eq(mk_destroy(b), 0);

    mk_t *c = new_kernel();
    ck_assert_int_eq(mk_blk_open_image(c, "disk", img, 1024, 0, 0, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(c, d, "/", 0), 0);
    got = get_file(c, "/docs/from-b", &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(got, "bbb", 3);
    free(got);
    ck_assert_int_eq(mk_destroy(c), 0);
    remove_tmp(img);
}
END_TEST

/* ---- refusing what is not ours -------------------------------------------- */

START_TEST(foreign_data_refused_and_untouched)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "usb", 4096, 128);
    uint8_t data[4096], back[4096];
    fill(data, sizeof data, 0, 3);
    for (uint64_t b = 0; b < 4; b++)
        ck_assert_int_eq(mk_blk_write(k, d, b, 0, data, sizeof data), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), MK_ENOFS);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), MK_ENOFS);
    /* Also after the cache is written out and dropped. */
    ck_assert_int_eq(mk_cache_flush(k, d), 0);
    uint64_t ev = 1;
    while (ev == 1)
        ck_assert_int_eq(mk_cache_evict(k, &ev), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/mnt", MK_MOUNT_FORMAT), MK_ENOFS);
    for (uint64_t b = 0; b < 4; b++) {
        ck_assert_int_eq(mk_blk_read(k, d, b, 0, back, sizeof back), 0);
        ck_assert_mem_eq(back, data, sizeof data);
    }
    ck_assert_int_eq(mk_blk_read(k, d, 4, 0, back, sizeof back), 0);
    for (size_t i = 0; i < sizeof back; i++)
        ck_assert_uint_eq(back[i], 0); /* nothing formatted past the data either */
    uint32_t kind;
    ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_OTHER);
    /* A blank device needs MK_MOUNT_FORMAT. */
    mk_dev_t blank = new_ram(k, "blank", 4096, 128);
    ck_assert_int_eq(mk_vfs_mount(k, blank, "/", 0), MK_ENOFS);
    ck_assert_int_eq(mk_fs_probe(k, blank, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_BLANK);
    ck_assert_int_eq(mk_vfs_mount(k, blank, "/", MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(corrupt_superblock_refused)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 1024, 1024);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    put_file(k, "/f", "data", 4);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    /* Flip each byte of the superblock's first 128 in turn: every flip
     * must be refused (the magic with MK_ENOFS, the rest MK_ECORRUPT). */
    for (uint32_t off = 0; off < 128; off++) {
        uint8_t b, x;
        ck_assert_int_eq(mk_blk_read(k, d, 0, off, &b, 1), 0);
        x = b ^ 0x5a;
        ck_assert_int_eq(mk_blk_write(k, d, 0, off, &x, 1), 0);
        int rc = mk_vfs_mount(k, d, "/", 0);
        if (off < 4)
            ck_assert_int_eq(rc, MK_ENOFS);
        else
            ck_assert_msg(rc == MK_ECORRUPT, "offset %u: %s", off, mk_err_name(rc));
        rc = mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT); /* never formats */
        ck_assert_int_ne(rc, 0);
        uint32_t kind;
        ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
        ck_assert_uint_eq(kind, MK_FS_PROBE_OTHER);
        ck_assert_int_eq(mk_blk_write(k, d, 0, off, &b, 1), 0);
    }
    /* Restored: mounts, the data is there. */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    size_t len;
    uint8_t *got = get_file(k, "/f", &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_mem_eq(got, "data", 4);
    free(got);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(garbage_metadata_never_crashes)
{
    /* Fill the metadata blocks after the superblock with pseudo-random
     * garbage, then exercise every operation: any error code is fine,
     * a crash (or a sanitizer report) is not. */
    for (uint32_t seed = 1; seed <= 12; seed++) {
        mk_t *k = new_kernel();
        mk_dev_t d = new_ram(k, "ram0", 1024, 512);
        ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
        ck_assert_int_eq(mk_vfs_mkdir(k, "/dir"), 0);
        uint8_t buf[3000];
        fill(buf, sizeof buf, 0, seed);
        put_file(k, "/dir/file", buf, sizeof buf);
        put_file(k, "/file2", buf, 100);
        ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
        /* Blocks 1 .. 40 hold the bitmaps, the inode table and the first
         * data blocks (directories, indirect blocks). */
        uint8_t junk[1024];
        for (uint64_t b = 1 + seed % 3; b < 40; b += 1 + seed % 4) {
            fill(junk, sizeof junk, b * 1024, seed * 77);
            ck_assert_int_eq(mk_blk_write(k, d, b, 0, junk, sizeof junk), 0);
        }
        int rc = mk_vfs_mount(k, d, "/", 0);
        if (rc == 0) {
            mk_stat_t st;
            st.size = sizeof st;
            mk_fd_t fd;
            size_t n;
            const char *paths[] = {"/", "/dir", "/dir/file", "/file2", "/new"};
            for (unsigned i = 0; i < 5; i++) {
                (void)mk_vfs_stat(k, paths[i], &st);
                if (mk_vfs_open(k, MK_PID_KERNEL, paths[i], MK_O_RDONLY, &fd) == 0) {
                    mk_dirent_t e;
                    e.size = sizeof e;
                    uint32_t got;
                    for (int j = 0; j < 50; j++)
                        if (mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got) != 0 || got == 0)
                            break;
                    (void)mk_vfs_read(k, MK_PID_KERNEL, fd, buf, sizeof buf, &n);
                    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
                }
            }
            if (mk_vfs_open(k, MK_PID_KERNEL, "/dir/file", MK_O_RDWR, &fd) == 0) {
                (void)mk_vfs_pwrite(k, MK_PID_KERNEL, fd, buf, sizeof buf, 5000, &n);
                (void)mk_vfs_ftruncate(k, MK_PID_KERNEL, fd, 10);
                ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
            }
            (void)mk_vfs_mkdir(k, "/dir/sub");
            (void)mk_vfs_rename(k, "/file2", "/dir/moved");
            (void)mk_vfs_unlink(k, "/dir/file");
            (void)mk_vfs_rmdir(k, "/dir");
            (void)mk_vfs_unmount(k, "/");
        } else {
            ck_assert(rc == MK_ECORRUPT || rc == MK_EIO);
        }
        ck_assert_int_eq(mk_destroy(k), 0);
    }
}
END_TEST

/* ---- a full device ---------------------------------------------------------- */

START_TEST(full_device_enospc_then_recovers)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "small", 1024, 256); /* 256 KiB */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    uint8_t keep[5000];
    fill(keep, sizeof keep, 0, 11);
    put_file(k, "/keep", keep, sizeof keep);

    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/filler", MK_O_WRONLY | MK_O_CREAT, &fd), 0);
    uint8_t chunk[3000];
    size_t total = 0, n = 0;
    int rc;
    for (;;) {
        fill(chunk, sizeof chunk, total, 12);
        rc = mk_vfs_write(k, MK_PID_KERNEL, fd, chunk, sizeof chunk, &n);
        if (rc != 0)
            break;
        total += n;
        if (n < sizeof chunk)
            break; /* the short write: the device is now full */
        ck_assert_uint_lt(total, 256 * 1024);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_lt(n, sizeof chunk);
    ck_assert_int_eq(mk_vfs_write(k, MK_PID_KERNEL, fd, chunk, sizeof chunk, &n), MK_ENOSPC);
    mk_statfs_t s = get_statfs(k, "/");
    ck_assert_uint_eq(s.free_blocks, 0);
    /* No new file can get a block either, but an empty one can be made. */
    mk_fd_t fd2;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/empty", MK_O_WRONLY | MK_O_CREAT, &fd2), 0);
    ck_assert_int_eq(mk_vfs_write(k, MK_PID_KERNEL, fd2, "x", 1, &n), MK_ENOSPC);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd2), 0);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);

    /* Everything stored is intact: the filler up to its size and /keep. */
    size_t len;
    uint8_t *got = get_file(k, "/filler", &len);
    ck_assert_uint_eq(len, total);
    ck_assert(check_pattern(got, len, 0, 12));
    free(got);
    got = get_file(k, "/keep", &len);
    ck_assert_uint_eq(len, sizeof keep);
    ck_assert_mem_eq(got, keep, sizeof keep);
    free(got);

    /* Deleting frees the space; writing works again. */
    ck_assert_int_eq(mk_vfs_unlink(k, "/filler"), 0);
    s = get_statfs(k, "/");
    ck_assert_uint_gt(s.free_blocks, 200);
    put_file(k, "/again", chunk, sizeof chunk);
    got = get_file(k, "/keep", &len);
    ck_assert_mem_eq(got, keep, sizeof keep);
    free(got);
    /* And it all survives a remount. */
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    mk_statfs_t s2 = get_statfs(k, "/");
    ck_assert_uint_eq(s2.free_blocks, s.free_blocks - 3);
    got = get_file(k, "/again", &len);
    ck_assert_mem_eq(got, chunk, sizeof chunk);
    free(got);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(out_of_inodes)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 4096, 256);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = 10; /* rounded up to one 32-inode block */
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    mk_statfs_t s = get_statfs(k, "/");
    uint64_t nfree = s.free_inodes;
    ck_assert_uint_ge(nfree, 10);
    char path[32];
    for (uint64_t i = 0; i < nfree; i++) {
        snprintf(path, sizeof path, "/f%llu", (unsigned long long)i);
        put_file(k, path, "i", 1);
    }
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/one-more", MK_O_WRONLY | MK_O_CREAT, &fd),
                     MK_ENOSPC);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/dir"), MK_ENOSPC);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/one-more", &st), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_unlink(k, "/f0"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/dir"), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(sparse_4gib_file)
{
    /* A 4 GiB file on a 4 MiB device: one block at 4 GiB - 4 KiB, holes
     * before it read as zeros, sizes and block counts right, and it all
     * survives a remount and a truncate back to nothing. */
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "ram0", 4096, 1024);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    mk_statfs_t before = get_statfs(k, "/");
    const uint64_t end = (uint64_t)4 << 30;
    uint8_t blk[4096], rd[8192];
    fill(blk, sizeof blk, end - 4096, 7);
    mk_fd_t fd;
    size_t n;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/sparse", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    ck_assert_int_eq(mk_vfs_pwrite(k, MK_PID_KERNEL, fd, blk, sizeof blk, end - 4096, &n), 0);
    ck_assert_uint_eq(n, sizeof blk);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_eq(r.problems, 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/sparse", &st), 0);
    ck_assert_uint_eq(st.bytes, end);
    ck_assert_uint_eq(st.blocks, 1); /* the data block: one extent, in the inode */
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/sparse", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, rd, sizeof rd, end - 8192, &n), 0);
    ck_assert_uint_eq(n, sizeof rd);
    for (size_t i = 0; i < 4096; i++)
        ck_assert_uint_eq(rd[i], 0); /* a hole */
    ck_assert(memcmp(rd + 4096, blk, 4096) == 0);
    ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, rd, sizeof rd, (uint64_t)1 << 31, &n), 0);
    ck_assert_uint_eq(n, sizeof rd);
    for (size_t i = 0; i < sizeof rd; i++)
        ck_assert_uint_eq(rd[i], 0);
    ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, rd, sizeof rd, end, &n), 0);
    ck_assert_uint_eq(n, 0); /* at the end */
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    ck_assert_int_eq(mk_vfs_truncate(k, "/sparse", 0), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/sparse", &st), 0);
    ck_assert_uint_eq(st.bytes, 0);
    ck_assert_uint_eq(st.blocks, 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/sparse"), 0);
    mk_statfs_t after = get_statfs(k, "/");
    ck_assert_uint_eq(after.free_blocks, before.free_blocks);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_eq(r.problems, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* Quiet checks for loops of 10^5 (Check writes a pipe per ck_assert). */
#define QEQ(a, b)                                                                      \
    do {                                                                               \
        long long q_a_ = (long long)(a), q_b_ = (long long)(b);                        \
        if (q_a_ != q_b_)                                                              \
            ck_abort_msg("line %d: %s == %lld, expected %lld", __LINE__, #a, q_a_, q_b_); \
    } while (0)

static int lookup_ino(mk_t *k, const char *path, uint64_t *ino)
{
    mk_stat_t st;
    st.size = sizeof st;
    int rc = mk_vfs_stat(k, path, &st);
    if (rc == 0)
        *ino = st.ino;
    return rc;
}

START_TEST(directory_of_100000_entries)
{
    /* Large enough that lookups and creates go through the directory's
     * hash index: every name is found, absent names are not, freed slots
     * are reused, renames and unlinks keep the index exact, and it all
     * survives a remount (the index is on disk) and an fsck. */
    enum { N = 100000 };
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "big", 4096, 16384); /* 64 MiB, sparse */
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = N + 100;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/big"), 0);
    uint64_t *inos = malloc(N * sizeof *inos);
    ck_assert_ptr_nonnull(inos);
    char p[64];
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/big/f%06d", i);
        mk_fd_t fd;
        QEQ(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL, &fd), 0);
        QEQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    }
    snprintf(p, sizeof p, "/big/f%06d", 4242);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL, &fd),
                     MK_EEXIST);
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/big/f%06d", i);
        QEQ(lookup_ino(k, p, &inos[i]), 0);
    }
    uint64_t x;
    ck_assert_int_eq(lookup_ino(k, "/big/f100000", &x), MK_ENOENT);
    ck_assert_int_eq(lookup_ino(k, "/big/g000001", &x), MK_ENOENT);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/big", &st), 0);
    /* The entries, and the blocks of the on-disk name index among them
     * (format version 3: the directory is a whole number of blocks). */
    ck_assert_uint_ge(st.bytes, (uint64_t)(N + 2) * 64);
    ck_assert_uint_eq(st.bytes % 4096, 0);
    uint64_t big_bytes = st.bytes;

    /* Unlink every 10th, rename every 10th + 1, create 5000 new names
     * (they take the freed slots: the directory does not grow). */
    for (int i = 0; i < N; i += 10) {
        snprintf(p, sizeof p, "/big/f%06d", i);
        QEQ(mk_vfs_unlink(k, p), 0);
        char q[64], r[64];
        snprintf(q, sizeof q, "/big/f%06d", i + 1);
        snprintf(r, sizeof r, "/big/r%06d", i + 1);
        QEQ(mk_vfs_rename(k, q, r), 0);
    }
    for (int i = 0; i < N / 20; i++) {
        snprintf(p, sizeof p, "/big/n%06d", i);
        QEQ(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL, &fd), 0);
        QEQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    }
    ck_assert_int_eq(mk_vfs_stat(k, "/big", &st), 0);
    /* The new names took freed entry slots (appending them would add 79
     * blocks); only index nodes may split (a block each). */
    ck_assert_uint_ge(st.bytes, big_bytes);
    ck_assert_uint_le(st.bytes, big_bytes + 8 * 4096);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            snprintf(p, sizeof p, "/big/f%06d", i);
            if (i % 10 == 0) {
                QEQ(lookup_ino(k, p, &x), MK_ENOENT);
            } else if (i % 10 == 1) {
                QEQ(lookup_ino(k, p, &x), MK_ENOENT);
                snprintf(p, sizeof p, "/big/r%06d", i);
                QEQ(lookup_ino(k, p, &x), 0);
                QEQ(x, inos[i]);
            } else {
                QEQ(lookup_ino(k, p, &x), 0);
                QEQ(x, inos[i]);
            }
        }
        for (int i = 0; i < N / 20; i++) {
            snprintf(p, sizeof p, "/big/n%06d", i);
            QEQ(lookup_ino(k, p, &x), 0);
        }
        /* Second pass after a remount: the index is built again. */
        ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
        if (pass == 0) {
            mk_fsck_report_t r;
            r.size = sizeof r;
            ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
            ck_assert_uint_eq(r.problems, 0);
            ck_assert_uint_eq(r.files, N - N / 10 + N / 20);
            ck_assert_uint_eq(r.dirs, 2);
        }
        ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    }
    /* readdir sees every name exactly once. */
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/big", MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    long seen = 0;
    for (;;) {
        mk_dirent_t e;
        e.size = sizeof e;
        uint32_t got = 0;
        QEQ(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
        if (!got)
            break;
        seen++;
    }
    ck_assert_int_eq(seen, 2 + N - N / 10 + N / 20);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    free(inos);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- large directories: the on-disk name index (format version 3) ---- */

/* Block lookups (cache hits + misses) one mk_vfs_stat of path costs. */
static uint64_t stat_cost(mk_t *k, const char *path, int want)
{
    mk_cache_stats_t a, b;
    a.size = b.size = sizeof a;
    ck_assert_int_eq(mk_cache_stats(k, &a), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), want);
    ck_assert_int_eq(mk_cache_stats(k, &b), 0);
    return (b.hits + b.misses) - (a.hits + a.misses);
}

static void make_files(mk_t *k, const char *fmt, int from, int to)
{
    char p[64];
    for (int i = from; i < to; i++) {
        snprintf(p, sizeof p, fmt, i);
        mk_fd_t fd;
        QEQ(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT | MK_O_EXCL, &fd), 0);
        QEQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    }
}

/* Names of a directory by readdir, each checked to come once. */
static long count_entries(mk_t *k, const char *dir)
{
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, dir, MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    long n = 0;
    for (;;) {
        mk_dirent_t e;
        e.size = sizeof e;
        uint32_t got = 0;
        QEQ(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
        if (!got)
            break;
        n++;
    }
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    return n;
}

START_TEST(large_directory_lookup_reads_few_blocks_after_remount)
{
    /* 20,000 names in 1 KiB blocks: the directory spans ~1,300 blocks and
     * its index is three levels deep. Right after a remount (the cache
     * holds nothing of the device) a lookup, hit or miss, reads about as
     * many blocks as one in a directory of 10 (the path's inodes, block 0
     * with the index header, one node per level, the entry's block), not
     * the ~1,300 a scan would. */
    enum { N = 20000 };
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "dx", 1024, 32768);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = N + 100;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/big"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/small"), 0);
    make_files(k, "/big/e%05d", 0, N);
    make_files(k, "/small/e%05d", 0, 10);
    uint64_t x;
    for (int i = 0; i < N; i += 97) {
        char p[64];
        snprintf(p, sizeof p, "/big/e%05d", i);
        QEQ(lookup_ino(k, p, &x), 0);
    }
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/big", &st), 0);
    ck_assert_uint_ge(st.bytes / 1024, 1250); /* a scan would read all of them */

    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    uint64_t small = stat_cost(k, "/small/e00003", 0);
    ck_assert_uint_le(small, 12);
    uint64_t seed = 12345, worst = 0, total = 0;
    for (int i = 0; i < 50; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        char p[64];
        snprintf(p, sizeof p, "/big/e%05d", (int)((seed >> 33) % N));
        uint64_t c = stat_cost(k, p, 0);
        snprintf(p, sizeof p, "/big/x%05d", (int)((seed >> 33) % N));
        uint64_t m = stat_cost(k, p, MK_ENOENT);
        worst = c > worst ? c : worst;
        worst = m > worst ? m : worst;
        total += c + m;
    }
    /* More than the small directory's lookup by at most: the index depth
     * (3 here), the entry's block, and the file mapping's blocks for those
     * reads (none while the directory's extents fit in its inode, up to 2
     * each for a doubly indirect map). A scan would read ~1,300 blocks. */
    ck_assert_uint_le(worst, small + 18);
    ck_assert_uint_le(total, 100 * (small + 18));
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_eq(r.problems, 0);
    ck_assert_uint_eq(r.files, N + 10);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(large_directories_rename_and_rmdir)
{
    enum { N = 3000, ND = 10 };
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "dx2", 1024, 16384);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = 2 * N + 100;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/b"), 0);
    make_files(k, "/a/f%04d", 0, N);
    make_files(k, "/b/g%04d", 0, N);
    char p[64], q[64];
    for (int i = 0; i < ND; i++) {
        snprintf(p, sizeof p, "/a/d%d", i);
        ck_assert_int_eq(mk_vfs_mkdir(k, p), 0);
    }
    uint64_t *fino = malloc(N * sizeof *fino), *gino = malloc(N * sizeof *gino), x;
    ck_assert_ptr_nonnull(fino);
    ck_assert_ptr_nonnull(gino);
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/a/f%04d", i);
        QEQ(lookup_ino(k, p, &fino[i]), 0);
        snprintf(p, sizeof p, "/b/g%04d", i);
        QEQ(lookup_ino(k, p, &gino[i]), 0);
    }
    mk_statfs_t sf0, sf1;
    sf0.size = sf1.size = sizeof sf0;
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &sf0), 0);
    /* i % 3 == 0: renamed within /a; 1: moved to /b under a new name;
     * 2: moved to /b replacing g<i> (whose inode goes). */
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/a/f%04d", i);
        if (i % 3 == 0)
            snprintf(q, sizeof q, "/a/h%04d", i);
        else if (i % 3 == 1)
            snprintf(q, sizeof q, "/b/f%04d", i);
        else
            snprintf(q, sizeof q, "/b/g%04d", i);
        QEQ(mk_vfs_rename(k, p, q), 0);
    }
    for (int i = 0; i < ND; i++) {
        snprintf(p, sizeof p, "/a/d%d", i);
        snprintf(q, sizeof q, "/b/d%d", i);
        ck_assert_int_eq(mk_vfs_rename(k, p, q), 0);
    }
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &sf1), 0);
    ck_assert_uint_eq(sf1.free_inodes, sf0.free_inodes + (N + 1) / 3); /* the victims */
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "/a/f%04d", i);
        QEQ(lookup_ino(k, p, &x), MK_ENOENT);
        if (i % 3 == 0)
            snprintf(p, sizeof p, "/a/h%04d", i);
        else if (i % 3 == 1)
            snprintf(p, sizeof p, "/b/f%04d", i);
        else
            snprintf(p, sizeof p, "/b/g%04d", i);
        QEQ(lookup_ino(k, p, &x), 0);
        QEQ(x, fino[i]);
        if (i % 3 != 2) {
            snprintf(p, sizeof p, "/b/g%04d", i);
            QEQ(lookup_ino(k, p, &x), 0);
            QEQ(x, gino[i]);
        }
    }
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/a", &st), 0);
    ck_assert_uint_eq(st.nlink, 2);
    ck_assert_int_eq(mk_vfs_stat(k, "/b", &st), 0);
    ck_assert_uint_eq(st.nlink, 2 + ND);
    ck_assert_int_eq(count_entries(k, "/a"), 2 + (N + 2) / 3);
    ck_assert_int_eq(count_entries(k, "/b"), 2 + N + (N + 1) / 3 + ND);
    ck_assert_int_eq(mk_vfs_stat(k, "/b/d3/..", &st), 0);
    ck_assert_int_eq(lookup_ino(k, "/b", &x), 0);
    ck_assert_uint_eq(st.ino, x);

    /* A large directory emptied can go; one with names left cannot. */
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a"), MK_ENOTEMPTY);
    for (int i = 0; i < N; i += 3) {
        snprintf(p, sizeof p, "/a/h%04d", i);
        QEQ(mk_vfs_unlink(k, p), 0);
    }
    ck_assert_int_eq(count_entries(k, "/a"), 2);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a"), 0);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/b"), MK_ENOTEMPTY);
    ck_assert_int_eq(mk_vfs_stat(k, "/", &st), 0);
    ck_assert_uint_eq(st.nlink, 3);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_eq(r.problems, 0);
    ck_assert_uint_eq(r.dirs, 2 + ND);
    ck_assert_uint_eq(r.files, 2 * N - (N + 1) / 3 - (N + 2) / 3); /* victims, unlinked */
    free(fino);
    free(gino);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(large_directory_readdir_while_changing)
{
    /* Names added or removed during a scan may or may not be seen; none
     * is seen twice and every name there all along is seen. */
    enum { N = 4000 };
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "dx3", 1024, 8192);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = 2 * N;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/d"), 0);
    make_files(k, "/d/k%04d", 0, N);
    uint8_t *seen = calloc(2 * N, 1);
    ck_assert_ptr_nonnull(seen);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/d", MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    long n = 0;
    char p[64];
    for (;;) {
        mk_dirent_t e;
        e.size = sizeof e;
        uint32_t got = 0;
        QEQ(mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got), 0);
        if (!got)
            break;
        if (e.name[0] == 'k' || e.name[0] == 'n') {
            int v = atoi(e.name + 1) + (e.name[0] == 'n' ? N : 0);
            QEQ(seen[v], 0);
            seen[v] = 1;
        }
        if (++n == N / 2) {
            /* Mid-scan: remove the odd names, add as many new ones. */
            for (int i = 1; i < N; i += 2) {
                snprintf(p, sizeof p, "/d/k%04d", i);
                QEQ(mk_vfs_unlink(k, p), 0);
            }
            make_files(k, "/d/n%04d", 0, N / 2);
        }
    }
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    for (int i = 0; i < N; i += 2)
        QEQ(seen[i], 1);
    ck_assert_int_eq(count_entries(k, "/d"), 2 + N);
    free(seen);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_eq(r.problems, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static Suite *fs_suite(void)
{
    Suite *s = suite_create("fs");
    TCase *tc = tcase_create("public");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, opts_init_sets_size_and_defaults);
    tcase_add_test(tc, probe_blank_mkfs_other);
    tcase_add_test(tc, mkfs_then_mount_empty_root);
    tcase_add_test(tc, mkfs_bad_input);
    tcase_add_test(tc, mounted_device_cannot_be_removed);
    tcase_add_test(tc, files_512);
    tcase_add_test(tc, files_1024);
    tcase_add_test(tc, files_4096);
    tcase_add_test(tc, files_65536);
    tcase_add_test(tc, sparse_holes_read_as_zeros);
    tcase_add_test(tc, file_of_64_mib);
    tcase_add_test(tc, image_remounts_in_new_context);
    tcase_add_test(tc, foreign_data_refused_and_untouched);
    tcase_add_test(tc, corrupt_superblock_refused);
    tcase_add_test(tc, garbage_metadata_never_crashes);
    tcase_add_test(tc, full_device_enospc_then_recovers);
    tcase_add_test(tc, out_of_inodes);
    tcase_add_test(tc, sparse_4gib_file);
    tcase_add_test(tc, directory_of_100000_entries);
    tcase_add_test(tc, large_directory_lookup_reads_few_blocks_after_remount);
    tcase_add_test(tc, large_directories_rename_and_rmdir);
    tcase_add_test(tc, large_directory_readdir_while_changing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fs_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
