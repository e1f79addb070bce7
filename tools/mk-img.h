/*
 * mk-img.h - shared declarations of the mk-img disk-image tool.
 *
 * mk-img is a host program built on libmk's public API only
 * (<microkernel/mk.h>): it opens an image file as a block device
 * (mk_blk_open_image), mounts its file system at "/" and works through the
 * VFS. mk-img.c holds main(), option parsing and the small subcommands;
 * mk-img-image.c error reporting and opening/closing images; mk-img-tree.c
 * the recursive walks (import, export, rm -r, ls -R, the read-everything
 * check) and the progress bar; mk-img-fsck.c the fsck subcommand.
 *
 * Exit codes are part of the interface (see IMG_EXIT_* and tools/README.md):
 * every failing path maps its MK_E code through img_exit_for().
 */
#ifndef MK_IMG_H
#define MK_IMG_H

#include <stdint.h>
#include <stdio.h>

#include <microkernel/mk.h>

/* Exit codes scripts can rely on (documented in --help and tools/README.md). */
enum {
    IMG_EXIT_OK = 0,        /* success */
    IMG_EXIT_FAIL = 1,      /* the operation failed (I/O, no space, host error) */
    IMG_EXIT_USAGE = 2,     /* bad command line */
    IMG_EXIT_CORRUPT = 3,   /* not a libmk image, corrupt, or fsck found problems */
    IMG_EXIT_NOTFOUND = 4,  /* image file, path in the image or host path missing */
    IMG_EXIT_EXISTS = 5,    /* target already exists */
    IMG_EXIT_PARTIAL = 6,   /* import/export finished but skipped entries */
    IMG_EXIT_REPAIRED = 7   /* fsck --repair fixed every problem it found */
};

/* Name of the image's device inside mk-img's private context. */
#define IMG_DEV "image"

/* An open image: a context, the device and (usually) its mount at "/". */
typedef struct img {
    mk_t *k;
    mk_dev_t dev;
    const char *file;     /* host path of the image */
    int lockfd;           /* flock()ed descriptor: one mk-img per image */
    int mounted;
    uint32_t block_size;
} img_t;

/* Options shared by every subcommand. */
typedef struct img_opts {
    int progress;         /* -1 auto (stderr is a TTY), 0 never, 1 always */
    int quiet;            /* -q: no summary lines */
    int verbose;          /* -v: one line per file */
} img_opts_t;

/* Parsed command line of one subcommand. */
typedef struct args {
    int argc;
    char **argv;          /* positional arguments only */
    img_opts_t o;
    uint32_t block_size, inodes;
    int force, longfmt, recursive, repair, parents;
} args_t;

extern const char *img_prog;

/* Open an existing image (block size found by probing), mounted at "/"
 * when 'mount'; returns an exit code. img_close() unmounts (write-back
 * failure turns a success into IMG_EXIT_FAIL), destroys the context and
 * returns the final exit code. Call img_close() even after a failed open. */
int img_open(img_t *im, const char *file, int mount);
int img_close(img_t *im, int ec);
/* fsck subcommand (mk-img-fsck.c). */
int cmd_fsck(args_t *a);

/* Print "mk-img: WHAT ARG: MK_EXXX: message" to stderr. */
void img_report(const char *what, const char *arg, int err);
/* Print "mk-img: warning: ..." (clears the progress line first). */
void img_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit code for an MK_E code (0 gives 0). */
int img_exit_for(int err);
/* A host error (errno e): "mk-img: WHAT ARG: MK_EXXX: message (host: ...)";
 * returns the exit code of the nearest MK_E code. */
int host_error(const char *what, const char *arg, int e);

/* Image plumbing for create/format (mk-img-image.c): a context whose cache
 * holds about 32 MiB of blocks of size bs (0: a small probing cache); the
 * image's flock (creating the file when 'create', O_EXCL unless 'force',
 * which truncates); destroy the context and drop the lock. */
int img_context(uint32_t bs, mk_t **out);
int img_lock(img_t *im, const char *file, int create, int force);
void img_release(img_t *im);

/* Join an image directory path and a name into out (MK_PATH_MAX + 1 bytes);
 * MK_ENAMETOOLONG when it does not fit. */
int img_join(char *out, const char *dir, const char *name);

/* Walks (mk-img-tree.c). Each returns an exit code and prints its errors. */
int img_import(img_t *im, const img_opts_t *o, const char *hostdir, const char *dest);
int img_export(img_t *im, const img_opts_t *o, const char *src, const char *hostdir);
int img_rm_tree(img_t *im, const char *path);
int img_ls(img_t *im, const char *path, int longfmt, int recursive);
int img_check_walk(img_t *im, uint64_t *files, uint64_t *dirs, uint64_t *bytes);

#endif /* MK_IMG_H */
