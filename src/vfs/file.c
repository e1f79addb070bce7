/*
 * file.c - descriptors: per-process tables of open files named by
 * generation-tagged handles (one mk__htab for all pids, each file recording
 * its owner, so another pid's descriptor is refused with MK_EBADH instead
 * of matching a slot of its own), open/close, byte I/O, seek, truncate,
 * fsync, fstat and readdir, and the process-exit hook.
 *
 * Sits on the fs interface (src/fs/fs.h) through the mount table and path
 * walk of path.c, and asks proc (src/proc/proc.h) whether a pid is alive.
 * Locking and the open-file life cycle are described in vfs_impl.h: open
 * holds vfs->mtab for reading (it resolves a path); a descriptor call
 * takes a reference on the file under fdlock, works under the mount's
 * lock, then drops the reference. It does not take mtab: an open file
 * keeps its mount (unmount refuses a mount with open files, and a file is
 * counted open until its last reference is gone), and the read lock was a
 * quarter of a cached 4 KiB pread.
 */
#include "vfs_impl.h"

#include "../proc/proc.h"

#include <stdlib.h>
#include <string.h>

#define MK__O_ACC 0x3u
#define MK__O_KNOWN                                                          \
    (MK__O_ACC | MK_O_CREAT | MK_O_EXCL | MK_O_TRUNC | MK_O_APPEND | MK_O_DIRECTORY)

static int mk__pid_check(mk_t *k, mk_pid_t pid)
{
    return pid == MK_PID_KERNEL ? 0 : mk__proc_alive(k, pid);
}

uint32_t mk__opens(struct mk__mount *m, uint32_t ino)
{
    return (uint32_t)(uintptr_t)mk__hmap_get(&m->opens, ino);
}

/* m->lock held. */
static int mk__opens_add(struct mk__mount *m, uint32_t ino, int delta)
{
    uint32_t n = mk__opens(m, ino);
    n = (uint32_t)((int64_t)n + delta);
    if (n == 0) {
        mk__hmap_del(&m->opens, ino);
    } else {
        int rc = mk__hmap_put(&m->opens, ino, (void *)(uintptr_t)n);
        if (rc != 0)
            return rc;
    }
    m->nopen = (uint32_t)((int64_t)m->nopen + delta);
    return 0;
}

/* One open file of ino fewer (m->lock held, or no call in progress). The
 * last one of an unlinked inode frees it; a failure (device error) leaves
 * an unreachable inode that fsck reclaims. */
static void mk__opens_drop(struct mk__mount *m, uint32_t ino)
{
    mk__opens_add(m, ino, -1);
    if (mk__opens(m, ino) == 0 && mk__hmap_del(&m->orphans, ino) != NULL)
        (void)mk__fs_orphan_free(m->fs, ino);
}

/* Release a file whose last reference is gone (m->lock not held). Until
 * this returns the file counts in m->nopen, so m cannot be unmounted. */
static void mk__file_release(struct mk__file *f)
{
    struct mk__mount *m = f->m;
    pthread_mutex_lock(&m->lock);
    mk__opens_drop(m, f->ino);
    pthread_mutex_unlock(&m->lock);
    free(f);
}

/* Unlink f from its owner's list (fdlock held); frees an empty table. */
static void mk__file_unlist(struct mk__vfs *v, struct mk__file *f)
{
    struct mk__fdproc *fp = mk__hmap_get(&v->procs, f->pid);
    if (f->prev != NULL)
        f->prev->next = f->next;
    else if (fp != NULL)
        fp->head = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    f->prev = f->next = NULL;
    if (fp != NULL && --fp->count == 0) {
        mk__hmap_del(&v->procs, f->pid);
        free(fp);
    }
}

static int mk__file_get(struct mk__vfs *v, mk_pid_t pid, mk_fd_t fd, struct mk__file **out)
{
    pthread_mutex_lock(&v->fdlock);
    struct mk__file *f = mk__htab_get(&v->fds, fd);
    if (f == NULL || f->pid != pid) {
        pthread_mutex_unlock(&v->fdlock);
        return MK_EBADH;
    }
    f->refs++;
    pthread_mutex_unlock(&v->fdlock);
    *out = f;
    return 0;
}

