/*
 * dir.c - directories and names: fixed-size entries (fs_format.h) stored in
 * a directory inode's data blocks, searched linearly as in xv6's dirlookup
 * while the directory fits in one block and through its on-disk name index
 * once it grows past that (dxtree.c: a hash-keyed B+tree stored in the
 * directory's own blocks), and the name operations built on them: create,
 * unlink, rmdir, rename, readdir. Entries never move once written, so
 * readdir positions (entry indexes) and the slots found by a lookup stay
 * valid for the whole operation.
 *
 * Sits on inode.c and the buffer cache. The caller serialises calls on one
 * mk__fs (fs.h). Each operation re-reads the inodes it changes, so two
 * names of one directory (".", "..") never go stale in a local copy.
 * Each name operation is one journal transaction (journal.c), so a crash
 * leaves all of it or none; operations are still ordered so that a failure
 * part-way (device full, I/O error) leaves no entry naming a free inode.
 */
#include "fs_impl.h"

#include <string.h>

#define DE MK__FS_DIRENT_SIZE

void mk__dirent_encode(uint8_t *p, uint32_t ino, const char *name, size_t len)
{
    memset(p, 0, DE);
    mk__put32(p, ino);
    p[4] = (uint8_t)len;
    memcpy(p + 5, name, len);
}

/* Check a raw entry; 0 and the decoded fields, or MK_ECORRUPT. */
static int mk__dirent_decode(const struct mk__fs *fs, const uint8_t *p, uint32_t *ino,
                             uint32_t *nlen)
{
    *ino = mk__le32(p);
    *nlen = p[4];
    if (*ino == 0)
        return 0;
    if (*ino >= fs->sb.ninodes || *nlen == 0 || *nlen > MK_NAME_MAX)
        return MK_ECORRUPT;
    return 0;
}

/* Visit entries of a directory from entry index `from`; cb returns 1 to
 * stop (with *at = the entry index), 0 to go on, <0 for an error. */
typedef int (*mk__dir_visit_fn)(void *ctx, const uint8_t *ent, uint32_t ino, uint32_t nlen);

static int mk__dir_scan(struct mk__fs *fs, const struct mk__dinode *dir, uint64_t from,
                        mk__dir_visit_fn cb, void *ctx, uint64_t *at)
{
    if (dir->size % DE != 0)
        return MK_ECORRUPT;
    uint64_t nent = dir->size / DE, per = fs->bsize / DE;
    struct mk__dinode tmp = *dir;
    uint64_t i = from;
    while (i < nent) {
        uint32_t bno;
        bool fresh;
        int rc = mk__bmap(fs, &tmp, i / per, false, &bno, &fresh);
        if (rc != 0)
            return rc;
        uint64_t end = (i / per + 1) * per;
        if (end > nent)
            end = nent;
        if (bno == 0) { /* a hole holds only free slots */
            i = end;
            continue;
        }
        struct mk__fbuf *b;
        rc = mk__fb_get(fs, bno, 0, &b);
        if (rc != 0)
            return rc;
        for (; i < end; i++) {
            const uint8_t *p = b->data + (i % per) * DE;
            uint32_t ino, nlen;
            rc = mk__dirent_decode(fs, p, &ino, &nlen);
            if (rc == 0)
                rc = cb(ctx, p, ino, nlen);
            if (rc != 0) {
                mk__fb_put(fs, b);
                if (rc > 0) {
                    *at = i;
                    return 1;
                }
                return rc;
            }
        }
        mk__fb_put(fs, b);
    }
    return 0;
}

struct mk__find {
    const char *name;
    size_t len;
    uint32_t ino;
};

static int mk__find_name(void *ctx, const uint8_t *ent, uint32_t ino, uint32_t nlen)
{
    struct mk__find *f = ctx;
    if (ino != 0 && nlen == f->len && memcmp(ent + 5, f->name, nlen) == 0) {
        f->ino = ino;
        return 1;
    }
    return 0;
}

static int mk__find_free(void *ctx, const uint8_t *ent, uint32_t ino, uint32_t nlen)
{
    (void)ctx, (void)ent, (void)nlen;
    return ino == 0 ? 1 : 0;
}

static int mk__find_other(void *ctx, const uint8_t *ent, uint32_t ino, uint32_t nlen)
{
    (void)ctx;
    if (ino == 0)
        return 0;
    bool dot = (nlen == 1 && ent[5] == '.') || (nlen == 2 && ent[5] == '.' && ent[6] == '.');
    return dot ? 0 : 1;
}

