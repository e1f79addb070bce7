/*
 * dxtree.c - the on-disk name index of large directories: a B+tree keyed
 * by a 32-bit hash of the name whose leaves map hash -> entry slot, kept in
 * blocks of the directory file itself (layout in fs_format.h).
 *
 * The design is XFS's version 2 "node" directories (Sweeney et al.,
 * "Scalability in the XFS File System", USENIX 1996; SGI, "XFS Algorithms
 * & Data Structures", ch. Directories): the entries never move once
 * written, so readdir positions (entry indexes) stay stable while names
 * come and go, and a separate B+tree of (hash, address) pairs finds a name
 * in O(log n) block reads. It differs from ext3's htree (Phillips, "A
 * Directory Index for Ext2", 2001), which keeps the entries themselves in
 * hash-ordered leaves and so moves them on a split (readdir then has to
 * walk in hash order with hash cookies). As in htree, every index block
 * looks like a run of free entries to a plain linear scan (the first four
 * bytes of each of its 64-byte records are zero), so readdir, the
 * emptiness test and fsck's entry pass need not know about the index.
 * Free entry slots of an indexed directory are chained (head in the index
 * header), so a create finds one in O(1) reads instead of a scan.
 *
 * Operations: lookup descends to the leftmost leaf that may hold the hash
 * and walks right (leaf sibling links) only over equal hashes; insert
 * splits full nodes bottom-up (a new root when the root splits; depth <=
 * MK__FS_DX_MAXDEPTH); delete removes the pair and never merges (a leaf
 * may end up empty; keys stay valid bounds). Small directories (one block
 * or less) are not indexed and are scanned as before; a directory is
 * converted when it fills its first block.
 *
 * Crash consistency: every change is part of the caller's journal
 * transaction (dir.c: one per name operation). Before an insert that will
 * split nodes the free block count is checked, so the device filling up
 * never leaves a half-split tree. A header without the VALID flag (an
 * interrupted rebuild, dxcheck.c) is never trusted: the directory is then
 * scanned until fsck rebuilds the index.
 *
 * Sits on inode.c (mk__iread_bytes / mk__iwrite_bytes: directory blocks
 * are reached only through the file mapping). The in-place hot paths
 * (lookup, insert into a leaf with room, pair removal) are in dxraw.c. Locking: none; the caller
 * serialises calls on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

#define DE MK__FS_DIRENT_SIZE
#define PPR MK__FS_DX_PPR
#define NONE UINT64_MAX

uint32_t mk__dx_hash(uint32_t seed, const char *name, size_t len)
{
    /* FNV-1a, 32 bits (Fowler, Noll, Vo), from a per-directory basis. */
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

uint32_t mk__dx_cap(const struct mk__fs *fs)
{
    return (fs->bsize / DE - 1) * PPR;
}

uint32_t mk__dx_new_seed(struct mk__fs *fs, const struct mk__dinode *d)
{
    /* Deterministic (a replayed workload must write the same blocks, the
     * power-cut test depends on it) but different per directory and per
     * file system: the directory's first device block, its creation tick
     * and the mkfs tick. Not secret; a secret per file system seed (as
     * ext4's s_hash_seed) would need a superblock field, and the stored
     * seed lets it come without a format change here. */
    struct mk__dinode tmp = *d;
    uint32_t bno0 = 0;
    bool fresh;
    (void)mk__bmap(fs, &tmp, 0, false, &bno0, &fresh);
    uint64_t v[3] = {bno0, d->ctime, fs->sb.mkfs_time};
    return mk__crc32c(v, sizeof v);
}

/* ---- header (in the ".." entry) ---------------------------------------- */

int mk__dx_hdr_get(struct mk__fs *fs, const struct mk__dinode *d, struct mk__dxhdr *h)
{
    memset(h, 0, sizeof *h);
    if (d->size < 2 * DE)
        return 0;
    uint8_t e[DE];
    size_t n;
    int rc = mk__iread_bytes(fs, d, DE, e, DE, &n);
    if (rc != 0)
        return rc;
    if (n != DE || mk__le32(e + MK__FS_DXH_OFF) != MK__FS_DXH_MAGIC)
        return 0;
    const uint8_t *p = e + MK__FS_DXH_OFF;
    h->present = true;
    h->valid = (p[4] & MK__FS_DXH_VALID) != 0;
    h->depth = p[5];
    h->root = mk__le32(p + 8);
    h->free = mk__le32(p + 12);
    h->seed = mk__le32(p + 16);
    return 0;
}