static void mk__file_put(struct mk__vfs *v, struct mk__file *f)
{
    pthread_mutex_lock(&v->fdlock);
    bool last = --f->refs == 0;
    pthread_mutex_unlock(&v->fdlock);
    if (last)
        mk__file_release(f);
}

/* Common prologue of descriptor calls: check pid, get file (its reference
 * keeps the file and its mount). */
static int mk__fd_enter(mk_t *k, mk_pid_t pid, mk_fd_t fd, struct mk__file **f)
{
    int rc = mk__pid_check(k, pid);
    if (rc != 0)
        return rc;
    return mk__file_get(k->vfs, pid, fd, f);
}

static void mk__fd_leave(mk_t *k, struct mk__file *f)
{
    mk__file_put(k->vfs, f);
}

/* Find or create the target of an open (m->lock held). */
static int mk__open_target(struct mk__path *p, uint32_t flags, uint32_t *ino,
                           struct mk__fs_stat *st)
{
    int rc = mk__path_walk(p, ino);
    if (rc == MK_ENOENT && (flags & MK_O_CREAT)) {
        uint32_t dir;
        const char *name;
        size_t len;
        rc = mk__path_walk_parent(p, &dir, &name, &len);
        if (rc != 0)
            return rc;
        if (p->dir_only)
            return MK_EISDIR; /* "creat a/b/" names a directory */
        rc = mk__fs_create(p->m->fs, dir, name, len, MK__FT_REG, ino);
        if (rc != 0)
            return rc;
    } else if (rc != 0) {
        return rc;
    } else if ((flags & (MK_O_CREAT | MK_O_EXCL)) == (MK_O_CREAT | MK_O_EXCL)) {
        return MK_EEXIST;
    }
    rc = mk__fs_stat(p->m->fs, *ino, st);
    if (rc != 0)
        return rc;
    if (st->type == MK__FT_DIR && (flags & MK__O_ACC) != MK_O_RDONLY)
        return MK_EISDIR;
    if (st->type != MK__FT_DIR && (flags & MK_O_DIRECTORY))
        return MK_ENOTDIR;
    return 0;
}

int mk_vfs_open(mk_t *k, mk_pid_t pid, const char *path, uint32_t flags, mk_fd_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || path == NULL)
        return MK_EINVAL;
    uint32_t acc = flags & MK__O_ACC;
    if ((flags & ~(uint32_t)MK__O_KNOWN) != 0 || acc == MK__O_ACC ||
        ((flags & MK_O_TRUNC) && acc == MK_O_RDONLY) ||
        ((flags & MK_O_CREAT) && (flags & MK_O_DIRECTORY)))
        return MK_EINVAL;
    int rc = mk__pid_check(k, pid);
    if (rc != 0)
        return rc;
    struct mk__vfs *v = k->vfs;
    struct mk__file *f = calloc(1, sizeof *f);
    if (f == NULL)
        return MK_ENOMEM;
    struct mk__fdproc *fp = NULL;

    pthread_rwlock_rdlock(&v->mtab);
    struct mk__path p;
    rc = mk__path_resolve_mount(v, path, &p);
    if (rc != 0)
        goto out_unlocked;
    /* Fail early on a full table (checked again at insertion) so that a
     * refused open creates nothing. */
    pthread_mutex_lock(&v->fdlock);
    fp = mk__hmap_get(&v->procs, pid);
    if (fp != NULL && fp->count >= MK_VFS_OPEN_MAX)
        rc = MK_EMFILE;
    pthread_mutex_unlock(&v->fdlock);
    if (rc != 0)
        goto out_unlocked;

    pthread_mutex_lock(&p.m->lock);
    uint32_t ino;
    struct mk__fs_stat st;
    rc = mk__open_target(&p, flags, &ino, &st);
    if (rc != 0)
        goto out;
    f->pid = pid;
    f->m = p.m;
    f->ino = ino;
    f->type = st.type;
    f->flags = flags;
    f->refs = 1;
    if ((rc = mk__opens_add(p.m, ino, +1)) != 0)
        goto out;

    /* Insert; the pid must still be alive now that fdlock is held, so the
     * exit hook (which takes fdlock) cannot miss this descriptor. */
    pthread_mutex_lock(&v->fdlock);
    rc = mk__pid_check(k, pid);
    fp = mk__hmap_get(&v->procs, pid);
    if (rc == 0 && fp != NULL && fp->count >= MK_VFS_OPEN_MAX)
        rc = MK_EMFILE;
    if (rc == 0 && fp == NULL) {
        fp = calloc(1, sizeof *fp);
        if (fp == NULL || mk__hmap_put(&v->procs, pid, fp) != 0) {
            free(fp);
            fp = NULL;
            rc = MK_ENOMEM;
        }
    }
    if (rc == 0 && (rc = mk__htab_insert(&v->fds, f, &f->h)) == 0) {
        f->next = fp->head;
        if (fp->head != NULL)
            fp->head->prev = f;
        fp->head = f;
        fp->count++;
    } else if (fp != NULL && fp->count == 0) {
        mk__hmap_del(&v->procs, pid);
        free(fp);
    }
    pthread_mutex_unlock(&v->fdlock);
    if (rc != 0) {
        mk__opens_add(p.m, ino, -1);
        goto out;
    }
    if ((flags & MK_O_TRUNC) && st.type == MK__FT_REG) {
        rc = mk__fs_truncate(p.m->fs, ino, 0);
        if (rc != 0) {
            pthread_mutex_lock(&v->fdlock);
            mk__htab_remove(&v->fds, f->h);
            mk__file_unlist(v, f);
            pthread_mutex_unlock(&v->fdlock);
            mk__opens_add(p.m, ino, -1);
            goto out;
        }
    }
    *out = f->h;
    f = NULL;
