/*
 * mk-img.c - the disk-image tool: main(), options and the small subcommands.
 *
 * Sits on libmk's public API only: an image file is opened as a block
 * device (mk_blk_open_image), its block size found by probing the
 * superblock (mk_fs_probe) at each legal size, and its file system mounted
 * at "/" in a private context (mk-img-image.c); every subcommand then
 * works through the VFS (vfs.h) as kernel pid 0. The recursive walks live
 * in mk-img-tree.c, fsck in mk-img-fsck.c.
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *img_prog = "mk-img";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", img_prog);
    fprintf(stderr, fmt, arg ? arg : "");
    fprintf(stderr, "\nTry '%s --help'.\n", img_prog);
    return IMG_EXIT_USAGE;
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
