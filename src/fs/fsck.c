/*
 * fsck.c - the file system checker and repairer (mk_fs_fsck's engine), in
 * the manner of e2fsck's passes (Bina and Emrath, "A Faster fsck for BSD
 * Unix", 1989; McKusick and Kowalski, "Fsck - The UNIX File System Check
 * Program"):
 *   0. open: replay a committed journal transaction, validate the
 *      superblock and the bitmaps' geometry (super.c; MK_ECORRUPT past
 *      repair);
 *   1. walk every directory from the root (breadth first), checking each
 *      inode reached: type, size, its extent tree (node headers, CRCs,
 *      owners, depths; extents inside the data area and the file, sorted,
 *      not overlapping, inside their parent's key range; blocks claimed
 *      once), block count; each directory's size, "." and "..",
 *      and every entry (valid name, names a live inode, no second name for
 *      a directory), then the directory's name index (dxcheck.c: tree
 *      shape, hash order, every entry reachable once, free chain); count
 *      the entries naming each inode;
 *   2. link counts against those counts;
 *   3. the inode bitmap, then the block bitmap, against what was reached;
 *   4. (repair) rebuild the damaged directory indexes found in pass 1:
 *      it allocates blocks, so it runs once the bitmaps are right.
 * Repairs (MK_FSCK_REPAIR) go through the journal like any operation, and
 * are committed at the end, so a crash during a repair is itself safe.
 *
 * Sits on journal.c / inode.c. Memory: one bit per block, a word per inode.
 * Bounded: every loop is bounded by the device's geometry, so a damaged
 * device cannot make it hang. The caller (vfs mount.c) makes sure the
 * device is not mounted.
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

#define DE MK__FS_DIRENT_SIZE

struct mk__ck {
    struct mk__fs *fs;
    mk_fsck_report_t *r;
    bool fix;
    uint8_t *claimed;   /* nblocks bits: block reached */
    uint32_t *refs;     /* ninodes: entries naming the inode */
    uint32_t *parent;   /* ninodes: directory that named it first */
    uint8_t *state;     /* ninodes: 0 unseen, 1 queued/seen, 2 bad */
    uint32_t *queue;    /* directories to walk */
    size_t qh, qt;
    uint32_t *dxfix;    /* directories whose name index is rebuilt */
    size_t ndxfix, dxcap;
};

static bool mk__ck_claim(struct mk__ck *c, uint32_t bno)
{
    uint8_t m = (uint8_t)(1u << (bno % 8));
    if (c->claimed[bno / 8] & m)
        return false;
    c->claimed[bno / 8] |= m;
    return true;
}

static void mk__ck_found(struct mk__ck *c, uint64_t *kind, bool fixed)
{
    (*kind)++;
    c->r->problems++;
    if (fixed)
        c->r->repaired++;
}

/* Make room in the journal for a repair touching a few blocks. */
static int mk__ck_room(struct mk__ck *c)
{
    return mk__tx_begin(c->fs, 8);
}

static void mk__ck_unclaim(struct mk__ck *c, uint32_t bno)
{
    c->claimed[bno / 8] &= (uint8_t)~(1u << (bno % 8));
}

/* Check one extent tree node (format version 3, fs_format.h): `ents`
 * points at its entries (a copy for a tree block; the inode's root in
 * place), *cnt of them, at `depth`; every key must lie in [lo, hi) and
 * every extent end by hi and by the file's last block `eof`. Entries that
 * are bad (outside the device, empty or too long, out of order,
 * overlapping, outside their parent's range, past the end of the file, or
 * naming a child with a bad header, CRC, owner or depth) are counted in
 * bad_pointers and, when repairing, dropped (*cnt shrinks; *changed tells
 * the caller to write the node back); what they held becomes a leak the
 * bitmap pass frees. Blocks claimed twice are reported, not repaired.
 * Counts the blocks claimed into *nb. Recursion is bounded by the depth,
 * itself bounded by MK__EXT_MAXDEPTH. */
