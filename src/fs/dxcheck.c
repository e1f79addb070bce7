/*
 * dxcheck.c - fsck's side of the directory name index (dxtree.c): check
 * one directory's index against its entries, and rebuild it from them.
 *
 * Check (read only): the header (valid flag, depth, size a whole number of
 * blocks; a directory past one block must have one); the tree, walked
 * depth first with an explicit stack: every node block in range and
 * reached once (no cycles, no sharing), magic and level right, keys
 * ascending and inside the bounds the parent gives, leaves linked left to
 * right in key order; every leaf pair names a slot in range, outside the
 * index blocks, not named twice, holding a live entry whose name hashes to
 * the pair's key; the number of pairs equals the number of live entries
 * (so every entry is reachable); the free chain stays in range, outside
 * index blocks, on free entries, without a cycle. Bounded by the
 * directory's size whatever the blocks contain.
 *
 * Rebuild (the repair, as e2fsck -D rebuilds an htree): several journal
 * transactions, ordered so that a crash at any point leaves a usable
 * directory: 1. the header is marked not valid (from then on the
 * directory is scanned, never looked up through the index); 2. every free
 * record, old index blocks included, becomes a free entry on a new chain;
 * 3. an empty root leaf is appended; 4. each live entry's pair is
 * inserted; 5. the header is marked valid. A crash before 5 leaves a
 * not-valid header, which the next fsck rebuilds again.
 *
 * Sits on dxtree.c and inode.c. Locking: none (fsck owns the device).
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

#define DE MK__FS_DIRENT_SIZE
#define NONE UINT64_MAX

static bool mk__bit(const uint8_t *m, uint64_t i)
{
    return (m[i / 8] >> (i % 8)) & 1u;
}

static void mk__bit_set(uint8_t *m, uint64_t i)
{
    m[i / 8] |= (uint8_t)(1u << (i % 8));
}

struct mk__dxw {
    uint32_t fbn, level;
    uint64_t lo, hi;
};

struct mk__dxk {
    struct mk__dxc c;
    uint8_t *isidx;     /* directory blocks that are index nodes */
    uint8_t *seen;      /* slots named by a pair / on the free chain */
    uint64_t *pairs;    /* slot << 32 | hash */
    size_t np, pcap;
    uint64_t nfb, nslots;
};

static int mk__dxk_pair(struct mk__dxk *k, uint32_t h, uint32_t slot)
{
    if (k->np == k->pcap) {
        size_t nc = k->pcap ? k->pcap * 2 : 1024;
        uint64_t *nv = realloc(k->pairs, nc * sizeof *nv);
        if (nv == NULL)
            return MK_ENOMEM;
        k->pairs = nv;
        k->pcap = nc;
    }
    k->pairs[k->np++] = ((uint64_t)slot << 32) | h;
    return 0;
}

static int mk__dxk_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Walk the tree; 0 with *bad set on damage, < 0 on an I/O error. */
static int mk__dxk_tree(struct mk__dxk *k, const struct mk__dxhdr *hd, bool *bad)
{
    struct mk__dxc *c = &k->c;
    size_t scap = (size_t)MK__FS_DX_MAXDEPTH * (c->cap + 1), sp = 0;
    struct mk__dxw *st = malloc(scap * sizeof *st);
    if (st == NULL)
        return MK_ENOMEM;
    st[sp++] = (struct mk__dxw){hd->root, hd->depth - 1, 0, NONE};
    bool first = true;
    uint32_t prev_next = 0;
    int rc = 0;
    while (sp > 0 && !*bad) {
        struct mk__dxw w = st[--sp];
        if (w.fbn == 0 || w.fbn >= k->nfb || mk__bit(k->isidx, w.fbn)) {
            *bad = true;
            break;
        }
        mk__bit_set(k->isidx, w.fbn);
        rc = mk__dx_nread(c, w.fbn, &c->nd);
        if (rc == MK_ECORRUPT || rc == MK_ERANGE) {
            rc = 0;
            *bad = true;
            break;
        }
        if (rc != 0)
            break;
        struct mk__dxnode *nd = &c->nd;
        if (nd->level != w.level || (w.level > 0 && nd->n == 0)) {
            *bad = true;
            break;
        }
        for (uint32_t i = 0; i < nd->n && !*bad; i++) {
            if ((i > 0 && nd->h[i] < nd->h[i - 1]) || (w.hi != NONE && nd->h[i] > w.hi) ||
                ((i > 0 || w.level == 0) && nd->h[i] < w.lo))
                *bad = true;
        }
        if (*bad)
            break;
        if (w.level == 0) {
            if (!first && prev_next != w.fbn + 1) {
                *bad = true;
                break;
            }
            first = false;
            prev_next = nd->next;
            for (uint32_t i = 0; i < nd->n && rc == 0; i++)
                rc = mk__dxk_pair(k, nd->h[i], nd->v[i]);
            continue;
        }
        /* Children right to left, so the leftmost is visited first. */
        for (uint32_t i = nd->n; i-- > 0;) {
            uint64_t lo = i == 0 ? w.lo : nd->h[i];
            uint64_t hi = i + 1 < nd->n ? nd->h[i + 1] : w.hi;
            st[sp++] = (struct mk__dxw){nd->v[i], w.level - 1, lo, hi};
        }
    }
    if (rc == 0 && !*bad && prev_next != 0)
        *bad = true; /* the last leaf links somewhere */
    free(st);
    return rc;
}

