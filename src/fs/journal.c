/*
 * journal.c - the write-ahead journal: a redo log after xv6's log.c
 * (Cox, Kaashoek, Morris: "xv6, a simple Unix-like teaching operating
 * system", chapter "File system: logging layer"), with the ordered data
 * mode and compound transactions of Linux's jbd2 (Tweedie, "Journaling the
 * Linux ext2fs Filesystem", 1998), and the block access every fs layer
 * uses (mk__fb_get / mk__fb_dirty / mk__fb_put).
 *
 * Sits on the buffer cache (src/blk/blk.h). Rules:
 *  - Metadata (superblock, bitmaps, inodes, directory and indirect blocks)
 *    is never written home before its transaction commits. A modified
 *    metadata block is copied, when its buffer is released, into the
 *    running transaction (an in-memory table of at most j.cap blocks); the
 *    cache's own buffer stays clean, so eviction or a flush can never push
 *    it out early. Reads look in the transaction first.
 *  - Regular file data (MK__FB_DATA) goes through the cache in place and is
 *    flushed to the device before the commit record (ordered mode), so
 *    committed metadata never points at blocks whose data did not reach
 *    the device.
 *  - Operations join the running transaction (each one whole: a commit
 *    only happens between operations, in mk__tx_begin); it is committed
 *    when the log could not take the next operation, on fsync / sync, and
 *    at unmount (the durability points).
 *  - A block freed by the running transaction stays allocated in the
 *    bitmap until commit (the bits are cleared as part of the commit), so
 *    it cannot be reused, and overwritten in place, while a crash could
 *    still bring back the file that owned it (jbd2 solves the same hazard
 *    with its "revoke" records and delayed block reuse).
 *
 * Commit (the order is what makes it crash safe):
 *   1. the logged copies go to log blocks 1..n after the header; flush
 *      (this also writes the ordered data);
 *   2. the header with n, the targets and a CRC-32C over header, targets
 *      and every logged block; flush. This is the commit point: a torn or
 *      missing header fails its CRC and the transaction never happened;
 *   3. install: each copy to its home block; flush;
 *   4. clear the header (n = 0); it reaches the device with the next
 *      flush, and even if it never does, replaying an installed
 *      transaction again is harmless (replay is idempotent).
 * Recovery at mount replays a header whose CRC checks, then clears it.
 *
 * Locking: none; the caller serialises every call on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- a small u32 -> u32 hash map (keys stored + 1, 0 = empty) ------- */

static size_t mk__h32(uint32_t key, size_t cap)
{
    return (size_t)((key * 2654435761u) & (uint32_t)(cap - 1));
}

static int mk__m_init(struct mk__u32map *m, size_t cap)
{
    size_t c = 16;
    while (c < cap * 2)
        c *= 2;
    m->keys = calloc(c, sizeof *m->keys);
    m->vals = calloc(c, sizeof *m->vals);
    if (m->keys == NULL || m->vals == NULL) {
        free(m->keys);
        free(m->vals);
        m->keys = m->vals = NULL;
        return MK_ENOMEM;
    }
    m->cap = c;
    m->n = 0;
    return 0;
}

static void mk__m_fini(struct mk__u32map *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = m->vals = NULL;
    m->cap = m->n = 0;
}

static void mk__m_clear(struct mk__u32map *m)
{
    if (m->n == 0)
        return;
    memset(m->keys, 0, m->cap * sizeof *m->keys);
    m->n = 0;
}

static bool mk__m_find(const struct mk__u32map *m, uint32_t key, uint32_t *val)
{
    if (m->cap == 0)
        return false;
    for (size_t i = mk__h32(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == 0)
            return false;
        if (m->keys[i] == key + 1) {
            if (val != NULL)
                *val = m->vals[i];
            return true;
        }
    }
}

static int mk__m_put(struct mk__u32map *m, uint32_t key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap) { /* grow: keep the load under 1/2 */
        struct mk__u32map g;
        if (mk__m_init(&g, m->cap) != 0)
            return MK_ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] != 0)
                mk__m_put(&g, m->keys[i] - 1, m->vals[i]);
        mk__m_fini(m);
        *m = g;
    }
    size_t i = mk__h32(key, m->cap);
    while (m->keys[i] != 0 && m->keys[i] != key + 1)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == 0)
        m->n++;
    m->keys[i] = key + 1;
    m->vals[i] = val;
    return 0;
}