static int mk__ck_node(struct mk__ck *c, uint32_t ino, uint8_t *ents, unsigned *cnt,
                       unsigned depth, uint64_t lo, uint64_t hi, uint64_t eof, uint64_t *nb,
                       bool *changed)
{
    struct mk__fs *fs = c->fs;
    const unsigned E = MK__EXT_ENT;
    uint64_t prev_end = lo;
    unsigned out = 0;
    int rc = 0;
    for (unsigned i = 0; i < *cnt && rc == 0; i++) {
        uint8_t *e = ents + (size_t)i * E;
        uint64_t lb = mk__le32(e), pb = mk__le32(e + 4), len = mk__le32(e + 8);
        uint64_t next = i + 1 < *cnt ? mk__le32(e + E) : hi;
        if (next > hi || next <= lb)
            next = hi;
        bool bad;
        if (depth == 0) {
            bad = len == 0 || len > MK__EXT_MAXLEN || lb < prev_end || lb + len > hi ||
                  lb + len > eof || pb < fs->sb.data_start || pb + len > fs->sb.nblocks;
        } else {
            bad = lb < prev_end || lb >= hi || mk__le32(e + 8) != 0 ||
                  pb < fs->sb.data_start || pb >= fs->sb.nblocks;
        }
        uint8_t *child = NULL;
        if (!bad && depth > 0) {
            /* The child: its header, CRC, owner and depth. */
            struct mk__fbuf *b;
            if ((rc = mk__fb_get(fs, pb, 0, &b)) != 0)
                break;
            if (mk__ext_blk_check(fs, b->data, ino, depth - 1) != 0 ||
                mk__le16(b->data + 2) == 0) {
                bad = true;
            } else if ((child = malloc(fs->bsize)) == NULL) {
                rc = MK_ENOMEM;
            } else {
                memcpy(child, b->data, fs->bsize);
            }
            mk__fb_put(fs, b);
            if (rc != 0)
                break;
        }
        if (bad) {
            mk__ck_found(c, &c->r->bad_pointers, c->fix);
            if (c->fix) {
                *changed = true;
                continue; /* dropped */
            }
            if (depth == 0 && lb + len > prev_end && lb + len <= hi)
                prev_end = lb + len;
            else if (depth > 0 && lb >= prev_end && lb < hi)
                prev_end = lb + 1;
            out = i + 1;
            continue;
        }
        if (depth == 0) {
            /* Claim the extent's blocks. */
            bool dup = false;
            for (uint64_t k = 0; k < len; k++)
                if (!mk__ck_claim(c, (uint32_t)(pb + k)))
                    dup = true;
            if (dup)
                mk__ck_found(c, &c->r->dup_blocks, false);
            *nb += len;
            prev_end = lb + len;
        } else if (!mk__ck_claim(c, (uint32_t)pb)) {
            /* Claimed twice: only one owner can keep it; which one is
             * right is unknowable, so report it and leave both. */
            mk__ck_found(c, &c->r->dup_blocks, false);
            (*nb)++;
            prev_end = lb + 1;
        } else {
            unsigned ccnt = mk__le16(child + 2);
            bool cchanged = false;
            rc = mk__ck_node(c, ino, child + MK__EXT_BHDR, &ccnt, depth - 1, lb, next, eof, nb,
                             &cchanged);
            if (rc == 0 && ccnt == 0) {
                /* Nothing valid was left under it: drop it (a repair). */
                mk__ck_unclaim(c, (uint32_t)pb);
                free(child);
                *changed = true;
                continue;
            }
            if (rc == 0 && cchanged && c->fix && (rc = mk__ck_room(c)) == 0) {
                struct mk__fbuf *b;
                if ((rc = mk__fb_get(fs, pb, 0, &b)) == 0) {
                    mk__put16(child + 2, (uint16_t)ccnt);
                    memcpy(b->data, child, fs->bsize);
                    mk__put32(b->data + 12, mk__ext_crc(b->data, fs->bsize));
                    mk__fb_dirty(fs, b);
                    mk__fb_put(fs, b);
                }
            }
            (*nb)++;
            prev_end = lb + 1;
        }
        free(child);
        if (out != i)
            memmove(ents + (size_t)out * E, e, E);
        out++;
    }
    if (rc == 0 && out < *cnt) {
        memset(ents + (size_t)out * E, 0, (size_t)(*cnt - out) * E);
        *cnt = out;
    }
    return rc;
}

