/*
 * super.c - the superblock: mkfs (lay out and write an empty file system),
 * probe (what does block 0 hold?), mount-time validation, sync and
 * unmount; plus the public mk_fs_probe() and mk_mkfs_opts_init().
 * (mk_fs_mkfs() itself is in src/vfs/mount.c, because refusing to format a
 * mounted device needs the mount table, which lives in the layer above.)
 *
 * Sits on the buffer cache (src/blk/blk.h) and the encoders of format.c.
 * Mount validates everything it reads before trusting it and before writing
 * anything: a device holding foreign data is never modified. Free counts
 * are recomputed from the bitmaps at every mount, so a superblock left
 * "mounted" by a crash still yields exact counts. The caller serialises
 * mount/unmount/sync with every other call on the same mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <microkernel/fs.h>

#include <stdlib.h>
#include <string.h>

static bool mk__bsize_ok(uint32_t b)
{
    return b >= MK__FS_BSIZE_MIN && b <= MK__FS_BSIZE_MAX && (b & (b - 1)) == 0;
}

static uint64_t mk__div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Extents address 2^32 file blocks (fs_format.h). */
static uint64_t mk__max_file(uint32_t bsize)
{
    uint64_t nb = (uint64_t)1 << 32;
    if (nb > MK__FS_MAX_FILE / bsize)
        return MK__FS_MAX_FILE;
    return nb * bsize;
}

/* Set bits [from, to) of the bitmap starting at block `start`. */
static int mk__bits_set(mk_t *k, uint64_t dev, uint32_t bsize, uint64_t start,
                        uint64_t from, uint64_t to)
{
    uint64_t per = (uint64_t)bsize * 8;
    uint64_t bit = from;
    while (bit < to) {
        mk__buf_t *b;
        uint64_t blk = bit / per;
        int rc = mk__buf_get(k, dev, start + blk, 0, &b);
        if (rc != 0)
            return rc;
        uint64_t end = (blk + 1) * per < to ? (blk + 1) * per : to;
        for (; bit < end; bit++)
            b->data[(bit % per) / 8] |= (uint8_t)(1u << (bit % 8));
        mk__buf_dirty(k, b);
        mk__buf_put(k, b);
    }
    return 0;
}

static int mk__zero_block(mk_t *k, uint64_t dev, uint64_t bno)
{
    mk__buf_t *b;
    int rc = mk__buf_get(k, dev, bno, MK__BUF_NOREAD, &b);
    if (rc != 0)
        return rc;
    memset(b->data, 0, b->size);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);
    return 0;
}

/* Superblock written directly (mkfs only: a mounted fs logs it). */
static int mk__sb_write(mk_t *k, uint64_t dev, const struct mk__sb *sb)
{
    mk__buf_t *b;
    int rc = mk__buf_get(k, dev, 0, MK__BUF_NOREAD, &b);
    if (rc != 0)
        return rc;
    memset(b->data, 0, b->size);
    mk__sb_encode(sb, b->data);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);
    return 0;
}