/* ---- block access for every fs layer -------------------------------- */

/*
 * Held buffers: the last MK__FB_SLOTS - MK__FB_USER slots keep the cache
 * buffers of recently released blocks pinned ("holds", newest first, each
 * !used with cb != NULL, packed from the first hold slot), so the next
 * access to the same block (an inode or indirect block, a directory
 * block) costs no cache call at all, and a new block's pin swaps with the
 * oldest hold's unpin under one cache lock hold (mk__buf_swap). Holds
 * never outlive a durability point: every commit, a free of the block (so
 * the cache can forget it) and mk__jnl_close let them go, and so does any
 * slot or cache pressure (MK_EBUSY).
 */
#define MK__FB_USER (MK__FB_SLOTS - 4)

static struct mk__fbuf *mk__holds(struct mk__fs *fs)
{
    return &fs->fbs[MK__FB_USER];
}

/* Number of holds (0 while a caller uses a hold slot: no holds then). */
static int mk__nholds(struct mk__fs *fs)
{
    struct mk__fbuf *h = mk__holds(fs);
    int n = 0;
    while (n < MK__FB_SLOTS - MK__FB_USER && !h[n].used && h[n].cb != NULL)
        n++;
    return n;
}

/* Take hold i out (its buffer stays pinned, returned), keeping the rest
 * packed. */
static mk__buf_t *mk__hold_take(struct mk__fs *fs, int i, int n)
{
    struct mk__fbuf *h = mk__holds(fs);
    mk__buf_t *cb = h[i].cb;
    for (; i + 1 < n; i++)
        h[i] = h[i + 1];
    h[n - 1].cb = NULL;
    h[n - 1].data = NULL;
    return cb;
}

static void mk__fb_unhold_all(struct mk__fs *fs)
{
    struct mk__fbuf *h = mk__holds(fs);
    for (int i = 0; i < MK__FB_SLOTS - MK__FB_USER; i++)
        if (!h[i].used && h[i].cb != NULL) {
            mk__buf_put(fs->k, h[i].cb);
            h[i].cb = NULL;
            h[i].data = NULL;
        }
}

int mk__fb_get(struct mk__fs *fs, uint64_t bno, uint32_t flags, struct mk__fbuf **out)
{
    if (bno >= fs->sb.nblocks)
        return MK_ECORRUPT;
    struct mk__fbuf *fb = NULL;
    for (int i = 0; i < MK__FB_USER; i++)
        if (!fs->fbs[i].used) {
            fb = &fs->fbs[i];
            break;
        }
    if (fb == NULL) { /* many pinned at once: the hold slots serve too */
        mk__fb_unhold_all(fs);
        for (int i = MK__FB_USER; i < MK__FB_SLOTS && fb == NULL; i++)
            if (!fs->fbs[i].used)
                fb = &fs->fbs[i];
        if (fb == NULL)
            return MK_EBUSY;
    }
    uint32_t e;
    if (!(flags & MK__FB_DATA) && mk__m_find(&fs->j.idx, (uint32_t)bno, &e)) {
        /* The running transaction's copy (a hold of bno, if any, is stale
         * until the commit installs this copy through the cache). */
        fb->data = fs->j.slab + (size_t)e * fs->bsize;
        fb->cb = NULL;
    } else {
        struct mk__fbuf *h = mk__holds(fs);
        int n = fb < h ? mk__nholds(fs) : 0, i = 0;
        while (i < n && h[i].blockno != bno)
            i++;
        mk__buf_t *cb;
        int rc;
        if (i < n) {
            cb = mk__hold_take(fs, i, n); /* still pinned: no cache call */
        } else if (n == MK__FB_SLOTS - MK__FB_USER) {
            /* the oldest hold's unpin and our pin in one lock hold */
            mk__buf_t *old = mk__hold_take(fs, n - 1, n);
            rc = mk__buf_swap(fs->k, old, fs->dev, bno, flags & MK__BUF_NOREAD, &cb);
            if (rc == MK_EBUSY) {
                mk__fb_unhold_all(fs); /* the cache is short of buffers */
                rc = mk__buf_get(fs->k, fs->dev, bno, flags & MK__BUF_NOREAD, &cb);
            }
            if (rc != 0)
                return rc;
        } else {
            rc = mk__buf_get(fs->k, fs->dev, bno, flags & MK__BUF_NOREAD, &cb);
            if (rc == MK_EBUSY && n > 0) {
                mk__fb_unhold_all(fs);
                rc = mk__buf_get(fs->k, fs->dev, bno, flags & MK__BUF_NOREAD, &cb);
            }
            if (rc != 0)
                return rc;
        }
        fb->data = cb->data;
        fb->cb = cb;
    }
    fb->blockno = bno;
    fb->used = true;
    fb->dirty = false;
    fb->isdata = (flags & MK__FB_DATA) != 0;
    *out = fb;
    return 0;
}