/* Check inode ino's extent tree and block count; write it back if fixed. */
static int mk__ck_blocks(struct mk__ck *c, uint32_t ino, struct mk__dinode *di)
{
    struct mk__fs *fs = c->fs;
    uint64_t nb = 0;
    bool changed = false;
    int rc = 0;
    uint8_t *h = di->ext;
    if (mk__ext_root_check(h) != 0) {
        /* The root itself is garbage: nothing under it can be trusted.
         * A repair empties the file's map (its blocks become leaks). */
        mk__ck_found(c, &c->r->bad_inodes, c->fix);
        if (!c->fix)
            return 0;
        mk__ext_init(di);
        changed = true;
    } else if (mk__le16(h) != 0) {
        unsigned cnt = mk__le16(h + 2), depth = mk__le16(h + 6);
        uint64_t eof = (di->size + fs->bsize - 1) / fs->bsize;
        rc = mk__ck_node(c, ino, h + MK__EXT_HDR, &cnt, depth, 0, (uint64_t)1 << 32, eof, &nb,
                         &changed);
        if (rc != 0)
            return rc;
        if (c->fix && cnt != mk__le16(h + 2)) {
            mk__put16(h + 2, (uint16_t)cnt);
            if (cnt == 0)
                mk__ext_init(di); /* an empty index root becomes an empty leaf */
        }
    }
    if (nb != di->blocks) {
        mk__ck_found(c, &c->r->block_counts, c->fix);
        di->blocks = nb;
        changed = true;
    }
    if (changed && c->fix) {
        if ((rc = mk__ck_room(c)) != 0)
            return rc;
        return mk__iwrite(c->fs, ino, di);
    }
    return 0;
}

/* Read inode ino raw (mk__iread refuses bad types, fsck wants them). */
static int mk__ck_iread(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di)
{
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, fs->sb.itable_start + ino / fs->ipb, 0, &b);
    if (rc != 0)
        return rc;
    mk__dinode_decode(b->data + (ino % fs->ipb) * MK__FS_INODE_SIZE, di);
    mk__fb_put(fs, b);
    di->ino = ino;
    return 0;
}

static bool mk__ck_ibit(struct mk__ck *c, uint32_t ino, int *rc)
{
    struct mk__fs *fs = c->fs;
    uint64_t per = (uint64_t)fs->bsize * 8;
    struct mk__fbuf *b;
    *rc = mk__fb_get(fs, fs->sb.imap_start + ino / per, 0, &b);
    if (*rc != 0)
        return false;
    bool set = (b->data[(ino % per) / 8] >> (ino % 8)) & 1u;
    mk__fb_put(fs, b);
    return set;
}

/* Set or clear one bit of a bitmap (repair). */
static int mk__ck_setbit(struct mk__ck *c, uint64_t start, uint64_t bit, bool on)
{
    struct mk__fs *fs = c->fs;
    uint64_t per = (uint64_t)fs->bsize * 8;
    int rc = mk__ck_room(c);
    if (rc != 0)
        return rc;
    struct mk__fbuf *b;
    if ((rc = mk__fb_get(fs, start + bit / per, 0, &b)) != 0)
        return rc;
    uint8_t m = (uint8_t)(1u << (bit % 8));
    if (on)
        b->data[(bit % per) / 8] |= m;
    else
        b->data[(bit % per) / 8] &= (uint8_t)~m;
    mk__fb_dirty(fs, b);
    mk__fb_put(fs, b);
    return 0;
}

/* Is entry (ino, name) acceptable in directory dino at slot? Decides what
 * the walk does with it: 0 skip, 1 count, 2 count and queue (a new dir). */
