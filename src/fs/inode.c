/*
 * inode.c - inodes: reading and writing them in the inode table, mapping
 * file blocks to device blocks (mk__bmap, over the extent tree of
 * extent.c; format version 3), byte I/O with holes, and truncation.
 *
 * Sits on extent.c, balloc.c, icache.c and the buffer cache. Byte I/O maps
 * a whole extent at a time (mk__ext_map's run), so a contiguous file costs
 * one tree walk per extent, not per block. An operation gets a copy of the
 * inode (from icache.c, or decoded from its table block on a miss), works
 * on that copy and writes it back through the journal (mk__iwrite, which
 * also refreshes the cached copy). The caller
 * serialises calls on one mk__fs (fs.h). Growing a file (by truncate or by
 * a write past the end) zeroes the rest of its last block first
 * (mk__zero_gap), so the bytes it exposes are zeros; new blocks are zeroed
 * where not written.
 */
#include "fs_impl.h"

#include <string.h>

int mk__iread(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di)
{
    if (ino == 0 || ino >= fs->sb.ninodes)
        return MK_ECORRUPT;
    if (mk__icache_get(fs, ino, di))
        return 0; /* checked when it was cached */
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, fs->sb.itable_start + ino / fs->ipb, 0, &b);
    if (rc != 0)
        return rc;
    mk__dinode_decode(b->data + (ino % fs->ipb) * MK__FS_INODE_SIZE, di);
    mk__fb_put(fs, b);
    di->ino = ino;
    if (di->type > MK__FS_T_DIR || di->size > fs->max_file || di->blocks > fs->sb.nblocks ||
        mk__ext_root_check(di->ext) != 0)
        return MK_ECORRUPT;
    /* A directory has no holes: a size past its blocks is garbage, and
     * scanning it would walk up to 2^32 unmapped blocks. */
    if (di->type == MK__FS_T_DIR && (di->size + fs->bsize - 1) / fs->bsize > di->blocks)
        return MK_ECORRUPT;
    mk__icache_put(fs, ino, di);
    return 0;
}

int mk__iwrite(struct mk__fs *fs, uint32_t ino, const struct mk__dinode *di)
{
    if (ino == 0 || ino >= fs->sb.ninodes)
        return MK_ECORRUPT;
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, fs->sb.itable_start + ino / fs->ipb, 0, &b);
    if (rc != 0)
        return rc;
    mk__dinode_encode(di, b->data + (ino % fs->ipb) * MK__FS_INODE_SIZE);
    mk__fb_dirty(fs, b);
    mk__fb_put(fs, b);
    /* Write-through: the cached copy is what the journal now holds. A
     * freed inode (type 0) or one mk__iread would refuse is not kept. */
    if (di->type == MK__FS_T_REG || di->type == MK__FS_T_DIR)
        mk__icache_put(fs, ino, di);
    else
        mk__icache_drop(fs, ino);
    return 0;
}

/* A regular file's blocks are data (ordered mode, not logged); a
 * directory's are metadata (journal.c). */
static uint32_t mk__fb_kind(const struct mk__dinode *di)
{
    return di->type == MK__FS_T_REG ? MK__FB_DATA : 0u;
}

int mk__bmap(struct mk__fs *fs, struct mk__dinode *di, uint64_t fbn, bool alloc,
             uint32_t *bno, bool *fresh)
{
    *fresh = false;
    if (fbn > UINT32_MAX)
        return MK_ERANGE;
    uint32_t b, run;
    int rc = mk__ext_map(fs, di, fbn, &b, &run);
    if (rc != 0)
        return rc;
    if (b == 0 && alloc) {
        if ((rc = mk__ext_alloc(fs, di, fbn, &b)) != 0)
            return rc;
        *fresh = true;
    }
    *bno = b;
    return 0;
}

/* Free every block of di at file block `first` or beyond. */
static int mk__free_from(struct mk__fs *fs, struct mk__dinode *di, uint64_t first)
{
    return mk__ext_trunc(fs, di, first);
}

/* Zero the bytes from the end of the file to `to` (or to the end of its
 * last block) before the file grows over them. The bytes past the end of
 * the last block are not kept zero on the device: zeroing them when a file
 * shrinks would be an in-place data write that a crash could leave behind
 * an uncommitted truncate, damaging a file whose old size survives. */
static int mk__zero_gap(struct mk__fs *fs, struct mk__dinode *di, uint64_t to)
{
    uint32_t boff = (uint32_t)(di->size % fs->bsize);
    if (boff == 0 || to <= di->size)
        return 0;
    uint64_t end = di->size - boff + fs->bsize;
    if (to > end)
        to = end;
    uint32_t bno;
    bool fresh;
    int rc = mk__bmap(fs, di, di->size / fs->bsize, false, &bno, &fresh);
    if (rc != 0 || bno == 0)
        return rc;
    struct mk__fbuf *b;
    if ((rc = mk__fb_get(fs, bno, mk__fb_kind(di), &b)) != 0)
        return rc;
    memset(b->data + boff, 0, (size_t)(to - di->size));
    mk__fb_dirty(fs, b);
    mk__fb_put(fs, b);
    return 0;
}

