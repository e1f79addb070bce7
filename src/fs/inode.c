/*
 * inode.c - inodes: reading and writing them in the inode table, mapping
 * file blocks to device blocks through direct, single, double and triple
 * indirect pointers (the Unix V7 / xv6 bmap scheme, one level deeper than
 * xv6), byte I/O with holes, and truncation.
 *
 * Sits on balloc.c and the buffer cache. There is no in-memory inode
 * cache: an operation decodes the inode from its (cached) table block into
 * a struct mk__dinode, works on that copy and encodes it back. The caller
 * serialises calls on one mk__fs (fs.h). Invariant kept by every path here:
 * the bytes of an allocated block past the end of the file are zero, so
 * growing a file (by truncate or by a write past the end) exposes zeros.
 */
#include "fs_impl.h"

#include <string.h>

int mk__iread(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di)
{
    if (ino == 0 || ino >= fs->sb.ninodes)
        return MK_ECORRUPT;
    mk__buf_t *b;
    int rc = mk__buf_get(fs->k, fs->dev, fs->sb.itable_start + ino / fs->ipb, 0, &b);
    if (rc != 0)
        return rc;
    mk__dinode_decode(b->data + (ino % fs->ipb) * MK__FS_INODE_SIZE, di);
    mk__buf_put(fs->k, b);
    if (di->type > MK__FS_T_DIR || di->size > fs->max_file)
        return MK_ECORRUPT;
    return 0;
}

int mk__iwrite(struct mk__fs *fs, uint32_t ino, const struct mk__dinode *di)
{
    if (ino == 0 || ino >= fs->sb.ninodes)
        return MK_ECORRUPT;
    mk__buf_t *b;
    int rc = mk__buf_get(fs->k, fs->dev, fs->sb.itable_start + ino / fs->ipb, 0, &b);
    if (rc != 0)
        return rc;
    mk__dinode_encode(di, b->data + (ino % fs->ipb) * MK__FS_INODE_SIZE);
    mk__buf_dirty(fs->k, b);
    mk__buf_put(fs->k, b);
    return 0;
}

static bool mk__bno_ok(const struct mk__fs *fs, uint32_t bno)
{
    return bno >= fs->sb.data_start && bno < fs->sb.nblocks;
}

int mk__bmap(struct mk__fs *fs, struct mk__dinode *di, uint64_t fbn, bool alloc,
             uint32_t *bno, bool *fresh)
{
    uint64_t P = fs->ptrs;
    unsigned level;
    uint32_t *root;
    *fresh = false;
    if (fbn < MK__FS_NDIRECT) {
        level = 0;
        root = &di->addrs[fbn];
    } else {
        fbn -= MK__FS_NDIRECT;
        uint64_t span = P;
        level = 1;
        while (fbn >= span) {
            fbn -= span;
            if (++level > 3)
                return MK_ERANGE;
            span *= P;
        }
        root = &di->addrs[MK__FS_NDIRECT + level - 1];
    }

    /* The pointer at the root (in the inode). */
    if (*root == 0) {
        if (!alloc) {
            *bno = 0;
            return 0;
        }
        uint32_t nb;
        int rc = level == 0 ? mk__balloc(fs, &nb) : mk__balloc_zero(fs, &nb);
        if (rc != 0)
            return rc;
        *root = nb;
        di->blocks++;
        if (level == 0)
            *fresh = true;
    } else if (!mk__bno_ok(fs, *root)) {
        return MK_ECORRUPT;
    }
    uint32_t cur = *root;

    /* Walk down the indirect blocks: at each level pick the slot that
     * covers fbn (most significant base-P digit first). */
    for (unsigned l = level; l > 0; l--) {
        uint64_t below = 1;
        for (unsigned i = 1; i < l; i++)
            below *= P;
        uint32_t slot = (uint32_t)((fbn / below) % P);
        mk__buf_t *b;
        int rc = mk__buf_get(fs->k, fs->dev, cur, 0, &b);
        if (rc != 0)
            return rc;
        uint32_t next = mk__le32(b->data + 4 * slot);
        if (next == 0) {
            if (!alloc) {
                mk__buf_put(fs->k, b);
                *bno = 0;
                return 0;
            }
            rc = l == 1 ? mk__balloc(fs, &next) : mk__balloc_zero(fs, &next);
            if (rc != 0) {
                mk__buf_put(fs->k, b);
                return rc;
            }
            mk__put32(b->data + 4 * slot, next);
            mk__buf_dirty(fs->k, b);
            di->blocks++;
            if (l == 1)
                *fresh = true;
        } else if (!mk__bno_ok(fs, next)) {
            mk__buf_put(fs->k, b);
            return MK_ECORRUPT;
        }
        mk__buf_put(fs->k, b);
        cur = next;
    }
    *bno = cur;
    return 0;
}

static int mk__free_from(struct mk__fs *fs, struct mk__dinode *di, uint64_t first);