/* Read directory inode `dino`: MK_ENOTDIR unless it is a directory. */
static int mk__dget(struct mk__fs *fs, uint32_t dino, struct mk__dinode *d)
{
    int rc = mk__iread(fs, dino, d);
    if (rc != 0)
        return rc;
    if (d->type == MK__FS_T_REG)
        return MK_ENOTDIR;
    if (d->type != MK__FS_T_DIR)
        return MK_ECORRUPT;
    return 0;
}

/* Find name in directory dino (inode d): 0 with *ino and *slot (entry
 * index), or MK_ENOENT. Indexed directories go through their index
 * (dxtree.c), small ones (and any whose index is not valid) are scanned. */
static int mk__dlookup(struct mk__fs *fs, uint32_t dino, const struct mk__dinode *d,
                       const char *name, size_t len, uint32_t *ino, uint64_t *slot)
{
    (void)dino;
    uint64_t at = 0;
    struct mk__dinode tmp = *d;
    uint32_t xino;
    /* "." and ".." are not indexed: slots 0 and 1, where a scan starts. */
    bool dot = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
    int rc = dot ? 1 : mk__dx_lookup(fs, &tmp, name, len, &xino, &at);
    if (rc <= 0) {
        if (rc == 0) {
            *ino = xino;
            if (slot != NULL)
                *slot = at;
        }
        return rc;
    }
    struct mk__find f = {name, len, 0};
    rc = mk__dir_scan(fs, d, 0, mk__find_name, &f, &at);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return MK_ENOENT;
    *ino = f.ino;
    if (slot != NULL)
        *slot = at;
    return 0;
}

/* Point the entry at slot of directory dino (same name) at inode ino; the
 * rest of the entry (the index header in "..") is kept. */
static int mk__dsetino(struct mk__fs *fs, uint32_t dino, uint64_t slot, uint32_t ino)
{
    struct mk__dinode d;
    int rc = mk__iread(fs, dino, &d);
    if (rc != 0)
        return rc;
    uint8_t ent[DE];
    size_t n;
    if ((rc = mk__iread_bytes(fs, &d, slot * DE, ent, DE, &n)) != 0)
        return rc;
    if (n != DE || mk__le32(ent) == 0)
        return MK_ECORRUPT;
    mk__put32(ent, ino);
    rc = mk__iwrite_bytes(fs, &d, slot * DE, ent, DE, &n);
    int wrc = mk__iwrite(fs, dino, &d);
    return rc != 0 ? rc : wrc;
}

/* Remove the entry (name) at slot of directory dino. */
static int mk__dremove(struct mk__fs *fs, uint32_t dino, uint64_t slot, const char *name,
                       size_t len)
{
    struct mk__dinode d;
    int rc = mk__iread(fs, dino, &d);
    if (rc != 0)
        return rc;
    rc = mk__dx_remove(fs, &d, slot, name, len);
    int wrc = mk__iwrite(fs, dino, &d);
    return rc != 0 ? rc : wrc;
}

/* Add an entry to directory dino: through its index, or (small or
 * unindexed) in the first free slot or appended; a full one-block
 * directory is indexed first. */
static int mk__dadd(struct mk__fs *fs, uint32_t dino, const char *name, size_t len,
                    uint32_t ino)
{
    struct mk__dinode d;
    int rc = mk__iread(fs, dino, &d);
    if (rc != 0)
        return rc;
    struct mk__dinode tmp = d;
    if (d.size > fs->bsize) { /* indexed (else damaged: scanned below) */
        rc = mk__dx_add(fs, &tmp, name, len, ino, false);
        if (rc <= 0) {
            int wrc = mk__iwrite(fs, dino, &tmp);
            return rc != 0 ? rc : wrc;
        }
    }
    uint64_t slot = 0;
    rc = mk__dir_scan(fs, &d, 2, mk__find_free, NULL, &slot);
    if (rc < 0)
        return rc;
    bool found = rc > 0;
    if (!found && d.size == fs->bsize) { /* the first block is full */
        rc = mk__dx_add(fs, &tmp, name, len, ino, true);
        if (rc <= 0) {
            int wrc = mk__iwrite(fs, dino, &tmp);
            return rc != 0 ? rc : wrc;
        }
    }
    if (!found)
        slot = d.size / DE;
    uint8_t ent[DE];
    mk__dirent_encode(ent, ino, name, len);
    size_t n;
    rc = mk__iwrite_bytes(fs, &d, slot * DE, ent, DE, &n);
    if (rc == 0 && n != DE)
        rc = MK_ENOSPC; /* only an append can fall short; nothing is named */
    int wrc = mk__iwrite(fs, dino, &d);
    return rc != 0 ? rc : wrc;
}