static int mk__ck_entry(struct mk__ck *c, uint32_t dino, uint64_t slot, uint8_t *ent,
                        bool *clear, int *rcp)
{
    struct mk__fs *fs = c->fs;
    uint32_t ino = mk__le32(ent), nlen = ent[4];
    *clear = false;
    *rcp = 0;
    bool dot = nlen == 1 && ent[5] == '.';
    bool dotdot = nlen == 2 && ent[5] == '.' && ent[6] == '.';
    if (ino == 0 && slot >= 2)
        return 0;
    if (slot < 2) {
        /* "." must be the directory itself, ".." its parent. */
        uint32_t want = slot == 0 ? dino : c->parent[dino];
        if ((slot == 0 && !dot) || (slot == 1 && !dotdot) || ino != want) {
            mk__ck_found(c, &c->r->bad_dirs, c->fix);
            if (c->fix) {
                mk__dirent_encode(ent, want, "..", slot == 0 ? 1 : 2);
                *clear = true; /* "rewrite" */
            }
            c->refs[want]++;
            return 0;
        }
        c->refs[ino]++;
        return 0;
    }
    bool bad = ino >= fs->sb.ninodes || nlen == 0 || nlen > MK_NAME_MAX || dot || dotdot ||
               memchr(ent + 5, '/', nlen) != NULL || memchr(ent + 5, 0, nlen) != NULL;
    if (!bad && c->state[ino] == 2)
        bad = true;
    struct mk__dinode di;
    if (!bad && c->state[ino] == 0) {
        int rc = mk__ck_iread(fs, ino, &di);
        if (rc != 0) {
            *rcp = rc;
            return 0;
        }
        if (di.type != MK__FS_T_REG && di.type != MK__FS_T_DIR) {
            bad = true;
            if (di.type != MK__FS_T_FREE) {
                c->state[ino] = 2;
                mk__ck_found(c, &c->r->bad_inodes, false);
            }
        }
    }
    /* A second name for a directory (directories have exactly one). */
    if (!bad && c->state[ino] == 1 && c->parent[ino] != 0)
        bad = true;
    if (bad) {
        mk__ck_found(c, &c->r->bad_entries, c->fix);
        *clear = c->fix;
        return 0;
    }
    c->refs[ino]++;
    if (c->state[ino] == 0) {
        c->state[ino] = 1;
        if (di.type == MK__FS_T_DIR) {
            c->parent[ino] = dino;
            return 2;
        }
        c->parent[ino] = 0; /* files: any number of names */
        return 3;
    }
    return 1;
}

/* Check one inode's own fields and blocks (first time it is reached). */
static int mk__ck_inode(struct mk__ck *c, uint32_t ino, struct mk__dinode *di)
{
    int rc = mk__ck_iread(c->fs, ino, di);
    if (rc != 0)
        return rc;
    if (di->size > c->fs->max_file ||
        (di->type == MK__FS_T_DIR && (di->size % DE != 0 || di->size < 2 * DE))) {
        mk__ck_found(c, di->type == MK__FS_T_DIR ? &c->r->bad_dirs : &c->r->bad_inodes,
                     false);
        c->state[ino] = 2;
    }
    rc = mk__ck_blocks(c, ino, di);
    /* A directory has no holes, so its blocks cover its size; a size past
     * them is garbage, and walking its entries would visit up to 2^32
     * unmapped blocks (extents address that many). */
    if (rc == 0 && di->type == MK__FS_T_DIR && c->state[ino] != 2 &&
        (di->size + c->fs->bsize - 1) / c->fs->bsize > di->blocks) {
        mk__ck_found(c, &c->r->bad_dirs, false);
        c->state[ino] = 2;
    }
    return rc;
}

/* Pass 1 for one directory, after its entries: its name index (dxcheck.c).
 * Damage is counted in bad_dirs; a repair rebuilds it (mk__ck_dxfix). */
static int mk__ck_dxcheck(struct mk__ck *c, uint32_t dino, struct mk__dinode *d)
{
    uint64_t bad = 0;
    int rc = mk__dx_check(c->fs, dino, d, &bad);
    if (rc != 0 || bad == 0)
        return rc;
    mk__ck_found(c, &c->r->bad_dirs, false);
    if (!c->fix)
        return 0;
    if (c->ndxfix == c->dxcap) {
        size_t nc = c->dxcap ? c->dxcap * 2 : 16;
        uint32_t *nv = realloc(c->dxfix, nc * sizeof *nv);
        if (nv == NULL)
            return MK_ENOMEM;
        c->dxfix = nv;
        c->dxcap = nc;
    }
    c->dxfix[c->ndxfix++] = dino;
    return 0;
}