void mk__fb_dirty(struct mk__fs *fs, struct mk__fbuf *b)
{
    if (b->isdata && b->cb != NULL)
        mk__buf_dirty(fs->k, b->cb); /* ordered data: written in place */
    else
        b->dirty = true;
}

/* Copy a modified metadata block into the running transaction. */
static void mk__tx_log(struct mk__fs *fs, uint32_t bno, const uint8_t *data, mk__buf_t *cb)
{
    struct mk__jnl *j = &fs->j;
    uint32_t e;
    if (!mk__m_find(&j->idx, bno, &e)) {
        if (j->n >= j->cap || mk__m_put(&j->idx, bno, j->n) != 0) {
            /* The reservation in mk__tx_begin makes this unreachable in
             * practice; if it happens the block goes home unlogged (not
             * crash-atomic, but nothing is lost) and it is counted. */
            j->overflows++;
            if (cb != NULL)
                mk__buf_dirty(fs->k, cb);
            return;
        }
        e = j->n++;
        j->bno[e] = bno;
    }
    uint8_t *dst = j->slab + (size_t)e * fs->bsize;
    if (dst != data)
        memcpy(dst, data, fs->bsize);
}

void mk__fb_put(struct mk__fs *fs, struct mk__fbuf *b)
{
    if (!b->used)
        return;
    if (b->dirty && !b->isdata && b->cb != NULL)
        mk__tx_log(fs, (uint32_t)b->blockno, b->data, b->cb);
    b->used = false;
    struct mk__fbuf *h = mk__holds(fs);
    if (b->cb != NULL && b < h) {
        /* Hold it, newest first (unless a caller uses a hold slot). */
        int n = mk__nholds(fs), m = MK__FB_SLOTS - MK__FB_USER;
        bool room = true;
        for (int i = n; i < m; i++)
            room &= !h[i].used;
        if (room) {
            if (n == m) {
                mk__buf_put(fs->k, mk__hold_take(fs, n - 1, n));
                n--;
            }
            for (int i = n; i > 0; i--)
                h[i] = h[i - 1];
            h[0] = *b;
            b->cb = NULL;
        }
    }
    if (b->cb != NULL)
        mk__buf_put(fs->k, b->cb);
    b->cb = NULL;
    b->data = NULL;
}

/* ---- header encoding ------------------------------------------------ */

static uint32_t mk__jcap(uint32_t bsize, uint32_t log_blocks)
{
    uint32_t byhdr = (bsize - MK__FS_JHDR) / 4;
    return log_blocks - 1 < byhdr ? log_blocks - 1 : byhdr;
}