/* Change the link count of inode ino by delta. */
static int mk__ilink(struct mk__fs *fs, uint32_t ino, int delta)
{
    struct mk__dinode di;
    int rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    if (delta < 0 && di.nlink == 0)
        return MK_ECORRUPT;
    di.nlink = (uint32_t)((int64_t)di.nlink + delta);
    di.ctime = mk__fs_now(fs);
    return mk__iwrite(fs, ino, &di);
}

/* Free a directory inode (its blocks too), ignoring link counts. */
static int mk__dfree(struct mk__fs *fs, uint32_t ino)
{
    struct mk__dinode di;
    int rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    di.nlink = 1;
    rc = mk__iwrite(fs, ino, &di);
    if (rc != 0)
        return rc;
    return mk__idrop(fs, ino);
}

static bool mk__is_dot(const char *name, size_t len)
{
    return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

int mk__fs_lookup(struct mk__fs *fs, uint32_t dir, const char *name, size_t len,
                  uint32_t *ino)
{
    struct mk__dinode d;
    int rc = mk__dget(fs, dir, &d);
    if (rc != 0)
        return rc;
    return mk__dlookup(fs, dir, &d, name, len, ino, NULL);
}

int mk__fs_create(struct mk__fs *fs, uint32_t dir, const char *name, size_t len,
                  uint32_t type, uint32_t *out)
{
    int trc = mk__tx_begin(fs, MK__TX_NEED); /* one transaction */
    if (trc != 0)
        return trc;
    if (len == 0 || len > MK_NAME_MAX || mk__is_dot(name, len) ||
        (type != MK__FT_REG && type != MK__FT_DIR))
        return MK_EINVAL;
    struct mk__dinode d;
    int rc = mk__dget(fs, dir, &d);
    if (rc != 0)
        return rc;
    uint32_t ino;
    rc = mk__dlookup(fs, dir, &d, name, len, &ino, NULL);
    if (rc == 0)
        return MK_EEXIST;
    if (rc != MK_ENOENT)
        return rc;

    rc = mk__ialloc(fs, &ino);
    if (rc != 0)
        return rc;
    struct mk__dinode di;
    memset(&di, 0, sizeof di);
    di.type = type == MK__FT_DIR ? MK__FS_T_DIR : MK__FS_T_REG;
    di.nlink = type == MK__FT_DIR ? 2 : 1;
    di.ctime = di.mtime = mk__fs_now(fs);
    if (type == MK__FT_DIR) {
        uint8_t ents[2 * DE];
        mk__dirent_encode(ents, ino, ".", 1);
        mk__dirent_encode(ents + DE, dir, "..", 2);
        size_t n;
        rc = mk__iwrite_bytes(fs, &di, 0, ents, sizeof ents, &n);
        if (rc == 0 && n != sizeof ents)
            rc = MK_ENOSPC;
    }
    int wrc = mk__iwrite(fs, ino, &di);
    if (rc == 0)
        rc = wrc;
    if (rc == 0)
        rc = mk__dadd(fs, dir, name, len, ino);
    if (rc == 0 && type == MK__FT_DIR)
        rc = mk__ilink(fs, dir, +1); /* the new ".." */
    if (rc != 0) {
        /* Roll back: the inode is named by no entry yet (dadd failed) or
         * the parent link count could not be updated (then unname it). */
        uint32_t dummy;
        uint64_t slot;
        struct mk__dinode pd;
        if (mk__iread(fs, dir, &pd) == 0 &&
            mk__dlookup(fs, dir, &pd, name, len, &dummy, &slot) == 0 && dummy == ino)
            mk__dremove(fs, dir, slot, name, len);
        mk__dfree(fs, ino);
        return rc;
    }
    *out = ino;
    return 0;
}

/* Drop one link of regular file ino; see mk__fs_unlink for orphan. */
static int mk__idrop_open(struct mk__fs *fs, uint32_t ino, bool *orphan)
{
    if (orphan == NULL)
        return mk__idrop(fs, ino);
    struct mk__dinode di;
    int rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    if (di.nlink > 1)
        return mk__idrop(fs, ino);
    di.nlink = 0;
    di.ctime = mk__fs_now(fs);
    rc = mk__iwrite(fs, ino, &di);
    if (rc == 0)
        *orphan = true;
    return rc;
}

int mk__fs_orphan_free(struct mk__fs *fs, uint32_t ino)
{
    int trc = mk__tx_begin(fs, MK__TX_NEED); /* one transaction */
    if (trc != 0)
        return trc;
    struct mk__dinode di;
    int rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    if (di.type != MK__FS_T_REG || di.nlink != 0)
        return 0;
    return mk__idrop(fs, ino);
}

int mk__fs_unlink(struct mk__fs *fs, uint32_t dir, const char *name, size_t len,
                  bool *orphan)
{
    int trc = mk__tx_begin(fs, MK__TX_NEED); /* one transaction */
    if (trc != 0)
        return trc;
    struct mk__dinode d, di;
    int rc = mk__dget(fs, dir, &d);
    if (rc != 0)
        return rc;
    if (mk__is_dot(name, len))
        return MK_EISDIR;
    uint32_t ino;
    uint64_t slot;
    rc = mk__dlookup(fs, dir, &d, name, len, &ino, &slot);
    if (rc != 0)
        return rc;
    rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    if (di.type == MK__FS_T_DIR)
        return MK_EISDIR;
    if (di.type != MK__FS_T_REG)
        return MK_ECORRUPT;
    rc = mk__dremove(fs, dir, slot, name, len);
    if (rc != 0)
        return rc;
    return mk__idrop_open(fs, ino, orphan);
}

static int mk__dempty(struct mk__fs *fs, const struct mk__dinode *d)
{
    uint64_t at;
    int rc = mk__dir_scan(fs, d, 0, mk__find_other, NULL, &at);
    if (rc < 0)
        return rc;
    return rc == 0 ? 0 : MK_ENOTEMPTY;
}

int mk__fs_rmdir(struct mk__fs *fs, uint32_t dir, const char *name, size_t len)
{
    int trc = mk__tx_begin(fs, MK__TX_NEED); /* one transaction */
    if (trc != 0)
        return trc;
    struct mk__dinode d, di;
    int rc = mk__dget(fs, dir, &d);
    if (rc != 0)
        return rc;
    if (mk__is_dot(name, len))
        return MK_EINVAL;
    uint32_t ino;
    uint64_t slot;
    rc = mk__dlookup(fs, dir, &d, name, len, &ino, &slot);
    if (rc != 0)
        return rc;
    rc = mk__dget(fs, ino, &di);
    if (rc != 0)
        return rc;
    rc = mk__dempty(fs, &di);
    if (rc != 0)
        return rc;
    rc = mk__dremove(fs, dir, slot, name, len);
    if (rc != 0)
        return rc;
    rc = mk__ilink(fs, dir, -1); /* its ".." is gone */
    if (rc != 0)
        return rc;
    return mk__dfree(fs, ino);
}

/* Is `anc` the directory `dino` or one of its ancestors? Walks "..". */
static int mk__is_ancestor(struct mk__fs *fs, uint32_t anc, uint32_t dino, bool *yes)
{
    uint32_t cur = dino;
    for (uint32_t steps = 0; steps <= fs->sb.ninodes; steps++) {
        if (cur == anc) {
            *yes = true;
            return 0;
        }
        if (cur == fs->sb.root_ino) {
            *yes = false;
            return 0;
        }
        uint32_t up;
        int rc = mk__fs_lookup(fs, cur, "..", 2, &up);
        if (rc != 0)
            return rc == MK_ENOENT || rc == MK_ENOTDIR ? MK_ECORRUPT : rc;
        cur = up;
    }
    return MK_ECORRUPT; /* a cycle of ".." entries */
}

int mk__fs_rename(struct mk__fs *fs, uint32_t fdir, const char *fname, size_t flen,
                  uint32_t tdir, const char *tname, size_t tlen, bool *orphan)
{
    int trc = mk__tx_begin(fs, MK__TX_NEED); /* one transaction */
    if (trc != 0)
        return trc;
    if (mk__is_dot(fname, flen) || mk__is_dot(tname, tlen) || tlen == 0 ||
        tlen > MK_NAME_MAX)
        return MK_EINVAL;
    struct mk__dinode fd, td, si;
    int rc = mk__dget(fs, fdir, &fd);
    if (rc == 0)
        rc = mk__dget(fs, tdir, &td);
    if (rc != 0)
        return rc;
    uint32_t sino, tino = 0;
    uint64_t sslot, tslot = 0;
    rc = mk__dlookup(fs, fdir, &fd, fname, flen, &sino, &sslot);
    if (rc != 0)
        return rc;
    if (fdir == tdir && flen == tlen && memcmp(fname, tname, flen) == 0)
        return 0;
    rc = mk__iread(fs, sino, &si);
    if (rc != 0)
        return rc;
    bool sdir = si.type == MK__FS_T_DIR;
    if (sdir) {
        bool inside;
        rc = mk__is_ancestor(fs, sino, tdir, &inside);
        if (rc != 0)
            return rc;
        if (inside)
            return MK_EINVAL;
    }
    rc = mk__dlookup(fs, tdir, &td, tname, tlen, &tino, &tslot);
    if (rc != 0 && rc != MK_ENOENT)
        return rc;
    bool replace = rc == 0;
    if (replace) {
        if (tino == sino)
            return 0;
        struct mk__dinode ti;
        rc = mk__iread(fs, tino, &ti);
        if (rc != 0)
            return rc;
        if (ti.type == MK__FS_T_DIR) {
            if (!sdir)
                return MK_EISDIR;
            rc = mk__dempty(fs, &ti);
            if (rc != 0)
                return rc;
        } else if (sdir) {
            return MK_ENOTDIR;
        }
        /* Point the target entry at the source, then drop the old target. */
        rc = mk__dsetino(fs, tdir, tslot, sino);
        if (rc != 0)
            return rc;
        if (ti.type == MK__FS_T_DIR) {
            rc = mk__ilink(fs, tdir, -1);
            if (rc == 0)
                rc = mk__dfree(fs, tino);
        } else {
            rc = mk__idrop_open(fs, tino, orphan);
        }
        if (rc != 0)
            return rc;
    } else {
        rc = mk__dadd(fs, tdir, tname, tlen, sino);
        if (rc != 0)
            return rc;
    }
    /* Entries never move, and the slot filled above was free or the
     * target's, so sslot still holds the source entry. The new name is
     * written before the old one is cleared: a failure in between leaves
     * two names (a link count one short), never none. */
    rc = mk__dremove(fs, fdir, sslot, fname, flen);
    if (rc != 0)
        return rc;
    if (sdir && fdir != tdir) {
        struct mk__dinode s2;
        rc = mk__iread(fs, sino, &s2);
        if (rc != 0)
            return rc;
        uint32_t old;
        uint64_t dslot;
        rc = mk__dlookup(fs, sino, &s2, "..", 2, &old, &dslot);
        if (rc != 0)
            return rc == MK_ENOENT ? MK_ECORRUPT : rc;
        rc = mk__dsetino(fs, sino, dslot, tdir);
        if (rc == 0)
            rc = mk__ilink(fs, fdir, -1);
        if (rc == 0)
            rc = mk__ilink(fs, tdir, +1);
        if (rc != 0)
            return rc;
    }
    struct mk__dinode s3;
    if (mk__iread(fs, sino, &s3) == 0) {
        s3.ctime = mk__fs_now(fs);
        mk__iwrite(fs, sino, &s3);
    }
    return 0;
}

struct mk__next {
    char *name;
    uint32_t ino;
};

static int mk__take_next(void *ctx, const uint8_t *ent, uint32_t ino, uint32_t nlen)
{
    struct mk__next *nx = ctx;
    if (ino == 0)
        return 0;
    memcpy(nx->name, ent + 5, nlen);
    nx->name[nlen] = '\0';
    nx->ino = ino;
    return 1;
}

int mk__fs_readdir(struct mk__fs *fs, uint32_t dir, uint64_t *pos, char *name,
                   uint32_t *ino, uint32_t *got)
{
    struct mk__dinode d;
    int rc = mk__dget(fs, dir, &d);
    if (rc != 0)
        return rc;
    struct mk__next nx = {name, 0};
    uint64_t at = 0;
    rc = mk__dir_scan(fs, &d, *pos, mk__take_next, &nx, &at);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        *pos = d.size / DE;
        *got = 0;
        return 0;
    }
    *pos = at + 1;
    *ino = nx.ino;
    *got = 1;
    return 0;
}