/* Entry at slot: rc of the read; *e filled. */
static int mk__dxk_ent(struct mk__dxk *k, uint64_t slot, uint8_t *e)
{
    size_t n;
    int rc = mk__iread_bytes(k->c.fs, k->c.d, slot * DE, e, DE, &n);
    if (rc == 0 && n != DE)
        rc = MK_ECORRUPT;
    return rc;
}

static int mk__dxk_rest(struct mk__dxk *k, const struct mk__dxhdr *hd, bool *bad)
{
    struct mk__fs *fs = k->c.fs;
    uint32_t R = fs->bsize / DE;
    uint8_t e[DE];
    int rc;
    /* The pairs: slots valid, once each, live entries with that hash. */
    qsort(k->pairs, k->np, sizeof *k->pairs, mk__dxk_cmp);
    for (size_t i = 0; i < k->np; i++) {
        uint64_t s = k->pairs[i] >> 32;
        uint32_t h = (uint32_t)k->pairs[i];
        if (s < 2 || s >= k->nslots || mk__bit(k->isidx, s / R) || mk__bit(k->seen, s)) {
            *bad = true;
            return 0;
        }
        mk__bit_set(k->seen, s);
        if ((rc = mk__dxk_ent(k, s, e)) != 0)
            return rc;
        if (mk__le32(e) == 0 || e[4] == 0 || e[4] > MK_NAME_MAX ||
            mk__dx_hash(hd->seed, (const char *)e + 5, e[4]) != h) {
            *bad = true;
            return 0;
        }
    }
    /* Every live entry has a pair: as many live entries as pairs. */
    uint64_t live = 0;
    for (uint64_t fb = 0; fb < k->nfb; fb++) {
        if (mk__bit(k->isidx, fb))
            continue;
        size_t n;
        if ((rc = mk__iread_bytes(fs, k->c.d, fb * fs->bsize, k->c.blk, fs->bsize, &n)) != 0)
            return rc;
        for (uint32_t r = fb == 0 ? 2 : 0; r < R && r * DE < n; r++)
            if (mk__le32(k->c.blk + (size_t)r * DE) != 0)
                live++;
    }
    if (live != k->np) {
        *bad = true;
        return 0;
    }
    /* The free chain. */
    uint32_t f = hd->free;
    for (uint64_t steps = 0; f != 0; steps++) {
        uint64_t s = (uint64_t)f - 1;
        if (steps > k->nslots || s < 2 || s >= k->nslots || mk__bit(k->isidx, s / R) ||
            mk__bit(k->seen, s)) {
            *bad = true;
            return 0;
        }
        mk__bit_set(k->seen, s);
        if ((rc = mk__dxk_ent(k, s, e)) != 0)
            return rc;
        if (mk__le32(e) != 0 || mk__le32(e + 4) != 0) {
            *bad = true;
            return 0;
        }
        f = mk__le32(e + MK__FS_DXF_NEXT);
    }
    return 0;
}

