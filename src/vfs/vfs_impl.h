/*
 * vfs_impl.h - private to src/vfs: the mount table, open files and
 * per-process descriptor tables, and the helpers shared by mount.c (mount
 * table, module life cycle), path.c (path strings), file.c (descriptors
 * and I/O) and names.c (operations on names).
 *
 * Locks, always taken in this order:
 *   1. vfs->mtab   rwlock: the mount list. Every operation on a path
 *                  (open included) holds it for reading from start to end,
 *                  so no mount it uses can go away; mount, unmount, mkfs
 *                  and teardown hold it for writing. Descriptor calls
 *                  (read, write, seek, close, ...) do not take it: the
 *                  file's reference keeps its mount, since unmount refuses
 *                  a mount whose m->nopen (read under m->lock) is not 0
 *                  and a file leaves nopen only when its last reference
 *                  goes. Teardown frees files without looking at
 *                  references: mk_destroy must not race other calls.
 *   2. m->lock     mutex per mount: serialises every call into that
 *                  mount's file system (fs.h requires it) and guards
 *                  m->opens, m->nopen and the offsets of files on it.
 *   3. vfs->fdlock mutex: the descriptor handle table, the per-pid tables
 *                  and the reference counts of open files. A leaf: nothing
 *                  else is taken while it is held except proc's table lock
 *                  (mk__proc_alive, whose lock comes after callers' locks).
 *
 * Open-file life cycle: created by open with refs = 1 (the handle table's
 * reference); each call using it takes a reference (mk__file_get) and drops
 * it (mk__file_put); close and process exit remove it from the table and
 * drop the table's reference. The last reference releases it: its inode's
 * open count on the mount is decremented (under m->lock) and it is freed.
 */
#ifndef MK_SRC_VFS_IMPL_H
#define MK_SRC_VFS_IMPL_H

#include "../core/core.h"
#include "../fs/fs.h"

#include <microkernel/vfs.h>

#include <pthread.h>
#include <stdbool.h>

struct mk__mount {
    char *point;        /* normalised mount point, e.g. "/" or "/mnt/usb" */
    size_t plen;        /* strlen(point) */
    uint64_t dev;
    struct mk__fs *fs;
    pthread_mutex_t lock;
    mk__hmap_t opens;   /* inode number -> open files on it (count as pointer) */
    mk__hmap_t orphans; /* inode number -> (void *)1: unlinked or replaced while
                         * open; freed when its last open file is released */
    uint32_t nopen;     /* open files on this mount */
    struct mk__mount *next;
};

struct mk__file {
    mk_pid_t pid;
    uint64_t h;              /* this file's descriptor */
    struct mk__mount *m;
    uint32_t ino;
    uint32_t type;           /* MK__FT_* */
    uint32_t flags;          /* open flags */
    uint64_t off;            /* byte offset, or entry index of a directory */
    uint32_t refs;           /* under fdlock */
    struct mk__file *prev, *next; /* the owner's list, under fdlock */
};

struct mk__fdproc {
    uint32_t count;
    struct mk__file *head;
};

struct mk__vfs {
    pthread_rwlock_t mtab;
    struct mk__mount *mounts; /* longest mount point first */
    pthread_mutex_t fdlock;
    mk__htab_t fds;           /* MK__H_FD -> struct mk__file */
    mk__hmap_t procs;         /* pid -> struct mk__fdproc */
};

/* path.c ------------------------------------------------------------- */

/* A path cut into its mount and the rest. */
struct mk__path {
    char norm[MK_PATH_MAX + 1]; /* normalised absolute path */
    bool dir_only;              /* trailing "/", "." or "..": must be a dir */
    struct mk__mount *m;        /* longest-prefix mount, NULL if none */
    const char *rest;           /* into norm: path inside the mount, no leading '/' */
};

/* Normalise `in` lexically (see vfs.h). MK_EINVAL NULL / not absolute,
 * MK_ENAMETOOLONG path or component too long. */
int mk__path_norm(const char *in, char *out, bool *dir_only);
/* Check a mount point: must already be in normalised form. */
int mk__path_check_point(const char *point);
/* Normalise and find the mount (mtab held): MK_ENOENT if under no mount. */
int mk__path_resolve_mount(struct mk__vfs *v, const char *in, struct mk__path *p);
/* Walk p->rest from the mount's root (m->lock held): the inode named. */
int mk__path_walk(struct mk__path *p, uint32_t *ino);
/* Walk to the parent of the last component (m->lock held). MK_EBUSY if
 * the path is the mount's root (it has no parent in this mount). */
int mk__path_walk_parent(struct mk__path *p, uint32_t *dir, const char **name,
                         size_t *len);

/* mount.c ------------------------------------------------------------ */
struct mk__mount *mk__mount_find_point(struct mk__vfs *v, const char *point);

/* file.c ------------------------------------------------------------- */
/* Open files on inode ino of m (m->lock held). */
uint32_t mk__opens(struct mk__mount *m, uint32_t ino);
/* Close every descriptor (teardown, mtab held for writing). */
void mk__files_close_all(mk_t *k);
void mk__vfs_on_exit(mk_t *k, mk_pid_t pid);
/* Fill a public stat (writing at most out->size bytes, which the caller
 * checked is at least the 1.0 size). */
void mk__stat_fill(mk_stat_t *out, const struct mk__fs_stat *st);

#endif /* MK_SRC_VFS_IMPL_H */