out:
    pthread_mutex_unlock(&p.m->lock);
out_unlocked:
    pthread_rwlock_unlock(&v->mtab);
    free(f);
    return rc;
}

int mk_vfs_close(mk_t *k, mk_pid_t pid, mk_fd_t fd)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__pid_check(k, pid);
    if (rc != 0)
        return rc;
    struct mk__vfs *v = k->vfs;
    pthread_mutex_lock(&v->fdlock);
    struct mk__file *f = mk__htab_get(&v->fds, fd);
    bool last = false;
    if (f == NULL || f->pid != pid) {
        rc = MK_EBADH;
    } else {
        mk__htab_remove(&v->fds, fd);
        mk__file_unlist(v, f);
        last = --f->refs == 0;
    }
    pthread_mutex_unlock(&v->fdlock);
    if (last)
        mk__file_release(f);
    return rc;
}

void mk__vfs_on_exit(mk_t *k, mk_pid_t pid)
{
    struct mk__vfs *v = k->vfs;
    if (v == NULL)
        return;
    pthread_mutex_lock(&v->fdlock);
    struct mk__fdproc *fp = mk__hmap_del(&v->procs, pid);
    struct mk__file *dead = NULL;
    if (fp != NULL) {
        struct mk__file *f = fp->head, *nx;
        for (; f != NULL; f = nx) {
            nx = f->next;
            mk__htab_remove(&v->fds, f->h);
            f->prev = f->next = NULL;
            if (--f->refs == 0) {
                f->next = dead; /* release below, outside fdlock */
                dead = f;
            }
        }
        free(fp);
    }
    pthread_mutex_unlock(&v->fdlock);
    while (dead != NULL) {
        struct mk__file *nx = dead->next;
        mk__file_release(dead);
        dead = nx;
    }
}

void mk__files_close_all(mk_t *k)
{
    struct mk__vfs *v = k->vfs;
    uint32_t cur = 0;
    uint64_t h;
    struct mk__file *f;
    /* mtab is held for writing: no call is in progress, so every file has
     * only the table's reference. */
    while ((f = mk__htab_next(&v->fds, &cur, &h)) != NULL) {
        mk__htab_remove(&v->fds, h);
        mk__opens_drop(f->m, f->ino);
        free(f);
    }
    size_t c = 0;
    uint64_t key;
    struct mk__fdproc *fp;
    while ((fp = mk__hmap_next(&v->procs, &c, &key)) != NULL)
        free(fp);
    mk__hmap_fini(&v->procs);
    mk__hmap_init(&v->procs);
}