int mk__dx_hdr_put(struct mk__fs *fs, struct mk__dinode *d, const struct mk__dxhdr *h)
{
    uint8_t e[DE];
    size_t n;
    int rc = mk__iread_bytes(fs, d, DE, e, DE, &n);
    if (rc != 0)
        return rc;
    if (n != DE)
        return MK_ECORRUPT;
    uint8_t *p = e + MK__FS_DXH_OFF;
    memset(p, 0, DE - MK__FS_DXH_OFF);
    if (h->present) {
        mk__put32(p, MK__FS_DXH_MAGIC);
        p[4] = h->valid ? MK__FS_DXH_VALID : 0;
        p[5] = (uint8_t)h->depth;
        mk__put32(p + 8, h->root);
        mk__put32(p + 12, h->free);
        mk__put32(p + 16, h->seed);
    }
    rc = mk__iwrite_bytes(fs, d, DE, e, DE, &n);
    return rc == 0 && n != DE ? MK_EIO : rc;
}

/* ---- nodes -------------------------------------------------------------- */

int mk__dx_ctx_init(struct mk__dxc *c, struct mk__fs *fs, struct mk__dinode *d)
{
    memset(c, 0, sizeof *c);
    c->fs = fs;
    c->d = d;
    c->cap = mk__dx_cap(fs);
    c->blk = malloc(fs->bsize);
    c->nd.h = malloc(((size_t)c->cap + 1) * sizeof(uint32_t));
    c->nd.v = malloc(((size_t)c->cap + 1) * sizeof(uint32_t));
    if (c->blk == NULL || c->nd.h == NULL || c->nd.v == NULL) {
        mk__dx_ctx_fini(c);
        return MK_ENOMEM;
    }
    return 0;
}

void mk__dx_ctx_fini(struct mk__dxc *c)
{
    free(c->blk);
    free(c->nd.h);
    free(c->nd.v);
    c->blk = NULL;
    c->nd.h = c->nd.v = NULL;
}

int mk__dx_nread(struct mk__dxc *c, uint32_t fbn, struct mk__dxnode *nd)
{
    struct mk__fs *fs = c->fs;
    if (fbn == 0 || fbn >= c->d->size / fs->bsize)
        return MK_ECORRUPT;
    size_t n;
    int rc = mk__iread_bytes(fs, c->d, (uint64_t)fbn * fs->bsize, c->blk, fs->bsize, &n);
    if (rc != 0)
        return rc;
    const uint8_t *p = c->blk;
    if (n != fs->bsize || mk__le32(p) != 0 || mk__le32(p + 4) != MK__FS_DXN_MAGIC)
        return MK_ECORRUPT;
    nd->level = p[8];
    nd->n = mk__le16(p + 10);
    nd->next = mk__le32(p + 12);
    if (nd->n > c->cap)
        return MK_ECORRUPT;
    for (uint32_t i = 0; i < nd->n; i++) {
        const uint8_t *q = p + (1 + i / PPR) * DE + 4 + (i % PPR) * 8;
        nd->h[i] = mk__le32(q);
        nd->v[i] = mk__le32(q + 4);
    }
    return 0;
}

/* Write node nd as directory block fbn (fbn = block count: append). */
int mk__dx_nwrite(struct mk__dxc *c, uint32_t fbn, const struct mk__dxnode *nd)
{
    struct mk__fs *fs = c->fs;
    uint8_t *p = c->blk;
    memset(p, 0, fs->bsize);
    mk__put32(p + 4, MK__FS_DXN_MAGIC);
    p[8] = (uint8_t)nd->level;
    mk__put16(p + 10, (uint16_t)nd->n);
    mk__put32(p + 12, nd->next);
    for (uint32_t i = 0; i < nd->n; i++) {
        uint8_t *q = p + (1 + i / PPR) * DE + 4 + (i % PPR) * 8;
        mk__put32(q, nd->h[i]);
        mk__put32(q + 4, nd->v[i]);
    }
    size_t n;
    int rc = mk__iwrite_bytes(fs, c->d, (uint64_t)fbn * fs->bsize, p, fs->bsize, &n);
    return rc == 0 && n != fs->bsize ? MK_ENOSPC : rc;
}

