/*
 * names.c - operations on names: stat, truncate, unlink, mkdir, rmdir,
 * rename. Each normalises its path(s), finds the mount by longest prefix
 * and calls into that mount's file system under the mount's lock (with
 * vfs->mtab held for reading, see vfs_impl.h).
 *
 * Sits on the fs interface (src/fs/fs.h) and path.c. The vfs adds what the
 * fs cannot know: mount roots (a mount point cannot be removed or renamed:
 * MK_EBUSY) and open files: an open directory cannot be removed or
 * replaced (MK_EBUSY); an open regular file can, as in Unix: its last name
 * goes, but the inode stays allocated (nlink 0, an orphan, noted in the
 * mount's orphans map) until file.c releases its last open file.
 */
#include "vfs_impl.h"

#include <string.h>

/* Resolve path to its mount and lock it; on success the caller unlocks
 * p->m->lock and then mtab. */
static int mk__enter(mk_t *k, const char *path, struct mk__path *p)
{
    pthread_rwlock_rdlock(&k->vfs->mtab);
    int rc = mk__path_resolve_mount(k->vfs, path, p);
    if (rc != 0) {
        pthread_rwlock_unlock(&k->vfs->mtab);
        return rc;
    }
    pthread_mutex_lock(&p->m->lock);
    return 0;
}

static void mk__leave(mk_t *k, struct mk__path *p)
{
    pthread_mutex_unlock(&p->m->lock);
    pthread_rwlock_unlock(&k->vfs->mtab);
}

/* Taking a name away from regular file ino, which may be open: if that is
 * its last name and it is open, it becomes an orphan (m->orphans). The
 * entry is reserved BEFORE the change (orphan_begin), so that running out
 * of memory cannot leave an orphan nobody frees, and dropped after it
 * (orphan_end) unless the file did become one. m->lock held. *open says
 * whether to pass an orphan flag to the fs call. */
static int mk__orphan_begin(struct mk__mount *m, uint32_t ino, bool *open)
{
    *open = mk__opens(m, ino) > 0;
    return *open ? mk__hmap_put(&m->orphans, ino, (void *)1) : 0;
}

static void mk__orphan_end(struct mk__mount *m, uint32_t ino, bool open, bool orphan)
{
    if (open && !orphan)
        mk__hmap_del(&m->orphans, ino); /* still linked, or the call failed */
}

int mk_vfs_stat(mk_t *k, const char *path, mk_stat_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < sizeof(mk_stat_t))
        return MK_EINVAL;
    struct mk__path p;
    int rc = mk__enter(k, path, &p);
    if (rc != 0)
        return rc;
    uint32_t ino;
    struct mk__fs_stat st;
    rc = mk__path_walk(&p, &ino);
    if (rc == 0)
        rc = mk__fs_stat(p.m->fs, ino, &st);
    mk__leave(k, &p);
    if (rc == 0)
        mk__stat_fill(out, &st);
    return rc;
}

int mk_vfs_truncate(mk_t *k, const char *path, uint64_t length)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__path p;
    int rc = mk__enter(k, path, &p);
    if (rc != 0)
        return rc;
    uint32_t ino;
    rc = mk__path_walk(&p, &ino);
    if (rc == 0)
        rc = mk__fs_truncate(p.m->fs, ino, length);
    mk__leave(k, &p);
    return rc;
}

int mk_vfs_unlink(mk_t *k, const char *path)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__path p;
    int rc = mk__enter(k, path, &p);
    if (rc != 0)
        return rc;
    uint32_t dir, ino;
    const char *name;
    size_t len;
    rc = mk__path_walk_parent(&p, &dir, &name, &len);
    if (rc == MK_EBUSY)
        rc = MK_EISDIR; /* a mount root is a directory */
    if (rc == 0)
        rc = mk__fs_lookup(p.m->fs, dir, name, len, &ino);
    if (rc == 0 && p.dir_only) {
        struct mk__fs_stat st;
        rc = mk__fs_stat(p.m->fs, ino, &st);
        if (rc == 0)
            rc = st.type == MK__FT_DIR ? MK_EISDIR : MK_ENOTDIR;
    }
    bool open = false, orphan = false;
    if (rc == 0)
        rc = mk__orphan_begin(p.m, ino, &open);
    if (rc == 0) {
        rc = mk__fs_unlink(p.m->fs, dir, name, len, open ? &orphan : NULL);
        mk__orphan_end(p.m, ino, open, orphan);
    }
    mk__leave(k, &p);
    return rc;
}

