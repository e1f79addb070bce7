/*
 * test-vfs.c - public API of the VFS: mounting (several devices, nested
 * mount points, longest-prefix resolution, unmount refused while busy),
 * paths with "." and "..", descriptors per process (ownership, limits,
 * closing on process exit), every file operation, and bad input on every
 * call, checking the exact MK_E code and that nothing was changed.
 */
#include <microkernel/mk.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K MK_PID_KERNEL

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

/* A context with one 4 MiB file system mounted at "/". */
static mk_t *kernel_with_root(mk_dev_t *dev)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "root", 4096, 1024);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    if (dev != NULL)
        *dev = d;
    return k;
}

static void put_file(mk_t *k, const char *path, const char *text)
{
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC, &fd), 0);
    size_t n = 0, len = strlen(text);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, text, len, &n), 0);
    ck_assert_uint_eq(n, len);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
}

/* Read a small file as a string ("" if empty); aborts the test if absent. */
static const char *get_file(mk_t *k, const char *path)
{
    static char buf[4096];
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_RDONLY, &fd), 0);
    size_t n = 0;
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, sizeof buf - 1, &n), 0);
    buf[n] = '\0';
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    return buf;
}

static int exists(mk_t *k, const char *path)
{
    mk_stat_t st;
    st.size = sizeof st;
    return mk_vfs_stat(k, path, &st) == 0;
}

static uint32_t type_of(mk_t *k, const char *path)
{
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), 0);
    return st.type;
}

static uint64_t free_blocks(mk_t *k, const char *path)
{
    mk_statfs_t s;
    s.size = sizeof s;
    ck_assert_int_eq(mk_vfs_statfs(k, path, &s), 0);
    return s.free_blocks;
}

/* Count the entries of a directory other than "." and "..". */
static int count_entries(mk_t *k, const char *path)
{
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    int n = 0;
    for (;;) {
        ck_assert_int_eq(mk_vfs_readdir(k, K, fd, &e, &got), 0);
        if (got == 0)
            break;
        if (strcmp(e.name, ".") != 0 && strcmp(e.name, "..") != 0)
            n++;
    }
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    return n;
}

/* ---- mounting --------------------------------------------------------------- */

