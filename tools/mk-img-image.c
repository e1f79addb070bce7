/*
 * mk-img-image.c - mk-img's errors and image handling: open an image file
 * as a block device of a private libmk context, find its block size,
 * mount it at "/", and unmount and release it at the end.
 *
 * Sits on the public API only (blk.h, fs.h, vfs.h). The block size of an
 * existing image is found by probing for a valid superblock at each legal
 * size (mk_fs_probe checks magic, checksum, version and that the recorded
 * block size is the device's). One mk-img at a time per image: an
 * exclusive, non-blocking flock() on the image file, taken before libmk
 * opens it and held until the context is destroyed.
 *
 * Error output: img_report() prints the MK_E name and message; host errors
 * get the nearest MK_E code (mk_code_of) so both read alike and map to the
 * same exit codes (img_exit_for, table in tools/README.md).
 */
#include "mk-img.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- errors */

void img_report(const char *what, const char *arg, int err)
{
    fflush(stdout);
    if (isatty(2))
        fputs("\r\033[K", stderr);   /* over a progress bar */
    fprintf(stderr, "%s: %s%s%s: %s: %s\n", img_prog, what, arg ? " " : "", arg ? arg : "",
            mk_err_name(err), mk_strerror(err));
}

void img_warn(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    if (isatty(2))
        fputs("\r\033[K", stderr);
    fprintf(stderr, "%s: warning: ", img_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The libmk code closest to a host errno, so host errors read like the
 * library's and map to the same exit codes. */
static int mk_code_of(int e)
{
    switch (e) {
    case ENOENT: return MK_ENOENT;
    case EEXIST: return MK_EEXIST;
    case ENOTDIR: return MK_ENOTDIR;
    case EISDIR: return MK_EISDIR;
    case ENOSPC: return MK_ENOSPC;
    case ENAMETOOLONG: return MK_ENAMETOOLONG;
    case ENOMEM: return MK_ENOMEM;
    case EACCES: case EPERM: return MK_EPERM;
    case EINVAL: return MK_EINVAL;
    default: return MK_EIO;
    }
}

/* A host error: "mk-img: WHAT ARG: MK_EXXX: message (host: strerror)". */
int host_error(const char *what, const char *arg, int e)
{
    int code = mk_code_of(e);
    fflush(stdout);
    fprintf(stderr, "%s: %s %s: %s: %s (host: %s)\n", img_prog, what, arg, mk_err_name(code),
            mk_strerror(code), strerror(e));
    return img_exit_for(code);
}

int img_exit_for(int err)
{
    switch (err) {
    case 0: return IMG_EXIT_OK;
    case MK_ENOENT: return IMG_EXIT_NOTFOUND;
    case MK_EEXIST: return IMG_EXIT_EXISTS;
    case MK_ECORRUPT:
    case MK_ENOFS: return IMG_EXIT_CORRUPT;
    default: return IMG_EXIT_FAIL;
    }
}

int img_join(char *out, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    if (dl > 0 && dir[dl - 1] == '/')
        dl--;
    if (dl + 1 + nl > MK_PATH_MAX)
        return MK_ENAMETOOLONG;
    memcpy(out, dir, dl);
    out[dl] = '/';
    memcpy(out + dl + 1, name, nl + 1);
    return 0;
}

/* ------------------------------------------------------------ image open */

/* Cache size in bytes that mk-img asks for (blocks = this / block size). */
#define IMG_CACHE_BYTES (32u << 20)

int img_context(uint32_t bs, mk_t **out)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.cache_blocks = bs ? IMG_CACHE_BYTES / bs : 64;
    if (cfg.cache_blocks < 64)
        cfg.cache_blocks = 64;
    return mk_create(&cfg, out);
}

/* Open the image file, creating it when 'create' (O_EXCL unless 'force',
 * which truncates it), and check that no other process has it open. The
 * check is libmk's own lock: mk_blk_open_image holds an flock(2) on the
 * file while a device is open (mkd, another mk-img). mk-img holds the
 * same lock only while it creates or truncates the file, then lets go
 * so that its own mk_blk_open_image can take it (flock locks of two open
 * file descriptions conflict even inside one process). */
int img_lock(img_t *im, const char *file, int create, int force)
{
    int flags = O_RDWR | O_CLOEXEC;
    if (create)
        flags |= O_CREAT | (force ? 0 : O_EXCL);
    im->file = file;
    im->lockfd = open(file, flags, 0644);
    if (im->lockfd < 0)
        return host_error(create ? "create" : "open", file, errno);
    if (flock(im->lockfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        fprintf(stderr, "%s: %s: %s\n", img_prog, file,
                e == EWOULDBLOCK ? "image is in use by another process" : strerror(e));
        close(im->lockfd);
        im->lockfd = -1;
        return IMG_EXIT_FAIL;
    }
    if (create && force && ftruncate(im->lockfd, 0) != 0)
        return host_error("truncate", file, errno);
    flock(im->lockfd, LOCK_UN);
    return 0;
}

void img_release(img_t *im)
{
    if (im->k) {
        int rc = mk_destroy(im->k);
        if (rc != 0)
            img_report("close", im->file, rc);
        im->k = NULL;
    }
    if (im->lockfd >= 0) {
        close(im->lockfd);
        im->lockfd = -1;
    }
}

/* Find the block size whose block 0 holds a libmk superblock. */
static int img_detect(img_t *im, uint64_t fsize, uint32_t *bs_out)
{
    static const uint32_t order[] = {4096, 512, 1024, 2048, 8192, 16384, 32768, 65536};
    mk_t *k;
    int rc = img_context(0, &k), blank = 0;
    if (rc != 0) {
        img_report("create context", NULL, rc);
        return IMG_EXIT_FAIL;
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        mk_dev_t dev;
        uint32_t kind = MK_FS_PROBE_OTHER;
        if (fsize % order[i] != 0)
            continue;
        rc = mk_blk_open_image(k, IMG_DEV, im->file, order[i], 0, 0, &dev);
        if (rc == MK_EBUSY) {
            mk_destroy(k);
            fprintf(stderr, "%s: %s: image is in use by another process\n", img_prog,
                    im->file);
            return IMG_EXIT_FAIL;
        }
        if (rc != 0)
            continue;
        rc = mk_fs_probe(k, dev, &kind);
        mk_blk_remove(k, dev);
        if (rc == 0 && kind == MK_FS_PROBE_MKFS) {
            mk_destroy(k);
            *bs_out = order[i];
            return 0;
        }
        if (rc == 0 && kind == MK_FS_PROBE_BLANK)
            blank = 1;
    }
    mk_destroy(k);
    if (blank)
        fprintf(stderr, "%s: %s: image is blank (not formatted); run '%s format %s'\n",
                img_prog, im->file, img_prog, im->file);
    else
        fprintf(stderr, "%s: %s: %s: not a libmk image (no valid superblock)\n", img_prog,
                im->file, mk_err_name(MK_ENOFS));
    return IMG_EXIT_CORRUPT;
}

/* Open an existing image; mount it at "/" when 'mount'. */
int img_open(img_t *im, const char *file, int mount)
{
    struct stat st;
    uint32_t bs;
    memset(im, 0, sizeof *im);
    im->lockfd = -1;
    int ec = img_lock(im, file, 0, 0);
    if (ec != 0)
        return ec;
    if (fstat(im->lockfd, &st) != 0)
        return host_error("stat", file, errno);
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        fprintf(stderr, "%s: %s: not a regular file\n", img_prog, file);
        return IMG_EXIT_CORRUPT;
    }
    if (st.st_size <= 0 || st.st_size % MK_BLK_SIZE_MIN != 0) {
        fprintf(stderr, "%s: %s: %s: not a libmk image (size %jd is not a multiple of %d)\n",
                img_prog, file, mk_err_name(MK_ENOFS), (intmax_t)st.st_size, MK_BLK_SIZE_MIN);
        return IMG_EXIT_CORRUPT;
    }
    if ((ec = img_detect(im, (uint64_t)st.st_size, &bs)) != 0)
        return ec;
    im->block_size = bs;
    int rc = img_context(bs, &im->k);
    if (rc == 0)
        rc = mk_blk_open_image(im->k, IMG_DEV, file, bs, 0, 0, &im->dev);
    if (rc != 0) {
        img_report("open", file, rc);
        return img_exit_for(rc);
    }
    if (mount) {
        rc = mk_vfs_mount(im->k, im->dev, "/", 0);
        if (rc != 0) {
            img_report("mount", file, rc);
            return img_exit_for(rc);
        }
        im->mounted = 1;
    }
    return 0;
}

/* Unmount (writing everything back) and release; 'ec' is the exit code so
 * far, made IMG_EXIT_FAIL if the write-back fails. */
int img_close(img_t *im, int ec)
{
    if (im->mounted) {
        int rc = mk_vfs_unmount(im->k, "/");
        if (rc != 0) {
            img_report("unmount", im->file, rc);
            if (ec == 0 || ec == IMG_EXIT_PARTIAL)
                ec = img_exit_for(rc) ? img_exit_for(rc) : IMG_EXIT_FAIL;
        }
        im->mounted = 0;
    }
    img_release(im);
    return ec;
}
