/*
 * mk-img.c - the disk-image tool: main(), options and the small subcommands.
 *
 * Sits on libmk's public API only: an image file is opened as a block
 * device (mk_blk_open_image), its block size found by probing the
 * superblock (mk_fs_probe) at each legal size, and its file system mounted
 * at "/" in a private context; every subcommand then works through the VFS
 * (vfs.h) as kernel pid 0. The recursive walks live in mk-img-tree.c.
 *
 * Interface rules: options are parsed with getopt_long, per subcommand;
 * "mk-img SUB --help" documents each. Every error prints the MK_E name and
 * message and ends with a documented exit code (IMG_EXIT_* in mk-img.h,
 * table in tools/README.md), so scripts can act on it. Unmounting at the
 * end writes everything back; a failed write-back is an error (exit 1).
 *
 * Locking: one mk-img at a time per image, enforced with flock() on the
 * image file (a second one fails at once with exit 1).
 */
#include "mk-img.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *img_prog = "mk-img";

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
static int host_error(const char *what, const char *arg, int e)
{
    int code = mk_code_of(e);
    fflush(stdout);
    fprintf(stderr, "%s: %s %s: %s: %s (host: %s)\n", img_prog, what, arg, mk_err_name(code),
            mk_strerror(code), strerror(e));
    return img_exit_for(code);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", img_prog);
    fprintf(stderr, fmt, arg ? arg : "");
    fprintf(stderr, "\nTry '%s --help'.\n", img_prog);
    return IMG_EXIT_USAGE;
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

/* An image path from the command line: "a/b" means "/a/b". */
static int img_path(char *out, const char *arg)
{
    size_t n = strlen(arg);
    if (arg[0] == '/') {
        if (n > MK_PATH_MAX)
            return MK_ENAMETOOLONG;
        memcpy(out, arg, n + 1);
        return 0;
    }
    return img_join(out, "", arg);
}

/* ------------------------------------------------------------ image open */

#define IMG_DEV "image"
/* Cache size in bytes that mk-img asks for (blocks = this / block size). */
#define IMG_CACHE_BYTES (32u << 20)

static int img_context(uint32_t bs, mk_t **out)
{
    mk_config_t cfg;
    mk_config_init(&cfg);
    cfg.cache_blocks = bs ? IMG_CACHE_BYTES / bs : 64;
    if (cfg.cache_blocks < 64)
        cfg.cache_blocks = 64;
    return mk_create(&cfg, out);
}

/* Take the image's lock; create the file when 'create' (O_EXCL unless
 * 'force', which truncates it). */
static int img_lock(img_t *im, const char *file, int create, int force)
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
                e == EWOULDBLOCK ? "image is in use by another mk-img" : strerror(e));
        close(im->lockfd);
        im->lockfd = -1;
        return IMG_EXIT_FAIL;
    }
    if (create && force && ftruncate(im->lockfd, 0) != 0)
        return host_error("truncate", file, errno);
    return 0;
}

static void img_release(img_t *im)
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
        if (mk_blk_open_image(k, IMG_DEV, im->file, order[i], 0, 0, &dev) != 0)
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

/* ------------------------------------------------------------ subcommands */

