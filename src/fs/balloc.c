/*
 * balloc.c - block and inode allocation bitmaps (xv6 fs.c balloc/bfree,
 * with a roving start hint so allocation does not rescan the front of the
 * bitmap each time).
 *
 * Sits on journal.c's block access: each bitmap block is pinned only while
 * one byte is tested and set. A freed block's bit is cleared only when the
 * running transaction commits (journal.c explains why). Free counts in fs->sb are kept exact here; the
 * superblock is written to the device by super.c (sync, unmount). The
 * caller serialises calls on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <string.h>

/* Find a clear bit in [lo, hi) of the bitmap at block `start`, beginning at
 * `hint` and wrapping; set it. MK_ENOSPC if none. */
static int mk__bitmap_take(struct mk__fs *fs, uint64_t start, uint64_t lo, uint64_t hi,
                           uint64_t hint, uint64_t *out)
{
    uint64_t bits_per_block = (uint64_t)fs->bsize * 8;
    if (hint < lo || hint >= hi)
        hint = lo;
    uint64_t bit = hint;
    uint64_t scanned = 0, total = hi - lo;
    while (scanned < total) {
        uint64_t blk = bit / bits_per_block;
        struct mk__fbuf *b;
        int rc = mk__fb_get(fs, start + blk, 0, &b);
        if (rc != 0)
            return rc;
        /* Scan this bitmap block from `bit` to its end (or to hi). */
        uint64_t end = (blk + 1) * bits_per_block;
        if (end > hi)
            end = hi;
        while (bit < end) {
            uint32_t byte = (uint32_t)((bit % bits_per_block) / 8);
            if (bit % 8 == 0 && b->data[byte] == 0xff && bit + 8 <= end) {
                bit += 8;
                scanned += 8;
                continue;
            }
            uint8_t mask = (uint8_t)(1u << (bit % 8));
            if ((b->data[byte] & mask) == 0) {
                b->data[byte] |= mask;
                mk__fb_dirty(fs, b);
                mk__fb_put(fs, b);
                *out = bit;
                return 0;
            }
            bit++;
            scanned++;
        }
        mk__fb_put(fs, b);
        if (bit >= hi)
            bit = lo;
    }
    return MK_ENOSPC;
}

/* Clear bit `bit`; MK_ECORRUPT if it was already clear (double free). */
static int mk__bitmap_clear(struct mk__fs *fs, uint64_t start, uint64_t bit)
{
    uint64_t bits_per_block = (uint64_t)fs->bsize * 8;
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, start + bit / bits_per_block, 0, &b);
    if (rc != 0)
        return rc;
    uint32_t byte = (uint32_t)((bit % bits_per_block) / 8);
    uint8_t mask = (uint8_t)(1u << (bit % 8));
    if ((b->data[byte] & mask) == 0) {
        mk__fb_put(fs, b);
        return MK_ECORRUPT;
    }
    b->data[byte] &= (uint8_t)~mask;
    mk__fb_dirty(fs, b);
    mk__fb_put(fs, b);
    return 0;
}

int mk__bitmap_count(struct mk__fs *fs, uint64_t start, uint64_t nbits, uint64_t *used)
{
    uint64_t bits_per_block = (uint64_t)fs->bsize * 8;
    uint64_t n = 0;
    for (uint64_t blk = 0; blk * bits_per_block < nbits; blk++) {
        struct mk__fbuf *b;
        int rc = mk__fb_get(fs, start + blk, 0, &b);
        if (rc != 0)
            return rc;
        uint64_t bits = nbits - blk * bits_per_block;
        if (bits > bits_per_block)
            bits = bits_per_block;
        for (uint64_t i = 0; i < bits / 8; i++)
            n += (uint64_t)__builtin_popcount(b->data[i]);
        for (uint64_t i = bits / 8 * 8; i < bits; i++)
            n += (b->data[i / 8] >> (i % 8)) & 1u;
        mk__fb_put(fs, b);
    }
    *used = n;
    return 0;
}

