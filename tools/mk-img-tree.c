/*
 * mk-img-tree.c - the recursive walks of mk-img: import a host tree, export
 * an image tree, rm -r, ls -R, and the read-everything check; plus the
 * progress bar.
 *
 * Sits on the public VFS API (vfs.h) of the context opened by mk-img.c and
 * on POSIX directory calls on the host side. Import and export work in two
 * passes: a scan builds the list of entries (so the progress bar knows the
 * totals and every skip is reported before copying starts), then a copy
 * pass creates directories before their contents. Entries are sorted by
 * name so that the same tree always gives the same image.
 *
 * Interface rules: every function returns an mk-img exit code and prints
 * its own errors. A host-side problem with one entry (unreadable file)
 * is reported and counted and the walk goes on (exit 1 at the end); an
 * image-side error (no space, I/O, corruption) stops the walk at once.
 * Names the file system cannot hold (longer than MK_NAME_MAX, or a path
 * past MK_PATH_MAX), symbolic links and special files are skipped with a
 * warning and counted (exit 6 when nothing worse happened).
 *
 * Ownership: the entry list and its strings are owned by the walk and
 * freed before it returns. Single-threaded.
 */
#include "mk-img.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_CHUNK (1u << 20)

/* ------------------------------------------------------------- progress */

typedef struct progress {
    int on;
    uint64_t files_total, bytes_total, files_done, bytes_done;
    uint64_t last_ns;
    const char *verb;
} progress_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void progress_draw(progress_t *p, int force)
{
    if (!p->on)
        return;
    uint64_t t = now_ns();
    if (!force && t - p->last_ns < 100000000u)   /* at most 10 redraws a second */
        return;
    p->last_ns = t;
    double frac = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total
                  : p->files_total ? (double)p->files_done / (double)p->files_total : 1.0;
    if (frac > 1.0)
        frac = 1.0;
    char bar[31];
    int fill = (int)(frac * 30.0);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[30] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3d%%  %" PRIu64 "/%" PRIu64 " files  %.1f/%.1f MiB",
            p->verb, bar, (int)(frac * 100.0), p->files_done, p->files_total,
            (double)p->bytes_done / 1048576.0, (double)p->bytes_total / 1048576.0);
    fflush(stderr);
}

static void progress_end(progress_t *p)
{
    if (p->on) {
        progress_draw(p, 1);
        fputc('\n', stderr);
    }
}

static void progress_init(progress_t *p, const img_opts_t *o, const char *verb)
{
    memset(p, 0, sizeof *p);
    p->on = o->progress < 0 ? isatty(2) : o->progress;
    p->verb = verb;
}

/* ------------------------------------------------------------ entry list */

typedef struct entry {
    char *src, *dst;
    int dir;
    uint64_t bytes;
} entry_t;

typedef struct walk {
    entry_t *v;
    size_t n, cap;
    uint64_t files, dirs, bytes;
    uint64_t skip_long, skip_special, failed;
    int err;              /* first image-side MK_E error, or host exit code */
} walk_t;

static int walk_add(walk_t *w, const char *src, const char *dst, int dir, uint64_t bytes)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        entry_t *v = realloc(w->v, cap * sizeof *v);
        if (!v)
            return MK_ENOMEM;
        w->v = v;
        w->cap = cap;
    }
    entry_t *e = &w->v[w->n];
    e->src = strdup(src);
    e->dst = strdup(dst);
    if (!e->src || !e->dst) {
        free(e->src);
        free(e->dst);
        return MK_ENOMEM;
    }
    e->dir = dir;
    e->bytes = bytes;
    w->n++;
    if (dir)
        w->dirs++;
    else {
        w->files++;
        w->bytes += bytes;
    }
    return 0;
}

static void walk_free(walk_t *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].src);
        free(w->v[i].dst);
    }
    free(w->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Sorted names of a host directory (without "." and ".."). */
static int host_names(const char *dir, char ***out, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                goto nomem;
            v = nv;
        }
        if (!(v[n] = strdup(de->d_name)))
            goto nomem;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    *count = n;
    return 0;
nomem:
    closedir(d);
    free_names(v, n);
    return ENOMEM;
}

/* ---------------------------------------------------------------- import */