START_TEST(mount_points_must_be_normalised)
{
    mk_t *k = new_kernel();
    mk_dev_t d = new_ram(k, "d", 1024, 256);
    const char *bad[] = {"", "mnt", "/mnt/", "//mnt", "/mnt//x", "/mnt/.", "/mnt/../x",
                         "/./mnt", "/.."};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(mk_vfs_mount(k, d, bad[i], MK_MOUNT_FORMAT) == MK_EINVAL, "%s", bad[i]);
        ck_assert_int_eq(mk_vfs_unmount(k, bad[i]), MK_EINVAL);
    }
    char longname[100];
    memset(longname, 'a', sizeof longname);
    longname[0] = '/';
    longname[MK_NAME_MAX + 2] = '\0'; /* a 60-byte component */
    ck_assert_int_eq(mk_vfs_mount(k, d, longname, MK_MOUNT_FORMAT), MK_ENAMETOOLONG);
    longname[MK_NAME_MAX + 1] = '\0'; /* 59 bytes: fine */
    ck_assert_int_eq(mk_vfs_mount(k, d, longname, MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, longname), 0);
    char huge[1100];
    for (int i = 0; i < 1099; i++)
        huge[i] = (i % 10 == 0) ? '/' : 'x';
    huge[1099] = '\0';
    ck_assert_int_eq(mk_vfs_mount(k, d, huge, MK_MOUNT_FORMAT), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_vfs_mount(k, d, NULL, 0), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0x2), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_unmount(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_mount(k, 0, "/", MK_MOUNT_FORMAT), MK_EBADH);
    ck_assert_int_eq(mk_vfs_mount(k, d + 77, "/", MK_MOUNT_FORMAT), MK_EBADH);
    ck_assert_int_eq(mk_vfs_mount(NULL, d, "/", 0), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_unmount(NULL, "/"), MK_EINVAL);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(mount_busy_point_and_device)
{
    mk_t *k = new_kernel();
    mk_dev_t a = new_ram(k, "a", 1024, 256), b = new_ram(k, "b", 1024, 256);
    ck_assert_int_eq(mk_vfs_mount(k, a, "/mnt", MK_MOUNT_FORMAT), 0);
    put_file(k, "/mnt/file", "on a");
    ck_assert_int_eq(mk_vfs_mount(k, b, "/mnt", MK_MOUNT_FORMAT), MK_EBUSY); /* point taken */
    ck_assert_int_eq(mk_vfs_mount(k, a, "/other", 0), MK_EBUSY);             /* dev mounted */
    ck_assert_int_eq(mk_vfs_mount(k, b, "/other", 0), MK_ENOFS); /* blank, no format flag */
    uint32_t kind;
    ck_assert_int_eq(mk_fs_probe(k, b, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_BLANK); /* the failed mounts wrote nothing */
    ck_assert_str_eq(get_file(k, "/mnt/file"), "on a");
    ck_assert_int_eq(mk_vfs_unmount(k, "/mnt"), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/mnt"), MK_ENOENT);
    ck_assert(!exists(k, "/mnt/file")); /* nothing mounted any more */
    /* Remount elsewhere: same data. */
    ck_assert_int_eq(mk_vfs_mount(k, a, "/elsewhere", 0), 0);
    ck_assert_str_eq(get_file(k, "/elsewhere/file"), "on a");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(nested_mounts_longest_prefix)
{
    mk_t *k = new_kernel();
    mk_dev_t r = new_ram(k, "r", 1024, 512), m = new_ram(k, "m", 1024, 512),
             d = new_ram(k, "d", 1024, 512);
    ck_assert_int_eq(mk_vfs_mount(k, r, "/", MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/mnt/deep", MK_MOUNT_FORMAT), 0); /* before its parent */
    ck_assert_int_eq(mk_vfs_mount(k, m, "/mnt", MK_MOUNT_FORMAT), 0);
    put_file(k, "/rootfile", "R");
    put_file(k, "/mnt/midfile", "M");
    put_file(k, "/mnt/deep/deepfile", "D");
    put_file(k, "/mntx", "not under /mnt"); /* prefix of a name, not a component */
    ck_assert_int_eq(count_entries(k, "/"), 2);       /* rootfile, mntx */
    ck_assert_int_eq(count_entries(k, "/mnt"), 1);    /* midfile */
    ck_assert_int_eq(count_entries(k, "/mnt/deep"), 1);
    /* Each file landed on its own device. */
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/mnt/deep", &st), 0);
    ck_assert_uint_eq(st.type, MK_FT_DIR);
    ck_assert_uint_eq(st.ino, 1); /* the root inode of d */
    /* ".." at a mount root goes to the parent mount's view. */
    ck_assert_str_eq(get_file(k, "/mnt/deep/../midfile"), "M");
    ck_assert_str_eq(get_file(k, "/mnt/deep/../../rootfile"), "R");
    ck_assert_str_eq(get_file(k, "/mnt/../rootfile"), "R");
    ck_assert_str_eq(get_file(k, "/../../mnt/./deep/./deepfile"), "D");
    ck_assert_str_eq(get_file(k, "//mnt///deep//deepfile"), "D");
    /* The mount point does not exist as a directory in "/". */
    ck_assert_int_eq(mk_vfs_rmdir(k, "/mnt"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/mnt/deep"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/mnt"), MK_EEXIST);
    ck_assert_int_eq(mk_vfs_unlink(k, "/mnt"), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_rename(k, "/mnt/deep", "/mnt/x"), MK_EXDEV);
    ck_assert_int_eq(mk_vfs_rename(k, "/mnt/midfile", "/mnt/deep/midfile"), MK_EXDEV);
    ck_assert_int_eq(mk_vfs_rename(k, "/rootfile", "/mnt/rootfile"), MK_EXDEV);
    ck_assert_str_eq(get_file(k, "/mnt/midfile"), "M");
    /* Unmount order: the nested one first. */
    ck_assert_int_eq(mk_vfs_unmount(k, "/mnt"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_unmount(k, "/mnt/deep"), 0);
    ck_assert(!exists(k, "/mnt/deep/deepfile"));
    ck_assert_int_eq(mk_vfs_stat(k, "/mnt/deep", &st), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_unmount(k, "/mnt"), 0);
    ck_assert(!exists(k, "/mnt/midfile"));
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/", &st), MK_ENOENT); /* outside every mount */
    /* Only a nested mount and no "/": paths outside it are ENOENT. */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/mnt/deep", 0), 0);
    ck_assert_str_eq(get_file(k, "/mnt/deep/deepfile"), "D");
    ck_assert_int_eq(mk_vfs_stat(k, "/mnt", &st), MK_ENOENT);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/elsewhere", MK_O_RDWR | MK_O_CREAT, &fd), MK_ENOENT);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(unmount_refused_while_open)
{
    mk_t *k = new_kernel();
    mk_dev_t a = new_ram(k, "a", 1024, 256);
    ck_assert_int_eq(mk_vfs_mount(k, a, "/m", MK_MOUNT_FORMAT), 0);
    mk_fd_t fd, dfd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/m/f", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    size_t n;
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "abc", 3, &n), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/m"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_open(k, K, "/m", MK_O_RDONLY, &dfd), 0); /* a directory counts too */
    ck_assert_int_eq(mk_vfs_unmount(k, "/m"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_close(k, K, dfd), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/m"), 0);
    /* The descriptors are stale after all this. */
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "x", 1, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_close(k, K, dfd), MK_EBADH);
    ck_assert_int_eq(mk_vfs_mount(k, a, "/m", 0), 0);
    ck_assert_str_eq(get_file(k, "/m/f"), "abc");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- file operations ------------------------------------------------------------ */

START_TEST(read_write_seek_append)
{
    mk_t *k = kernel_with_root(NULL);
    mk_fd_t fd;
    size_t n;
    uint64_t pos;
    char buf[64];
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDWR | MK_O_CREAT | MK_O_EXCL, &fd), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "hello world", 11, &n), 0);
    ck_assert_uint_eq(n, 11);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, sizeof buf, &n), 0);
    ck_assert_uint_eq(n, 0); /* at end */
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 6, MK_SEEK_SET, &pos), 0);
    ck_assert_uint_eq(pos, 6);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, 5, &n), 0);
    ck_assert_mem_eq(buf, "world", 5);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, -5, MK_SEEK_CUR, &pos), 0);
    ck_assert_uint_eq(pos, 6);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "WORLD", 5, &n), 0);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, -11, MK_SEEK_END, &pos), 0);
    ck_assert_uint_eq(pos, 0);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, sizeof buf, &n), 0);
    ck_assert_uint_eq(n, 11);
    ck_assert_mem_eq(buf, "hello WORLD", 11);
    /* Bad seeks change nothing. */
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, -12, MK_SEEK_END, &pos), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, 3, &pos), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, INT64_MAX, MK_SEEK_CUR, &pos), MK_ERANGE);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, INT64_MIN, MK_SEEK_SET, &pos), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, MK_SEEK_CUR, NULL), 0);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, MK_SEEK_CUR, &pos), 0);
    ck_assert_uint_eq(pos, 11);
    /* pread / pwrite leave the offset alone. */
    ck_assert_int_eq(mk_vfs_pwrite(k, K, fd, "J", 1, 0, &n), 0);
    ck_assert_int_eq(mk_vfs_pread(k, K, fd, buf, 5, 0, &n), 0);
    ck_assert_mem_eq(buf, "Jello", 5);
    ck_assert_int_eq(mk_vfs_pread(k, K, fd, buf, 5, 1000, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, MK_SEEK_CUR, &pos), 0);
    ck_assert_uint_eq(pos, 11);
    /* Write past the end leaves a hole of zeros. */
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 20, MK_SEEK_SET, &pos), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "!", 1, &n), 0);
    ck_assert_int_eq(mk_vfs_pread(k, K, fd, buf, 21, 0, &n), 0);
    ck_assert_uint_eq(n, 21);
    ck_assert_mem_eq(buf, "Jello WORLD\0\0\0\0\0\0\0\0\0!", 21);
    /* Zero-length I/O. */
    ck_assert_int_eq(mk_vfs_write(k, K, fd, NULL, 0, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, NULL, 0, &n), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);

    /* O_APPEND writes at the end whatever the offset. */
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_WRONLY | MK_O_APPEND, &fd), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "+", 1, &n), 0);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, MK_SEEK_SET, &pos), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "+", 1, &n), 0);
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, MK_SEEK_CUR, &pos), 0);
    ck_assert_uint_eq(pos, 23);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/f", &st), 0);
    ck_assert_uint_eq(st.bytes, 23);
    ck_assert_uint_eq(st.type, MK_FT_REG);
    ck_assert_uint_eq(st.nlink, 1);
    ck_assert_uint_eq(st.blocks, 1);

    /* O_TRUNC empties; O_CREAT on an existing file keeps it. */
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/f", &st), 0);
    ck_assert_uint_eq(st.bytes, 23);
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_WRONLY | MK_O_TRUNC, &fd), 0);
    ck_assert_int_eq(mk_vfs_fstat(k, K, fd, &st), 0);
    ck_assert_uint_eq(st.bytes, 0);
    ck_assert_uint_eq(st.blocks, 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(times_follow_the_virtual_clock)
{
    mk_t *k = kernel_with_root(NULL);
    ck_assert_int_eq(mk_clock_advance(k, 100), 0);
    put_file(k, "/t", "1");
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/t", &st), 0);
    ck_assert_uint_eq(st.ctime, 100);
    ck_assert_uint_eq(st.mtime, 100);
    ck_assert_int_eq(mk_clock_advance(k, 50), 0);
    mk_fd_t fd;
    size_t n;
    ck_assert_int_eq(mk_vfs_open(k, K, "/t", MK_O_WRONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, "2", 1, &n), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/t", &st), 0);
    ck_assert_uint_eq(st.mtime, 150);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(truncate_and_free_space)
{
    mk_t *k = kernel_with_root(NULL);
    uint64_t free0 = free_blocks(k, "/");
    mk_fd_t fd;
    size_t n;
    static char big[200000];
    memset(big, 'z', sizeof big);
    ck_assert_int_eq(mk_vfs_open(k, K, "/t", MK_O_RDWR | MK_O_CREAT, &fd), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, fd, big, sizeof big, &n), 0);
    /* 49 data blocks, plus what the block map needs of its own: nothing
     * for one extent held in the inode (format 3), one indirect block in
     * the older format */
    uint64_t used = free0 - free_blocks(k, "/");
    ck_assert_msg(used == 49 || used == 50, "%llu blocks used", (unsigned long long)used);
    ck_assert_int_eq(mk_vfs_ftruncate(k, K, fd, 4096 * 12), 0);
    ck_assert_uint_eq(free_blocks(k, "/"), free0 - 12);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_truncate(k, "/t", 10), 0);
    ck_assert_uint_eq(free_blocks(k, "/"), free0 - 1);
    ck_assert_str_eq(get_file(k, "/t"), "zzzzzzzzzz");
    ck_assert_int_eq(mk_vfs_truncate(k, "/t", 0), 0);
    ck_assert_uint_eq(free_blocks(k, "/"), free0);
    ck_assert_int_eq(mk_vfs_truncate(k, "/t", 1 << 20), 0); /* grows as a hole */
    ck_assert_uint_eq(free_blocks(k, "/"), free0);
    ck_assert_int_eq(mk_vfs_truncate(k, "/", 0), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_truncate(k, "/nope", 0), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_truncate(k, "/t", UINT64_MAX), MK_ERANGE);
    ck_assert_int_eq(mk_vfs_truncate(k, NULL, 0), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_truncate(NULL, "/t", 0), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "/t", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_ftruncate(k, K, fd, 0), MK_EPERM);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/t", &st), 0);
    ck_assert_uint_eq(st.bytes, 1 << 20);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(directories_mkdir_rmdir_readdir)
{
    mk_t *k = kernel_with_root(NULL);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a/b"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a/b/"), MK_EEXIST);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a"), MK_EEXIST);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/x/y"), MK_ENOENT);
    put_file(k, "/a/file", "f");
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a/file/sub"), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/a/file"), MK_EEXIST);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/a", &st), 0);
    ck_assert_uint_eq(st.nlink, 3);
    ck_assert_int_eq(mk_vfs_stat(k, "/a/file/", &st), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_stat(k, "/a/b/.", &st), 0);
    ck_assert_uint_eq(st.type, MK_FT_DIR);

    /* Many entries: the directory grows past one block and lists all. */
    char path[64];
    for (int i = 0; i < 150; i++) {
        snprintf(path, sizeof path, "/a/b/entry-%03d", i);
        put_file(k, path, "e");
    }
    ck_assert_int_eq(count_entries(k, "/a/b"), 150);
    for (int i = 0; i < 150; i += 2) {
        snprintf(path, sizeof path, "/a/b/entry-%03d", i);
        ck_assert_int_eq(mk_vfs_unlink(k, path), 0);
    }
    ck_assert_int_eq(count_entries(k, "/a/b"), 75);
    /* readdir restarts after a rewind and reports types and inodes. */
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/a", MK_O_RDONLY | MK_O_DIRECTORY, &fd), 0);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    int seen = 0;
    for (int pass = 0; pass < 2; pass++) {
        seen = 0;
        while (mk_vfs_readdir(k, K, fd, &e, &got) == 0 && got == 1) {
            if (strcmp(e.name, "b") == 0 && e.type == MK_FT_DIR)
                seen |= 1;
            if (strcmp(e.name, "file") == 0 && e.type == MK_FT_REG)
                seen |= 2;
            if (strcmp(e.name, "..") == 0 && e.ino == 1)
                seen |= 4;
        }
        ck_assert_int_eq(seen, 7);
        uint64_t pos;
        ck_assert_int_eq(mk_vfs_seek(k, K, fd, 0, MK_SEEK_SET, &pos), 0);
    }
    ck_assert_int_eq(mk_vfs_seek(k, K, fd, 5, MK_SEEK_SET, NULL), MK_EINVAL);
    size_t n;
    char buf[8];
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, sizeof buf, &n), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_ftruncate(k, K, fd, 0), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);

    ck_assert_int_eq(mk_vfs_rmdir(k, "/a"), MK_ENOTEMPTY);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a/file"), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a/none"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_unlink(k, "/a/b"), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_unlink(k, "/a/file/"), MK_ENOTDIR);
    for (int i = 1; i < 150; i += 2) {
        snprintf(path, sizeof path, "/a/b/entry-%03d", i);
        ck_assert_int_eq(mk_vfs_unlink(k, path), 0);
    }
    ck_assert_int_eq(mk_vfs_open(k, K, "/a/b", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a/b"), MK_EBUSY); /* open */
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a/b"), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/a", &st), 0);
    ck_assert_uint_eq(st.nlink, 2);
    ck_assert_int_eq(mk_vfs_unlink(k, "/a/file"), 0);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/a/"), 0);
    ck_assert_int_eq(count_entries(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/", &st), 0);
    ck_assert_uint_eq(st.nlink, 2);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(rename_rules)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/a", "A");
    put_file(k, "/b", "B");
    ck_assert_int_eq(mk_vfs_mkdir(k, "/d"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/d/sub"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/e"), 0);
    uint64_t free0 = free_blocks(k, "/");

    ck_assert_int_eq(mk_vfs_rename(k, "/a", "/a"), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/a", "/b"), 0); /* replaces /b, frees its block */
    ck_assert(!exists(k, "/a"));
    ck_assert_str_eq(get_file(k, "/b"), "A");
    ck_assert_uint_eq(free_blocks(k, "/"), free0 + 1);
    ck_assert_int_eq(mk_vfs_rename(k, "/b", "/d/sub/moved"), 0);
    ck_assert_str_eq(get_file(k, "/d/sub/moved"), "A");
    ck_assert_int_eq(mk_vfs_rename(k, "/missing", "/x"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_rename(k, "/e", "/nodir/x"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_rename(k, "/d", "/d/sub/inside"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rename(k, "/d", "/d/sub"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rename(k, "/d/sub/moved", "/e"), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_rename(k, "/e", "/d/sub/moved"), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_rename(k, "/e", "/d"), MK_ENOTEMPTY);
    ck_assert_int_eq(mk_vfs_rename(k, "/", "/x"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_rename(k, "/e", "/"), MK_EBUSY);
    /* Moving a directory updates ".." and the parents' link counts. */
    ck_assert_int_eq(mk_vfs_rename(k, "/d/sub", "/e/sub2"), 0);
    ck_assert_str_eq(get_file(k, "/e/sub2/moved"), "A");
    ck_assert_str_eq(get_file(k, "/e/sub2/../sub2/moved"), "A");
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/d", &st), 0);
    ck_assert_uint_eq(st.nlink, 2);
    ck_assert_int_eq(mk_vfs_stat(k, "/e", &st), 0);
    ck_assert_uint_eq(st.nlink, 3);
    mk_stat_t e_st = st;
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/e/sub2", MK_O_RDONLY, &fd), 0);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    int found = 0;
    while (mk_vfs_readdir(k, K, fd, &e, &got) == 0 && got == 1)
        if (strcmp(e.name, "..") == 0 && e.ino == e_st.ino)
            found = 1;
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    /* An empty directory may replace an empty directory. */
    ck_assert_int_eq(mk_vfs_mkdir(k, "/empty"), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/d", "/empty"), 0);
    ck_assert(!exists(k, "/d"));
    ck_assert_uint_eq(type_of(k, "/empty"), MK_FT_DIR);
    ck_assert_int_eq(mk_vfs_stat(k, "/", &st), 0);
    ck_assert_uint_eq(st.nlink, 4); /* ".", "..", e, empty */
    /* An open target file can be replaced (its descriptor keeps the old
     * file, see unlinked_open_files_live_until_closed); the source may be
     * open too. */
    put_file(k, "/src", "S");
    put_file(k, "/dst", "D");
    char buf[4];
    size_t n;
    ck_assert_int_eq(mk_vfs_open(k, K, "/dst", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/src", "/dst"), 0);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, sizeof buf, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(buf[0], 'D');
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/dst", "/src"), 0);
    put_file(k, "/dst", "D");
    ck_assert_int_eq(mk_vfs_open(k, K, "/src", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/src", "/dst"), 0);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, sizeof buf, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(buf[0], 'S');
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_rename(NULL, "/a", "/b"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rename(k, NULL, "/b"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rename(k, "/dst", NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rename(k, "/dst", "rel"), MK_EINVAL);
    ck_assert_str_eq(get_file(k, "/dst"), "S");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- descriptors and processes --------------------------------------------- */

START_TEST(descriptors_belong_to_their_pid)
{
    mk_t *k = kernel_with_root(NULL);
    mk_pid_t p1, p2;
    ck_assert_int_eq(mk_proc_create(k, 0, &p1), 0);
    ck_assert_int_eq(mk_proc_create(k, 0, &p2), 0);
    put_file(k, "/shared", "data");
    mk_fd_t f1, f2;
    ck_assert_int_eq(mk_vfs_open(k, p1, "/shared", MK_O_RDONLY, &f1), 0);
    ck_assert_int_eq(mk_vfs_open(k, p2, "/shared", MK_O_RDWR, &f2), 0);
    ck_assert_uint_ne(f1, f2);
    char buf[8];
    size_t n;
    mk_stat_t st;
    st.size = sizeof st;
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    /* Another pid's descriptor is not a descriptor. */
    ck_assert_int_eq(mk_vfs_read(k, p2, f1, buf, sizeof buf, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_read(k, K, f1, buf, sizeof buf, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_write(k, p1, f2, "x", 1, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_pread(k, p2, f1, buf, 1, 0, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_pwrite(k, p1, f2, "x", 1, 0, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_seek(k, p2, f1, 0, MK_SEEK_SET, NULL), MK_EBADH);
    ck_assert_int_eq(mk_vfs_ftruncate(k, p1, f2, 0), MK_EBADH);
    ck_assert_int_eq(mk_vfs_fsync(k, p2, f1), MK_EBADH);
    ck_assert_int_eq(mk_vfs_fstat(k, p2, f1, &st), MK_EBADH);
    ck_assert_int_eq(mk_vfs_readdir(k, p2, f1, &e, &got), MK_EBADH);
    ck_assert_int_eq(mk_vfs_close(k, p2, f1), MK_EBADH);
    ck_assert_str_eq(get_file(k, "/shared"), "data"); /* nothing changed */
    /* Each has its own offset. */
    ck_assert_int_eq(mk_vfs_read(k, p1, f1, buf, 2, &n), 0);
    ck_assert_int_eq(mk_vfs_read(k, p2, f2, buf, 4, &n), 0);
    ck_assert_mem_eq(buf, "data", 4);
    ck_assert_int_eq(mk_vfs_read(k, p1, f1, buf, 2, &n), 0);
    ck_assert_mem_eq(buf, "ta", 2);
    /* Unknown pids. */
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, 999, "/shared", MK_O_RDONLY, &fd), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_read(k, 999, f1, buf, 1, &n), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_close(k, 999, f1), MK_ENOENT);
    /* Unlink of an open file removes the name; both descriptors live on. */
    uint64_t before = free_blocks(k, "/");
    ck_assert_int_eq(mk_vfs_unlink(k, "/shared"), 0);
    ck_assert_int_eq(exists(k, "/shared"), 0);
    ck_assert_int_eq(mk_vfs_fstat(k, p1, f1, &st), 0);
    ck_assert_uint_eq(st.nlink, 0);
    /* Destroying p1 closes its descriptor; p2's stays, and so does the file. */
    ck_assert_int_eq(mk_proc_destroy(k, p1), 0);
    ck_assert_int_eq(mk_vfs_read(k, p1, f1, buf, 1, &n), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_pread(k, p2, f2, buf, 4, 0, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, "data", 4);
    ck_assert_uint_eq(free_blocks(k, "/"), before);
    /* the last one goes with p2: the file is freed */
    ck_assert_int_eq(mk_proc_destroy(k, p2), 0);
    ck_assert_uint_gt(free_blocks(k, "/"), before);
    /* A new process reusing the pid gets none of the old descriptors. */
    mk_pid_t again;
    ck_assert_int_eq(mk_proc_create(k, p1, &again), 0);
    ck_assert_uint_eq(again, p1);
    ck_assert_int_eq(mk_vfs_read(k, p1, f1, buf, 1, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0); /* nothing left open */
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(descriptor_limit_per_process)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/f", "x");
    mk_pid_t p;
    ck_assert_int_eq(mk_proc_create(k, 0, &p), 0);
    static mk_fd_t fds[MK_VFS_OPEN_MAX];
    for (int i = 0; i < MK_VFS_OPEN_MAX; i++)
        ck_assert_int_eq(mk_vfs_open(k, p, "/f", MK_O_RDONLY, &fds[i]), 0);
    mk_fd_t extra = 42;
    ck_assert_int_eq(mk_vfs_open(k, p, "/f", MK_O_RDONLY, &extra), MK_EMFILE);
    ck_assert_uint_eq(extra, 42); /* untouched on failure */
    ck_assert_int_eq(mk_vfs_open(k, p, "/new", MK_O_RDWR | MK_O_CREAT, &extra), MK_EMFILE);
    ck_assert(!exists(k, "/new")); /* a refused open creates nothing */
    /* Another pid (and the kernel) are not limited by p's count. */
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDONLY, &extra), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, extra), 0);
    ck_assert_int_eq(mk_vfs_close(k, p, fds[7]), 0);
    ck_assert_int_eq(mk_vfs_open(k, p, "/f", MK_O_RDONLY, &fds[7]), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), MK_EBUSY);
    ck_assert_int_eq(mk_proc_destroy(k, p), 0); /* closes all 1024 */
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(stale_and_forged_descriptors)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/f", "x");
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDWR, &fd), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    char buf[4];
    size_t n = 77;
    mk_stat_t st;
    st.size = sizeof st;
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    mk_fd_t bad[] = {fd, 0, 1, fd + 1, fd ^ ((uint64_t)1 << 32), (uint64_t)6 << 56, UINT64_MAX};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mk_fd_t b = bad[i];
        ck_assert_int_eq(mk_vfs_close(k, K, b), MK_EBADH);
        ck_assert_int_eq(mk_vfs_read(k, K, b, buf, 1, &n), MK_EBADH);
        ck_assert_int_eq(mk_vfs_write(k, K, b, "y", 1, &n), MK_EBADH);
        ck_assert_int_eq(mk_vfs_pread(k, K, b, buf, 1, 0, &n), MK_EBADH);
        ck_assert_int_eq(mk_vfs_pwrite(k, K, b, "y", 1, 0, &n), MK_EBADH);
        ck_assert_int_eq(mk_vfs_seek(k, K, b, 0, MK_SEEK_SET, NULL), MK_EBADH);
        ck_assert_int_eq(mk_vfs_ftruncate(k, K, b, 0), MK_EBADH);
        ck_assert_int_eq(mk_vfs_fsync(k, K, b), MK_EBADH);
        ck_assert_int_eq(mk_vfs_fstat(k, K, b, &st), MK_EBADH);
        ck_assert_int_eq(mk_vfs_readdir(k, K, b, &e, &got), MK_EBADH);
    }
    ck_assert_uint_eq(n, 77);
    ck_assert_str_eq(get_file(k, "/f"), "x");
    /* A new descriptor in the old slot does not revive the old one. */
    mk_fd_t fd2;
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDONLY, &fd2), 0);
    ck_assert_uint_ne(fd2, fd);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, buf, 1, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_close(k, K, fd2), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- bad input --------------------------------------------------------------- */

START_TEST(open_errors)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/file", "content");
    ck_assert_int_eq(mk_vfs_mkdir(k, "/dir"), 0);
    mk_fd_t fd = 5;
    ck_assert_int_eq(mk_vfs_open(NULL, K, "/file", 0, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, NULL, 0, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file", 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "", 0, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "file", 0, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file", 0x3, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file", 0x8, &fd), MK_EINVAL); /* unknown bit */
    ck_assert_int_eq(mk_vfs_open(k, K, "/file", MK_O_RDONLY | MK_O_TRUNC, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "/d2", MK_O_CREAT | MK_O_DIRECTORY, &fd), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_open(k, K, "/missing", MK_O_RDONLY, &fd), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_open(k, K, "/no/such/file", MK_O_RDWR | MK_O_CREAT, &fd),
                     MK_ENOENT);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file/x", MK_O_RDONLY, &fd), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file/x", MK_O_RDWR | MK_O_CREAT, &fd), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file/", MK_O_RDONLY, &fd), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file", MK_O_RDONLY | MK_O_DIRECTORY, &fd),
                     MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/dir", MK_O_WRONLY, &fd), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/dir", MK_O_RDWR | MK_O_CREAT, &fd), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/", MK_O_RDWR, &fd), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_open(k, K, "/file", MK_O_RDWR | MK_O_CREAT | MK_O_EXCL, &fd),
                     MK_EEXIST);
    ck_assert_int_eq(mk_vfs_open(k, K, "/dir", MK_O_RDONLY | MK_O_CREAT | MK_O_EXCL, &fd),
                     MK_EEXIST);
    ck_assert_int_eq(mk_vfs_open(k, K, "/newdir/", MK_O_RDWR | MK_O_CREAT, &fd), MK_EISDIR);
    /* Names: a 59-byte component is fine, 60 is too long. */
    char path[MK_PATH_MAX + 16];
    path[0] = '/';
    memset(path + 1, 'n', MK_NAME_MAX + 1);
    path[MK_NAME_MAX + 2] = '\0';
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_RDWR | MK_O_CREAT, &fd), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_vfs_mkdir(k, path), MK_ENAMETOOLONG);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), MK_ENAMETOOLONG);
    path[MK_NAME_MAX + 1] = '\0';
    mk_fd_t ok;
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_RDWR | MK_O_CREAT, &ok), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, ok), 0);
    /* Whole path: 1023 bytes resolve, 1024 is too long. */
    for (int i = 0; i < MK_PATH_MAX; i++)
        path[i] = (i % 2 == 0) ? '/' : '.';
    path[MK_PATH_MAX] = '\0'; /* "/./././..." = "/" */
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), 0);
    ck_assert_uint_eq(st.ino, 1);
    path[MK_PATH_MAX] = '/';
    path[MK_PATH_MAX + 1] = '\0';
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), MK_ENAMETOOLONG);
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_RDONLY, &fd), MK_ENAMETOOLONG);
    ck_assert_uint_eq(fd, 5); /* never written on failure */
    ck_assert_str_eq(get_file(k, "/file"), "content");
    ck_assert_int_eq(count_entries(k, "/"), 3); /* file, dir, the 59-byte name */
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(access_mode_errors)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/f", "abc");
    mk_fd_t ro, wo;
    char buf[8];
    size_t n = 9;
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDONLY, &ro), 0);
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_WRONLY, &wo), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, ro, "x", 1, &n), MK_EPERM);
    ck_assert_int_eq(mk_vfs_pwrite(k, K, ro, "x", 1, 0, &n), MK_EPERM);
    ck_assert_int_eq(mk_vfs_ftruncate(k, K, ro, 0), MK_EPERM);
    ck_assert_int_eq(mk_vfs_read(k, K, wo, buf, 1, &n), MK_EPERM);
    ck_assert_int_eq(mk_vfs_pread(k, K, wo, buf, 1, 0, &n), MK_EPERM);
    ck_assert_uint_eq(n, 9);
    ck_assert_int_eq(mk_vfs_read(k, K, ro, NULL, 1, &n), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_read(k, K, ro, buf, 1, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_write(k, K, wo, NULL, 1, &n), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_write(k, K, wo, "x", 1, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_pwrite(k, K, wo, "x", 1, UINT64_MAX - 1, &n), MK_ERANGE);
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    ck_assert_int_eq(mk_vfs_readdir(k, K, ro, &e, &got), MK_ENOTDIR);
    mk_stat_t st;
    st.size = 4;
    ck_assert_int_eq(mk_vfs_fstat(k, K, ro, &st), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_stat(k, "/f", &st), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_fstat(k, K, ro, NULL), MK_EINVAL);
    e.size = 8;
    ck_assert_int_eq(mk_vfs_readdir(k, K, ro, &e, &got), MK_EINVAL);
    e.size = sizeof e;
    ck_assert_int_eq(mk_vfs_readdir(k, K, ro, NULL, &got), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_readdir(k, K, ro, &e, NULL), MK_EINVAL);
    mk_statfs_t sf;
    sf.size = 4;
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &sf), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_statfs(k, "/", NULL), MK_EINVAL);
    sf.size = sizeof sf;
    ck_assert_int_eq(mk_vfs_statfs(k, "/nope", &sf), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_close(k, K, ro), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, wo), 0);
    ck_assert_str_eq(get_file(k, "/f"), "abc");
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(name_operation_errors)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/f", "x");
    ck_assert_int_eq(mk_vfs_mkdir(k, "/d"), 0);
    put_file(k, "/d/inner", "i");
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_unlink(k, "/d"), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_unlink(k, "/"), MK_EISDIR);
    ck_assert_int_eq(mk_vfs_unlink(k, "/nope"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_unlink(k, "/f/x"), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/d"), MK_ENOTEMPTY);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/f"), MK_ENOTDIR);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/f"), MK_EEXIST);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/"), MK_EEXIST);
    /* NULL, relative. */
    ck_assert_int_eq(mk_vfs_unlink(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_mkdir(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rmdir(k, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_stat(k, NULL, &st), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_stat(k, "/f", NULL), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_unlink(k, "f"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_mkdir(k, "d2"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_rmdir(k, "d"), MK_EINVAL);
    ck_assert_int_eq(mk_vfs_statfs(k, NULL, NULL), MK_EINVAL);
    /* All still there. */
    ck_assert_str_eq(get_file(k, "/f"), "x");
    ck_assert_str_eq(get_file(k, "/d/inner"), "i");
    /* Nothing mounted: every path is outside. */
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/f", &st), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_unlink(k, "/f"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/x"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/d"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_rename(k, "/f", "/g"), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_truncate(k, "/f", 0), MK_ENOENT);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDONLY, &fd), MK_ENOENT);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(destroyed_and_null_context)
{
    mk_t *k = kernel_with_root(NULL);
    put_file(k, "/f", "x");
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDWR, &fd), 0);
    ck_assert_int_eq(mk_destroy(k), 0); /* closes fd, unmounts */
    char buf[4];
    size_t n;
    uint64_t pos;
    mk_stat_t st;
    st.size = sizeof st;
    mk_statfs_t sf;
    sf.size = sizeof sf;
    mk_dirent_t e;
    e.size = sizeof e;
    uint32_t got;
    mk_t *ks[2] = {k, NULL};
    int want[2] = {MK_EBADH, MK_EINVAL};
    for (int i = 0; i < 2; i++) {
        mk_t *x = ks[i];
        int w = want[i];
        ck_assert_int_eq(mk_vfs_mount(x, 1, "/", 0), w);
        ck_assert_int_eq(mk_vfs_unmount(x, "/"), w);
        ck_assert_int_eq(mk_vfs_open(x, K, "/f", 0, &fd), w);
        ck_assert_int_eq(mk_vfs_close(x, K, fd), w);
        ck_assert_int_eq(mk_vfs_read(x, K, fd, buf, 1, &n), w);
        ck_assert_int_eq(mk_vfs_write(x, K, fd, buf, 1, &n), w);
        ck_assert_int_eq(mk_vfs_pread(x, K, fd, buf, 1, 0, &n), w);
        ck_assert_int_eq(mk_vfs_pwrite(x, K, fd, buf, 1, 0, &n), w);
        ck_assert_int_eq(mk_vfs_seek(x, K, fd, 0, MK_SEEK_SET, &pos), w);
        ck_assert_int_eq(mk_vfs_ftruncate(x, K, fd, 0), w);
        ck_assert_int_eq(mk_vfs_truncate(x, "/f", 0), w);
        ck_assert_int_eq(mk_vfs_fsync(x, K, fd), w);
        ck_assert_int_eq(mk_vfs_sync(x), w);
        ck_assert_int_eq(mk_vfs_unlink(x, "/f"), w);
        ck_assert_int_eq(mk_vfs_mkdir(x, "/d"), w);
        ck_assert_int_eq(mk_vfs_rmdir(x, "/d"), w);
        ck_assert_int_eq(mk_vfs_rename(x, "/f", "/g"), w);
        ck_assert_int_eq(mk_vfs_stat(x, "/f", &st), w);
        ck_assert_int_eq(mk_vfs_fstat(x, K, fd, &st), w);
        ck_assert_int_eq(mk_vfs_readdir(x, K, fd, &e, &got), w);
        ck_assert_int_eq(mk_vfs_statfs(x, "/", &sf), w);
        ck_assert_int_eq(mk_fs_probe(x, 1, &got), w);
        ck_assert_int_eq(mk_fs_mkfs(x, 1, NULL), w);
    }
}
END_TEST

/* ---- threads ------------------------------------------------------------------- */

struct worker {
    mk_t *k;
    char path[32];
    int id;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char line[64];
    mk_fd_t fd;
    size_t n;
    w->ok = 0;
    if (mk_vfs_open(w->k, K, w->path, MK_O_RDWR | MK_O_CREAT | MK_O_TRUNC, &fd) != 0)
        return NULL;
    for (int i = 0; i < 200; i++) {
        int len = snprintf(line, sizeof line, "worker %d line %d\n", w->id, i);
        if (mk_vfs_write(w->k, K, fd, line, (size_t)len, &n) != 0 || n != (size_t)len)
            return NULL;
    }
    char back[64];
    uint64_t off = 0;
    for (int i = 0; i < 200; i++) {
        int len = snprintf(line, sizeof line, "worker %d line %d\n", w->id, i);
        if (mk_vfs_pread(w->k, K, fd, back, (size_t)len, off, &n) != 0 || n != (size_t)len ||
            memcmp(back, line, (size_t)len) != 0)
            return NULL;
        off += (uint64_t)len;
    }
    if (mk_vfs_close(w->k, K, fd) != 0)
        return NULL;
    w->ok = 1;
    return NULL;
}

START_TEST(threads_on_several_mounts)
{
    mk_t *k = kernel_with_root(NULL);
    mk_dev_t m = new_ram(k, "m2", 1024, 2048);
    ck_assert_int_eq(mk_vfs_mount(k, m, "/m2", MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/m2/sub"), 0);
    enum { N = 8 };
    struct worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i].k = k;
        w[i].id = i;
        snprintf(w[i].path, sizeof w[i].path, i % 2 ? "/m2/sub/w%d" : "/w%d", i);
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(w[i].ok, "worker %d", i);
    }
    ck_assert_int_eq(count_entries(k, "/"), N / 2);
    ck_assert_int_eq(count_entries(k, "/m2/sub"), N / 2);
    ck_assert_int_eq(mk_vfs_unmount(k, "/m2"), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- what reaches the device ------------------------------------------------------ */

/* A callback device over host memory that counts block writes. */
struct mdev {
    uint8_t *mem;
    long writes;
};

enum { MBS = 1024, MNB = 1024 };

static int md_read(void *ctx, uint64_t blockno, void *buf, uint32_t count)
{
    struct mdev *m = ctx;
    memcpy(buf, m->mem + blockno * MBS, (size_t)count * MBS);
    return 0;
}

static int md_write(void *ctx, uint64_t blockno, const void *buf, uint32_t count)
{
    struct mdev *m = ctx;
    memcpy(m->mem + blockno * MBS, buf, (size_t)count * MBS);
    m->writes += count;
    return 0;
}

static const mk_blk_ops_t md_ops = {sizeof(mk_blk_ops_t), md_read, md_write, NULL, NULL};

/* Does any block of the device hold `pat` repeated over the whole block? */
static int device_holds(const struct mdev *m, uint8_t pat)
{
    for (uint32_t b = 0; b < MNB; b++) {
        const uint8_t *p = m->mem + (size_t)b * MBS;
        uint32_t i = 0;
        while (i < MBS && p[i] == pat)
            i++;
        if (i == MBS)
            return 1;
    }
    return 0;
}

static void put_pattern(mk_t *k, const char *path, uint32_t flags, uint8_t pat, size_t len)
{
    static uint8_t buf[4 * MBS];
    memset(buf, pat, len);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, path, MK_O_WRONLY | MK_O_CREAT | flags, &fd), 0);
    size_t n = 0;
    ck_assert_int_eq(mk_vfs_write(k, K, fd, buf, len, &n), 0);
    ck_assert_uint_eq(n, len);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
}

/* The data of a file deleted before it was made durable is never written
 * back (the cache forgets the freed blocks), while everything that lives
 * on is, and the file system stays consistent. */
START_TEST(deleted_data_never_reaches_the_device)
{
    struct mdev md = {calloc(MNB, MBS), 0};
    ck_assert_ptr_nonnull(md.mem);
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "md", &md_ops, &md, MBS, MNB, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    put_pattern(k, "/keep", 0, 0xA1, 3 * MBS);
    put_pattern(k, "/old", 0, 0xB2, 2 * MBS);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    ck_assert(device_holds(&md, 0xA1));
    ck_assert(device_holds(&md, 0xB2));
    long w0 = md.writes;
    /* never synced, then gone: a new file, an overwrite in place of a
     * durable one, a truncated tail */
    put_pattern(k, "/gone", 0, 0xC3, 4 * MBS);
    put_pattern(k, "/old", 0, 0xD4, 2 * MBS);
    put_pattern(k, "/keep", MK_O_APPEND, 0xE5, 2 * MBS);
    ck_assert_int_eq(mk_vfs_unlink(k, "/gone"), 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/old"), 0);
    ck_assert_int_eq(mk_vfs_truncate(k, "/keep", 3 * MBS), 0);
    put_pattern(k, "/new", 0, 0xF6, MBS);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    ck_assert_int_gt(md.writes, w0);
    ck_assert(!device_holds(&md, 0xC3));
    ck_assert(!device_holds(&md, 0xD4));
    ck_assert(!device_holds(&md, 0xE5));
    ck_assert(device_holds(&md, 0xF6));
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_uint_eq(rep.problems, 0);
    /* what lives on reads back */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(exists(k, "/gone"), 0);
    ck_assert_int_eq(exists(k, "/old"), 0);
    uint8_t back[3 * MBS];
    mk_fd_t fd;
    size_t n = 0;
    ck_assert_int_eq(mk_vfs_open(k, K, "/keep", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, back, sizeof back, &n), 0);
    ck_assert_uint_eq(n, 3 * MBS);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(back[i], 0xA1);
    ck_assert_int_eq(mk_vfs_read(k, K, fd, back, sizeof back, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(md.mem);
}
END_TEST

/* Size of a file, -1 if absent. */
static long long size_of(mk_t *k, const char *path)
{
    mk_stat_t st;
    st.size = sizeof st;
    int rc = mk_vfs_stat(k, path, &st);
    if (rc == MK_ENOENT)
        return -1;
    ck_assert_int_eq(rc, 0);
    return (long long)st.bytes;
}

/* Mount a copy of a crash image (fsck first: clean) and check that it
 * holds a prefix of the loop's operations: /k0 .. /k<n-1> complete, each
 * with its data, plus at most the one operation a commit could cut in
 * two steps (a create before its write, a temporary before its unlink).
 * Returns n. */
static int surviving_prefix(const struct mdev *img, int made)
{
    struct mdev md = {malloc((size_t)MNB * MBS), 0};
    ck_assert_ptr_nonnull(md.mem);
    memcpy(md.mem, img->mem, (size_t)MNB * MBS);
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "crash", &md_ops, &md, MBS, MNB, &d), 0);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_uint_eq(rep.problems, 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    int n = 0, extra = 0;
    char p[32];
    for (; n < made; n++) {
        snprintf(p, sizeof p, "/k%d", n);
        long long sz = size_of(k, p);
        if (sz != MBS) {
            if (sz == 0)
                extra++; /* created, not written yet */
            else
                ck_assert_int_eq(sz, -1);
            break;
        }
        uint8_t b[MBS];
        mk_fd_t fd;
        size_t got = 0;
        ck_assert_int_eq(mk_vfs_open(k, K, p, MK_O_RDONLY, &fd), 0);
        ck_assert_int_eq(mk_vfs_read(k, K, fd, b, sizeof b, &got), 0);
        ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
        ck_assert_uint_eq(got, MBS);
        for (size_t i = 0; i < got; i++)
            ck_assert_uint_eq(b[i], (uint8_t)(n + 1));
    }
    for (int j = n + 1; j < made; j++) { /* nothing after the first gap */
        snprintf(p, sizeof p, "/k%d", j);
        ck_assert_int_eq(size_of(k, p), -1);
    }
    for (int t = 0; t < 7; t++) {
        snprintf(p, sizeof p, "/t%d", t);
        extra += size_of(k, p) >= 0;
    }
    ck_assert_int_le(extra, 1);
    ck_assert_int_eq(count_entries(k, "/"), n + extra);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(md.mem);
    return n;
}

/* Creates and unlinks with no fsync: the journal commits by itself when
 * its running transaction grows large (its deferred-free limit), so a
 * crash then (the device image as it is, never unmounted) mounts fsck
 * clean with a prefix of the operations and nothing else; fsync, sync and
 * unmount each make everything before them durable. */
START_TEST(unsynced_operations_commit_in_groups_and_crash_to_a_prefix)
{
    struct mdev md = {calloc(MNB, MBS), 0};
    ck_assert_ptr_nonnull(md.mem);
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_register(k, "md", &md_ops, &md, MBS, MNB, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    ck_assert_int_eq(surviving_prefix(&md, 1), 0); /* formatted, empty */
    /* 5,000 rounds of create + write 1 KiB + unlink; every 100th file is
     * kept as /k<j> */
    int made = 0;
    for (int i = 0; i < 5000; i++) {
        char p[32];
        int keep = i % 100 == 0;
        if (keep)
            snprintf(p, sizeof p, "/k%d", made);
        else
            snprintf(p, sizeof p, "/t%d", i % 7);
        put_pattern(k, p, MK_O_TRUNC, keep ? (uint8_t)(made + 1) : 0x77, MBS);
        if (keep)
            made++;
        else
            ck_assert_int_eq(mk_vfs_unlink(k, p), 0);
    }
    /* No durability point was asked for, yet the device holds a prefix of
     * at least the first commit's worth (4,096 frees = 42 kept files). */
    int n1 = surviving_prefix(&md, made);
    ck_assert_int_ge(n1, 40);
    ck_assert_int_le(n1, made);
    /* fsync: everything so far */
    put_pattern(k, "/k50", 0, 51, MBS);
    made++;
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/k0", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_fsync(k, K, fd), 0);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0);
    ck_assert_int_eq(surviving_prefix(&md, made), made);
    /* sync */
    put_pattern(k, "/k51", 0, 52, MBS);
    made++;
    ck_assert_int_ge(surviving_prefix(&md, made), made - 1);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    ck_assert_int_eq(surviving_prefix(&md, made), made);
    /* unmount */
    put_pattern(k, "/k52", 0, 53, MBS);
    made++;
    ck_assert_int_ge(surviving_prefix(&md, made), made - 1);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(surviving_prefix(&md, made), made);
    ck_assert_int_eq(mk_destroy(k), 0);
    free(md.mem);
}
END_TEST

/* Descriptor calls do not hold the mount table: a file's reference keeps
 * its mount. Readers hammer a shared descriptor while the main thread
 * tries to unmount (refused until the last descriptor is closed) and
 * another thread closes the shared descriptor under them (their calls
 * then fail with MK_EBADH, nothing else). */
struct racer {
    mk_t *k;
    mk_fd_t fd;
    int bad; /* results other than 0 / MK_EBADH */
    int badh;
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    char buf[16];
    for (int i = 0; i < 3000; i++) {
        size_t n;
        mk_stat_t st;
        st.size = sizeof st;
        int a = mk_vfs_pread(r->k, K, r->fd, buf, sizeof buf, (uint64_t)(i % 64), &n);
        int b = mk_vfs_fstat(r->k, K, r->fd, &st);
        if ((a != 0 && a != MK_EBADH) || (b != 0 && b != MK_EBADH) ||
            (a == 0 && (n != sizeof buf || memcmp(buf, "xxxxxxxxxxxxxxxx", sizeof buf) != 0)) ||
            (b == 0 && st.bytes != 4096))
            r->bad++;
        if (a == MK_EBADH)
            r->badh++;
    }
    return NULL;
}

START_TEST(descriptor_calls_race_unmount_and_close)
{
    mk_t *k = new_kernel();
    mk_dev_t a = new_ram(k, "a", 1024, 512);
    ck_assert_int_eq(mk_vfs_mount(k, a, "/m", MK_MOUNT_FORMAT), 0);
    put_pattern(k, "/m/f", 0, 'x', 4096);
    mk_fd_t fd, own;
    ck_assert_int_eq(mk_vfs_open(k, K, "/m/f", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_open(k, K, "/m/f", MK_O_RDONLY, &own), 0);
    enum { N = 4 };
    struct racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){k, fd, 0, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
    }
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(mk_vfs_unmount(k, "/m"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_close(k, K, fd), 0); /* under the readers */
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(mk_vfs_unmount(k, "/m"), MK_EBUSY); /* `own` is open */
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(r[i].bad, 0);
    }
    ck_assert_int_eq(mk_vfs_close(k, K, fd), MK_EBADH);
    char buf[4];
    size_t n;
    ck_assert_int_eq(mk_vfs_pread(k, K, own, buf, 4, 0, &n), 0);
    ck_assert_mem_eq(buf, "xxxx", 4);
    ck_assert_int_eq(mk_vfs_close(k, K, own), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/m"), 0);
    ck_assert_int_eq(mk_vfs_pread(k, K, own, buf, 4, 0, &n), MK_EBADH);
    ck_assert_int_eq(mk_vfs_mount(k, a, "/m", 0), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/m"), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- unlinked open files (orphans) ---------------------------------------- */

START_TEST(unlinked_open_files_live_until_closed)
{
    mk_dev_t d;
    mk_t *k = kernel_with_root(&d);
    uint64_t empty = free_blocks(k, "/");
    static uint8_t big[64 * 1024];
    memset(big, 0x5A, sizeof big);
    mk_fd_t a, b;
    size_t n = 0;
    ck_assert_int_eq(mk_vfs_open(k, K, "/tmpfile", MK_O_RDWR | MK_O_CREAT, &a), 0);
    ck_assert_int_eq(mk_vfs_write(k, K, a, big, sizeof big, &n), 0);
    ck_assert_uint_eq(n, sizeof big);
    ck_assert_int_eq(mk_vfs_open(k, K, "/tmpfile", MK_O_RDONLY, &b), 0);
    uint64_t with_file = free_blocks(k, "/");
    ck_assert_uint_lt(with_file, empty);

    ck_assert_int_eq(mk_vfs_unlink(k, "/tmpfile"), 0);
    ck_assert_int_eq(exists(k, "/tmpfile"), 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/tmpfile"), MK_ENOENT);
    /* the name is free for a new, different file */
    put_file(k, "/tmpfile", "new");
    ck_assert_str_eq(get_file(k, "/tmpfile"), "new");
    with_file = free_blocks(k, "/"); /* the new file took a block */
    /* both descriptors still read, and one still writes, the old file */
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_fstat(k, K, a, &st), 0);
    ck_assert_uint_eq(st.nlink, 0);
    ck_assert_uint_eq(st.bytes, sizeof big);
    ck_assert_int_eq(mk_vfs_pwrite(k, K, a, "tail", 4, sizeof big, &n), 0);
    uint8_t back[sizeof big + 4];
    ck_assert_int_eq(mk_vfs_pread(k, K, b, back, sizeof back, 0, &n), 0);
    ck_assert_uint_eq(n, sizeof back);
    ck_assert_mem_eq(back, big, sizeof big);
    ck_assert_mem_eq(back + sizeof big, "tail", 4);
    ck_assert_int_eq(mk_vfs_fsync(k, K, a), 0);
    /* its blocks stay allocated until the last descriptor closes */
    ck_assert_int_eq(mk_vfs_close(k, K, a), 0);
    ck_assert_int_eq(mk_vfs_pread(k, K, b, back, 4, 0, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_lt(free_blocks(k, "/"), with_file);
    ck_assert_int_eq(mk_vfs_close(k, K, b), 0);
    ck_assert_uint_ge(free_blocks(k, "/"), with_file + sizeof big / 4096);

    /* rename over an open file: the same, and a directory stays refused */
    put_file(k, "/x", "X");
    put_file(k, "/y", "Y");
    ck_assert_int_eq(mk_vfs_open(k, K, "/y", MK_O_RDONLY, &a), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/x", "/y"), 0);
    ck_assert_str_eq(get_file(k, "/y"), "X");
    char c = 0;
    ck_assert_int_eq(mk_vfs_read(k, K, a, &c, 1, &n), 0);
    ck_assert_int_eq(c, 'Y');
    ck_assert_int_eq(mk_vfs_close(k, K, a), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/dir"), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/dir2"), 0);
    ck_assert_int_eq(mk_vfs_open(k, K, "/dir2", MK_O_RDONLY | MK_O_DIRECTORY, &a), 0);
    ck_assert_int_eq(mk_vfs_rename(k, "/dir", "/dir2"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/dir2"), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_close(k, K, a), 0);

    /* nothing leaked: after unmount fsck finds no problem */
    ck_assert_int_eq(mk_vfs_unlink(k, "/tmpfile"), 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/y"), 0);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/dir"), 0);
    ck_assert_int_eq(mk_vfs_rmdir(k, "/dir2"), 0);
    ck_assert_uint_eq(free_blocks(k, "/"), empty);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_uint_eq(rep.problems, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* An orphan still open at mk_destroy is freed when its descriptor goes,
 * before the file system is unmounted: the image needs no repair. */
START_TEST(orphan_open_at_destroy_is_freed)
{
    char img[] = "/tmp/mk-orphan-XXXXXX";
    int hfd = mkstemp(img);
    ck_assert_int_ge(hfd, 0);
    close(hfd);
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_open_image(k, "img", img, 4096, 512, MK_BLK_CREATE, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    uint64_t empty = free_blocks(k, "/");
    put_file(k, "/f", "orphan data");
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, K, "/f", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/f"), 0);
    ck_assert_int_eq(mk_destroy(k), 0); /* descriptor still open */

    k = new_kernel();
    ck_assert_int_eq(mk_blk_open_image(k, "img", img, 4096, 0, 0, &d), 0);
    mk_fsck_report_t rep;
    rep.size = sizeof rep;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &rep), 0);
    ck_assert_uint_eq(rep.problems, 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_uint_eq(free_blocks(k, "/"), empty);
    ck_assert_int_eq(mk_destroy(k), 0);
    unlink(img);
}
END_TEST

static Suite *vfs_suite(void)
{
    Suite *s = suite_create("vfs");
    TCase *tc = tcase_create("public");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, mount_points_must_be_normalised);
    tcase_add_test(tc, mount_busy_point_and_device);
    tcase_add_test(tc, nested_mounts_longest_prefix);
    tcase_add_test(tc, unmount_refused_while_open);
    tcase_add_test(tc, read_write_seek_append);
    tcase_add_test(tc, times_follow_the_virtual_clock);
    tcase_add_test(tc, truncate_and_free_space);
    tcase_add_test(tc, directories_mkdir_rmdir_readdir);
    tcase_add_test(tc, rename_rules);
    tcase_add_test(tc, descriptors_belong_to_their_pid);
    tcase_add_test(tc, descriptor_limit_per_process);
    tcase_add_test(tc, stale_and_forged_descriptors);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, access_mode_errors);
    tcase_add_test(tc, name_operation_errors);
    tcase_add_test(tc, destroyed_and_null_context);
    tcase_add_test(tc, threads_on_several_mounts);
    tcase_add_test(tc, deleted_data_never_reaches_the_device);
    tcase_add_test(tc, descriptor_calls_race_unmount_and_close);
    tcase_add_test(tc, unsynced_operations_commit_in_groups_and_crash_to_a_prefix);
    tcase_add_test(tc, unlinked_open_files_live_until_closed);
    tcase_add_test(tc, orphan_open_at_destroy_is_freed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vfs_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