int mk__iread_bytes(struct mk__fs *fs, const struct mk__dinode *di, uint64_t off,
                    void *buf, size_t len, size_t *n)
{
    if (off >= di->size || len == 0) {
        *n = 0;
        return 0;
    }
    if (len > di->size - off)
        len = (size_t)(di->size - off);
    struct mk__dinode tmp = *di; /* bmap without alloc does not modify it */
    uint8_t *dst = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t boff = (uint32_t)(pos % fs->bsize);
        size_t chunk = fs->bsize - boff;
        if (chunk > len - done)
            chunk = len - done;
        uint32_t bno;
        bool fresh;
        int rc = mk__bmap(fs, &tmp, pos / fs->bsize, false, &bno, &fresh);
        if (rc != 0)
            return rc;
        if (bno == 0) {
            memset(dst + done, 0, chunk); /* a hole */
        } else {
            mk__buf_t *b;
            rc = mk__buf_get(fs->k, fs->dev, bno, 0, &b);
            if (rc != 0)
                return rc;
            memcpy(dst + done, b->data + boff, chunk);
            mk__buf_put(fs->k, b);
        }
        done += chunk;
    }
    *n = done;
    return 0;
}

int mk__iwrite_bytes(struct mk__fs *fs, struct mk__dinode *di, uint64_t off,
                     const void *buf, size_t len, size_t *n)
{
    if (len == 0) {
        *n = 0;
        return 0;
    }
    if (off > fs->max_file || len > fs->max_file - off)
        return MK_ERANGE;
    const uint8_t *src = buf;
    size_t done = 0;
    int rc = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t boff = (uint32_t)(pos % fs->bsize);
        size_t chunk = fs->bsize - boff;
        if (chunk > len - done)
            chunk = len - done;
        uint32_t bno;
        bool fresh;
        rc = mk__bmap(fs, di, pos / fs->bsize, true, &bno, &fresh);
        if (rc != 0)
            break;
        mk__buf_t *b;
        bool whole = chunk == fs->bsize;
        rc = mk__buf_get(fs->k, fs->dev, bno, (fresh || whole) ? MK__BUF_NOREAD : 0, &b);
        if (rc != 0)
            break;
        if (fresh && !whole)
            memset(b->data, 0, b->size);
        memcpy(b->data + boff, src + done, chunk);
        mk__buf_dirty(fs->k, b);
        mk__buf_put(fs->k, b);
        done += chunk;
    }
    if (done > 0) {
        if (off + done > di->size)
            di->size = off + done;
        di->mtime = di->ctime = mk__fs_now(fs);
    }
    *n = done;
    /* A write that stopped early may have attached an indirect block with
     * no data under it past the end of the file: give it back (on a full
     * device it is precious), so no block ever lies past the end. */
    if (rc != 0)
        mk__free_from(fs, di, (di->size + fs->bsize - 1) / fs->bsize);
    /* A full device after some progress is a short write, not an error. */
    if (rc == MK_ENOSPC && done > 0)
        rc = 0;
    return rc;
}

/* Free the subtree under *ptr (covering `span` file blocks from `base`, at
 * `level` indirections: 0 = a data block) for every file block >= first.
 * Clears *ptr when the whole subtree went. */
static int mk__trunc_tree(struct mk__fs *fs, struct mk__dinode *di, uint32_t *ptr,
                          unsigned level, uint64_t base, uint64_t span, uint64_t first)
{
    if (*ptr == 0 || base + span <= first)
        return 0;
    if (!mk__bno_ok(fs, *ptr))
        return MK_ECORRUPT;
    if (level > 0) {
        uint64_t child = span / fs->ptrs;
        mk__buf_t *b;
        int rc = mk__buf_get(fs->k, fs->dev, *ptr, 0, &b);
        if (rc != 0)
            return rc;
        for (uint32_t i = 0; i < fs->ptrs; i++) {
            uint64_t cbase = base + (uint64_t)i * child;
            if (cbase + child <= first)
                continue;
            uint32_t e = mk__le32(b->data + 4 * i);
            if (e == 0)
                continue;
            rc = mk__trunc_tree(fs, di, &e, level - 1, cbase, child, first);
            if (rc != 0) {
                mk__buf_put(fs->k, b);
                return rc;
            }
            mk__put32(b->data + 4 * i, e);
            mk__buf_dirty(fs->k, b);
        }
        mk__buf_put(fs->k, b);
    }
    if (base >= first) {
        int rc = mk__bfree(fs, *ptr);
        if (rc != 0)
            return rc;
        *ptr = 0;
        di->blocks--;
    }
    return 0;
}

