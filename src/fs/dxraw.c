/*
 * dxraw.c - the hot paths of the directory name index (dxtree.c) done in
 * place: lookup, insert into a leaf with room and removal of a pair work
 * on the nodes in their cached buffers (mk__fb_get), binary-searching the
 * raw little-endian pairs there: no copy, no decoding, no allocation.
 * Anything that needs a split, or more equal hashes than one path holds,
 * returns 1 and dxtree.c takes the general (decoded) path.
 *
 * Sits on journal.c (fb buffers) and inode.c (mk__bmap, mk__iread_bytes);
 * node layout in fs_format.h. Locking: none; the caller serialises calls
 * on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <string.h>

#define DE MK__FS_DIRENT_SIZE
#define PPR MK__FS_DX_PPR
#define NONE UINT64_MAX


#define PAIR(p, i) ((p) + (1 + (i) / PPR) * DE + 4 + ((i) % PPR) * 8)

/* Shift pairs [pos, n) of a raw node up by one (a run per record, the
 * record's last pair carried into the next) or [pos + 1, n) down by one. */
static void mk__dx_raw_up(uint8_t *p, uint32_t pos, uint32_t n)
{
    for (uint32_t i = n; i > pos;) {
        if (i % PPR == 0) {
            memcpy(PAIR(p, i), PAIR(p, i - 1), 8);
            i--;
            continue;
        }
        uint32_t start = i - i % PPR;
        if (start < pos)
            start = pos;
        memmove(PAIR(p, start + 1), PAIR(p, start), (size_t)(i - start) * 8);
        i = start;
    }
}

static void mk__dx_raw_down(uint8_t *p, uint32_t pos, uint32_t n)
{
    for (uint32_t i = pos; i + 1 < n;) {
        if ((i + 1) % PPR == 0) {
            memcpy(PAIR(p, i), PAIR(p, i + 1), 8);
            i++;
            continue;
        }
        uint32_t end = i - i % PPR + PPR - 1; /* last pair of i's record */
        if (end > n - 1)
            end = n - 1;
        memmove(PAIR(p, i), PAIR(p, i + 1), (size_t)(end - i) * 8);
        i = end;
    }
}

/* Pin index node fbn of d: *b, with *n pairs, checked. */
static int mk__dx_pin(struct mk__fs *fs, struct mk__dinode *d, uint32_t fbn, uint32_t level,
                      struct mk__fbuf **b, uint32_t *n)
{
    if (fbn == 0 || fbn >= d->size / fs->bsize)
        return MK_ECORRUPT;
    uint32_t bno;
    bool fresh;
    int rc = mk__bmap(fs, d, fbn, false, &bno, &fresh);
    if (rc != 0)
        return rc;
    if (bno == 0)
        return MK_ECORRUPT;
    if ((rc = mk__fb_get(fs, bno, 0, b)) != 0)
        return rc;
    const uint8_t *p = (*b)->data;
    *n = mk__le16(p + 10);
    if (mk__le32(p) != 0 || mk__le32(p + 4) != MK__FS_DXN_MAGIC || p[8] != level ||
        *n > mk__dx_cap(fs) || (level > 0 && *n == 0)) {
        mk__fb_put(fs, *b);
        return MK_ECORRUPT;
    }
    return 0;
}

