/*
 * extent.c - the extent tree that maps a file's blocks to device blocks
 * (format version 3; layout in fs_format.h). After ext4's extent tree
 * (Mathur, Cao, Bhattacharya, Dilger, Tomas, Vivier: "The new ext4
 * filesystem: current status and future plans", OLS 2007, and ext4's
 * extents.c): a B+-tree keyed by file block, whose root node lives in the
 * inode (4 extents, enough for most files) and whose other nodes are
 * blocks with a header, a CRC-32C and (B - 16) / 12 entries.
 *
 * Sits on journal.c's block access (mk__fb_get/dirty/put) and balloc.c.
 * Rules:
 *  - The root is edited in the caller's struct mk__dinode (the caller
 *    writes the inode back, also after an error); tree blocks are edited in
 *    place through the journal, and their CRC is recomputed whenever one is
 *    dirtied.
 *  - At most three tree blocks are pinned at once and never across a call
 *    into balloc.c; a path is remembered as block numbers and positions.
 *  - Every node read is validated (magic, capacity, count, depth, owner,
 *    CRC, block numbers inside the data area): damage gives MK_ECORRUPT,
 *    never a crash, and the depth is bounded (MK__EXT_MAXDEPTH).
 *  - Invariant kept by construction (and checked by fsck): everything under
 *    index entry i lies in [key i, key i+1); an extent only grows inside the
 *    leaf chosen for its new block, so it never crosses its parent's next key.
 *    Truncation relies on it to skip subtrees wholly before the cut.
 *  - New blocks are asked for next to the extent before them
 *    (mk__balloc_near), so an append extends the last extent in place.
 * The caller serialises every call on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

/* A node: the inode's root (fb == NULL) or a tree block. */
struct mk__xn {
    uint8_t *h;             /* header */
    unsigned eoff;          /* entries start here */
    struct mk__fbuf *fb;    /* the block's buffer, NULL for the root */
};

/* A path from the root (level 0) down to a leaf. bno[0] = 0 is the root. */
struct mk__xpath {
    unsigned depth;
    uint32_t bno[MK__EXT_MAXDEPTH + 1];
    unsigned pos[MK__EXT_MAXDEPTH + 1];
};

static unsigned mk__xcnt(const uint8_t *h) { return mk__le16(h + 2); }
static unsigned mk__xmax(const uint8_t *h) { return mk__le16(h + 4); }
static unsigned mk__xdep(const uint8_t *h) { return mk__le16(h + 6); }
static uint8_t *mk__xe(const struct mk__xn *n, unsigned i)
{
    return n->h + n->eoff + (size_t)i * MK__EXT_ENT;
}
static uint32_t mk__xkey(const struct mk__xn *n, unsigned i) { return mk__le32(mk__xe(n, i)); }

uint32_t mk__ext_bmax(uint32_t bsize)
{
    return (bsize - MK__EXT_BHDR) / MK__EXT_ENT;
}

static void mk__xhdr(uint8_t *h, unsigned cnt, unsigned max, unsigned depth)
{
    mk__put16(h, MK__EXT_MAGIC);
    mk__put16(h + 2, (uint16_t)cnt);
    mk__put16(h + 4, (uint16_t)max);
    mk__put16(h + 6, (uint16_t)depth);
}

void mk__ext_init(struct mk__dinode *di)
{
    memset(di->ext, 0, sizeof di->ext);
    mk__xhdr(di->ext, 0, MK__EXT_ROOT_MAX, 0);
}

int mk__ext_root_check(const uint8_t *h)
{
    if (mk__le16(h) == 0 && mk__xcnt(h) == 0 && mk__xmax(h) == 0 && mk__xdep(h) == 0)
        return 0; /* all zero: an inode made by memset, empty */
    if (mk__le16(h) != MK__EXT_MAGIC || mk__xmax(h) != MK__EXT_ROOT_MAX ||
        mk__xcnt(h) > MK__EXT_ROOT_MAX || mk__xdep(h) > MK__EXT_MAXDEPTH ||
        (mk__xdep(h) > 0 && mk__xcnt(h) == 0))
        return MK_ECORRUPT;
    return 0;
}

