/*
 * mount.c - the vfs module's life cycle and its mount table: mount,
 * unmount, sync, statfs, and the public mk_fs_mkfs() and mk_fs_fsck()
 * (here rather than in src/fs because refusing to format or check a
 * mounted device needs the mount table, and fs must not call up into vfs).
 *
 * Sits on the fs interface (src/fs/fs.h) and the block layer's device
 * reference counts (src/blk/blk.h: a mounted device cannot be removed).
 * Locking: see vfs_impl.h. Mount, unmount and mkfs hold vfs->mtab for
 * writing, so they wait for every operation in progress to finish and none
 * can start meanwhile; the mount list is kept sorted longest point first so
 * that path resolution takes the first match as the longest prefix.
 */
#include "vfs_impl.h"

#include "../blk/blk.h"

#include <stdlib.h>
#include <string.h>

int mk__vfs_init(mk_t *k)
{
    struct mk__vfs *v = calloc(1, sizeof *v);
    if (v == NULL)
        return MK_ENOMEM;
    if (pthread_rwlock_init(&v->mtab, NULL) != 0) {
        free(v);
        return MK_ENOMEM;
    }
    if (pthread_mutex_init(&v->fdlock, NULL) != 0) {
        pthread_rwlock_destroy(&v->mtab);
        free(v);
        return MK_ENOMEM;
    }
    mk__htab_init(&v->fds, MK__H_FD);
    mk__hmap_init(&v->procs);
    int rc = mk__hook_register(k, NULL, mk__vfs_on_exit);
    if (rc != 0) {
        mk__hmap_fini(&v->procs);
        mk__htab_fini(&v->fds);
        pthread_mutex_destroy(&v->fdlock);
        pthread_rwlock_destroy(&v->mtab);
        free(v);
        return rc;
    }
    k->vfs = v;
    return 0;
}

static void mk__mount_free(struct mk__mount *m)
{
    mk__hmap_fini(&m->opens);
    mk__hmap_fini(&m->orphans);
    pthread_mutex_destroy(&m->lock);
    free(m->point);
    free(m);
}

int mk__vfs_fini(mk_t *k)
{
    struct mk__vfs *v = k->vfs;
    if (v == NULL)
        return 0;
    int rc = 0;
    pthread_rwlock_wrlock(&v->mtab);
    mk__files_close_all(k);
    /* Longest point first: nested mounts go before their parents. */
    while (v->mounts != NULL) {
        struct mk__mount *m = v->mounts;
        v->mounts = m->next;
        int r = mk__fs_unmount(m->fs);
        if (r != 0) {
            /* Write-back failed: the blocks stay dirty in the cache (the
             * blk layer retries at its own teardown); report it. */
            mk__fs_free(m->fs);
            if (rc == 0)
                rc = MK_EIO;
        }
        mk__blk_unref(k, m->dev);
        mk__mount_free(m);
    }
    pthread_rwlock_unlock(&v->mtab);
    mk__hmap_fini(&v->procs);
    mk__htab_fini(&v->fds);
    pthread_mutex_destroy(&v->fdlock);
    pthread_rwlock_destroy(&v->mtab);
    free(v);
    k->vfs = NULL;
    return rc;
}

struct mk__mount *mk__mount_find_point(struct mk__vfs *v, const char *point)
{
    for (struct mk__mount *m = v->mounts; m != NULL; m = m->next)
        if (strcmp(m->point, point) == 0)
            return m;
    return NULL;
}

static struct mk__mount *mk__mount_find_dev(struct mk__vfs *v, uint64_t dev)
{
    for (struct mk__mount *m = v->mounts; m != NULL; m = m->next)
        if (m->dev == dev)
            return m;
    return NULL;
}

int mk_fs_mkfs(mk_t *k, mk_dev_t dev, const mk_mkfs_opts_t *opts)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    uint32_t inodes = 0;
    if (opts != NULL) {
        if (opts->size < sizeof(mk_mkfs_opts_t))
            return MK_EINVAL;
        inodes = opts->inodes;
    }
    struct mk__vfs *v = k->vfs;
    pthread_rwlock_wrlock(&v->mtab);
    int rc = mk__mount_find_dev(v, dev) != NULL ? MK_EBUSY : mk__blk_ref(k, dev);
    if (rc == 0) {
        rc = mk__fs_mkfs(k, dev, inodes);
        mk__blk_unref(k, dev);
    }
    pthread_rwlock_unlock(&v->mtab);
    return rc;
}

int mk_fs_fsck(mk_t *k, mk_dev_t dev, uint32_t flags, mk_fsck_report_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < sizeof(mk_fsck_report_t) || (flags & ~MK_FSCK_REPAIR))
        return MK_EINVAL;
    struct mk__vfs *v = k->vfs;
    pthread_rwlock_wrlock(&v->mtab);
    int rc = mk__mount_find_dev(v, dev) != NULL ? MK_EBUSY : mk__blk_ref(k, dev);
    mk_fsck_report_t r;
    r.size = (uint32_t)sizeof r;
    if (rc == 0) {
        rc = mk__fs_fsck(k, dev, flags, &r);
        mk__blk_unref(k, dev);
    }
    pthread_rwlock_unlock(&v->mtab);
    if (rc == 0)
        memcpy(out, &r, sizeof r);
    return rc;
}