/* Write the header block: n targets (n = 0: empty) with crc. */
static int mk__jhdr_write(mk_t *k, uint64_t dev, uint32_t start, uint32_t log_blocks,
                          uint64_t seq, uint32_t n, const uint32_t *targets, uint32_t crc)
{
    mk__buf_t *b;
    int rc = mk__buf_get(k, dev, start, MK__BUF_NOREAD, &b);
    if (rc != 0)
        return rc;
    memset(b->data, 0, b->size);
    mk__put32(b->data + 0, MK__FS_JMAGIC);
    mk__put32(b->data + 4, n);
    mk__put64(b->data + 8, seq);
    mk__put32(b->data + 16, log_blocks);
    for (uint32_t i = 0; i < n; i++)
        mk__put32(b->data + MK__FS_JHDR + 4 * i, targets[i]);
    if (n == 0)
        crc = mk__crc32c(b->data, 20);
    mk__put32(b->data + 20, crc);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);
    return 0;
}

/* CRC of a header's first 20 bytes and its targets. */
static uint32_t mk__jhdr_crc(uint32_t n, uint64_t seq, uint32_t log_blocks,
                             const uint32_t *targets)
{
    uint8_t h[20];
    mk__put32(h + 0, MK__FS_JMAGIC);
    mk__put32(h + 4, n);
    mk__put64(h + 8, seq);
    mk__put32(h + 16, log_blocks);
    uint32_t crc = mk__crc32c(h, sizeof h);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t[4];
        mk__put32(t, targets[i]);
        crc = mk__crc32c_more(crc, t, 4);
    }
    return crc;
}

/* ---- recovery ------------------------------------------------------- */

int mk__jnl_recover(mk_t *k, uint64_t dev, uint32_t *replayed)
{
    *replayed = 0;
    uint32_t bsize;
    uint64_t devblocks;
    int rc = mk__blk_geometry(k, dev, &bsize, &devblocks);
    if (rc != 0)
        return rc;
    if (bsize < MK__FS_BSIZE_MIN || bsize > MK__FS_BSIZE_MAX || devblocks < 3)
        return 0; /* not ours; mount says why */
    mk__buf_t *b;
    if ((rc = mk__buf_get(k, dev, 0, 0, &b)) != 0)
        return rc;
    bool ours = mk__le32(b->data) == MK__FS_MAGIC;
    mk__buf_put(k, b);
    if (!ours)
        return 0;
    if ((rc = mk__buf_get(k, dev, 1, 0, &b)) != 0)
        return rc;
    uint32_t magic = mk__le32(b->data), n = mk__le32(b->data + 4);
    uint64_t seq = mk__le64(b->data + 8);
    uint32_t lb = mk__le32(b->data + 16), crc = mk__le32(b->data + 20);
    if (magic != MK__FS_JMAGIC || n == 0 || lb < MK__FS_LOG_MIN || lb >= devblocks ||
        n > mk__jcap(bsize, lb)) {
        mk__buf_put(k, b);
        return 0; /* empty, torn or foreign: nothing committed */
    }
    uint32_t *targets = malloc((size_t)n * sizeof *targets);
    if (targets == NULL) {
        mk__buf_put(k, b);
        return MK_ENOMEM;
    }
    bool ok = true;
    for (uint32_t i = 0; i < n; i++) {
        targets[i] = mk__le32(b->data + MK__FS_JHDR + 4 * i);
        if (targets[i] >= devblocks || (targets[i] >= 1 && targets[i] <= lb))
            ok = false;
    }
    mk__buf_put(k, b);
    uint32_t c = mk__jhdr_crc(n, seq, lb, targets);
    for (uint32_t i = 0; ok && i < n; i++) {
        if ((rc = mk__buf_get(k, dev, 2 + i, 0, &b)) != 0)
            goto out;
        c = mk__crc32c_more(c, b->data, b->size);
        mk__buf_put(k, b);
    }
    if (!ok || c != crc)
        goto out; /* a transaction that never committed */
    /* Committed: install every copy home, then retire the header. */
    for (uint32_t i = 0; i < n; i++) {
        mk__buf_t *src, *dst;
        if ((rc = mk__buf_get(k, dev, 2 + i, 0, &src)) != 0)
            goto out;
        rc = mk__buf_get(k, dev, targets[i], MK__BUF_NOREAD, &dst);
        if (rc != 0) {
            mk__buf_put(k, src);
            goto out;
        }
        memcpy(dst->data, src->data, bsize);
        mk__buf_dirty(k, dst);
        mk__buf_put(k, dst);
        mk__buf_put(k, src);
    }
    if ((rc = mk__blk_flush(k, dev)) != 0)
        goto out;
    if ((rc = mk__jhdr_write(k, dev, 1, lb, seq, 0, NULL, 0)) != 0 ||
        (rc = mk__blk_flush(k, dev)) != 0)
        goto out;
    *replayed = n;
out:
    free(targets);
    return rc;
}