/* Take the first free data block at or after start (wrapping around). */
static int mk__balloc_from(struct mk__fs *fs, uint64_t start, uint32_t *bno)
{
    /* Blocks freed by the running transaction count as free (statfs shows
     * them) but keep their bits until commit (journal.c). */
    if (fs->sb.free_blocks <= fs->j.npend)
        return MK_ENOSPC;
    uint64_t bit;
    int rc = mk__bitmap_take(fs, fs->sb.bmap_start, fs->sb.data_start, fs->sb.nblocks,
                             start, &bit);
    if (rc == MK_ENOSPC) {
        fs->sb.free_blocks = fs->j.npend; /* drifted: trust the bitmap */
        return rc;
    }
    if (rc != 0)
        return rc;
    fs->sb.free_blocks--;
    fs->bhint = bit + 1;
    *bno = (uint32_t)bit;
    return 0;
}

int mk__balloc(struct mk__fs *fs, uint32_t *bno)
{
    return mk__balloc_from(fs, fs->bhint, bno);
}

/* Goal-directed allocation (ext4's "goal" block, FFS's rotor): the scan
 * starts at goal instead of the roving hint, so the block after a file's
 * last one is taken when it is free. */
int mk__balloc_near(struct mk__fs *fs, uint64_t goal, uint32_t *bno)
{
    if (goal < fs->sb.data_start || goal >= fs->sb.nblocks)
        goal = fs->bhint;
    return mk__balloc_from(fs, goal, bno);
}

int mk__balloc_zero(struct mk__fs *fs, uint32_t *bno)
{
    uint32_t b;
    int rc = mk__balloc(fs, &b);
    if (rc != 0)
        return rc;
    struct mk__fbuf *buf;
    rc = mk__fb_get(fs, b, MK__BUF_NOREAD, &buf);
    if (rc != 0) {
        mk__bfree(fs, b);
        return rc;
    }
    memset(buf->data, 0, fs->bsize);
    mk__fb_dirty(fs, buf);
    mk__fb_put(fs, buf);
    *bno = b;
    return 0;
}

int mk__bfree(struct mk__fs *fs, uint32_t bno)
{
    if (bno < fs->sb.data_start || bno >= fs->sb.nblocks)
        return MK_ECORRUPT;
    /* Check the bit now (a double free is corruption); clear it at commit,
     * so the block is not reused while a crash could still revive its
     * owner (journal.c). */
    uint64_t per = (uint64_t)fs->bsize * 8;
    struct mk__fbuf *b;
    int rc = mk__fb_get(fs, fs->sb.bmap_start + bno / per, 0, &b);
    if (rc != 0)
        return rc;
    bool set = (b->data[(bno % per) / 8] >> (bno % 8)) & 1u;
    mk__fb_put(fs, b);
    if (!set)
        return MK_ECORRUPT;
    rc = mk__tx_defer_free(fs, bno);
    if (rc != 0)
        return rc;
    fs->sb.free_blocks++;
    return 0;
}

int mk__ialloc(struct mk__fs *fs, uint32_t *ino)
{
    if (fs->sb.free_inodes == 0)
        return MK_ENOSPC;
    uint64_t bit;
    int rc = mk__bitmap_take(fs, fs->sb.imap_start, 1, fs->sb.ninodes, fs->ihint, &bit);
    if (rc == MK_ENOSPC) {
        fs->sb.free_inodes = 0;
        return rc;
    }
    if (rc != 0)
        return rc;
    fs->sb.free_inodes--;
    fs->ihint = (uint32_t)bit + 1;
    *ino = (uint32_t)bit;
    return 0;
}

int mk__ifree(struct mk__fs *fs, uint32_t ino)
{
    if (ino == 0 || ino >= fs->sb.ninodes)
        return MK_ECORRUPT;
    int rc = mk__bitmap_clear(fs, fs->sb.imap_start, ino);
    if (rc != 0)
        return rc;
    fs->sb.free_inodes++;
    if (ino < fs->ihint)
        fs->ihint = ino;
    return 0;
}