/* First pair index in [lo, n) whose key is >= h (strict) or > h. */
static uint32_t mk__dx_raw_bound(const uint8_t *p, uint32_t lo, uint32_t n, uint32_t h,
                                 bool strict)
{
    uint32_t hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t k = mk__le32(PAIR(p, mid));
        if (strict ? k >= h : k > h)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* 0 found, MK_ENOENT, 1 too many equal hashes for this path, < 0 error. */
int mk__dx_find_fast(struct mk__fs *fs, struct mk__dinode *d, const struct mk__dxhdr *hd,
                     const char *name, size_t len, uint32_t *ino, uint64_t *slot)
{
    if (hd->depth == 0 || hd->depth > MK__FS_DX_MAXDEPTH)
        return MK_ECORRUPT;
    uint32_t h = mk__dx_hash(hd->seed, name, len), fbn = hd->root, n;
    uint64_t hi = NONE;
    struct mk__fbuf *b;
    int rc;
    for (uint32_t level = hd->depth - 1; level > 0; level--) {
        if ((rc = mk__dx_pin(fs, d, fbn, level, &b, &n)) != 0)
            return rc;
        uint32_t j = mk__dx_raw_bound(b->data, 1, n, h, true);
        if (j < n)
            hi = mk__le32(PAIR(b->data, j));
        fbn = mk__le32(PAIR(b->data, j - 1) + 4);
        mk__fb_put(fs, b);
    }
    uint64_t nslots = d->size / DE, steps = d->size / fs->bsize;
    for (;;) {
        if ((rc = mk__dx_pin(fs, d, fbn, 0, &b, &n)) != 0)
            return rc;
        /* Candidates (pairs of hash h) are copied out: checking one reads
         * another block. */
        uint32_t cand[8], nc = 0, i = mk__dx_raw_bound(b->data, 0, n, h, true);
        for (; i < n && mk__le32(PAIR(b->data, i)) == h; i++) {
            if (nc == 8) {
                mk__fb_put(fs, b);
                return 1;
            }
            cand[nc++] = mk__le32(PAIR(b->data, i) + 4);
        }
        uint32_t next = mk__le32(b->data + 12);
        mk__fb_put(fs, b);
        for (uint32_t c = 0; c < nc; c++) {
            uint8_t e[DE];
            size_t got;
            if (cand[c] >= nslots)
                return MK_ECORRUPT;
            if ((rc = mk__iread_bytes(fs, d, (uint64_t)cand[c] * DE, e, DE, &got)) != 0)
                return rc;
            uint32_t eino = mk__le32(e);
            if (got == DE && eino != 0 && e[4] == len && memcmp(e + 5, name, len) == 0) {
                if (eino >= fs->sb.ninodes)
                    return MK_ECORRUPT;
                *ino = eino;
                *slot = cand[c];
                return 0;
            }
        }
        /* Past the leaf's end only if equal hashes may go on. */
        if (i < n || (hi != NONE && hi > h) || next == 0)
            return MK_ENOENT;
        if (steps-- == 0)
            return MK_ECORRUPT;
        fbn = next - 1;
        hi = NONE;
    }
}

/* Descend to the leaf for h (strict: the leftmost that may hold h; else
 * the one h is inserted into); *fbn, *hi as in mk__dx_descend. */
static int mk__dx_raw_descend(struct mk__fs *fs, struct mk__dinode *d,
                              const struct mk__dxhdr *hd, uint32_t h, bool strict,
                              uint32_t *fbn, uint64_t *hi)
{
    if (hd->depth == 0 || hd->depth > MK__FS_DX_MAXDEPTH)
        return MK_ECORRUPT;
    *fbn = hd->root;
    *hi = NONE;
    for (uint32_t level = hd->depth - 1; level > 0; level--) {
        struct mk__fbuf *b;
        uint32_t n;
        int rc = mk__dx_pin(fs, d, *fbn, level, &b, &n);
        if (rc != 0)
            return rc;
        uint32_t j = mk__dx_raw_bound(b->data, 1, n, h, strict);
        if (j < n)
            *hi = mk__le32(PAIR(b->data, j));
        *fbn = mk__le32(PAIR(b->data, j - 1) + 4);
        mk__fb_put(fs, b);
    }
    return 0;
}

/* Insert (h, val) in place when its leaf has room: 0, or 1 (full). */
int mk__dx_insert_fast(struct mk__fs *fs, struct mk__dinode *d,
                       const struct mk__dxhdr *hd, uint32_t h, uint32_t val)
{
    uint32_t fbn, n;
    uint64_t hi;
    struct mk__fbuf *b;
    int rc = mk__dx_raw_descend(fs, d, hd, h, false, &fbn, &hi);
    if (rc != 0 || (rc = mk__dx_pin(fs, d, fbn, 0, &b, &n)) != 0)
        return rc;
    if (n >= mk__dx_cap(fs)) {
        mk__fb_put(fs, b);
        return 1;
    }
    uint8_t *p = b->data;
    uint32_t pos = mk__dx_raw_bound(p, 0, n, h, false);
    mk__dx_raw_up(p, pos, n);
    mk__put32(PAIR(p, pos), h);
    mk__put32(PAIR(p, pos) + 4, val);
    mk__put16(p + 10, (uint16_t)(n + 1));
    mk__fb_dirty(fs, b);
    mk__fb_put(fs, b);
    return 0;
}

/* Remove pair (h, slot) in place: 0, or MK_ECORRUPT if it is not there. */
int mk__dx_unpair_fast(struct mk__fs *fs, struct mk__dinode *d,
                       const struct mk__dxhdr *hd, uint32_t h, uint32_t slot)
{
    uint32_t fbn, n;
    uint64_t hi, steps = d->size / fs->bsize;
    int rc = mk__dx_raw_descend(fs, d, hd, h, true, &fbn, &hi);
    if (rc != 0)
        return rc;
    for (;;) {
        struct mk__fbuf *b;
        if ((rc = mk__dx_pin(fs, d, fbn, 0, &b, &n)) != 0)
            return rc;
        uint8_t *p = b->data;
        uint32_t i = mk__dx_raw_bound(p, 0, n, h, true);
        for (; i < n && mk__le32(PAIR(p, i)) == h; i++) {
            if (mk__le32(PAIR(p, i) + 4) != slot)
                continue;
            mk__dx_raw_down(p, i, n);
            memset(PAIR(p, n - 1), 0, 8);
            mk__put16(p + 10, (uint16_t)(n - 1));
            mk__fb_dirty(fs, b);
            mk__fb_put(fs, b);
            return 0;
        }
        uint32_t next = mk__le32(p + 12);
        mk__fb_put(fs, b);
        if (i < n || (hi != NONE && hi > h) || next == 0 || steps-- == 0)
            return MK_ECORRUPT; /* the entry had no pair */
        fbn = next - 1;
        hi = NONE;
    }
}