/* ---- set-up --------------------------------------------------------- */

int mk__jnl_open(struct mk__fs *fs)
{
    struct mk__jnl *j = &fs->j;
    memset(j, 0, sizeof *j);
    j->start = fs->sb.log_start;
    j->nlog = fs->sb.log_blocks - 1;
    j->cap = mk__jcap(fs->bsize, fs->sb.log_blocks);
    mk__buf_t *b;
    int rc = mk__buf_get(fs->k, fs->dev, j->start, 0, &b);
    if (rc != 0)
        return rc;
    if (mk__le32(b->data) == MK__FS_JMAGIC)
        j->seq = mk__le64(b->data + 8) + 1;
    mk__buf_put(fs->k, b);
    j->bno = calloc(j->cap, sizeof *j->bno);
    j->slab = malloc((size_t)j->cap * fs->bsize);
    if (j->bno == NULL || j->slab == NULL || mk__m_init(&j->idx, j->cap) != 0 ||
        mk__m_init(&j->pend, 64) != 0) {
        mk__jnl_close(fs);
        return MK_ENOMEM;
    }
    return 0;
}

void mk__jnl_close(struct mk__fs *fs)
{
    struct mk__jnl *j = &fs->j;
    mk__fb_unhold_all(fs);
    free(j->bno);
    free(j->slab);
    free(j->pendv);
    mk__m_fini(&j->idx);
    mk__m_fini(&j->pend);
    j->bno = NULL;
    j->slab = NULL;
    j->pendv = NULL;
    j->npend = j->pendcap = 0;
    j->n = 0;
}

/* ---- transactions --------------------------------------------------- */

bool mk__tx_pending(const struct mk__fs *fs, uint32_t bno)
{
    return mk__m_find(&fs->j.pend, bno, NULL);
}

int mk__tx_defer_free(struct mk__fs *fs, uint32_t bno)
{
    struct mk__jnl *j = &fs->j;
    if (mk__m_find(&j->pend, bno, NULL))
        return MK_ECORRUPT; /* freed twice */
    if (j->npend == j->pendcap) {
        size_t nc = j->pendcap ? j->pendcap * 2 : 64;
        uint32_t *nv = realloc(j->pendv, nc * sizeof *nv);
        if (nv == NULL)
            return MK_ENOMEM;
        j->pendv = nv;
        j->pendcap = nc;
    }
    int rc = mk__m_put(&j->pend, bno, 0);
    if (rc != 0)
        return rc;
    j->pendv[j->npend++] = bno;
    /* Whatever the cache holds for it (a deleted file's data, dirty in
     * place) is dead: the block comes back only through the commit that
     * frees it, or a crash before it, which restores the last committed
     * state, whose data reached the device at that commit. */
    int n = mk__nholds(fs);
    for (int i = 0; i < n; i++)
        if (mk__holds(fs)[i].blockno == bno) {
            mk__buf_put(fs->k, mk__hold_take(fs, i, n));
            break;
        }
    mk__buf_forget(fs->k, fs->dev, bno);
    return 0;
}

/* Deferred frees after which the running transaction is committed. */
#define MK__TX_PEND_MAX 4096u

/* Blocks a commit adds on its own: the superblock and the bitmap blocks
 * of the deferred frees. */
static uint32_t mk__tx_extra(const struct mk__fs *fs)
{
    uint64_t bm = fs->j.npend < fs->sb.bmap_blocks ? fs->j.npend : fs->sb.bmap_blocks;
    return (uint32_t)bm + 1;
}