/* Free every block of di at file block `first` or beyond. */
static int mk__free_from(struct mk__fs *fs, struct mk__dinode *di, uint64_t first)
{
    uint64_t P = fs->ptrs;
    int rc;
    for (uint64_t i = 0; i < MK__FS_NDIRECT; i++) {
        rc = mk__trunc_tree(fs, di, &di->addrs[i], 0, i, 1, first);
        if (rc != 0)
            return rc;
    }
    uint64_t base = MK__FS_NDIRECT, span = P;
    for (unsigned l = 1; l <= 3; l++) {
        rc = mk__trunc_tree(fs, di, &di->addrs[MK__FS_NDIRECT + l - 1], l, base, span, first);
        if (rc != 0)
            return rc;
        base += span;
        span *= P;
    }
    return 0;
}

int mk__itrunc(struct mk__fs *fs, struct mk__dinode *di, uint64_t size)
{
    if (size > fs->max_file)
        return MK_ERANGE;
    /* Also when growing: a write that failed part-way may have left an
     * indirect block past the end; it goes now. */
    int rc = mk__free_from(fs, di, (size + fs->bsize - 1) / fs->bsize);
    if (rc != 0)
        return rc;
    if (size < di->size && size % fs->bsize != 0) {
        /* Keep the invariant: zeros past the end of the last block. */
        uint32_t bno;
        bool fresh;
        rc = mk__bmap(fs, di, size / fs->bsize, false, &bno, &fresh);
        if (rc != 0)
            return rc;
        if (bno != 0) {
            mk__buf_t *b;
            rc = mk__buf_get(fs->k, fs->dev, bno, 0, &b);
            if (rc != 0)
                return rc;
            uint32_t boff = (uint32_t)(size % fs->bsize);
            memset(b->data + boff, 0, fs->bsize - boff);
            mk__buf_dirty(fs->k, b);
            mk__buf_put(fs->k, b);
        }
    }
    di->size = size;
    di->mtime = di->ctime = mk__fs_now(fs);
    return 0;
}

int mk__idrop(struct mk__fs *fs, uint32_t ino)
{
    struct mk__dinode di;
    int rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    if (di.nlink > 1) {
        di.nlink--;
        di.ctime = mk__fs_now(fs);
        return mk__iwrite(fs, ino, &di);
    }
    rc = mk__itrunc(fs, &di, 0);
    if (rc != 0) {
        mk__iwrite(fs, ino, &di); /* keep what was freed consistent */
        return rc;
    }
    memset(&di, 0, sizeof di);
    rc = mk__iwrite(fs, ino, &di);
    if (rc != 0)
        return rc;
    return mk__ifree(fs, ino);
}

/* ---- operations on regular files (fs.h) ----------------------------- */

int mk__fs_stat(struct mk__fs *fs, uint32_t ino, struct mk__fs_stat *out)
{
    struct mk__dinode di;
    int rc = mk__iread(fs, ino, &di);
    if (rc != 0)
        return rc;
    if (di.type == MK__FS_T_FREE)
        return MK_ECORRUPT; /* a directory entry named a free inode */
    out->type = di.type == MK__FS_T_DIR ? MK__FT_DIR : MK__FT_REG;
    out->ino = ino;
    out->size = di.size;
    out->blocks = di.blocks;
    out->nlink = di.nlink;
    out->ctime = di.ctime;
    out->mtime = di.mtime;
    return 0;
}

static int mk__iget_reg(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di)
{
    int rc = mk__iread(fs, ino, di);
    if (rc != 0)
        return rc;
    if (di->type == MK__FS_T_DIR)
        return MK_EISDIR;
    if (di->type != MK__FS_T_REG)
        return MK_ECORRUPT;
    return 0;
}

int mk__fs_read(struct mk__fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len,
                size_t *n)
{
    struct mk__dinode di;
    int rc = mk__iget_reg(fs, ino, &di);
    if (rc != 0)
        return rc;
    return mk__iread_bytes(fs, &di, off, buf, len, n);
}

int mk__fs_write(struct mk__fs *fs, uint32_t ino, uint64_t off, const void *buf,
                 size_t len, size_t *n)
{
    struct mk__dinode di;
    int rc = mk__iget_reg(fs, ino, &di);
    if (rc != 0)
        return rc;
    size_t done = 0;
    rc = mk__iwrite_bytes(fs, &di, off, buf, len, &done);
    /* Write the inode back even after an error: blocks may have been
     * attached to it before the error. */
    int wrc = mk__iwrite(fs, ino, &di);
    if (rc == 0)
        rc = wrc;
    if (rc == 0)
        *n = done;
    return rc;
}

int mk__fs_truncate(struct mk__fs *fs, uint32_t ino, uint64_t len)
{
    struct mk__dinode di;
    int rc = mk__iget_reg(fs, ino, &di);
    if (rc != 0)
        return rc;
    rc = mk__itrunc(fs, &di, len);
    int wrc = mk__iwrite(fs, ino, &di);
    return rc != 0 ? rc : wrc;
}

uint64_t mk__fs_max_file(const struct mk__fs *fs)
{
    return fs->max_file;
}