int mk__fs_mkfs(mk_t *k, uint64_t dev, uint32_t want_inodes)
{
    uint32_t bsize;
    uint64_t devblocks;
    int rc = mk__blk_geometry(k, dev, &bsize, &devblocks);
    if (rc != 0)
        return rc;
    if (!mk__bsize_ok(bsize) || want_inodes > 0x80000000u)
        return MK_EINVAL;
    uint64_t nblocks = devblocks > 0xffffffffu ? 0xffffffffu : devblocks;
    uint32_t ipb = bsize / MK__FS_INODE_SIZE;
    uint64_t ninodes = want_inodes;
    if (ninodes == 0) {
        ninodes = nblocks * bsize / 16384;
        if (ninodes < 16)
            ninodes = 16;
        if (ninodes > 0x80000000u)
            ninodes = 0x80000000u;
    }
    ninodes = mk__div_up(ninodes + 1, ipb) * ipb; /* + inode 0, whole blocks */

    struct mk__sb sb;
    memset(&sb, 0, sizeof sb);
    sb.magic = MK__FS_MAGIC;
    sb.version = MK__FS_VERSION;
    sb.block_size = bsize;
    sb.inode_size = MK__FS_INODE_SIZE;
    sb.nblocks = nblocks;
    sb.ninodes = (uint32_t)ninodes;
    sb.state = MK__FS_STATE_CLEAN;
    /* Journal: 1/16 of the device, at least a header + 32 blocks, at most
     * what one header can name and 4 MiB (the running transaction is
     * held in memory). */
    uint64_t lb = nblocks / 16, hcap = (bsize - MK__FS_JHDR) / 4, mcap = (4u << 20) / bsize;
    if (lb > hcap)
        lb = hcap;
    if (lb > mcap)
        lb = mcap;
    if (lb < MK__FS_LOG_MIN - 1)
        lb = MK__FS_LOG_MIN - 1;
    sb.log_start = 1;
    sb.log_blocks = (uint32_t)lb + 1;
    sb.bmap_start = 1 + (uint64_t)sb.log_blocks;
    sb.bmap_blocks = (uint32_t)mk__div_up(nblocks, (uint64_t)bsize * 8);
    sb.imap_start = sb.bmap_start + sb.bmap_blocks;
    sb.imap_blocks = (uint32_t)mk__div_up(ninodes, (uint64_t)bsize * 8);
    sb.itable_start = sb.imap_start + sb.imap_blocks;
    sb.itable_blocks = (uint32_t)(ninodes / ipb);
    sb.data_start = sb.itable_start + sb.itable_blocks;
    sb.root_ino = MK__FS_ROOT_INO;
    sb.dirent_size = MK__FS_DIRENT_SIZE;
    sb.mkfs_time = sb.write_time = atomic_load(&k->ticks);
    if (sb.data_start + 1 > nblocks) /* room for the root directory block */
        return MK_ENOSPC;
    sb.free_blocks = nblocks - sb.data_start - 1;
    sb.free_inodes = (uint32_t)ninodes - 2; /* inode 0 and the root */

    /* Metadata first, superblock last: a failure leaves no valid magic.
     * The log blocks need no zeroing: only a header with a valid CRC
     * makes them count. */
    if (sb.data_start + 1 > nblocks)
        return MK_ENOSPC;
    for (uint64_t b = 0; b < sb.data_start; b++)
        if ((b < 2 || b >= sb.bmap_start) && (rc = mk__zero_block(k, dev, b)) != 0)
            return rc;
    uint64_t root_block = sb.data_start;
    uint64_t per = (uint64_t)bsize * 8;
    if ((rc = mk__bits_set(k, dev, bsize, sb.bmap_start, 0, root_block + 1)) != 0 ||
        (rc = mk__bits_set(k, dev, bsize, sb.bmap_start, nblocks,
                           (uint64_t)sb.bmap_blocks * per)) != 0 ||
        (rc = mk__bits_set(k, dev, bsize, sb.imap_start, 0, 2)) != 0 ||
        (rc = mk__bits_set(k, dev, bsize, sb.imap_start, ninodes,
                           (uint64_t)sb.imap_blocks * per)) != 0)
        return rc;

    /* Root directory: one block holding "." and "..", both itself. */
    mk__buf_t *b;
    if ((rc = mk__buf_get(k, dev, root_block, MK__BUF_NOREAD, &b)) != 0)
        return rc;
    memset(b->data, 0, b->size);
    mk__dirent_encode(b->data, MK__FS_ROOT_INO, ".", 1);
    mk__dirent_encode(b->data + MK__FS_DIRENT_SIZE, MK__FS_ROOT_INO, "..", 2);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);

    struct mk__dinode root;
    memset(&root, 0, sizeof root);
    root.type = MK__FS_T_DIR;
    root.nlink = 2;
    root.size = 2 * MK__FS_DIRENT_SIZE;
    root.blocks = 1;
    root.ctime = root.mtime = sb.mkfs_time;
    mk__ext_init(&root); /* one extent: the root block */
    mk__put16(root.ext + 2, 1);
    mk__put32(root.ext + MK__EXT_HDR, 0);
    mk__put32(root.ext + MK__EXT_HDR + 4, (uint32_t)root_block);
    mk__put32(root.ext + MK__EXT_HDR + 8, 1);
    if ((rc = mk__buf_get(k, dev, sb.itable_start + MK__FS_ROOT_INO / ipb, 0, &b)) != 0)
        return rc;
    mk__dinode_encode(&root, b->data + (MK__FS_ROOT_INO % ipb) * MK__FS_INODE_SIZE);
    mk__buf_dirty(k, b);
    mk__buf_put(k, b);

    if ((rc = mk__blk_flush(k, dev)) != 0)
        return rc;
    if ((rc = mk__sb_write(k, dev, &sb)) != 0)
        return rc;
    return mk__blk_flush(k, dev);
}

/* Check a decoded superblock against itself and the device: 0, MK_ENOFS
 * (not ours) or MK_ECORRUPT (ours, damaged). */