int mk_vfs_mount(mk_t *k, mk_dev_t dev, const char *mountpoint, uint32_t flags)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__path_check_point(mountpoint);
    if (rc != 0)
        return rc;
    if ((flags & ~MK_MOUNT_FORMAT) != 0)
        return MK_EINVAL;
    struct mk__vfs *v = k->vfs;
    struct mk__mount *m = calloc(1, sizeof *m);
    if (m == NULL)
        return MK_ENOMEM;
    m->point = strdup(mountpoint);
    if (m->point == NULL || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m->point);
        free(m);
        return MK_ENOMEM;
    }
    m->plen = strlen(mountpoint);
    m->dev = dev;
    mk__hmap_init(&m->opens);
    mk__hmap_init(&m->orphans);

    pthread_rwlock_wrlock(&v->mtab);
    if (mk__mount_find_point(v, mountpoint) != NULL || mk__mount_find_dev(v, dev) != NULL) {
        rc = MK_EBUSY;
        goto out;
    }
    if ((rc = mk__blk_ref(k, dev)) != 0)
        goto out;
    if (flags & MK_MOUNT_FORMAT) {
        uint32_t kind;
        rc = mk__fs_probe(k, dev, &kind);
        if (rc == 0 && kind == MK_FS_PROBE_BLANK)
            rc = mk__fs_mkfs(k, dev, 0);
    }
    if (rc == 0)
        rc = mk__fs_mount(k, dev, &m->fs);
    if (rc != 0) {
        mk__blk_unref(k, dev);
        goto out;
    }
    struct mk__mount **pp = &v->mounts;
    while (*pp != NULL && (*pp)->plen >= m->plen)
        pp = &(*pp)->next;
    m->next = *pp;
    *pp = m;
    m = NULL;
out:
    pthread_rwlock_unlock(&v->mtab);
    if (m != NULL)
        mk__mount_free(m);
    return rc;
}

int mk_vfs_unmount(mk_t *k, const char *mountpoint)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    int rc = mk__path_check_point(mountpoint);
    if (rc != 0)
        return rc;
    struct mk__vfs *v = k->vfs;
    pthread_rwlock_wrlock(&v->mtab);
    struct mk__mount *m = mk__mount_find_point(v, mountpoint), **pp;
    if (m == NULL) {
        rc = MK_ENOENT;
        goto out;
    }
    /* nopen changes under m->lock only (descriptor calls do not take
     * mtab); no file can be opened meanwhile (open needs mtab). */
    pthread_mutex_lock(&m->lock);
    uint32_t nopen = m->nopen;
    pthread_mutex_unlock(&m->lock);
    if (nopen > 0) {
        rc = MK_EBUSY;
        goto out;
    }
    for (struct mk__mount *o = v->mounts; o != NULL; o = o->next) {
        if (o != m && o->plen > m->plen &&
            (m->plen == 1 || (strncmp(o->point, m->point, m->plen) == 0 &&
                              o->point[m->plen] == '/'))) {
            rc = MK_EBUSY; /* a mount nested inside */
            goto out;
        }
    }
    if ((rc = mk__fs_unmount(m->fs)) != 0)
        goto out;
    for (pp = &v->mounts; *pp != m; pp = &(*pp)->next)
        ;
    *pp = m->next;
    mk__blk_unref(k, m->dev);
    mk__mount_free(m);
out:
    pthread_rwlock_unlock(&v->mtab);
    return rc;
}

int mk_vfs_sync(mk_t *k)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    struct mk__vfs *v = k->vfs;
    int rc = 0;
    pthread_rwlock_rdlock(&v->mtab);
    for (struct mk__mount *m = v->mounts; m != NULL; m = m->next) {
        pthread_mutex_lock(&m->lock);
        int r = mk__fs_sync(m->fs);
        pthread_mutex_unlock(&m->lock);
        if (r != 0 && rc == 0)
            rc = r;
    }
    pthread_rwlock_unlock(&v->mtab);
    return rc;
}

int mk_vfs_statfs(mk_t *k, const char *path, mk_statfs_t *out)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (out == NULL || out->size < sizeof(mk_statfs_t))
        return MK_EINVAL;
    struct mk__vfs *v = k->vfs;
    struct mk__path p;
    pthread_rwlock_rdlock(&v->mtab);
    int rc = mk__path_resolve_mount(v, path, &p);
    if (rc == 0) {
        uint32_t ino;
        struct mk__fs_statfs sf;
        pthread_mutex_lock(&p.m->lock);
        rc = mk__path_walk(&p, &ino);
        if (rc == 0)
            mk__fs_statfs(p.m->fs, &sf);
        pthread_mutex_unlock(&p.m->lock);
        if (rc == 0) {
            mk_statfs_t r;
            memset(&r, 0, sizeof r);
            r.size = out->size;
            r.block_size = sf.block_size;
            r.blocks = sf.blocks;
            r.free_blocks = sf.free_blocks;
            r.inodes = sf.inodes;
            r.free_inodes = sf.free_inodes;
            memcpy(out, &r, sizeof r);
        }
    }
    pthread_rwlock_unlock(&v->mtab);
    return rc;
}