static int import_scan(walk_t *w, const char *host, const char *dst)
{
    char **names = NULL;
    size_t n = 0;
    int e = host_names(host, &names, &n);
    if (e != 0) {
        fprintf(stderr, "%s: import: cannot read directory %s: %s\n", img_prog, host,
                strerror(e));
        w->failed++;
        return e == ENOMEM ? MK_ENOMEM : 0;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *nm = names[i];
        size_t hl = strlen(host) + 1 + strlen(nm) + 1;
        char *hp = malloc(hl);
        char ip[MK_PATH_MAX + 1] = "";
        struct stat st;
        if (!hp) {
            rc = MK_ENOMEM;
            break;
        }
        snprintf(hp, hl, "%s/%s", host, nm);
        if (lstat(hp, &st) != 0) {
            fprintf(stderr, "%s: import: cannot stat %s: %s\n", img_prog, hp, strerror(errno));
            w->failed++;
        } else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            img_warn("skipped %s: %s (only directories and regular files are imported)", hp,
                     S_ISLNK(st.st_mode) ? "symbolic link" : "special file");
            w->skip_special++;
        } else if (strlen(nm) > MK_NAME_MAX) {
            img_warn("skipped %s%s: name is %zu bytes, longer than the image's limit of %d "
                     "(%s)", hp, S_ISDIR(st.st_mode) ? " and everything under it" : "",
                     strlen(nm), MK_NAME_MAX, mk_err_name(MK_ENAMETOOLONG));
            w->skip_long++;
        } else if (img_join(ip, dst, nm) != 0) {
            img_warn("skipped %s%s: path in the image would be longer than %d bytes (%s)", hp,
                     S_ISDIR(st.st_mode) ? " and everything under it" : "", MK_PATH_MAX,
                     mk_err_name(MK_ENAMETOOLONG));
            w->skip_long++;
        } else if (S_ISDIR(st.st_mode)) {
            if ((rc = walk_add(w, hp, ip, 1, 0)) == 0)
                rc = import_scan(w, hp, ip);
        } else {
            rc = walk_add(w, hp, ip, 0, (uint64_t)st.st_size);
        }
        free(hp);
    }
    free_names(names, n);
    return rc;
}

/* mkdir that accepts an existing directory. */
static int img_mkdir_ok(mk_t *k, const char *path)
{
    int rc = mk_vfs_mkdir(k, path);
    if (rc == MK_EEXIST) {
        mk_stat_t st = {.size = sizeof st};
        rc = mk_vfs_stat(k, path, &st);
        if (rc == 0 && st.type != MK_FT_DIR)
            rc = MK_ENOTDIR;
    }
    return rc;
}

/* mkdir -p inside the image. */
static int img_mkdirs(mk_t *k, const char *path)
{
    char p[MK_PATH_MAX + 1];
    snprintf(p, sizeof p, "%s", path);
    for (char *c = p + 1;; c++) {
        if (*c == '/' || *c == '\0') {
            char save = *c;
            *c = '\0';
            int rc = p[1] ? img_mkdir_ok(k, p) : 0;
            *c = save;
            if (rc != 0 || save == '\0')
                return rc;
        }
    }
}

/* Copy one host file into the image. Host failures return a positive
 * errno; image failures a negative MK_E code. */
static int import_file(mk_t *k, const entry_t *e, char *buf, progress_t *p)
{
    int hfd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (hfd < 0)
        return errno;
    mk_fd_t fd;
    int rc = mk_vfs_open(k, MK_PID_KERNEL, e->dst, MK_O_WRONLY | MK_O_CREAT | MK_O_TRUNC, &fd);
    if (rc != 0) {
        close(hfd);
        return rc;
    }
    for (;;) {
        ssize_t n = read(hfd, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno;
            break;
        }
        if (n == 0)
            break;
        size_t off = 0;
        while (off < (size_t)n && rc == 0) {
            size_t wr = 0;
            rc = mk_vfs_write(k, MK_PID_KERNEL, fd, buf + off, (size_t)n - off, &wr);
            if (rc == 0 && wr == 0)
                rc = MK_ENOSPC;
            off += wr;
            p->bytes_done += wr;
        }
        if (rc != 0)
            break;
        progress_draw(p, 0);
    }
    int crc = mk_vfs_close(k, MK_PID_KERNEL, fd);
    close(hfd);
    return rc != 0 ? rc : crc;
}

static int finish(const char *verb, const img_opts_t *o, walk_t *w, int rc, double secs)
{
    if (!o->quiet)
        printf("%s %" PRIu64 " files (%" PRIu64 " bytes, %.1f MiB) in %" PRIu64
               " directories in %.2f s; skipped %" PRIu64 " (%" PRIu64
               " names too long, %" PRIu64 " links/special files); %" PRIu64 " failed\n",
               verb, w->files, w->bytes, (double)w->bytes / 1048576.0, w->dirs, secs,
               w->skip_long + w->skip_special, w->skip_long, w->skip_special, w->failed);
    if (rc != 0)
        return img_exit_for(rc);
    if (w->failed)
        return IMG_EXIT_FAIL;
    if (w->skip_long || w->skip_special)
        return IMG_EXIT_PARTIAL;
    return IMG_EXIT_OK;
}