/* Pass 1 for one directory: every entry. */
static int mk__ck_dir(struct mk__ck *c, uint32_t dino)
{
    struct mk__fs *fs = c->fs;
    struct mk__dinode d;
    int rc = mk__ck_inode(c, dino, &d);
    if (rc != 0)
        return rc;
    c->r->dirs++;
    if (c->state[dino] == 2)
        return 0; /* its entries cannot be trusted: they go unreached */
    uint64_t per = fs->bsize / DE, nent = d.size / DE;
    for (uint64_t fb = 0; fb * per < nent; fb++) {
        uint32_t bno;
        bool fresh;
        if ((rc = mk__bmap(fs, &d, fb, false, &bno, &fresh)) != 0)
            return rc == MK_ECORRUPT || rc == MK_ERANGE ? 0 : rc;
        if (bno == 0)
            continue;
        struct mk__fbuf *b;
        if ((rc = mk__fb_get(fs, bno, 0, &b)) != 0)
            return rc;
        uint8_t *blk = malloc(fs->bsize);
        if (blk == NULL) {
            mk__fb_put(fs, b);
            return MK_ENOMEM;
        }
        memcpy(blk, b->data, fs->bsize);
        mk__fb_put(fs, b);
        bool dirty = false;
        for (uint64_t i = 0; i < per && fb * per + i < nent; i++) {
            bool clear;
            uint8_t *ent = blk + i * DE;
            int what = mk__ck_entry(c, dino, fb * per + i, ent, &clear, &rc);
            if (rc != 0)
                break;
            if (clear) {
                if (fb * per + i >= 2)
                    memset(ent, 0, DE);
                dirty = true;
            }
            if (what == 2) {
                c->queue[c->qt++] = mk__le32(ent);
            } else if (what == 3) {
                struct mk__dinode fi;
                uint32_t fino = mk__le32(ent);
                if ((rc = mk__ck_inode(c, fino, &fi)) != 0)
                    break;
                c->r->files++;
            }
        }
        if (rc == 0 && dirty && (rc = mk__ck_room(c)) == 0 &&
            (rc = mk__fb_get(fs, bno, 0, &b)) == 0) {
            memcpy(b->data, blk, fs->bsize);
            mk__fb_dirty(fs, b);
            mk__fb_put(fs, b);
        }
        free(blk);
        if (rc != 0)
            return rc;
    }
    return mk__ck_dxcheck(c, dino, &d);
}

/* After the bitmaps: rebuild the name indexes found damaged (this
 * allocates blocks, so it runs once the bitmap agrees with the tree). */
static int mk__ck_dxfix(struct mk__ck *c)
{
    for (size_t i = 0; i < c->ndxfix; i++) {
        int rc = mk__dx_rebuild(c->fs, c->dxfix[i]);
        if (rc == MK_ENOSPC)
            continue; /* left unindexed (scanned): still correct */
        if (rc != 0)
            return rc;
        c->r->repaired++;
    }
    return 0;
}