int mk__dx_check(struct mk__fs *fs, uint32_t dino, struct mk__dinode *d, uint64_t *bad)
{
    (void)dino;
    *bad = 0;
    uint32_t B = fs->bsize;
    struct mk__dxhdr hd;
    int rc = mk__dx_hdr_get(fs, d, &hd);
    if (rc == MK_ECORRUPT || rc == MK_ERANGE) {
        *bad = 1;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (!hd.present) {
        *bad = d->size > B; /* a directory past one block is indexed */
        return 0;
    }
    if (!hd.valid || d->size % B != 0 || d->size <= B || hd.depth == 0 ||
        hd.depth > MK__FS_DX_MAXDEPTH || d->size / DE > UINT32_MAX) {
        *bad = 1;
        return 0;
    }
    struct mk__dxk k;
    memset(&k, 0, sizeof k);
    k.nfb = d->size / B;
    k.nslots = d->size / DE;
    if ((rc = mk__dx_ctx_init(&k.c, fs, d)) != 0)
        return rc;
    k.isidx = calloc(k.nfb / 8 + 1, 1);
    k.seen = calloc(k.nslots / 8 + 1, 1);
    bool b = false;
    if (k.isidx == NULL || k.seen == NULL)
        rc = MK_ENOMEM;
    if (rc == 0)
        rc = mk__dxk_tree(&k, &hd, &b);
    if (rc == 0 && !b)
        rc = mk__dxk_rest(&k, &hd, &b);
    if (rc == MK_ECORRUPT || rc == MK_ERANGE) {
        rc = 0;
        b = true;
    }
    mk__dx_ctx_fini(&k.c);
    free(k.isidx);
    free(k.seen);
    free(k.pairs);
    *bad = b;
    return rc;
}

/* Write back the header and the inode (one step of the rebuild). */
static int mk__dxr_save(struct mk__fs *fs, uint32_t dino, struct mk__dinode *d,
                        const struct mk__dxhdr *hd)
{
    int rc = mk__dx_hdr_put(fs, d, hd);
    int wrc = mk__iwrite(fs, dino, d);
    return rc != 0 ? rc : wrc;
}

int mk__dx_rebuild(struct mk__fs *fs, uint32_t dino)
{
    uint32_t B = fs->bsize, R = B / DE;
    struct mk__dinode d;
    int rc = mk__iread(fs, dino, &d);
    if (rc != 0)
        return rc;
    if (d.type != MK__FS_T_DIR || d.size < 2 * DE)
        return MK_ECORRUPT;
    struct mk__dxhdr hd;
    memset(&hd, 0, sizeof hd);
    if ((rc = mk__tx_begin(fs, MK__TX_NEED)) != 0)
        return rc;
    if (d.size <= B) /* small: no index at all is right */
        return mk__dxr_save(fs, dino, &d, &hd);
    /* 1. Not valid from now on (a new seed); the size a whole number of
     * blocks. */
    hd.present = true;
    hd.seed = mk__dx_new_seed(fs, &d);
    if ((rc = mk__dxr_save(fs, dino, &d, &hd)) != 0)
        return rc;
    uint8_t *buf = calloc(B, 1);
    if (buf == NULL)
        return MK_ENOMEM;
    size_t n;
    if (d.size % B != 0) {
        rc = mk__iwrite_bytes(fs, &d, d.size, buf, B - d.size % B, &n);
        int wrc = mk__iwrite(fs, dino, &d);
        if (rc == 0)
            rc = wrc;
    }
    uint64_t nfb = d.size / B;
    if (rc == 0 && (d.size / DE > UINT32_MAX || nfb + 1 > UINT32_MAX / R))
        rc = MK_ENOSPC;
    /* 2. Every free record joins a new free chain (last slot first, so
     * the chain ascends). */
    for (uint64_t fb = nfb; rc == 0 && fb-- > 0;) {
        uint32_t bno;
        bool fresh;
        if ((rc = mk__bmap(fs, &d, fb, false, &bno, &fresh)) != 0)
            break;
        if (bno == 0)
            continue; /* a hole: its slots stay unused (nothing to write) */
        if ((rc = mk__tx_begin(fs, MK__TX_NEED)) != 0 ||
            (rc = mk__iread_bytes(fs, &d, fb * B, buf, B, &n)) != 0)
            break;
        for (uint32_t r = R; r-- > 0;) {
            uint64_t s = fb * R + r;
            uint8_t *e = buf + (size_t)r * DE;
            if (s < 2 || mk__le32(e) != 0)
                continue;
            memset(e, 0, DE);
            mk__put32(e + MK__FS_DXF_NEXT, hd.free);
            hd.free = (uint32_t)(s + 1);
        }
        rc = mk__iwrite_bytes(fs, &d, fb * B, buf, B, &n);
        if (rc == 0)
            rc = mk__dxr_save(fs, dino, &d, &hd);
    }
    /* 3. An empty root leaf. */
    struct mk__dxc c;
    memset(&c, 0, sizeof c);
    if (rc == 0)
        rc = mk__dx_ctx_init(&c, fs, &d);
    if (rc == 0 && (rc = mk__tx_begin(fs, MK__TX_NEED)) == 0) {
        struct mk__dxnode leaf = {0, 0, 0, c.nd.h, c.nd.v};
        uint32_t root;
        if ((rc = mk__dx_next_fbn(&c, &root)) == 0 &&
            (rc = mk__dx_nwrite(&c, root, &leaf)) == 0) {
            hd.root = root;
            hd.depth = 1;
            rc = mk__dxr_save(fs, dino, &d, &hd);
        }
    }
    /* 4. A pair per live entry of the old blocks. */
    for (uint64_t fb = 0; rc == 0 && fb < nfb; fb++) {
        if ((rc = mk__iread_bytes(fs, &d, fb * B, buf, B, &n)) != 0)
            break;
        for (uint32_t r = 0; r < R && rc == 0; r++) {
            uint64_t s = fb * R + r;
            const uint8_t *e = buf + (size_t)r * DE;
            if (s < 2 || mk__le32(e) == 0 || e[4] == 0 || e[4] > MK_NAME_MAX)
                continue;
            if ((rc = mk__tx_begin(fs, MK__TX_NEED)) == 0 &&
                (rc = mk__dx_insert(&c, &hd, mk__dx_hash(hd.seed, (const char *)e + 5, e[4]),
                                    (uint32_t)s, 0)) == 0)
                rc = mk__dxr_save(fs, dino, &d, &hd);
        }
    }
    /* 5. Valid. */
    if (rc == 0 && (rc = mk__tx_begin(fs, MK__TX_NEED)) == 0) {
        hd.valid = true;
        rc = mk__dxr_save(fs, dino, &d, &hd);
    }
    mk__dx_ctx_fini(&c);
    free(buf);
    return rc;
}