int img_import(img_t *im, const img_opts_t *o, const char *hostdir, const char *dest)
{
    walk_t w;
    progress_t p;
    uint64_t t0 = now_ns();
    memset(&w, 0, sizeof w);
    progress_init(&p, o, "import");
    int rc = img_mkdirs(im->k, dest);
    if (rc != 0) {
        img_report("import: create", dest, rc);
        return img_exit_for(rc);
    }
    rc = import_scan(&w, hostdir, strcmp(dest, "/") == 0 ? "" : dest);
    char *buf = rc == 0 ? malloc(COPY_CHUNK) : NULL;
    if (rc == 0 && !buf)
        rc = MK_ENOMEM;
    if (rc != 0)
        img_report("import: scan", hostdir, rc);
    p.files_total = w.files;
    p.bytes_total = w.bytes;
    progress_draw(&p, 1);
    for (size_t i = 0; i < w.n && rc == 0; i++) {
        entry_t *e = &w.v[i];
        int r;
        if (e->dir) {
            r = img_mkdir_ok(im->k, e->dst);
        } else {
            uint64_t before = p.bytes_done;
            r = import_file(im->k, e, buf, &p);
            p.files_done++;
            if (r > 0) {      /* host error: report, count, go on */
                fprintf(stderr, "%s: import: cannot read %s: %s\n", img_prog, e->src,
                        strerror(r));
                w.failed++;
                r = 0;
            }
            p.bytes_done = before + e->bytes;  /* files that changed size */
            if (o->verbose && r == 0)
                printf("%s -> %s\n", e->src, e->dst);
        }
        if (r != 0) {
            img_report("import", e->dst, r);
            rc = r;
        }
        progress_draw(&p, 0);
    }
    progress_end(&p);
    free(buf);
    int ec = finish("imported", o, &w, rc, (double)(now_ns() - t0) / 1e9);
    walk_free(&w);
    return ec;
}

/* ---------------------------------------------------------------- export */

/* Sorted entries of an image directory (without "." and ".."). */
static int img_names(mk_t *k, const char *dir, char ***out, size_t *count)
{
    mk_fd_t fd;
    int rc = mk_vfs_open(k, MK_PID_KERNEL, dir, MK_O_RDONLY | MK_O_DIRECTORY, &fd);
    if (rc != 0)
        return rc;
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        mk_dirent_t de = {.size = sizeof de};
        uint32_t got = 0;
        if ((rc = mk_vfs_readdir(k, MK_PID_KERNEL, fd, &de, &got)) != 0 || !got)
            break;
        if (strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = MK_ENOMEM;
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(de.name))) {
            rc = MK_ENOMEM;
            break;
        }
        n++;
    }
    mk_vfs_close(k, MK_PID_KERNEL, fd);
    if (rc != 0) {
        free_names(v, n);
        return rc;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    *count = n;
    return 0;
}

static int export_scan(mk_t *k, walk_t *w, const char *src, const char *host)
{
    char **names = NULL;
    size_t n = 0;
    int rc = img_names(k, src, &names, &n);
    if (rc != 0) {
        img_report("export: read directory", src, rc);
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char ip[MK_PATH_MAX + 1] = "";
        mk_stat_t st = {.size = sizeof st};
        size_t hl = strlen(host) + 1 + strlen(names[i]) + 1;
        char *hp = malloc(hl);
        if (!hp) {
            rc = MK_ENOMEM;
            break;
        }
        snprintf(hp, hl, "%s/%s", host, names[i]);
        if ((rc = img_join(ip, src, names[i])) == 0 && (rc = mk_vfs_stat(k, ip, &st)) != 0)
            img_report("export: stat", ip, rc);
        if (rc == 0 && st.type == MK_FT_DIR) {
            if ((rc = walk_add(w, ip, hp, 1, 0)) == 0)
                rc = export_scan(k, w, ip, hp);
        } else if (rc == 0) {
            rc = walk_add(w, ip, hp, 0, st.bytes);
        }
        free(hp);
    }
    free_names(names, n);
    return rc;
}