static int mk__ck_run(struct mk__ck *c)
{
    struct mk__fs *fs = c->fs;
    const struct mk__sb *sb = &fs->sb;
    int rc;
    for (uint64_t b = 0; b < sb->data_start; b++)
        mk__ck_claim(c, (uint32_t)b);
    uint32_t root = sb->root_ino;
    c->state[root] = 1;
    c->parent[root] = root;
    c->queue[c->qt++] = root;
    while (c->qh < c->qt)
        if ((rc = mk__ck_dir(c, c->queue[c->qh++])) != 0)
            return rc;

    /* Pass 2 + 3: link counts and the inode bitmap. */
    for (uint32_t ino = 1; ino < sb->ninodes; ino++) {
        bool used = mk__ck_ibit(c, ino, &rc);
        if (rc != 0)
            return rc;
        bool reached = c->state[ino] != 0 && c->refs[ino] > 0;
        if (reached && c->state[ino] == 1) {
            struct mk__dinode di;
            if ((rc = mk__ck_iread(fs, ino, &di)) != 0)
                return rc;
            if (di.nlink != c->refs[ino]) {
                mk__ck_found(c, &c->r->link_counts, c->fix);
                if (c->fix) {
                    di.nlink = c->refs[ino];
                    if ((rc = mk__ck_room(c)) != 0 || (rc = mk__iwrite(fs, ino, &di)) != 0)
                        return rc;
                }
            }
        }
        if (reached && !used) {
            mk__ck_found(c, &c->r->inode_unmarked, c->fix);
            if (c->fix && (rc = mk__ck_setbit(c, sb->imap_start, ino, true)) != 0)
                return rc;
        } else if (!reached && used) {
            mk__ck_found(c, &c->r->inode_leaks, c->fix);
            if (c->fix) {
                struct mk__dinode z;
                memset(&z, 0, sizeof z);
                if ((rc = mk__ck_room(c)) != 0 || (rc = mk__iwrite(fs, ino, &z)) != 0 ||
                    (rc = mk__ck_setbit(c, sb->imap_start, ino, false)) != 0)
                    return rc;
            }
        }
    }

    /* Pass 3: the block bitmap. */
    uint64_t per = (uint64_t)fs->bsize * 8;
    for (uint64_t blk = 0; blk * per < sb->nblocks; blk++) {
        struct mk__fbuf *b;
        if ((rc = mk__fb_get(fs, sb->bmap_start + blk, 0, &b)) != 0)
            return rc;
        uint8_t *bits = malloc(fs->bsize);
        if (bits == NULL) {
            mk__fb_put(fs, b);
            return MK_ENOMEM;
        }
        memcpy(bits, b->data, fs->bsize);
        mk__fb_put(fs, b);
        bool dirty = false;
        for (uint64_t i = 0; i < per && blk * per + i < sb->nblocks; i++) {
            uint64_t bno = blk * per + i;
            bool used = (bits[i / 8] >> (i % 8)) & 1u;
            bool reached = (c->claimed[bno / 8] >> (bno % 8)) & 1u;
            if (reached)
                c->r->blocks_used++;
            if (used == reached)
                continue;
            mk__ck_found(c, reached ? &c->r->block_unmarked : &c->r->block_leaks, c->fix);
            if (c->fix) {
                bits[i / 8] ^= (uint8_t)(1u << (i % 8));
                dirty = true;
            }
        }
        if (dirty && (rc = mk__ck_room(c)) == 0 &&
            (rc = mk__fb_get(fs, sb->bmap_start + blk, 0, &b)) == 0) {
            memcpy(b->data, bits, fs->bsize);
            mk__fb_dirty(fs, b);
            mk__fb_put(fs, b);
        }
        free(bits);
        if (rc != 0)
            return rc;
    }
    return mk__ck_dxfix(c);
}

int mk__fs_fsck(mk_t *k, uint64_t dev, uint32_t flags, mk_fsck_report_t *r)
{
    uint32_t size = r->size;
    memset(r, 0, sizeof *r);
    r->size = size;
    r->flags = flags;
    struct mk__fs *fs;
    uint32_t replayed = 0;
    int rc = mk__fs_open(k, dev, false, &replayed, &fs);
    if (rc != 0)
        return rc;
    r->journal_replayed = replayed;
    struct mk__ck c;
    memset(&c, 0, sizeof c);
    c.fs = fs;
    c.r = r;
    c.fix = (flags & MK_FSCK_REPAIR) != 0;
    uint32_t ni = fs->sb.ninodes;
    c.claimed = calloc((size_t)(fs->sb.nblocks / 8 + 1), 1);
    c.refs = calloc(ni, sizeof *c.refs);
    c.parent = calloc(ni, sizeof *c.parent);
    c.state = calloc(ni, 1);
    c.queue = calloc(ni, sizeof *c.queue); /* each directory queued once */
    if (c.claimed == NULL || c.refs == NULL || c.parent == NULL || c.state == NULL ||
        c.queue == NULL)
        rc = MK_ENOMEM;
    else
        rc = mk__ck_run(&c);
    free(c.claimed);
    free(c.refs);
    free(c.parent);
    free(c.state);
    free(c.queue);
    free(c.dxfix);
    if (rc == 0 && c.fix) {
        /* The counts in the superblock are hints; refresh them too. */
        uint64_t used;
        if ((rc = mk__bitmap_count(fs, fs->sb.bmap_start, fs->sb.nblocks, &used)) == 0)
            fs->sb.free_blocks = fs->sb.nblocks - used;
        if (rc == 0 && (rc = mk__bitmap_count(fs, fs->sb.imap_start, ni, &used)) == 0)
            fs->sb.free_inodes = (uint32_t)(ni - used);
        fs->sb.state = MK__FS_STATE_CLEAN;
        fs->sb_dirty = true;
        if (rc == 0 && (rc = mk__tx_commit(fs)) == 0)
            rc = mk__blk_flush(k, dev);
    }
    if (rc == MK_ERANGE)
        rc = MK_ECORRUPT;
    mk__blk_invalidate(k, dev);
    mk__fs_free(fs);
    return rc;
}