/* ---- byte I/O ------------------------------------------------------- */

static int mk__rw(mk_t *k, mk_pid_t pid, mk_fd_t fd, bool writing, void *rbuf,
                  const void *wbuf, size_t len, const uint64_t *at, size_t *done)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (done == NULL || (len > 0 && (writing ? wbuf == NULL : rbuf == NULL)))
        return MK_EINVAL;
    struct mk__file *f;
    int rc = mk__fd_enter(k, pid, fd, &f);
    if (rc != 0)
        return rc;
    uint32_t acc = f->flags & MK__O_ACC;
    if (writing ? acc == MK_O_RDONLY : acc == MK_O_WRONLY) {
        rc = MK_EPERM;
    } else if (f->type == MK__FT_DIR) {
        rc = MK_EISDIR;
    } else {
        struct mk__mount *m = f->m;
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        uint64_t off = at != NULL ? *at : f->off;
        if (writing && at == NULL && (f->flags & MK_O_APPEND)) {
            struct mk__fs_stat st;
            rc = mk__fs_stat(m->fs, f->ino, &st);
            off = st.size;
        }
        if (rc == 0 && !writing)
            rc = mk__fs_read(m->fs, f->ino, off, rbuf, len, &n);
        else if (rc == 0)
            rc = mk__fs_write(m->fs, f->ino, off, wbuf, len, &n);
        if (rc == 0 && at == NULL)
            f->off = off + n;
        pthread_mutex_unlock(&m->lock);
        if (rc == 0)
            *done = n;
    }
    mk__fd_leave(k, f);
    return rc;
}

int mk_vfs_read(mk_t *k, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len, size_t *nread)
{
    return mk__rw(k, pid, fd, false, buf, NULL, len, NULL, nread);
}

int mk_vfs_write(mk_t *k, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                 size_t *nwritten)
{
    return mk__rw(k, pid, fd, true, NULL, buf, len, NULL, nwritten);
}

int mk_vfs_pread(mk_t *k, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                 uint64_t offset, size_t *nread)
{
    return mk__rw(k, pid, fd, false, buf, NULL, len, &offset, nread);
}

int mk_vfs_pwrite(mk_t *k, mk_pid_t pid, mk_fd_t fd, const void *buf, size_t len,
                  uint64_t offset, size_t *nwritten)
{
    return mk__rw(k, pid, fd, true, NULL, buf, len, &offset, nwritten);
}

int mk_vfs_seek(mk_t *k, mk_pid_t pid, mk_fd_t fd, int64_t offset, uint32_t whence,
                uint64_t *newpos)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (whence > MK_SEEK_END)
        return MK_EINVAL;
    struct mk__file *f;
    int rc = mk__fd_enter(k, pid, fd, &f);
    if (rc != 0)
        return rc;
    struct mk__mount *m = f->m;
    pthread_mutex_lock(&m->lock);
    uint64_t pos = 0;
    if (f->type == MK__FT_DIR) {
        /* Directory offsets are entry indexes: only a rewind makes sense. */
        if (whence != MK_SEEK_SET || offset != 0)
            rc = MK_EINVAL;
    } else {
        uint64_t base = 0;
        if (whence == MK_SEEK_CUR) {
            base = f->off;
        } else if (whence == MK_SEEK_END) {
            struct mk__fs_stat st;
            rc = mk__fs_stat(m->fs, f->ino, &st);
            base = st.size;
        }
        if (rc == 0) {
            if (offset < 0 && (uint64_t)(-(offset + 1)) + 1 > base)
                rc = MK_EINVAL;
            else if (offset >= 0 && (uint64_t)offset > (uint64_t)INT64_MAX - base)
                rc = MK_ERANGE;
            else
                pos = offset < 0 ? base - ((uint64_t)(-(offset + 1)) + 1)
                                 : base + (uint64_t)offset;
        }
    }
    if (rc == 0)
        f->off = pos;
    pthread_mutex_unlock(&m->lock);
    mk__fd_leave(k, f);
    if (rc == 0 && newpos != NULL)
        *newpos = pos;
    return rc;
}