static int host_mkdir_ok(const char *path)
{
    struct stat st;
    if (mkdir(path, 0755) == 0)
        return 0;
    if (errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return errno == EEXIST ? ENOTDIR : errno;
}

static int export_file(mk_t *k, const entry_t *e, char *buf, progress_t *p, int *host_err)
{
    mk_fd_t fd;
    int rc = mk_vfs_open(k, MK_PID_KERNEL, e->src, MK_O_RDONLY, &fd);
    if (rc != 0)
        return rc;
    int hfd = open(e->dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (hfd < 0) {
        *host_err = errno;
        mk_vfs_close(k, MK_PID_KERNEL, fd);
        return 0;
    }
    for (;;) {
        size_t n = 0;
        if ((rc = mk_vfs_read(k, MK_PID_KERNEL, fd, buf, COPY_CHUNK, &n)) != 0 || n == 0)
            break;
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(hfd, buf + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                *host_err = errno;
                break;
            }
            off += (size_t)w;
        }
        if (*host_err)
            break;
        p->bytes_done += n;
        progress_draw(p, 0);
    }
    if (close(hfd) != 0 && !*host_err)
        *host_err = errno;
    mk_vfs_close(k, MK_PID_KERNEL, fd);
    return rc;
}

int img_export(img_t *im, const img_opts_t *o, const char *src, const char *hostdir)
{
    walk_t w;
    progress_t p;
    mk_stat_t st = {.size = sizeof st};
    uint64_t t0 = now_ns();
    memset(&w, 0, sizeof w);
    progress_init(&p, o, "export");
    int rc = mk_vfs_stat(im->k, src, &st);
    if (rc != 0) {
        img_report("export", src, rc);
        return img_exit_for(rc);
    }
    int e = host_mkdir_ok(hostdir);
    if (e != 0) {
        fprintf(stderr, "%s: export: cannot create directory %s: %s\n", img_prog, hostdir,
                strerror(e));
        return IMG_EXIT_FAIL;
    }
    if (st.type == MK_FT_DIR) {
        rc = export_scan(im->k, &w, src, hostdir);
    } else {
        const char *base = strrchr(src, '/') + 1;
        size_t hl = strlen(hostdir) + 1 + strlen(base) + 1;
        char *hp = malloc(hl);
        rc = hp ? 0 : MK_ENOMEM;
        if (hp) {
            snprintf(hp, hl, "%s/%s", hostdir, base);
            rc = walk_add(&w, src, hp, 0, st.bytes);
            free(hp);
        }
    }
    char *buf = rc == 0 ? malloc(COPY_CHUNK) : NULL;
    if (rc == 0 && !buf)
        rc = MK_ENOMEM;
    p.files_total = w.files;
    p.bytes_total = w.bytes;
    progress_draw(&p, 1);
    for (size_t i = 0; i < w.n && rc == 0; i++) {
        entry_t *en = &w.v[i];
        int herr = 0;
        if (en->dir) {
            herr = host_mkdir_ok(en->dst);
        } else {
            uint64_t before = p.bytes_done;
            rc = export_file(im->k, en, buf, &p, &herr);
            p.files_done++;
            p.bytes_done = before + en->bytes;
            if (rc != 0)
                img_report("export", en->src, rc);
            else if (o->verbose && !herr)
                printf("%s -> %s\n", en->src, en->dst);
        }
        if (herr) {
            fprintf(stderr, "%s: export: cannot write %s: %s\n", img_prog, en->dst,
                    strerror(herr));
            w.failed++;
        }
        progress_draw(&p, 0);
    }
    progress_end(&p);
    free(buf);
    int ec = finish("exported", o, &w, rc, (double)(now_ns() - t0) / 1e9);
    walk_free(&w);
    return ec;
}

/* ------------------------------------------------------------- rm and ls */

static int rm_rec(mk_t *k, const char *path)
{
    char **names = NULL;
    size_t n = 0;
    int rc = img_names(k, path, &names, &n);
    if (rc != 0) {
        img_report("rm", path, rc);
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char ip[MK_PATH_MAX + 1] = "";
        mk_stat_t st = {.size = sizeof st};
        if ((rc = img_join(ip, path, names[i])) == 0 && (rc = mk_vfs_stat(k, ip, &st)) == 0 &&
            st.type == MK_FT_DIR) {
            rc = rm_rec(k, ip);              /* reports its own errors */
            continue;
        }
        if (rc == 0)
            rc = mk_vfs_unlink(k, ip);
        if (rc != 0)
            img_report("rm", ip, rc);
    }
    free_names(names, n);
    if (rc != 0 || strcmp(path, "/") == 0)
        return rc;                           /* the root is emptied, never removed */
    if ((rc = mk_vfs_rmdir(k, path)) != 0)
        img_report("rm", path, rc);
    return rc;
}

int img_rm_tree(img_t *im, const char *path)
{
    return img_exit_for(rm_rec(im->k, path));
}

static void ls_line(const char *name, const mk_stat_t *st, int longfmt)
{
    if (longfmt)
        printf("%c %4" PRIu64 " %12" PRIu64 " %10" PRIu64 " %s%s\n",
               st->type == MK_FT_DIR ? 'd' : '-', st->nlink, st->bytes, st->mtime, name,
               st->type == MK_FT_DIR ? "/" : "");
    else
        printf("%s%s\n", name, st->type == MK_FT_DIR ? "/" : "");
}

static int ls_dir(mk_t *k, const char *path, int longfmt, int recursive, int header)
{
    char **names = NULL;
    size_t n = 0;
    int rc = img_names(k, path, &names, &n);
    if (rc != 0) {
        img_report("ls", path, rc);
        return rc;
    }
    if (header)
        printf("%s:\n", path);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char ip[MK_PATH_MAX + 1] = "";
        mk_stat_t st = {.size = sizeof st};
        if ((rc = img_join(ip, path, names[i])) == 0 && (rc = mk_vfs_stat(k, ip, &st)) == 0)
            ls_line(names[i], &st, longfmt);
        else
            img_report("ls", ip, rc);
    }
    for (size_t i = 0; i < n && rc == 0 && recursive; i++) {
        char ip[MK_PATH_MAX + 1] = "";
        mk_stat_t st = {.size = sizeof st};
        if ((rc = img_join(ip, path, names[i])) == 0 && (rc = mk_vfs_stat(k, ip, &st)) == 0 &&
            st.type == MK_FT_DIR) {
            printf("\n");
            rc = ls_dir(k, ip, longfmt, recursive, 1);
        }
    }
    free_names(names, n);
    return rc;
}