int mk__tx_begin(struct mk__fs *fs, uint32_t need)
{
    struct mk__jnl *j = &fs->j;
    bool full = j->n + need + mk__tx_extra(fs) > j->cap;
    /* Freed blocks become reusable only at commit: commit early when they
     * are needed. */
    bool tight = j->npend > 0 &&
                 fs->sb.free_blocks < (uint64_t)j->npend + 2u * MK__TX_WCHUNK;
    /* A size limit on the running transaction, as jbd2's
     * j_max_transaction_buffers: without it a create / unlink loop that
     * never syncs grows the deferred-free set to the whole free space
     * (a hash map of ~10^5 entries, a cache miss per free) before the
     * `tight` rule commits. Committing early only makes more durable. */
    bool many = j->npend >= MK__TX_PEND_MAX;
    if (full || tight || many)
        return mk__tx_commit(fs);
    return 0;
}

/* Clear bit `bit` of the block bitmap in the transaction. */
static int mk__tx_clear_bit(struct mk__fs *fs, uint32_t bit)
{
    uint64_t per = (uint64_t)fs->bsize * 8;
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, fs->sb.bmap_start + bit / per, 0, &b);
    if (rc != 0)
        return rc;
    b->data[(bit % per) / 8] &= (uint8_t)~(1u << (bit % 8));
    mk__fb_dirty(fs, b);
    mk__fb_put(fs, b);
    return 0;
}

int mk__tx_commit(struct mk__fs *fs)
{
    struct mk__jnl *j = &fs->j;
    mk_t *k = fs->k;
    int rc;
    /* Deferred frees join the transaction (idempotent if retried). */
    for (size_t i = 0; i < j->npend; i++)
        if ((rc = mk__tx_clear_bit(fs, j->pendv[i])) != 0)
            return rc;
    if (fs->sb_dirty) {
        struct mk__fbuf *b;
        if ((rc = mk__fb_get(fs, 0, MK__BUF_NOREAD, &b)) != 0)
            return rc;
        memset(b->data, 0, fs->bsize);
        mk__sb_encode(&fs->sb, b->data);
        mk__fb_dirty(fs, b);
        mk__fb_put(fs, b);
        fs->sb_dirty = false;
    }
    if (j->n == 0)
        goto done;

    /* 1. The copies into the log. */
    uint32_t crc = mk__jhdr_crc(j->n, j->seq, j->nlog + 1, j->bno);
    for (uint32_t i = 0; i < j->n; i++) {
        mk__buf_t *b;
        if ((rc = mk__buf_get(k, fs->dev, j->start + 1 + i, MK__BUF_NOREAD, &b)) != 0)
            return rc;
        memcpy(b->data, j->slab + (size_t)i * fs->bsize, fs->bsize);
        crc = mk__crc32c_more(crc, b->data, fs->bsize);
        mk__buf_dirty(k, b);
        mk__buf_put(k, b);
    }
    if ((rc = mk__blk_flush(k, fs->dev)) != 0) /* log + ordered data */
        return rc;
    /* 2. The commit record. */
    if ((rc = mk__jhdr_write(k, fs->dev, j->start, j->nlog + 1, j->seq, j->n, j->bno,
                             crc)) != 0 ||
        (rc = mk__blk_flush(k, fs->dev)) != 0)
        return rc;
    /* 3. Install. */
    for (uint32_t i = 0; i < j->n; i++) {
        mk__buf_t *b;
        if ((rc = mk__buf_get(k, fs->dev, j->bno[i], MK__BUF_NOREAD, &b)) != 0)
            return rc;
        memcpy(b->data, j->slab + (size_t)i * fs->bsize, fs->bsize);
        mk__buf_dirty(k, b);
        mk__buf_put(k, b);
    }
    if ((rc = mk__blk_flush(k, fs->dev)) != 0)
        return rc;
    /* 4. Retire the header (written with the next flush). */
    if ((rc = mk__jhdr_write(k, fs->dev, j->start, j->nlog + 1, j->seq, 0, NULL, 0)) != 0)
        return rc;
    j->seq++;
    j->commits++;
done:
    j->n = 0;
    mk__m_clear(&j->idx);
    mk__m_clear(&j->pend);
    j->npend = 0;
    mk__fb_unhold_all(fs); /* nothing stays pinned past a durability point */
    return 0;
}