int mk_vfs_mkdir(mk_t *k, const char *path)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__path p;
    int rc = mk__enter(k, path, &p);
    if (rc != 0)
        return rc;
    uint32_t dir, ino;
    const char *name;
    size_t len;
    rc = mk__path_walk_parent(&p, &dir, &name, &len);
    if (rc == MK_EBUSY)
        rc = MK_EEXIST; /* a mount point always exists */
    if (rc == 0)
        rc = mk__fs_create(p.m->fs, dir, name, len, MK__FT_DIR, &ino);
    mk__leave(k, &p);
    return rc;
}

int mk_vfs_rmdir(mk_t *k, const char *path)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__path p;
    int rc = mk__enter(k, path, &p);
    if (rc != 0)
        return rc;
    uint32_t dir, ino;
    const char *name;
    size_t len;
    rc = mk__path_walk_parent(&p, &dir, &name, &len); /* MK_EBUSY at a mount root */
    if (rc == 0)
        rc = mk__fs_lookup(p.m->fs, dir, name, len, &ino);
    if (rc == 0 && mk__opens(p.m, ino) > 0)
        rc = MK_EBUSY;
    if (rc == 0)
        rc = mk__fs_rmdir(p.m->fs, dir, name, len);
    mk__leave(k, &p);
    return rc;
}

int mk_vfs_rename(mk_t *k, const char *from, const char *to)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__path pf, pt;
    struct mk__vfs *v = k->vfs;
    pthread_rwlock_rdlock(&v->mtab);
    int rc = mk__path_resolve_mount(v, from, &pf);
    if (rc == 0)
        rc = mk__path_resolve_mount(v, to, &pt);
    if (rc != 0) {
        pthread_rwlock_unlock(&v->mtab);
        return rc;
    }
    if (pf.m != pt.m) {
        pthread_rwlock_unlock(&v->mtab);
        return MK_EXDEV;
    }
    struct mk__mount *m = pf.m;
    pthread_mutex_lock(&m->lock);
    uint32_t fdir, tdir, sino, tino;
    const char *fname, *tname;
    size_t flen, tlen;
    rc = mk__path_walk_parent(&pf, &fdir, &fname, &flen);
    if (rc == 0)
        rc = mk__path_walk_parent(&pt, &tdir, &tname, &tlen);
    if (rc == 0)
        rc = mk__fs_lookup(m->fs, fdir, fname, flen, &sino);
    if (rc == 0 && (pf.dir_only || pt.dir_only)) {
        struct mk__fs_stat st;
        rc = mk__fs_stat(m->fs, sino, &st);
        if (rc == 0 && st.type != MK__FT_DIR)
            rc = MK_ENOTDIR;
    }
    if (rc == 0) {
        int r = mk__fs_lookup(m->fs, tdir, tname, tlen, &tino);
        if (r == 0 && tino != sino && mk__opens(m, tino) > 0) {
            /* an open regular file may be replaced (it becomes an orphan),
             * an open directory may not */
            struct mk__fs_stat st;
            rc = mk__fs_stat(m->fs, tino, &st);
            if (rc == 0 && st.type == MK__FT_DIR)
                rc = MK_EBUSY;
            bool open = false, orphan = false;
            if (rc == 0)
                rc = mk__orphan_begin(m, tino, &open);
            if (rc == 0) {
                rc = mk__fs_rename(m->fs, fdir, fname, flen, tdir, tname, tlen, &orphan);
                mk__orphan_end(m, tino, open, orphan);
            }
        } else if (r != 0 && r != MK_ENOENT) {
            rc = r;
        } else {
            rc = mk__fs_rename(m->fs, fdir, fname, flen, tdir, tname, tlen, NULL);
        }
    }
    pthread_mutex_unlock(&m->lock);
    pthread_rwlock_unlock(&v->mtab);
    return rc;
}