/* Parse "64M", "1G", "4096", "512K", "10MiB". */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (shift && strcmp(end, "iB") == 0)
        end += 2;
    else if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (parse_size(s, &v) != 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int do_mkfs(img_t *im, const args_t *a, int quiet)
{
    mk_mkfs_opts_t mo;
    mk_mkfs_opts_init(&mo);
    mo.inodes = a->inodes;
    int rc = mk_fs_mkfs(im->k, im->dev, &mo);
    if (rc != 0) {
        img_report("format", im->file, rc);
        return img_exit_for(rc);
    }
    if (!quiet) {
        uint32_t bs;
        uint64_t nb;
        if (mk_blk_info(im->k, im->dev, &bs, &nb) == 0)
            printf("%s: formatted, %" PRIu64 " blocks of %" PRIu32 " bytes\n", im->file, nb,
                   bs);
    }
    return 0;
}

static int cmd_create(args_t *a)
{
    uint64_t size;
    uint32_t bs = a->block_size ? a->block_size : MK_BLK_SIZE_DEFAULT;
    if (parse_size(a->argv[1], &size) != 0 || size == 0)
        return usage_error("bad SIZE '%s' (a number with an optional K, M, G or T suffix)",
                           a->argv[1]);
    if (bs < MK_BLK_SIZE_MIN || bs > MK_BLK_SIZE_MAX || (bs & (bs - 1)) != 0)
        return usage_error("bad block size (a power of two from 512 to 65536)", NULL);
    uint64_t nblocks = (size + bs - 1) / bs;
    img_t im = {.lockfd = -1};
    int ec = img_lock(&im, a->argv[0], 1, a->force);
    if (ec != 0) {
        if (ec == IMG_EXIT_EXISTS)
            fprintf(stderr, "%s: use --force to overwrite it\n", img_prog);
        img_release(&im);
        return ec;
    }
    int rc = img_context(bs, &im.k);
    if (rc == 0)
        rc = mk_blk_open_image(im.k, IMG_DEV, im.file, bs, nblocks, MK_BLK_CREATE, &im.dev);
    if (rc != 0) {
        img_report("create", im.file, rc);
        img_release(&im);
        unlink(a->argv[0]);
        return img_exit_for(rc);
    }
    ec = do_mkfs(&im, a, a->o.quiet);
    img_release(&im);
    if (ec != 0)
        unlink(a->argv[0]);
    return ec;
}

static int cmd_format(args_t *a)
{
    struct stat st;
    uint32_t bs = a->block_size ? a->block_size : MK_BLK_SIZE_DEFAULT;
    if (bs < MK_BLK_SIZE_MIN || bs > MK_BLK_SIZE_MAX || (bs & (bs - 1)) != 0)
        return usage_error("bad block size (a power of two from 512 to 65536)", NULL);
    img_t im = {.lockfd = -1};
    int ec = img_lock(&im, a->argv[0], 0, 0);
    if (ec != 0)
        return ec;
    if (fstat(im.lockfd, &st) != 0 || st.st_size < (off_t)bs || st.st_size % bs != 0) {
        fprintf(stderr, "%s: %s: %s: size is not a non-zero multiple of %" PRIu32 "\n",
                img_prog, im.file, mk_err_name(MK_EINVAL), bs);
        img_release(&im);
        return IMG_EXIT_FAIL;
    }
    int rc = img_context(bs, &im.k);
    if (rc == 0)
        rc = mk_blk_open_image(im.k, IMG_DEV, im.file, bs, 0, 0, &im.dev);
    if (rc != 0) {
        img_report("open", im.file, rc);
        img_release(&im);
        return img_exit_for(rc);
    }
    ec = do_mkfs(&im, a, a->o.quiet);
    img_release(&im);
    return ec;
}

static int cmd_import(args_t *a)
{
    img_t im;
    char dest[MK_PATH_MAX + 1];
    struct stat st;
    if (stat(a->argv[1], &st) != 0)
        return host_error("import", a->argv[1], errno);
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: import %s: not a directory\n", img_prog, a->argv[1]);
        return IMG_EXIT_FAIL;
    }
    int rc = img_path(dest, a->argc > 2 ? a->argv[2] : "/");
    if (rc != 0) {
        img_report("import", a->argv[2], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec == 0)
        ec = img_import(&im, &a->o, a->argv[1], dest);
    return img_close(&im, ec);
}

static int cmd_export(args_t *a)
{
    img_t im;
    char src[MK_PATH_MAX + 1];
    int rc = img_path(src, a->argv[1]);
    if (rc != 0) {
        img_report("export", a->argv[1], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec == 0)
        ec = img_export(&im, &a->o, src, a->argv[2]);
    return img_close(&im, ec);
}

static int cmd_ls(args_t *a)
{
    img_t im;
    char path[MK_PATH_MAX + 1];
    int rc = img_path(path, a->argc > 1 ? a->argv[1] : "/");
    if (rc != 0) {
        img_report("ls", a->argv[1], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec == 0)
        ec = img_ls(&im, path, a->longfmt, a->recursive);
    return img_close(&im, ec);
}

static int cmd_cat(args_t *a)
{
    img_t im;
    char path[MK_PATH_MAX + 1];
    static char buf[1 << 16];
    mk_fd_t fd;
    int rc = img_path(path, a->argv[1]);
    if (rc != 0) {
        img_report("cat", a->argv[1], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec != 0)
        return img_close(&im, ec);
    rc = mk_vfs_open(im.k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd);
    if (rc == 0) {
        for (;;) {
            size_t n;
            if ((rc = mk_vfs_read(im.k, MK_PID_KERNEL, fd, buf, sizeof buf, &n)) != 0 || n == 0)
                break;
            if (fwrite(buf, 1, n, stdout) != n) {
                mk_vfs_close(im.k, MK_PID_KERNEL, fd);
                ec = host_error("write", "stdout", errno);
                return img_close(&im, ec);
            }
        }
        mk_vfs_close(im.k, MK_PID_KERNEL, fd);
    }
    if (rc != 0) {
        img_report("cat", path, rc);
        ec = img_exit_for(rc);
    }
    if (fflush(stdout) != 0 && ec == 0)
        ec = host_error("write", "stdout", errno);
    return img_close(&im, ec);
}

static int cmd_stat(args_t *a)
{
    img_t im;
    char path[MK_PATH_MAX + 1];
    mk_stat_t st = {.size = sizeof st};
    int rc = img_path(path, a->argv[1]);
    if (rc != 0) {
        img_report("stat", a->argv[1], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec != 0)
        return img_close(&im, ec);
    rc = mk_vfs_stat(im.k, path, &st);
    if (rc != 0) {
        img_report("stat", path, rc);
        return img_close(&im, img_exit_for(rc));
    }
    printf("  Path: %s\n  Type: %s\n Inode: %" PRIu64 "\n  Size: %" PRIu64
           " bytes\nBlocks: %" PRIu64 " (of %" PRIu32 " bytes)\n Links: %" PRIu64
           "\n ctime: %" PRIu64 " ticks\n mtime: %" PRIu64 " ticks\n",
           path, st.type == MK_FT_DIR ? "directory" : "regular file", st.ino, st.bytes,
           st.blocks, im.block_size, st.nlink, st.ctime, st.mtime);
    return img_close(&im, 0);
}

static int cmd_rm(args_t *a)
{
    img_t im;
    char path[MK_PATH_MAX + 1];
    mk_stat_t st = {.size = sizeof st};
    int rc = img_path(path, a->argv[1]);
    if (rc != 0) {
        img_report("rm", a->argv[1], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec != 0)
        return img_close(&im, ec);
    rc = mk_vfs_stat(im.k, path, &st);
    if (rc == 0 && st.type == MK_FT_DIR) {
        if (!a->recursive) {
            rc = MK_EISDIR;
            fprintf(stderr, "%s: rm %s: is a directory (use -r)\n", img_prog, path);
            return img_close(&im, IMG_EXIT_FAIL);
        }
        return img_close(&im, img_rm_tree(&im, path));
    }
    if (rc == 0)
        rc = mk_vfs_unlink(im.k, path);
    if (rc != 0) {
        img_report("rm", path, rc);
        ec = img_exit_for(rc);
    }
    return img_close(&im, ec);
}

static int cmd_mkdir(args_t *a)
{
    img_t im;
    char path[MK_PATH_MAX + 1];
    int rc = img_path(path, a->argv[1]);
    if (rc != 0) {
        img_report("mkdir", a->argv[1], rc);
        return img_exit_for(rc);
    }
    int ec = img_open(&im, a->argv[0], 1);
    if (ec != 0)
        return img_close(&im, ec);
    if (a->parents) {
        /* Create each prefix; an existing directory is fine. */
        for (char *p = path + 1;; p++) {
            if (*p == '/' || *p == '\0') {
                char c = *p;
                *p = '\0';
                mk_stat_t st = {.size = sizeof st};
                rc = mk_vfs_mkdir(im.k, path);
                if (rc == MK_EEXIST && mk_vfs_stat(im.k, path, &st) == 0 &&
                    st.type == MK_FT_DIR)
                    rc = 0;
                else if (rc == MK_EEXIST)
                    rc = MK_ENOTDIR;
                *p = c;
                if (rc != 0 || c == '\0')
                    break;
            }
        }
    } else {
        rc = mk_vfs_mkdir(im.k, path);
    }
    if (rc != 0) {
        img_report("mkdir", path, rc);
        ec = img_exit_for(rc);
    }
    return img_close(&im, ec);
}

static int cmd_df(args_t *a)
{
    img_t im;
    mk_statfs_t sf = {.size = sizeof sf};
    int ec = img_open(&im, a->argv[0], 1);
    if (ec != 0)
        return img_close(&im, ec);
    int rc = mk_vfs_statfs(im.k, "/", &sf);
    if (rc != 0) {
        img_report("df", "/", rc);
        return img_close(&im, img_exit_for(rc));
    }
    uint64_t used = sf.blocks - sf.free_blocks;
    printf("Image:        %s\nBlock size:   %" PRIu32 " bytes\n"
           "Blocks:       %" PRIu64 " total, %" PRIu64 " used, %" PRIu64 " free (%.1f%% used)\n"
           "Bytes:        %" PRIu64 " total, %" PRIu64 " free\n"
           "Inodes:       %" PRIu64 " total, %" PRIu64 " used, %" PRIu64 " free\n",
           im.file, sf.block_size, sf.blocks, used, sf.free_blocks,
           sf.blocks ? 100.0 * (double)used / (double)sf.blocks : 0.0,
           sf.blocks * sf.block_size, sf.free_blocks * sf.block_size, sf.inodes,
           sf.inodes - sf.free_inodes, sf.free_inodes);
    return img_close(&im, 0);
}

/* --------------------------------------------------------------- dispatch */

enum { OPT_PROGRESS = 0x100, OPT_NO_PROGRESS, OPT_REPAIR, OPT_FORCE };

typedef struct cmd {
    const char *name;
    int (*fn)(args_t *);
    int min, max;            /* positional arguments */
    const char *opts;        /* accepted option letters/codes (see below) */
    const char *synopsis;
    const char *help;
} cmd_t;

/* Option letters per command: b block-size, i inodes, f force, p progress
 * flags + verbose, l long, R recursive (ls), r recursive (rm), x repair,
 * P parents (mkdir -p). */
static const cmd_t cmds[] = {
    {"create", cmd_create, 2, 2, "bif", "create IMG SIZE [-b BYTES] [-i N] [--force]",
     "Create an image file of SIZE bytes (suffix K, M, G or T: powers of 1024;\n"
     "rounded up to whole blocks) and format it. Refuses an existing file\n"
     "(exit 5) unless --force.\n"
     "  -b, --block-size=BYTES  block size, a power of two 512..65536 (4096)\n"
     "  -i, --inodes=N          inodes to reserve (default: one per 16 KiB)\n"
     "  -f, --force             overwrite an existing file\n"},
    {"format", cmd_format, 1, 1, "bi", "format IMG [-b BYTES] [-i N]",
     "Format an existing image file (its size must be a multiple of the block\n"
     "size), destroying what it held.\n"
     "  -b, --block-size=BYTES  block size, a power of two 512..65536 (4096)\n"
     "  -i, --inodes=N          inodes to reserve (default: one per 16 KiB)\n"},
    {"import", cmd_import, 2, 3, "p", "import IMG HOSTDIR [DEST] [--progress|--no-progress] [-v]",
     "Copy the contents of host directory HOSTDIR into directory DEST of the\n"
     "image (default /; created if missing), recursively: directories and\n"
     "regular files. Existing files are overwritten. Symbolic links, special\n"
     "files and names longer than 59 bytes (or paths longer than 1023) are\n"
     "skipped with a warning and counted; the exit code is then 6.\n"
     "      --progress      draw a progress bar on stderr even if it is not a TTY\n"
     "      --no-progress   never draw it (default: only when stderr is a TTY)\n"
     "  -v, --verbose       print each file copied\n"},
    {"export", cmd_export, 3, 3, "p", "export IMG SRC HOSTDIR [--progress|--no-progress] [-v]",
     "Copy image directory SRC recursively into host directory HOSTDIR\n"
     "(created if missing); when SRC is a file, copy it into HOSTDIR.\n"
     "Existing host files are overwritten; a symbolic link in the way is an\n"
     "error (never followed).\n"
     "      --progress      draw a progress bar on stderr even if it is not a TTY\n"
     "      --no-progress   never draw it (default: only when stderr is a TTY)\n"
     "  -v, --verbose       print each file copied\n"},
    {"ls", cmd_ls, 1, 2, "lR", "ls IMG [PATH] [-l] [-R]",
     "List a directory of the image (default /), sorted by name.\n"
     "  -l, --long        type, links, size in bytes, mtime in ticks, name\n"
     "  -R, --recursive   list subdirectories too\n"},
    {"cat", cmd_cat, 2, 2, "", "cat IMG PATH", "Write a file of the image to stdout.\n"},
    {"stat", cmd_stat, 2, 2, "", "stat IMG PATH",
     "Show a file's type, inode, size, blocks, links and times.\n"},
    {"rm", cmd_rm, 2, 2, "r", "rm IMG PATH [-r]",
     "Remove a file; with -r, a directory and everything under it.\n"
     "  -r, -R, --recursive   remove directories and their contents\n"},
    {"mkdir", cmd_mkdir, 2, 2, "P", "mkdir IMG PATH [-p]",
     "Create a directory.\n"
     "  -p, --parents   create missing parents; an existing directory is fine\n"},
    {"fsck", cmd_fsck, 1, 1, "x", "fsck IMG [--repair]",
     "Check the image's file system; exit 0 when clean, 3 when problems were\n"
     "found (and left), 7 when --repair fixed every problem found.\n"
     "  -y, --repair   repair what can safely be repaired\n"},
    {"df", cmd_df, 1, 1, "", "df IMG", "Show capacity and usage (blocks, bytes, inodes).\n"},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static const char exit_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  the operation failed (I/O error, no space, host error, image in use)\n"
    "  2  usage error (unknown command or option, bad argument count or value)\n"
    "  3  the image is not a libmk image, is corrupt, or fsck found problems\n"
    "  4  not found: the image file, a path in the image, or a host path\n"
    "  5  already exists (create without --force, mkdir of an existing path)\n"
    "  6  import/export finished but skipped entries (see warnings)\n"
    "  7  fsck --repair repaired every problem it found\n"
    "Errors name the libmk code, e.g. \"MK_ENOENT: no such object\".\n";

static void main_help(FILE *f)
{
    fprintf(f, "Usage: %s COMMAND IMG [ARGS] [OPTIONS]\n"
               "Create and edit libmk file-system images.\n\nCommands:\n", img_prog);
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(f, "  %s %s\n", img_prog, cmds[i].synopsis);
    fprintf(f, "\nEvery command takes -h/--help and -q/--quiet (no summary lines).\n"
               "Paths inside the image are absolute; \"a/b\" means \"/a/b\".\n\n%s",
            exit_help);
}

static int run_cmd(const cmd_t *c, int argc, char **argv)
{
    static const struct option all[] = {
        {"help", no_argument, NULL, 'h'},
        {"quiet", no_argument, NULL, 'q'},
        {"block-size", required_argument, NULL, 'b'},
        {"inodes", required_argument, NULL, 'i'},
        {"force", no_argument, NULL, 'f'},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"verbose", no_argument, NULL, 'v'},
        {"long", no_argument, NULL, 'l'},
        {"recursive", no_argument, NULL, 'R'},
        {"repair", no_argument, NULL, OPT_REPAIR},
        {"parents", no_argument, NULL, 'p'},
    };
    struct option longopts[sizeof all / sizeof all[0] + 1];
    char shortopts[32];
    size_t nl = 0;
    args_t a;
    memset(&a, 0, sizeof a);
    a.o.progress = -1;
    strcpy(shortopts, ":hq");   /* ':' first: a missing value returns ':' */
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        int v = all[i].val, ok;
        switch (v) {
        case 'h': case 'q': ok = 1; break;
        case 'b': case 'i': case 'f': case 'l': ok = strchr(c->opts, v) != NULL; break;
        case 'R': ok = strchr(c->opts, 'R') || strchr(c->opts, 'r'); break;
        case OPT_PROGRESS: case OPT_NO_PROGRESS: case 'v': ok = strchr(c->opts, 'p') != NULL; break;
        case OPT_REPAIR: ok = strchr(c->opts, 'x') != NULL; break;
        case 'p': ok = strchr(c->opts, 'P') != NULL; break;
        default: ok = 0;
        }
        if (ok)
            longopts[nl++] = all[i];
    }
    memset(&longopts[nl], 0, sizeof longopts[nl]);
    if (strchr(c->opts, 'b')) strcat(shortopts, "b:");
    if (strchr(c->opts, 'i')) strcat(shortopts, "i:");
    if (strchr(c->opts, 'f')) strcat(shortopts, "f");
    if (strchr(c->opts, 'p')) strcat(shortopts, "v");
    if (strchr(c->opts, 'l')) strcat(shortopts, "l");
    if (strchr(c->opts, 'R')) strcat(shortopts, "R");
    if (strchr(c->opts, 'r')) strcat(shortopts, "rR");
    if (strchr(c->opts, 'x')) strcat(shortopts, "y");
    if (strchr(c->opts, 'P')) strcat(shortopts, "p");

    optind = 0;   /* glibc: full re-initialisation; argv[0] is the command */
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            printf("Usage: %s %s\n\n%s\nCommon options:\n"
                   "  -h, --help    show this help\n"
                   "  -q, --quiet   no summary lines\n\n%s",
                   img_prog, c->synopsis, c->help, exit_help);
            return 0;
        case 'q': a.o.quiet = 1; break;
        case 'v': a.o.verbose = 1; break;
        case 'b':
            if (parse_u32(optarg, &a.block_size) != 0 || a.block_size == 0)
                return usage_error("bad block size '%s'", optarg);
            break;
        case 'i':
            if (parse_u32(optarg, &a.inodes) != 0)
                return usage_error("bad inode count '%s'", optarg);
            break;
        case 'f': a.force = 1; break;
        case OPT_PROGRESS: a.o.progress = 1; break;
        case OPT_NO_PROGRESS: a.o.progress = 0; break;
        case 'l': a.longfmt = 1; break;
        case 'r': case 'R': a.recursive = 1; break;
        case 'y': case OPT_REPAIR: a.repair = 1; break;
        case 'p': a.parents = 1; break;
        case ':':
            return usage_error("option needs a value: %s", argv[optind - 1]);
        default:
            return usage_error("unknown option for this command: %s", argv[optind - 1]);
        }
    }
    a.argc = argc - optind;
    a.argv = argv + optind;
    if (a.argc < c->min || a.argc > c->max) {
        if (c->min == c->max)
            fprintf(stderr, "%s: %s: expected %d argument%s, got %d\n", img_prog, c->name,
                    c->min, c->min == 1 ? "" : "s", a.argc);
        else
            fprintf(stderr, "%s: %s: expected %d to %d arguments, got %d\n", img_prog, c->name,
                    c->min, c->max, a.argc);
        fprintf(stderr, "Usage: %s %s\n", img_prog, c->synopsis);
        return IMG_EXIT_USAGE;
    }
    return c->fn(&a);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_help(stderr);
        return IMG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            for (size_t i = 0; i < NCMDS; i++)
                if (strcmp(argv[2], cmds[i].name) == 0) {
                    char *hv[] = {argv[2], (char *)"--help", NULL};
                    return run_cmd(&cmds[i], 2, hv);
                }
        }
        main_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("mk-img (libmk %s, file system format %d)\n", mk_version_string(),
               MK_FS_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return run_cmd(&cmds[i], argc - 1, argv + 1);
    return usage_error("unknown command '%s'", argv[1]);
}