static int mk__sb_check(const struct mk__sb *sb, const uint8_t *raw, uint32_t bsize,
                        uint64_t devblocks)
{
    if (sb->magic != MK__FS_MAGIC)
        return MK_ENOFS;
    if (mk__crc32c(raw, MK__FS_SB_CRC_OFF) != sb->crc)
        return MK_ECORRUPT;
    /* Another format version (version 2's block pointers, or a newer
     * one) is never interpreted: refused as a whole, before anything else
     * is read. There is no in-place upgrade. */
    if (sb->version != MK__FS_VERSION || sb->block_size != bsize ||
        sb->inode_size != MK__FS_INODE_SIZE || sb->dirent_size != MK__FS_DIRENT_SIZE)
        return MK_ECORRUPT;
    if (sb->nblocks < 2 || sb->nblocks > devblocks || sb->nblocks > 0xffffffffu)
        return MK_ECORRUPT;
    uint32_t ipb = bsize / MK__FS_INODE_SIZE;
    uint64_t per = (uint64_t)bsize * 8;
    if (sb->ninodes < 2 || sb->ninodes % ipb != 0 || sb->root_ino != MK__FS_ROOT_INO)
        return MK_ECORRUPT;
    if (sb->log_start != 1 || sb->log_blocks < MK__FS_LOG_MIN ||
        sb->log_blocks - 1 > (bsize - MK__FS_JHDR) / 4 || sb->log_blocks >= sb->nblocks)
        return MK_ECORRUPT;
    if (sb->bmap_start != 1 + (uint64_t)sb->log_blocks || sb->bmap_blocks != mk__div_up(sb->nblocks, per) ||
        sb->imap_start != sb->bmap_start + sb->bmap_blocks ||
        sb->imap_blocks != mk__div_up(sb->ninodes, per) ||
        sb->itable_start != sb->imap_start + sb->imap_blocks ||
        sb->itable_blocks != sb->ninodes / ipb ||
        sb->data_start != sb->itable_start + sb->itable_blocks ||
        sb->data_start >= sb->nblocks)
        return MK_ECORRUPT;
    if (sb->state != MK__FS_STATE_CLEAN && sb->state != MK__FS_STATE_MOUNTED)
        return MK_ECORRUPT;
    return 0;
}

static bool mk__all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Read and check block 0: 0 with *sb, MK_ENOFS with *blank set or not,
 * MK_ECORRUPT, or an I/O error. */
static int mk__sb_read(mk_t *k, uint64_t dev, struct mk__sb *sb, bool *blank)
{
    uint32_t bsize;
    uint64_t devblocks;
    int rc = mk__blk_geometry(k, dev, &bsize, &devblocks);
    if (rc != 0)
        return rc;
    mk__buf_t *b;
    if ((rc = mk__buf_get(k, dev, 0, 0, &b)) != 0)
        return rc;
    *blank = mk__all_zero(b->data, b->size);
    uint8_t raw[MK__FS_SB_SIZE];
    if (b->size >= MK__FS_SB_SIZE)
        memcpy(raw, b->data, MK__FS_SB_SIZE);
    else
        memset(raw, 0, sizeof raw);
    mk__buf_put(k, b);
    if (*blank || !mk__bsize_ok(bsize))
        return MK_ENOFS;
    mk__sb_decode(raw, sb);
    return mk__sb_check(sb, raw, bsize, devblocks);
}

int mk__fs_probe(mk_t *k, uint64_t dev, uint32_t *kind)
{
    struct mk__sb sb;
    bool blank = false;
    int rc = mk__sb_read(k, dev, &sb, &blank);
    if (rc == 0)
        *kind = MK_FS_PROBE_MKFS;
    else if (rc == MK_ENOFS || rc == MK_ECORRUPT)
        *kind = blank ? MK_FS_PROBE_BLANK : MK_FS_PROBE_OTHER;
    else
        return rc;
    return 0;
}

int mk__fs_mount(mk_t *k, uint64_t dev, struct mk__fs **out)
{
    return mk__fs_open(k, dev, true, NULL, out);
}