int mk_vfs_ftruncate(mk_t *k, mk_pid_t pid, mk_fd_t fd, uint64_t length)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__file *f;
    int rc = mk__fd_enter(k, pid, fd, &f);
    if (rc != 0)
        return rc;
    if (f->type == MK__FT_DIR) {
        rc = MK_EISDIR;
    } else if ((f->flags & MK__O_ACC) == MK_O_RDONLY) {
        rc = MK_EPERM;
    } else {
        pthread_mutex_lock(&f->m->lock);
        rc = mk__fs_truncate(f->m->fs, f->ino, length);
        pthread_mutex_unlock(&f->m->lock);
    }
    mk__fd_leave(k, f);
    return rc;
}

int mk_vfs_fsync(mk_t *k, mk_pid_t pid, mk_fd_t fd)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__file *f;
    int rc = mk__fd_enter(k, pid, fd, &f);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&f->m->lock);
    rc = mk__fs_sync(f->m->fs);
    pthread_mutex_unlock(&f->m->lock);
    mk__fd_leave(k, f);
    return rc;
}

/* Fill a public stat from an fs stat, writing at most out->size bytes. */
void mk__stat_fill(mk_stat_t *out, const struct mk__fs_stat *st)
{
    mk_stat_t r;
    memset(&r, 0, sizeof r);
    r.size = out->size;
    r.type = st->type == MK__FT_DIR ? MK_FT_DIR : MK_FT_REG;
    r.ino = st->ino;
    r.bytes = st->size;
    r.blocks = st->blocks;
    r.nlink = st->nlink;
    r.ctime = st->ctime;
    r.mtime = st->mtime;
    memcpy(out, &r, sizeof r);
}

int mk_vfs_fstat(mk_t *k, mk_pid_t pid, mk_fd_t fd, mk_stat_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < sizeof(mk_stat_t))
        return MK_EINVAL;
    struct mk__file *f;
    int rc = mk__fd_enter(k, pid, fd, &f);
    if (rc != 0)
        return rc;
    struct mk__fs_stat st;
    pthread_mutex_lock(&f->m->lock);
    rc = mk__fs_stat(f->m->fs, f->ino, &st);
    pthread_mutex_unlock(&f->m->lock);
    mk__fd_leave(k, f);
    if (rc == 0)
        mk__stat_fill(out, &st);
    return rc;
}

int mk_vfs_readdir(mk_t *k, mk_pid_t pid, mk_fd_t dirfd, mk_dirent_t *ent, uint32_t *got)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (ent == NULL || got == NULL || ent->size < sizeof(mk_dirent_t))
        return MK_EINVAL;
    struct mk__file *f;
    int rc = mk__fd_enter(k, pid, dirfd, &f);
    if (rc != 0)
        return rc;
    if (f->type != MK__FT_DIR) {
        mk__fd_leave(k, f);
        return MK_ENOTDIR;
    }
    mk_dirent_t r;
    memset(&r, 0, sizeof r);
    r.size = ent->size;
    uint32_t ino = 0, g = 0;
    struct mk__fs_stat st;
    pthread_mutex_lock(&f->m->lock);
    uint64_t pos = f->off;
    rc = mk__fs_readdir(f->m->fs, f->ino, &pos, r.name, &ino, &g);
    if (rc == 0 && g == 1)
        rc = mk__fs_stat(f->m->fs, ino, &st);
    if (rc == 0)
        f->off = pos;
    pthread_mutex_unlock(&f->m->lock);
    mk__fd_leave(k, f);
    if (rc != 0)
        return rc;
    if (g == 1) {
        r.type = st.type == MK__FT_DIR ? MK_FT_DIR : MK_FT_REG;
        r.ino = ino;
        memcpy(ent, &r, sizeof r);
    }
    *got = g;
    return 0;
}