int mk__iread_bytes(struct mk__fs *fs, const struct mk__dinode *di, uint64_t off,
                    void *buf, size_t len, size_t *n)
{
    if (off >= di->size || len == 0) {
        *n = 0;
        return 0;
    }
    if (len > di->size - off)
        len = (size_t)(di->size - off);
    uint8_t *dst = buf;
    size_t done = 0;
    uint64_t rfbn = 0;       /* the run last mapped: file blocks */
    uint32_t rbno = 0, rlen = 0; /* [rfbn, rfbn + rlen) at rbno (0: hole) */
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t boff = (uint32_t)(pos % fs->bsize);
        size_t chunk = fs->bsize - boff;
        if (chunk > len - done)
            chunk = len - done;
        uint64_t fbn = pos / fs->bsize;
        if (rlen == 0 || fbn < rfbn || fbn - rfbn >= rlen) {
            int rc = mk__ext_map(fs, di, fbn, &rbno, &rlen);
            if (rc != 0)
                return rc;
            rfbn = fbn;
        }
        uint32_t bno = rbno == 0 ? 0 : rbno + (uint32_t)(fbn - rfbn);
        int rc;
        if (bno == 0) {
            memset(dst + done, 0, chunk); /* a hole */
        } else {
            struct mk__fbuf *b;
            rc = mk__fb_get(fs, bno, mk__fb_kind(di), &b);
            if (rc != 0)
                return rc;
            memcpy(dst + done, b->data + boff, chunk);
            mk__fb_put(fs, b);
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
    int rc = mk__zero_gap(fs, di, off);
    if (rc != 0)
        return rc;
    const uint8_t *src = buf;
    size_t done = 0;
    uint64_t rfbn = 0;           /* the mapped run last looked up */
    uint32_t rbno = 0, rlen = 0; /* (see mk__iread_bytes) */
    while (done < len) {
        uint64_t pos = off + done;
        uint32_t boff = (uint32_t)(pos % fs->bsize);
        size_t chunk = fs->bsize - boff;
        if (chunk > len - done)
            chunk = len - done;
        uint64_t fbn = pos / fs->bsize;
        if (rlen == 0 || fbn < rfbn || fbn - rfbn >= rlen) {
            if ((rc = mk__ext_map(fs, di, fbn, &rbno, &rlen)) != 0)
                break;
            rfbn = fbn;
        }
        uint32_t bno;
        bool fresh = rbno == 0;
        if (fresh) {
            /* A hole: a new block (the tree changes, so look up again). */
            if ((rc = mk__ext_alloc(fs, di, fbn, &bno)) != 0)
                break;
            rlen = 0;
        } else {
            bno = rbno + (uint32_t)(fbn - rfbn);
        }
        struct mk__fbuf *b;
        bool whole = chunk == fs->bsize;
        rc = mk__fb_get(fs, bno, ((fresh || whole) ? MK__BUF_NOREAD : 0) | mk__fb_kind(di), &b);
        if (rc != 0)
            break;
        if (fresh && !whole)
            memset(b->data, 0, fs->bsize);
        memcpy(b->data + boff, src + done, chunk);
        mk__fb_dirty(fs, b);
        mk__fb_put(fs, b);
        done += chunk;
    }
    if (done > 0) {
        if (off + done > di->size)
            di->size = off + done;
        di->mtime = di->ctime = mk__fs_now(fs);
    }
    *n = done;
    /* A write that stopped early may have attached a tree block or a data
     * block with nothing under it past the end of the file: give it back (on a full
     * device it is precious), so no block ever lies past the end. */
    if (rc != 0)
        mk__free_from(fs, di, (di->size + fs->bsize - 1) / fs->bsize);
    /* A full device after some progress is a short write, not an error. */
    if (rc == MK_ENOSPC && done > 0)
        rc = 0;
    return rc;
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
    if (size > di->size && (rc = mk__zero_gap(fs, di, size)) != 0)
        return rc;
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
    if (len > 0 && (off > fs->max_file || len > fs->max_file - off))
        return MK_ERANGE;
    /* One transaction per MK__TX_WCHUNK file blocks (xv6's filewrite does
     * the same), so a write of any size fits the journal; each piece
     * grows the file atomically. */
    const uint8_t *src = buf;
    size_t done = 0;
    do {
        uint64_t pos = off + done;
        size_t piece = (size_t)MK__TX_WCHUNK * fs->bsize - (size_t)(pos % fs->bsize);
        if (piece > len - done)
            piece = len - done;
        if ((rc = mk__tx_begin(fs, MK__TX_NEED)) != 0 ||
            (rc = mk__iread(fs, ino, &di)) != 0)
            break;
        size_t got = 0;
        rc = mk__iwrite_bytes(fs, &di, pos, src + done, piece, &got);
        /* Write the inode back even after an error: blocks may have been
         * attached to it before the error. */
        int wrc = mk__iwrite(fs, ino, &di);
        if (rc == 0)
            rc = wrc;
        done += got;
        if (rc != 0 || got < piece)
            break;
    } while (done < len);
    if (rc == MK_ENOSPC && done > 0)
        rc = 0; /* a full device after some progress: a short write */
    if (rc == 0)
        *n = done;
    return rc;
}

int mk__fs_truncate(struct mk__fs *fs, uint32_t ino, uint64_t len)
{
    struct mk__dinode di;
    int rc = mk__tx_begin(fs, MK__TX_NEED);
    if (rc != 0)
        return rc;
    rc = mk__iget_reg(fs, ino, &di);
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
