/*
 * fuzz-mount.c - libFuzzer target for the mount path: the input is the
 * first bytes of a small device image (the rest reads as zeros). The
 * target runs mk_fs_fsck (check, then repair), mounts what mounts, runs a
 * few operations over it (readdir, stat, read, create, write, mkdir,
 * rename, unlink, truncate), unmounts, and checks again. Nothing may
 * crash, hang, leak or trip a sanitizer; every call must return a code.
 *
 * Public API only. Built two ways: with clang -fsanitize=fuzzer for
 * fuzzing (see tests/fuzz/README), and with the normal compiler linked to
 * replay.c, which feeds it every file of tests/fuzz/corpus (a test).
 */
#include <microkernel/mk.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

static void mk_fz_tree(mk_t *k, const char *dir, int depth)
{
    mk_fd_t fd;
    if (depth > 4 || mk_vfs_open(k, MK_PID_KERNEL, dir, MK_O_RDONLY | MK_O_DIRECTORY, &fd) != 0)
        return;
    for (int n = 0; n < 64; n++) {
        mk_dirent_t e;
        e.size = sizeof e;
        uint32_t got = 0;
        if (mk_vfs_readdir(k, MK_PID_KERNEL, fd, &e, &got) != 0 || !got)
            break;
        if (strcmp(e.name, ".") == 0 || strcmp(e.name, "..") == 0)
            continue;
        char path[200];
        snprintf(path, sizeof path, "%.120s/%.60s", strcmp(dir, "/") ? dir : "", e.name);
        mk_stat_t st;
        st.size = sizeof st;
        if (mk_vfs_stat(k, path, &st) != 0)
            continue;
        if (st.type == MK_FT_DIR) {
            mk_fz_tree(k, path, depth + 1);
            continue;
        }
        mk_fd_t f;
        if (mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDWR, &f) == 0) {
            uint8_t buf[1024];
            size_t got2;
            mk_vfs_pread(k, MK_PID_KERNEL, f, buf, sizeof buf, 0, &got2);
            mk_vfs_pwrite(k, MK_PID_KERNEL, f, "fuzz", 4, st.bytes / 2, &got2);
            mk_vfs_close(k, MK_PID_KERNEL, f);
        }
    }
    mk_vfs_close(k, MK_PID_KERNEL, fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mk_t *k = NULL;
    mk_config_t cfg; /* small: thousands of contexts a minute */
    mk_config_init(&cfg);
    cfg.mem_size = 64 * 1024;
    cfg.cache_blocks = 64;
    if (mk_create(&cfg, &k) != 0)
        return 0;
    mk_dev_t d;
    if (mk_blk_create_ram(k, "fz", MK_FZ_BSIZE, MK_FZ_NBLOCKS, &d) != 0) {
        mk_destroy(k);
        return 0;
    }
    if (size > (size_t)MK_FZ_BSIZE * MK_FZ_NBLOCKS)
        size = (size_t)MK_FZ_BSIZE * MK_FZ_NBLOCKS;
    for (size_t off = 0; off < size; off += MK_FZ_BSIZE) {
        size_t n = size - off < MK_FZ_BSIZE ? size - off : MK_FZ_BSIZE;
        mk_blk_write(k, d, off / MK_FZ_BSIZE, 0, data + off, n);
    }
    mk_cache_flush(k, d);

    mk_fsck_report_t r;
    r.size = sizeof r;
    mk_fs_fsck(k, d, 0, &r);
    if (mk_vfs_mount(k, d, "/", 0) == 0) {
        mk_fz_tree(k, "/", 0);
        mk_fd_t fd;
        size_t n;
        if (mk_vfs_open(k, MK_PID_KERNEL, "/new", MK_O_RDWR | MK_O_CREAT, &fd) == 0) {
            static const uint8_t blob[3000];
            mk_vfs_write(k, MK_PID_KERNEL, fd, blob, sizeof blob, &n);
            mk_vfs_fsync(k, MK_PID_KERNEL, fd);
            mk_vfs_close(k, MK_PID_KERNEL, fd);
        }
        mk_vfs_mkdir(k, "/nd");
        mk_vfs_rename(k, "/new", "/nd/moved");
        mk_vfs_truncate(k, "/nd/moved", 100);
        mk_vfs_unlink(k, "/nd/moved");
        mk_vfs_rmdir(k, "/nd");
        mk_statfs_t sf;
        sf.size = sizeof sf;
        mk_vfs_statfs(k, "/", &sf);
        mk_vfs_unmount(k, "/");
    }
    if (mk_fs_fsck(k, d, MK_FSCK_REPAIR, &r) == 0) {
        mk_fs_fsck(k, d, 0, &r);
        if (mk_vfs_mount(k, d, "/", 0) == 0) {
            mk_fz_tree(k, "/", 0);
            mk_vfs_unmount(k, "/");
        }
    }
    mk_destroy(k);
    return 0;
}
