/*
 * dindex.c - in-memory hash indexes of large directories, so that a name
 * lookup (and finding a free slot for a new entry) in a directory of
 * 100,000 entries costs about what it costs in one of 10, instead of a
 * linear scan as in xv6's dirlookup.
 *
 * The on-disk directory stays a plain array of entries (fs_format.h): the
 * index is a cache, built by one scan the first time a directory of more
 * than MK__DIX_MIN entries is searched, and kept exact by dir.c, which
 * reports every entry it writes (mk__dix_note) — the idea of the Linux
 * dcache and of ext3's htree (Phillips, "A Directory Index for Ext2",
 * 2001) without the on-disk tree, which would need a format change and a
 * journaled rebalancing. Each index is an open-addressing table keyed by a
 * 64-bit FNV-1a hash of the name holding the entry's slot; a hit is
 * confirmed by reading the entry (one cached block), so a hash collision
 * costs a probe, never a wrong answer. Freed slots are kept on a stack so
 * a create reuses one without scanning.
 *
 * At most MK__DIX_MAX directories are indexed per mounted fs (least
 * recently used dropped). Out of memory just means no index (linear scan).
 * Locking: none; the caller serialises calls on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

#define DE MK__FS_DIRENT_SIZE
#define K_EMPTY 0u
#define K_TOMB 1u

static uint64_t mk__nhash(const char *name, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
    return h < 2 ? h + 2 : h;
}

static void mk__dix_free(struct mk__dix *x)
{
    free(x->keys);
    free(x->slots);
    free(x->freev);
    memset(x, 0, sizeof *x);
}

bool mk__dix_has(const struct mk__fs *fs, uint32_t dino)
{
    for (int i = 0; i < MK__DIX_MAX; i++)
        if (fs->dix[i].ino == dino && dino != 0)
            return true;
    return false;
}

void mk__dix_drop(struct mk__fs *fs, uint32_t dino)
{
    for (int i = 0; i < MK__DIX_MAX; i++)
        if (fs->dix[i].ino == dino && dino != 0)
            mk__dix_free(&fs->dix[i]);
}

void mk__dix_drop_all(struct mk__fs *fs)
{
    for (int i = 0; i < MK__DIX_MAX; i++)
        mk__dix_free(&fs->dix[i]);
}

static int mk__dix_grow(struct mk__dix *x);

static int mk__dix_insert(struct mk__dix *x, uint64_t h, uint64_t slot)
{
    if ((x->n + x->tomb + 1) * 2 > x->cap) {
        int rc = mk__dix_grow(x);
        if (rc != 0)
            return rc;
    }
    size_t i = (size_t)(h & (x->cap - 1));
    while (x->keys[i] > K_TOMB)
        i = (i + 1) & (x->cap - 1);
    if (x->keys[i] == K_TOMB)
        x->tomb--;
    x->keys[i] = h;
    x->slots[i] = slot;
    x->n++;
    return 0;
}

static int mk__dix_grow(struct mk__dix *x)
{
    size_t cap = x->cap ? x->cap : 64;
    while ((x->n + 1) * 4 > cap)
        cap *= 2;
    struct mk__dix g = *x;
    g.keys = calloc(cap, sizeof *g.keys);
    g.slots = malloc(cap * sizeof *g.slots);
    if (g.keys == NULL || g.slots == NULL) {
        free(g.keys);
        free(g.slots);
        return MK_ENOMEM;
    }
    g.cap = cap;
    g.n = g.tomb = 0;
    for (size_t i = 0; i < x->cap; i++)
        if (x->keys[i] > K_TOMB)
            mk__dix_insert(&g, x->keys[i], x->slots[i]);
    free(x->keys);
    free(x->slots);
    x->keys = g.keys;
    x->slots = g.slots;
    x->cap = g.cap;
    x->n = g.n;
    x->tomb = 0;
    return 0;
}

static void mk__dix_remove(struct mk__dix *x, uint64_t h, uint64_t slot)
{
    if (x->cap == 0)
        return;
    for (size_t i = (size_t)(h & (x->cap - 1)); x->keys[i] != K_EMPTY;
         i = (i + 1) & (x->cap - 1))
        if (x->keys[i] == h && x->slots[i] == slot) {
            x->keys[i] = K_TOMB;
            x->n--;
            x->tomb++;
            return;
        }
}

static int mk__dix_push_free(struct mk__dix *x, uint64_t slot)
{
    if (x->nfree == x->freecap) {
        size_t nc = x->freecap ? x->freecap * 2 : 64;
        uint64_t *v = realloc(x->freev, nc * sizeof *v);
        if (v == NULL)
            return MK_ENOMEM;
        x->freev = v;
        x->freecap = nc;
    }
    x->freev[x->nfree++] = slot;
    return 0;
}

/* Read the entry at slot of directory d into ent (DE bytes). */
static int mk__dix_read(struct mk__fs *fs, const struct mk__dinode *d, uint64_t slot,
                        uint8_t *ent)
{
    size_t n;
    int rc = mk__iread_bytes(fs, d, slot * DE, ent, DE, &n);
    if (rc == 0 && n != DE)
        rc = MK_ECORRUPT;
    return rc;
}