int img_ls(img_t *im, const char *path, int longfmt, int recursive)
{
    mk_stat_t st = {.size = sizeof st};
    int rc = mk_vfs_stat(im->k, path, &st);
    if (rc != 0) {
        img_report("ls", path, rc);
        return img_exit_for(rc);
    }
    if (st.type != MK_FT_DIR) {
        ls_line(path, &st, longfmt);
        return 0;
    }
    return img_exit_for(ls_dir(im->k, path, longfmt, recursive, recursive));
}

/* ------------------------------------------------------ read-everything */

static int check_rec(mk_t *k, const char *path, char *buf, uint64_t *files, uint64_t *dirs,
                     uint64_t *bytes)
{
    char **names = NULL;
    size_t n = 0;
    int rc = img_names(k, path, &names, &n);
    if (rc != 0) {
        img_report("fsck: read directory", path, rc);
        return rc;
    }
    (*dirs)++;
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        char ip[MK_PATH_MAX + 1] = "";
        mk_stat_t st = {.size = sizeof st};
        if ((rc = img_join(ip, path, names[i])) != 0 || (rc = mk_vfs_stat(k, ip, &st)) != 0) {
            img_report("fsck: stat", ip, rc);
        } else if (st.type == MK_FT_DIR) {
            rc = check_rec(k, ip, buf, files, dirs, bytes);
        } else {
            mk_fd_t fd;
            uint64_t total = 0;
            size_t got = 0;
            if ((rc = mk_vfs_open(k, MK_PID_KERNEL, ip, MK_O_RDONLY, &fd)) == 0) {
                while ((rc = mk_vfs_read(k, MK_PID_KERNEL, fd, buf, COPY_CHUNK, &got)) == 0 &&
                       got > 0)
                    total += got;
                mk_vfs_close(k, MK_PID_KERNEL, fd);
            }
            if (rc == 0 && total != st.bytes)
                rc = MK_ECORRUPT;
            if (rc != 0)
                img_report("fsck: read", ip, rc);
            (*files)++;
            *bytes += total;
        }
        if (rc != 0 && first == 0)
            first = rc;
        if (rc == MK_EIO || rc == MK_ENOMEM)
            break;
    }
    free_names(names, n);
    return first;
}

int img_check_walk(img_t *im, uint64_t *files, uint64_t *dirs, uint64_t *bytes)
{
    char *buf = malloc(COPY_CHUNK);
    if (!buf)
        return MK_ENOMEM;
    *files = *dirs = *bytes = 0;
    int rc = check_rec(im->k, "/", buf, files, dirs, bytes);
    free(buf);
    return rc;
}