int mk__ext_blk_check(const struct mk__fs *fs, const uint8_t *b, uint32_t ino, unsigned depth)
{
    if (mk__le16(b) != MK__EXT_MAGIC || mk__xmax(b) != mk__ext_bmax(fs->bsize) ||
        mk__xcnt(b) > mk__xmax(b) || mk__xdep(b) != depth || mk__le32(b + 8) != ino ||
        mk__le32(b + 12) != mk__ext_crc(b, fs->bsize) || (depth > 0 && mk__xcnt(b) == 0))
        return MK_ECORRUPT;
    return 0;
}

static bool mk__xbno_ok(const struct mk__fs *fs, uint64_t bno, uint64_t len)
{
    return len >= 1 && bno >= fs->sb.data_start && bno + len <= fs->sb.nblocks;
}

/* Open node bno (0 = the root) expected at `depth`. */
static int mk__xget(struct mk__fs *fs, struct mk__dinode *di, uint32_t bno, unsigned depth,
                    struct mk__xn *n)
{
    if (bno == 0) {
        if (mk__le16(di->ext) == 0)
            mk__ext_init(di); /* a zeroed inode: give it a real header */
        n->h = di->ext;
        n->eoff = MK__EXT_HDR;
        n->fb = NULL;
        return mk__ext_root_check(di->ext);
    }
    if (!mk__xbno_ok(fs, bno, 1))
        return MK_ECORRUPT;
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, bno, 0, &b);
    if (rc != 0)
        return rc;
    if ((rc = mk__ext_blk_check(fs, b->data, di->ino, depth)) != 0) {
        mk__fb_put(fs, b);
        return rc;
    }
    n->h = b->data;
    n->eoff = MK__EXT_BHDR;
    n->fb = b;
    return 0;
}

/* Release a node; a dirtied tree block gets its CRC first. */
static void mk__xput(struct mk__fs *fs, struct mk__xn *n, bool dirty)
{
    if (n->fb == NULL)
        return;
    if (dirty) {
        mk__put32(n->h + 12, mk__ext_crc(n->h, fs->bsize));
        mk__fb_dirty(fs, n->fb);
    }
    mk__fb_put(fs, n->fb);
    n->fb = NULL;
}