int mk__fs_open(mk_t *k, uint64_t dev, bool rw, uint32_t *replayed_out,
                struct mk__fs **out)
{
    struct mk__sb sb;
    bool blank;
    uint32_t replayed;
    /* Replay a committed transaction first: it may carry the superblock. */
    int rc = mk__jnl_recover(k, dev, &replayed);
    if (rc != 0)
        return rc;
    if (replayed_out != NULL)
        *replayed_out = replayed;
    rc = mk__sb_read(k, dev, &sb, &blank);
    if (rc != 0)
        return rc;
    struct mk__fs *fs = calloc(1, sizeof *fs);
    if (fs == NULL)
        return MK_ENOMEM;
    fs->k = k;
    fs->dev = dev;
    fs->bsize = sb.block_size;
    fs->ptrs = sb.block_size / 4;
    fs->ipb = sb.block_size / MK__FS_INODE_SIZE;
    fs->sb = sb;
    fs->bhint = sb.data_start;
    fs->ihint = 1;
    fs->max_file = mk__max_file(sb.block_size);
    if ((rc = mk__jnl_open(fs)) != 0) {
        free(fs);
        return rc;
    }

    /* Free counts come from the bitmaps (the superblock's are hints). */
    uint64_t used;
    if ((rc = mk__bitmap_count(fs, sb.bmap_start, sb.nblocks, &used)) != 0)
        goto fail;
    if (used < sb.data_start || used > sb.nblocks) {
        rc = MK_ECORRUPT;
        goto fail;
    }
    fs->sb.free_blocks = sb.nblocks - used;
    if ((rc = mk__bitmap_count(fs, sb.imap_start, sb.ninodes, &used)) != 0)
        goto fail;
    if (used < 2 || used > sb.ninodes) {
        rc = MK_ECORRUPT;
        goto fail;
    }
    fs->sb.free_inodes = (uint32_t)(sb.ninodes - used);

    struct mk__dinode root;
    if ((rc = mk__iread(fs, MK__FS_ROOT_INO, &root)) != 0)
        goto fail;
    if (root.type != MK__FS_T_DIR || root.size < 2 * MK__FS_DIRENT_SIZE) {
        rc = MK_ECORRUPT;
        goto fail;
    }

    if (!rw) { /* fsck: look, do not touch (until it repairs) */
        *out = fs;
        return 0;
    }
    /* From here on the device is ours: mark it in use until unmount. */
    fs->sb.state = MK__FS_STATE_MOUNTED;
    fs->sb.mount_count++;
    fs->sb.write_time = mk__fs_now(fs);
    fs->sb_dirty = true;
    if ((rc = mk__tx_commit(fs)) != 0 || (rc = mk__blk_flush(k, dev)) != 0)
        goto fail;
    *out = fs;
    return 0;
fail:
    mk__icache_free(fs);
    mk__jnl_close(fs);
    free(fs);
    return rc;
}

int mk__fs_sync(struct mk__fs *fs)
{
    fs->sb.write_time = mk__fs_now(fs);
    fs->sb_dirty = true;
    int rc = mk__tx_commit(fs);
    if (rc != 0)
        return rc;
    return mk__blk_flush(fs->k, fs->dev);
}

int mk__fs_unmount(struct mk__fs *fs)
{
    /* The last transaction carries the clean superblock; the flush after
     * it also writes the retired journal header. */
    fs->sb.state = MK__FS_STATE_CLEAN;
    int rc = mk__fs_sync(fs);
    if (rc != 0) {
        fs->sb.state = MK__FS_STATE_MOUNTED;
        return rc;
    }
    mk__blk_invalidate(fs->k, fs->dev);
    mk__fs_free(fs);
    return 0;
}

void mk__fs_free(struct mk__fs *fs)
{
    mk__icache_free(fs);
    mk__jnl_close(fs);
    free(fs);
}

uint32_t mk__fs_root(const struct mk__fs *fs)
{
    return fs->sb.root_ino;
}

uint64_t mk__fs_dev(const struct mk__fs *fs)
{
    return fs->dev;
}

void mk__fs_statfs(const struct mk__fs *fs, struct mk__fs_statfs *out)
{
    out->block_size = fs->bsize;
    out->blocks = fs->sb.nblocks;
    out->free_blocks = fs->sb.free_blocks;
    out->inodes = fs->sb.ninodes - 1;
    out->free_inodes = fs->sb.free_inodes;
}

/* ---- public -------------------------------------------------------- */

void mk_mkfs_opts_init(mk_mkfs_opts_t *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof *o);
    o->size = (uint32_t)sizeof *o;
}

int mk_fs_probe(mk_t *k, mk_dev_t dev, uint32_t *kind)
{
    MK__CHECK(k);
    MK__KERNEL_ENTER(k);
    if (kind == NULL)
        return MK_EINVAL;
    uint32_t kd;
    int rc = mk__fs_probe(k, dev, &kd);
    if (rc != 0)
        return rc;
    *kind = kd;
    return 0;
}