/* Block number the next appended block gets; MK_ENOSPC past u32 slots. */
int mk__dx_next_fbn(struct mk__dxc *c, uint32_t *fbn)
{
    uint32_t B = c->fs->bsize;
    uint64_t nfb = (c->d->size + B - 1) / B;
    if ((nfb + 1) * (B / DE) > UINT32_MAX)
        return MK_ENOSPC;
    *fbn = (uint32_t)nfb;
    return 0;
}

/* First index j in [1, n) whose key is > h (strict: >= h); n if none. */
static uint32_t mk__dx_bound(const struct mk__dxnode *nd, uint32_t h, bool strict)
{
    uint32_t lo = 1, hi = nd->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        bool right = strict ? nd->h[mid] >= h : nd->h[mid] > h;
        if (right)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Descend to a leaf for h: the leftmost that may hold h (strict) or the
 * one h is inserted into. path[l] / idx[l] = node and child taken at
 * level l; *hi = the smallest key right of the leaf (NONE: unknown). */
static int mk__dx_descend(struct mk__dxc *c, const struct mk__dxhdr *hd, uint32_t h,
                          bool strict, uint32_t *path, uint32_t *idx, uint64_t *hi)
{
    if (hd->depth == 0 || hd->depth > MK__FS_DX_MAXDEPTH)
        return MK_ECORRUPT;
    uint32_t fbn = hd->root;
    *hi = NONE;
    for (uint32_t level = hd->depth - 1;; level--) {
        int rc = mk__dx_nread(c, fbn, &c->nd);
        if (rc != 0)
            return rc;
        if (c->nd.level != level)
            return MK_ECORRUPT;
        path[level] = fbn;
        if (level == 0)
            return 0;
        if (c->nd.n == 0)
            return MK_ECORRUPT;
        uint32_t j = mk__dx_bound(&c->nd, h, strict);
        if (j < c->nd.n)
            *hi = c->nd.h[j];
        idx[level] = j - 1;
        fbn = c->nd.v[j - 1];
    }
}

/* Visit the pairs of hash h from the leftmost leaf that may hold them:
 * fn returns 1 to stop (found), 0 to go on, < 0 for an error. *leaf =
 * the leaf where it stopped, *pos the pair index there. */
typedef int (*mk__dx_pair_fn)(struct mk__dxc *c, uint32_t slot, void *arg);

static int mk__dx_walk(struct mk__dxc *c, const struct mk__dxhdr *hd, uint32_t h,
                       mk__dx_pair_fn fn, void *arg, uint32_t *leaf, uint32_t *pos)
{
    uint32_t path[MK__FS_DX_MAXDEPTH], idx[MK__FS_DX_MAXDEPTH];
    uint64_t hi;
    int rc = mk__dx_descend(c, hd, h, true, path, idx, &hi);
    if (rc != 0)
        return rc;
    uint32_t fbn = path[0];
    uint64_t steps = c->d->size / c->fs->bsize;
    for (;;) {
        for (uint32_t i = 0; i < c->nd.n; i++) {
            if (c->nd.h[i] < h)
                continue;
            if (c->nd.h[i] > h)
                return MK_ENOENT;
            rc = fn(c, c->nd.v[i], arg);
            if (rc != 0) {
                *leaf = fbn;
                *pos = i;
                return rc;
            }
        }
        if ((hi != NONE && hi > h) || c->nd.next == 0)
            return MK_ENOENT;
        if (steps-- == 0)
            return MK_ECORRUPT; /* a cycle of sibling links */
        fbn = c->nd.next - 1;
        hi = NONE;
        if ((rc = mk__dx_nread(c, fbn, &c->nd)) != 0)
            return rc;
        if (c->nd.level != 0)
            return MK_ECORRUPT;
        /* The pairs read by fn may come from another block: c->nd stays. */
    }
}

struct mk__dx_match {
    const char *name;
    size_t len;
    uint32_t ino, slot;
};

static int mk__dx_match_fn(struct mk__dxc *c, uint32_t slot, void *arg)
{
    struct mk__dx_match *m = arg;
    if ((uint64_t)slot >= c->d->size / DE)
        return MK_ECORRUPT;
    uint8_t e[DE];
    size_t n;
    int rc = mk__iread_bytes(c->fs, c->d, (uint64_t)slot * DE, e, DE, &n);
    if (rc != 0)
        return rc;
    if (n != DE)
        return MK_ECORRUPT;
    uint32_t ino = mk__le32(e);
    if (ino != 0 && e[4] == m->len && memcmp(e + 5, m->name, m->len) == 0) {
        if (ino >= c->fs->sb.ninodes)
            return MK_ECORRUPT;
        m->ino = ino;
        m->slot = slot;
        return 1;
    }
    return 0;
}


int mk__dx_lookup(struct mk__fs *fs, struct mk__dinode *d, const char *name, size_t len,
                  uint32_t *ino, uint64_t *slot)
{
    struct mk__dxhdr hd;
    int rc = mk__dx_hdr_get(fs, d, &hd);
    if (rc != 0)
        return rc;
    if (!hd.present || !hd.valid)
        return 1;
    uint32_t fino;
    uint64_t fslot;
    rc = mk__dx_find_fast(fs, d, &hd, name, len, &fino, &fslot);
    if (rc == 0) {
        *ino = fino;
        *slot = fslot;
    }
    if (rc <= 0)
        return rc;
    struct mk__dxc c;
    if ((rc = mk__dx_ctx_init(&c, fs, d)) != 0)
        return rc;
    struct mk__dx_match m = {name, len, 0, 0};
    uint32_t leaf, pos;
    rc = mk__dx_walk(&c, &hd, mk__dx_hash(hd.seed, name, len), mk__dx_match_fn, &m, &leaf,
                     &pos);
    mk__dx_ctx_fini(&c);
    if (rc < 0)
        return rc;
    *ino = m.ino;
    *slot = m.slot;
    return 0;
}

/* ---- insert ------------------------------------------------------------- */

/* Blocks an insert of h will append (splits, a new root): 0 if none. */
static int mk__dx_splits(struct mk__dxc *c, const struct mk__dxhdr *hd, const uint32_t *path,
                         uint32_t *need)
{
    *need = 0;
    if (c->nd.n < c->cap) /* the leaf, still in c->nd after the descent */
        return 0;
    *need = 1;
    for (uint32_t level = 1; level < hd->depth; level++) {
        int rc = mk__dx_nread(c, path[level], &c->nd);
        if (rc != 0)
            return rc;
        if (c->nd.n < c->cap)
            return 0;
        (*need)++;
    }
    (*need)++; /* the root splits: a new root */
    return hd->depth >= MK__FS_DX_MAXDEPTH ? MK_ENOSPC : 0;
}

/* Are there blocks for `n` appended directory blocks (with their mapping
 * blocks, counted generously)? */
static int mk__dx_room(const struct mk__fs *fs, uint32_t n)
{
    return fs->sb.free_blocks < (uint64_t)n * 4u + 4u ? MK_ENOSPC : 0;
}

int mk__dx_insert(struct mk__dxc *c, struct mk__dxhdr *hd, uint32_t h, uint32_t val,
                  uint32_t reserve)
{
    /* The common case, room in the leaf: in place. */
    int rc = mk__dx_insert_fast(c->fs, c->d, hd, h, val);
    if (rc != 1)
        return rc;
    uint32_t path[MK__FS_DX_MAXDEPTH], idx[MK__FS_DX_MAXDEPTH];
    uint64_t hi;
    rc = mk__dx_descend(c, hd, h, false, path, idx, &hi);
    uint32_t need;
    if (rc == 0)
        rc = mk__dx_splits(c, hd, path, &need);
    if (rc == 0)
        rc = mk__dx_room(c->fs, need + reserve);
    if (rc == 0 && need > 0)
        rc = mk__dx_nread(c, path[0], &c->nd);
    if (rc != 0)
        return rc;
    struct mk__dxnode *nd = &c->nd;
    uint32_t level = 0, fbn = path[0], kh = h, kv = val;
    for (;;) {
        uint32_t pos = level == 0 ? mk__dx_bound(nd, kh, false) : idx[level] + 1;
        if (level == 0 && (nd->n == 0 || nd->h[0] > kh))
            pos = 0;
        memmove(nd->h + pos + 1, nd->h + pos, (nd->n - pos) * sizeof *nd->h);
        memmove(nd->v + pos + 1, nd->v + pos, (nd->n - pos) * sizeof *nd->v);
        nd->h[pos] = kh;
        nd->v[pos] = kv;
        nd->n++;
        if (nd->n <= c->cap)
            return mk__dx_nwrite(c, fbn, nd);
        /* Split: the upper half moves to a new block appended to the
         * directory; its first key goes up as the separator. */
        uint32_t m = nd->n / 2, nfbn;
        if ((rc = mk__dx_next_fbn(c, &nfbn)) != 0)
            return rc;
        struct mk__dxnode right = {nd->level, nd->n - m, nd->level == 0 ? nd->next : 0,
                                   nd->h + m, nd->v + m};
        if ((rc = mk__dx_nwrite(c, nfbn, &right)) != 0)
            return rc;
        nd->n = m;
        if (nd->level == 0)
            nd->next = nfbn + 1;
        kh = right.h[0];
        kv = nfbn;
        if ((rc = mk__dx_nwrite(c, fbn, nd)) != 0)
            return rc;
        if (level + 1 == hd->depth) {
            uint32_t rfbn;
            if ((rc = mk__dx_next_fbn(c, &rfbn)) != 0)
                return rc;
            nd->level = level + 1;
            nd->n = 2;
            nd->next = 0;
            nd->h[0] = 0;
            nd->v[0] = fbn;
            nd->h[1] = kh;
            nd->v[1] = kv;
            if ((rc = mk__dx_nwrite(c, rfbn, nd)) != 0)
                return rc;
            hd->root = rfbn;
            hd->depth++;
            return 0;
        }
        level++;
        fbn = path[level];
        if ((rc = mk__dx_nread(c, fbn, nd)) != 0)
            return rc;
    }
}

/* ---- operations for dir.c ------------------------------------------------ */

/* Take a free slot: the head of the chain, or the first of a new block
 * whose other slots join the chain. */
static int mk__dx_pop(struct mk__dxc *c, struct mk__dxhdr *hd, uint32_t *slot)
{
    struct mk__fs *fs = c->fs;
    uint64_t nslots = c->d->size / DE;
    uint8_t e[DE];
    size_t n;
    int rc;
    if (hd->free == 0) {
        uint32_t fbn, R = fs->bsize / DE;
        if ((rc = mk__dx_next_fbn(c, &fbn)) != 0)
            return rc;
        uint32_t base = fbn * R;
        memset(c->blk, 0, fs->bsize);
        for (uint32_t r = 1; r < R; r++)
            mk__put32(c->blk + r * DE + MK__FS_DXF_NEXT, r + 1 < R ? base + r + 2 : 0);
        rc = mk__iwrite_bytes(fs, c->d, (uint64_t)fbn * fs->bsize, c->blk, fs->bsize, &n);
        if (rc == 0 && n != fs->bsize)
            rc = MK_ENOSPC;
        if (rc != 0)
            return rc;
        hd->free = R > 1 ? base + 2 : 0;
        *slot = base;
        return 0;
    }
    uint64_t s = (uint64_t)hd->free - 1;
    if (s < 2 || s >= nslots)
        return MK_ECORRUPT;
    if ((rc = mk__iread_bytes(fs, c->d, s * DE, e, DE, &n)) != 0)
        return rc;
    uint32_t next = mk__le32(e + MK__FS_DXF_NEXT);
    if (n != DE || mk__le32(e) != 0 || mk__le32(e + 4) != 0 || next > nslots)
        return MK_ECORRUPT;
    hd->free = next;
    *slot = (uint32_t)s;
    return 0;
}

static int mk__dx_push(struct mk__dxc *c, struct mk__dxhdr *hd, uint32_t slot)
{
    uint8_t e[DE];
    memset(e, 0, DE);
    mk__put32(e + MK__FS_DXF_NEXT, hd->free);
    size_t n;
    int rc = mk__iwrite_bytes(c->fs, c->d, (uint64_t)slot * DE, e, DE, &n);
    if (rc != 0)
        return rc;
    hd->free = slot + 1;
    return 0;
}

static int mk__dx_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Index a full one-block directory: its entries go into a root leaf. */
static int mk__dx_convert(struct mk__dxc *c, struct mk__dxhdr *hd)
{
    struct mk__fs *fs = c->fs;
    uint32_t R = fs->bsize / DE;
    int rc = mk__dx_room(fs, 2);
    if (rc != 0)
        return rc;
    size_t n;
    if ((rc = mk__iread_bytes(fs, c->d, 0, c->blk, fs->bsize, &n)) != 0)
        return rc;
    if (n != fs->bsize)
        return MK_ECORRUPT;
    uint64_t *pairs = malloc(R * sizeof *pairs);
    if (pairs == NULL)
        return MK_ENOMEM;
    uint32_t np = 0;
    hd->seed = mk__dx_new_seed(fs, c->d);
    for (uint32_t s = 2; s < R; s++) {
        const uint8_t *e = c->blk + s * DE;
        if (mk__le32(e) != 0 && e[4] >= 1 && e[4] <= MK_NAME_MAX)
            pairs[np++] =
                ((uint64_t)mk__dx_hash(hd->seed, (const char *)e + 5, e[4]) << 32) | s;
    }
    qsort(pairs, np, sizeof *pairs, mk__dx_cmp);
    struct mk__dxnode *nd = &c->nd;
    nd->level = 0;
    nd->n = np;
    nd->next = 0;
    for (uint32_t i = 0; i < np; i++) {
        nd->h[i] = (uint32_t)(pairs[i] >> 32);
        nd->v[i] = (uint32_t)pairs[i];
    }
    free(pairs);
    if ((rc = mk__dx_nwrite(c, 1, nd)) != 0)
        return rc;
    hd->present = hd->valid = true;
    hd->depth = 1;
    hd->root = 1;
    hd->free = 0;
    return mk__dx_hdr_put(fs, c->d, hd);
}

int mk__dx_add(struct mk__fs *fs, struct mk__dinode *d, const char *name, size_t len,
               uint32_t ino, bool convert)
{
    struct mk__dxhdr hd;
    int rc = mk__dx_hdr_get(fs, d, &hd);
    if (rc != 0)
        return rc;
    if (hd.present && !hd.valid)
        return 1;
    if (!hd.present && !(convert && d->size == fs->bsize))
        return 1;
    struct mk__dxc c;
    if ((rc = mk__dx_ctx_init(&c, fs, d)) != 0)
        return rc;
    if (!hd.present)
        rc = mk__dx_convert(&c, &hd);
    uint32_t slot = 0;
    /* Slot first (it may append a block), then the pair (it may split:
     * checked for room before anything changes), then the entry. */
    if (rc == 0)
        rc = mk__dx_pop(&c, &hd, &slot);
    if (rc == 0) {
        rc = mk__dx_insert(&c, &hd, mk__dx_hash(hd.seed, name, len), slot, 0);
        if (rc != 0)
            mk__dx_push(&c, &hd, slot); /* give the slot back */
    }
    if (rc == 0) {
        uint8_t e[DE];
        size_t n;
        mk__dirent_encode(e, ino, name, len);
        rc = mk__iwrite_bytes(fs, d, (uint64_t)slot * DE, e, DE, &n);
    }
    int hrc = mk__dx_hdr_put(fs, d, &hd);
    mk__dx_ctx_fini(&c);
    return rc != 0 ? rc : hrc;
}

int mk__dx_remove(struct mk__fs *fs, struct mk__dinode *d, uint64_t slot, const char *name,
                  size_t len)
{
    struct mk__dxhdr hd;
    int rc = mk__dx_hdr_get(fs, d, &hd);
    if (rc != 0)
        return rc;
    if (!hd.present || !hd.valid) {
        uint8_t e[DE];
        size_t n;
        memset(e, 0, DE);
        return mk__iwrite_bytes(fs, d, slot * DE, e, DE, &n);
    }
    struct mk__dxc c = {.fs = fs, .d = d};
    rc = mk__dx_unpair_fast(fs, d, &hd, mk__dx_hash(hd.seed, name, len), (uint32_t)slot);
    if (rc == 0)
        rc = mk__dx_push(&c, &hd, (uint32_t)slot);
    if (rc == 0)
        rc = mk__dx_hdr_put(fs, d, &hd);
    return rc;
}