/* Build the index of directory dino by one scan of its blocks. */
static int mk__dix_build(struct mk__fs *fs, struct mk__dix *x, uint32_t dino,
                         const struct mk__dinode *d)
{
    uint64_t per = fs->bsize / DE, nent = d->size / DE;
    struct mk__dinode tmp = *d;
    x->ino = dino;
    for (uint64_t fb = 0; fb * per < nent; fb++) {
        uint32_t bno;
        bool fresh;
        int rc = mk__bmap(fs, &tmp, fb, false, &bno, &fresh);
        if (rc != 0)
            return rc;
        uint64_t end = (fb + 1) * per < nent ? (fb + 1) * per : nent;
        if (bno == 0) { /* a hole: free slots */
            for (uint64_t s = fb * per; s < end; s++)
                if (s >= 2 && (rc = mk__dix_push_free(x, s)) != 0)
                    return rc;
            continue;
        }
        struct mk__fbuf *b;
        if ((rc = mk__fb_get(fs, bno, 0, &b)) != 0)
            return rc;
        for (uint64_t s = fb * per; s < end && rc == 0; s++) {
            const uint8_t *p = b->data + (s % per) * DE;
            uint32_t ino = mk__le32(p), nlen = p[4];
            if (ino == 0) {
                if (s >= 2)
                    rc = mk__dix_push_free(x, s);
            } else if (nlen == 0 || nlen > MK_NAME_MAX || ino >= fs->sb.ninodes) {
                rc = MK_ECORRUPT;
            } else {
                rc = mk__dix_insert(x, mk__nhash((const char *)p + 5, nlen), s);
            }
        }
        mk__fb_put(fs, b);
        if (rc != 0)
            return rc;
    }
    /* Pop order: lowest slot first (fill holes near the front). */
    for (size_t i = 0; i < x->nfree / 2; i++) {
        uint64_t t = x->freev[i];
        x->freev[i] = x->freev[x->nfree - 1 - i];
        x->freev[x->nfree - 1 - i] = t;
    }
    return 0;
}

struct mk__dix *mk__dix_get(struct mk__fs *fs, uint32_t dino, const struct mk__dinode *d)
{
    struct mk__dix *victim = NULL;
    for (int i = 0; i < MK__DIX_MAX; i++) {
        struct mk__dix *x = &fs->dix[i];
        if (x->ino == dino) {
            x->used = ++fs->dix_clock;
            return x;
        }
        if (victim == NULL || x->ino == 0 || (victim->ino != 0 && x->used < victim->used))
            victim = x;
    }
    if (d->size / DE < MK__DIX_MIN || d->size % DE != 0)
        return NULL;
    mk__dix_free(victim);
    if (mk__dix_build(fs, victim, dino, d) != 0) {
        mk__dix_free(victim);
        return NULL; /* no index: the caller scans (and reports damage) */
    }
    victim->used = ++fs->dix_clock;
    return victim;
}

int mk__dix_find(struct mk__fs *fs, struct mk__dix *x, const struct mk__dinode *d,
                 const char *name, size_t len, uint32_t *ino, uint64_t *slot)
{
    uint64_t h = mk__nhash(name, len);
    if (x->cap == 0)
        return MK_ENOENT;
    for (size_t i = (size_t)(h & (x->cap - 1)); x->keys[i] != K_EMPTY;
         i = (i + 1) & (x->cap - 1)) {
        if (x->keys[i] != h)
            continue;
        uint8_t ent[DE];
        int rc = mk__dix_read(fs, d, x->slots[i], ent);
        if (rc != 0)
            return rc;
        if (mk__le32(ent) != 0 && ent[4] == len && memcmp(ent + 5, name, len) == 0) {
            *ino = mk__le32(ent);
            *slot = x->slots[i];
            return 0;
        }
    }
    return MK_ENOENT;
}

bool mk__dix_take_free(struct mk__dix *x, uint64_t *slot)
{
    if (x->nfree == 0)
        return false;
    *slot = x->freev[--x->nfree];
    return true;
}

void mk__dix_note(struct mk__fs *fs, uint32_t dino, uint64_t slot, const uint8_t *old,
                  uint32_t ino, const char *name, size_t len)
{
    struct mk__dix *x = NULL;
    for (int i = 0; i < MK__DIX_MAX; i++)
        if (fs->dix[i].ino == dino && dino != 0)
            x = &fs->dix[i];
    if (x == NULL || slot < 2)
        return;
    int rc = 0;
    if (mk__le32(old) != 0 && old[4] >= 1 && old[4] <= MK_NAME_MAX)
        mk__dix_remove(x, mk__nhash((const char *)old + 5, old[4]), slot);
    if (ino == 0)
        rc = mk__dix_push_free(x, slot);
    else
        rc = mk__dix_insert(x, mk__nhash(name, len), slot);
    if (rc != 0)
        mk__dix_free(x); /* out of memory: forget it, scans still work */
}