/* Last entry whose key is <= key, or -1. */
static int mk__xfind(const struct mk__xn *n, uint32_t key)
{
    int lo = 0, hi = (int)mk__xcnt(n->h) - 1, ans = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (mk__xkey(n, (unsigned)mid) <= key) {
            ans = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return ans;
}

/* Walk from the root to the leaf whose range holds fbn. */
static int mk__xdescend(struct mk__fs *fs, struct mk__dinode *di, uint32_t fbn,
                        struct mk__xpath *p)
{
    struct mk__xn n;
    int rc = mk__xget(fs, di, 0, 0, &n);
    if (rc != 0)
        return rc;
    unsigned D = mk__xdep(di->ext);
    p->depth = D;
    p->bno[0] = 0;
    uint32_t bno = 0;
    for (unsigned l = 0; l < D; l++) {
        if (l > 0 && (rc = mk__xget(fs, di, bno, D - l, &n)) != 0)
            return rc;
        int pos = mk__xfind(&n, fbn);
        if (pos < 0)
            pos = 0;
        uint32_t child = mk__le32(mk__xe(&n, (unsigned)pos) + 4);
        mk__xput(fs, &n, false);
        p->pos[l] = (unsigned)pos;
        p->bno[l + 1] = bno = child;
    }
    return 0;
}

int mk__ext_map(struct mk__fs *fs, const struct mk__dinode *dic, uint64_t fbn, uint32_t *bno,
                uint32_t *run)
{
    *bno = 0;
    *run = 1;
    if (fbn > UINT32_MAX)
        return 0;
    struct mk__dinode *di = (struct mk__dinode *)dic; /* read only: see mk__xget */
    if (mk__le16(di->ext) == 0)
        return mk__ext_root_check(di->ext); /* zeroed: empty */
    struct mk__xpath p;
    int rc = mk__xdescend(fs, di, (uint32_t)fbn, &p);
    if (rc != 0)
        return rc;
    struct mk__xn n;
    if ((rc = mk__xget(fs, di, p.bno[p.depth], 0, &n)) != 0)
        return rc;
    int i = mk__xfind(&n, (uint32_t)fbn);
    unsigned cnt = mk__xcnt(n.h);
    if (i >= 0) {
        const uint8_t *e = mk__xe(&n, (unsigned)i);
        uint32_t lb = mk__le32(e), pb = mk__le32(e + 4), len = mk__le32(e + 8);
        if (len > MK__EXT_MAXLEN || !mk__xbno_ok(fs, pb, len)) {
            rc = MK_ECORRUPT;
        } else if (fbn - lb < len) {
            *bno = pb + (uint32_t)(fbn - lb);
            *run = len - (uint32_t)(fbn - lb);
        }
    }
    if (rc == 0 && *bno == 0 && (unsigned)(i + 1) < cnt) {
        uint32_t next = mk__xkey(&n, (unsigned)(i + 1));
        if (next > fbn)
            *run = next - (uint32_t)fbn; /* the hole up to the next extent */
    }
    mk__xput(fs, &n, false);
    return rc;
}

/* After entry 0 of the node at level l changed to key k, lower the keys
 * naming it on the way up. */
static int mk__xfix_keys(struct mk__fs *fs, struct mk__dinode *di, const struct mk__xpath *p,
                         unsigned l, uint32_t k)
{
    while (l-- > 0) {
        struct mk__xn n;
        int rc = mk__xget(fs, di, p->bno[l], p->depth - l, &n);
        if (rc != 0)
            return rc;
        uint8_t *e = mk__xe(&n, p->pos[l]);
        bool change = mk__le32(e) > k;
        if (change)
            mk__put32(e, k);
        mk__xput(fs, &n, change);
        if (!change || p->pos[l] != 0)
            break;
    }
    return 0;
}

/* Insert entry (a, b, c) into node n at pos (room checked by the caller). */
static void mk__xins(struct mk__xn *n, unsigned pos, uint32_t a, uint32_t b, uint32_t c)
{
    unsigned cnt = mk__xcnt(n->h);
    memmove(mk__xe(n, pos + 1), mk__xe(n, pos), (size_t)(cnt - pos) * MK__EXT_ENT);
    uint8_t *e = mk__xe(n, pos);
    mk__put32(e, a);
    mk__put32(e + 4, b);
    mk__put32(e + 8, c);
    mk__put16(n->h + 2, (uint16_t)(cnt + 1));
}

static void mk__xdel(struct mk__xn *n, unsigned pos)
{
    unsigned cnt = mk__xcnt(n->h);
    memmove(mk__xe(n, pos), mk__xe(n, pos + 1), (size_t)(cnt - pos - 1) * MK__EXT_ENT);
    memset(mk__xe(n, cnt - 1), 0, MK__EXT_ENT);
    mk__put16(n->h + 2, (uint16_t)(cnt - 1));
}

/* A fresh tree block for di: allocated near `goal`, header written. */
static int mk__xnew(struct mk__fs *fs, struct mk__dinode *di, uint32_t goal, unsigned depth,
                    uint32_t *bno, struct mk__xn *n)
{
    int rc = mk__balloc_near(fs, goal, bno);
    if (rc != 0)
        return rc;
    struct mk__fbuf *b;
    if ((rc = mk__fb_get(fs, *bno, MK__BUF_NOREAD, &b)) != 0) {
        mk__bfree(fs, *bno);
        return rc;
    }
    memset(b->data, 0, fs->bsize);
    mk__xhdr(b->data, 0, mk__ext_bmax(fs->bsize), depth);
    mk__put32(b->data + 8, di->ino);
    n->h = b->data;
    n->eoff = MK__EXT_BHDR;
    n->fb = b;
    di->blocks++;
    return 0;
}

/* The root is full at every level: move its entries into a new block and
 * make the root an index of one entry over it (the tree grows at the top,
 * as in ext4_ext_grow_indepth). */
static int mk__xgrow(struct mk__fs *fs, struct mk__dinode *di)
{
    unsigned D = mk__xdep(di->ext), cnt = mk__xcnt(di->ext);
    if (D >= MK__EXT_MAXDEPTH)
        return MK_ENOSPC; /* the tree is as deep as it may be */
    uint32_t nb;
    struct mk__xn n;
    int rc = mk__xnew(fs, di, 0, D, &nb, &n);
    if (rc != 0)
        return rc;
    memcpy(n.h + MK__EXT_BHDR, di->ext + MK__EXT_HDR, (size_t)cnt * MK__EXT_ENT);
    mk__put16(n.h + 2, (uint16_t)cnt);
    uint32_t key = cnt > 0 ? mk__le32(di->ext + MK__EXT_HDR) : 0;
    mk__xput(fs, &n, true);
    memset(di->ext, 0, sizeof di->ext);
    mk__xhdr(di->ext, 1, MK__EXT_ROOT_MAX, D + 1);
    mk__put32(di->ext + MK__EXT_HDR, key);
    mk__put32(di->ext + MK__EXT_HDR + 4, nb);
    return 0;
}

/* Split the full block node at level l (its parent at l - 1 has room) for
 * an insertion of key lb: the upper half moves to a new block named right
 * after it in the parent. */
static int mk__xsplit(struct mk__fs *fs, struct mk__dinode *di, const struct mk__xpath *p,
                      unsigned l, uint32_t lb)
{
    struct mk__xn old, nw, par;
    unsigned dep = p->depth - l;
    int rc = mk__xget(fs, di, p->bno[l - 1], dep + 1, &par);
    if (rc != 0)
        return rc;
    unsigned pcnt = mk__xcnt(par.h);
    mk__xput(fs, &par, false);
    if ((rc = mk__xget(fs, di, p->bno[l], dep, &old)) != 0)
        return rc;
    unsigned cnt = mk__xcnt(old.h), keep = cnt / 2;
    /* An append past the right end of the tree leaves the old node full
     * (ext4 does the same for sequential writes): only the last entry
     * moves, so a file written in order packs its leaves. */
    if (p->pos[l - 1] + 1 == pcnt && cnt > 1 && lb > mk__xkey(&old, cnt - 1))
        keep = cnt - 1;
    mk__xput(fs, &old, false);
    uint32_t nb;
    if ((rc = mk__xnew(fs, di, p->bno[l] + 1, dep, &nb, &nw)) != 0)
        return rc;
    if ((rc = mk__xget(fs, di, p->bno[l], dep, &old)) != 0) {
        mk__xput(fs, &nw, true); /* attached to nothing: fsck's leak */
        return rc;
    }
    memcpy(nw.h + MK__EXT_BHDR, mk__xe(&old, keep), (size_t)(cnt - keep) * MK__EXT_ENT);
    mk__put16(nw.h + 2, (uint16_t)(cnt - keep));
    memset(mk__xe(&old, keep), 0, (size_t)(cnt - keep) * MK__EXT_ENT);
    mk__put16(old.h + 2, (uint16_t)keep);
    uint32_t key = mk__xkey(&nw, 0);
    mk__xput(fs, &old, true);
    mk__xput(fs, &nw, true);
    if ((rc = mk__xget(fs, di, p->bno[l - 1], dep + 1, &par)) != 0)
        return rc;
    mk__xins(&par, p->pos[l - 1] + 1, key, nb, 0);
    mk__xput(fs, &par, true);
    return 0;
}

/* Insert extent (lb, pb, len) where fbn lb belongs, splitting full nodes
 * (from the deepest ancestor with room downwards) or growing the root. */
static int mk__xinsert(struct mk__fs *fs, struct mk__dinode *di, uint32_t lb, uint32_t pb,
                       uint32_t len)
{
    for (unsigned tries = 0; tries < 4 * (MK__EXT_MAXDEPTH + 2); tries++) {
        struct mk__xpath p;
        int rc = mk__xdescend(fs, di, lb, &p);
        if (rc != 0)
            return rc;
        unsigned D = p.depth;
        struct mk__xn n;
        if ((rc = mk__xget(fs, di, p.bno[D], 0, &n)) != 0)
            return rc;
        if (mk__xcnt(n.h) < mk__xmax(n.h)) {
            int i = mk__xfind(&n, lb);
            unsigned pos = (unsigned)(i + 1);
            mk__xins(&n, pos, lb, pb, len);
            mk__xput(fs, &n, true);
            if (pos == 0 && D > 0)
                return mk__xfix_keys(fs, di, &p, D, lb);
            return 0;
        }
        mk__xput(fs, &n, false);
        /* The deepest ancestor with room. */
        int room = -1;
        for (int l = (int)D - 1; l >= 0 && room < 0; l--) {
            if ((rc = mk__xget(fs, di, p.bno[l], D - (unsigned)l, &n)) != 0)
                return rc;
            if (mk__xcnt(n.h) < mk__xmax(n.h))
                room = l;
            mk__xput(fs, &n, false);
        }
        if (room < 0)
            rc = mk__xgrow(fs, di);
        else
            rc = mk__xsplit(fs, di, &p, (unsigned)room + 1, lb);
        if (rc != 0)
            return rc;
    }
    return MK_ECORRUPT; /* cannot happen on a valid tree */
}

int mk__ext_alloc(struct mk__fs *fs, struct mk__dinode *di, uint64_t fbn64, uint32_t *out)
{
    if (fbn64 > UINT32_MAX)
        return MK_ERANGE;
    uint32_t fbn = (uint32_t)fbn64;
    struct mk__xpath p;
    int rc = mk__xdescend(fs, di, fbn, &p);
    if (rc != 0)
        return rc;
    struct mk__xn n;
    if ((rc = mk__xget(fs, di, p.bno[p.depth], 0, &n)) != 0)
        return rc;
    int i = mk__xfind(&n, fbn);
    unsigned cnt = mk__xcnt(n.h);
    uint32_t pl = 0, pp = 0, plen = 0, nl = 0, np = 0, nlen = 0;
    if (i >= 0) {
        const uint8_t *e = mk__xe(&n, (unsigned)i);
        pl = mk__le32(e), pp = mk__le32(e + 4), plen = mk__le32(e + 8);
        if (fbn - pl < plen || plen == 0) {
            mk__xput(fs, &n, false);
            return MK_ECORRUPT; /* mapped already: the caller asked for a hole */
        }
    }
    if ((unsigned)(i + 1) < cnt) {
        const uint8_t *e = mk__xe(&n, (unsigned)(i + 1));
        nl = mk__le32(e), np = mk__le32(e + 4), nlen = mk__le32(e + 8);
    }
    mk__xput(fs, &n, false);
    /* Goal: where fbn would lie if the file were contiguous. */
    uint64_t goal = 0;
    if (i >= 0)
        goal = (uint64_t)pp + (fbn - pl);
    else if (nlen > 0 && np >= nl - fbn)
        goal = (uint64_t)np - (nl - fbn);
    uint32_t nb;
    if ((rc = mk__balloc_near(fs, goal, &nb)) != 0)
        return rc;
    bool ext_prev = i >= 0 && pl + plen == fbn && pp + plen == nb && plen < MK__EXT_MAXLEN;
    bool ext_next = nlen > 0 && nl == fbn + 1 && np == nb + 1 && nlen < MK__EXT_MAXLEN;
    if (ext_prev || ext_next) {
        if ((rc = mk__xget(fs, di, p.bno[p.depth], 0, &n)) != 0) {
            mk__bfree(fs, nb);
            return rc;
        }
        di->blocks++;
        *out = nb;
        if (ext_prev) {
            uint8_t *e = mk__xe(&n, (unsigned)i);
            plen++;
            /* Filled the gap to the next extent exactly: merge the two. */
            if (nlen > 0 && pl + plen == nl && pp + plen == np &&
                plen + nlen <= MK__EXT_MAXLEN) {
                plen += nlen;
                mk__xdel(&n, (unsigned)i + 1);
            }
            mk__put32(e + 8, plen);
            mk__xput(fs, &n, true);
        } else {
            uint8_t *e = mk__xe(&n, (unsigned)(i + 1));
            mk__put32(e, fbn);
            mk__put32(e + 4, nb);
            mk__put32(e + 8, nlen + 1);
            mk__xput(fs, &n, true);
            if (i + 1 == 0 && p.depth > 0)
                return mk__xfix_keys(fs, di, &p, p.depth, fbn);
        }
        return 0;
    }
    if ((rc = mk__xinsert(fs, di, fbn, nb, 1)) != 0) {
        mk__bfree(fs, nb);
        return rc;
    }
    di->blocks++;
    *out = nb;
    return 0;
}

/* Give back the blocks [pb, pb + len). */
static int mk__xfree_run(struct mk__fs *fs, struct mk__dinode *di, uint32_t pb, uint32_t len)
{
    for (uint32_t k = 0; k < len; k++) {
        int rc = mk__bfree(fs, pb + k);
        if (rc != 0)
            return rc;
        di->blocks--;
    }
    return 0;
}

/* Free everything of node bno (at depth) at file block `first` or beyond;
 * *empty tells the parent the node holds nothing any more (it then frees
 * the block). A node that goes as a whole is not rewritten: that would
 * only add a dead block to the transaction. */
static int mk__xtrunc(struct mk__fs *fs, struct mk__dinode *di, uint32_t bno, unsigned depth,
                      uint32_t first, bool whole, bool *empty)
{
    struct mk__xn n;
    int rc = mk__xget(fs, di, bno, depth, &n);
    if (rc != 0)
        return rc;
    unsigned cnt = mk__xcnt(n.h);
    if (depth == 0) {
        bool dirty = false;
        while (cnt > 0 && rc == 0) {
            uint8_t *e = mk__xe(&n, cnt - 1);
            uint32_t lb = mk__le32(e), pb = mk__le32(e + 4), len = mk__le32(e + 8);
            if ((uint64_t)lb + len <= first)
                break;
            if (len > MK__EXT_MAXLEN || !mk__xbno_ok(fs, pb, len)) {
                rc = MK_ECORRUPT;
                break;
            }
            uint32_t keep = lb >= first ? 0 : first - lb;
            rc = mk__xfree_run(fs, di, pb + keep, len - keep);
            if (rc != 0)
                break;
            if (keep == 0) {
                mk__xdel(&n, --cnt);
            } else {
                mk__put32(e + 8, keep);
                dirty = true;
                break;
            }
            dirty = true;
        }
        *empty = mk__xcnt(n.h) == 0;
        mk__xput(fs, &n, dirty && !whole && !*empty);
        return rc;
    }
    /* Index: the children after the cut, last first. Copy the entries
     * out: the recursion pins buffers of its own. */
    size_t sz = (size_t)cnt * MK__EXT_ENT;
    uint8_t *v = malloc(sz ? sz : 1);
    if (v == NULL) {
        mk__xput(fs, &n, false);
        return MK_ENOMEM;
    }
    memcpy(v, mk__xe(&n, 0), sz);
    mk__xput(fs, &n, false);
    unsigned left = cnt;
    for (unsigned j = cnt; j-- > 0;) {
        uint32_t key = mk__le32(v + j * MK__EXT_ENT);
        if (j + 1 < cnt && mk__le32(v + (j + 1) * MK__EXT_ENT) <= first)
            break; /* child j lies wholly before the cut */
        uint32_t child = mk__le32(v + j * MK__EXT_ENT + 4);
        bool cempty = false;
        rc = mk__xtrunc(fs, di, child, depth - 1, first, whole || key >= first, &cempty);
        if (rc != 0)
            break;
        if (!cempty)
            break;
        if ((rc = mk__bfree(fs, child)) != 0)
            break;
        di->blocks--;
        left = j;
    }
    if (rc == 0 && left < cnt) {
        /* Children left..cnt-1 went: drop their entries. */
        if ((rc = mk__xget(fs, di, bno, depth, &n)) == 0) {
            memset(mk__xe(&n, left), 0, (size_t)(cnt - left) * MK__EXT_ENT);
            mk__put16(n.h + 2, (uint16_t)left);
            *empty = left == 0;
            mk__xput(fs, &n, !whole && !*empty);
        }
    }
    free(v);
    return rc;
}

int mk__ext_trunc(struct mk__fs *fs, struct mk__dinode *di, uint64_t first64)
{
    if (first64 > UINT32_MAX)
        return 0; /* nothing is mapped that far */
    if (mk__le16(di->ext) == 0)
        return mk__ext_root_check(di->ext);
    bool empty = false;
    int rc = mk__xtrunc(fs, di, 0, mk__xdep(di->ext), (uint32_t)first64, false, &empty);
    if (rc == 0 && mk__xcnt(di->ext) == 0)
        mk__ext_init(di); /* back to an empty leaf root */
    return rc;
}
