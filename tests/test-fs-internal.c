/*
 * test-fs-internal.c - the on-disk format from the inside: CRC-32C test
 * vectors, encoder/decoder round trips and field offsets, superblocks that
 * are well-checksummed but wrong (version, geometry), and a consistency
 * checker (a small fsck written independently of src/fs, from the layout
 * in fs_format.h) run after a long random sequence of operations checked
 * against an in-memory model, including a device that fills up.
 */
#include <microkernel/mk.h>

#include "fs/fs_format.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mk_t *new_kernel(void)
{
    mk_t *k = NULL;
    ck_assert_int_eq(mk_create(NULL, &k), 0);
    return k;
}

START_TEST(crc32c_vectors)
{
    /* RFC 3720 B.4 and the classic check value. */
    ck_assert_uint_eq(mk__crc32c("123456789", 9), 0xe3069283u);
    uint8_t zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof ones);
    ck_assert_uint_eq(mk__crc32c(zeros, 32), 0x8a9136aau);
    ck_assert_uint_eq(mk__crc32c(ones, 32), 0x62a8ab43u);
    uint8_t inc[32];
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    ck_assert_uint_eq(mk__crc32c(inc, 32), 0x46dd794eu);
    ck_assert_uint_eq(mk__crc32c(NULL, 0), 0);
}
END_TEST

START_TEST(superblock_and_inode_encoding)
{
    struct mk__sb sb, back;
    memset(&sb, 0, sizeof sb);
    sb.magic = MK__FS_MAGIC;
    sb.version = 1;
    sb.block_size = 4096;
    sb.nblocks = 0x123456789ull;
    sb.ninodes = 0xabcdef;
    sb.free_blocks = 77;
    sb.mount_count = 5;
    uint8_t raw[MK__FS_SB_SIZE];
    mk__sb_encode(&sb, raw);
    ck_assert_mem_eq(raw, "MKFS", 4); /* little-endian magic reads as text */
    ck_assert_uint_eq(raw[16], 0x89); /* nblocks, least significant byte first */
    ck_assert_uint_eq(raw[20], 0x01);
    mk__sb_decode(raw, &back);
    ck_assert_uint_eq(back.nblocks, sb.nblocks);
    ck_assert_uint_eq(back.ninodes, sb.ninodes);
    ck_assert_uint_eq(back.free_blocks, 77);
    ck_assert_uint_eq(back.mount_count, 5);
    ck_assert_uint_eq(back.crc, mk__crc32c(raw, MK__FS_SB_CRC_OFF));

    struct mk__dinode di, d2;
    memset(&di, 0, sizeof di);
    di.type = MK__FS_T_DIR;
    di.nlink = 3;
    di.size = 0x1122334455ull;
    for (unsigned i = 0; i < MK__EXT_ROOT_SIZE; i++)
        di.ext[i] = (uint8_t)(0x40 + i);
    uint8_t ri[MK__FS_INODE_SIZE];
    mk__dinode_encode(&di, ri);
    ck_assert_uint_eq(ri[0], MK__FS_T_DIR);
    ck_assert_uint_eq(ri[40], 0x40); /* the extent root, raw, at byte 40 */
    ck_assert_uint_eq(ri[95], 0x40 + 55);
    ck_assert_uint_eq(ri[96], 0); /* reserved */
    ck_assert_uint_eq(ri[127], 0);
    mk__dinode_decode(ri, &d2);
    ck_assert_mem_eq(d2.ext, di.ext, sizeof di.ext);
    ck_assert_uint_eq(d2.size, di.size);
    ck_assert_uint_eq(d2.nlink, 3);
}
END_TEST

/* Rewrite the superblock of dev with `edit` applied and a valid CRC. */
static void forge_sb(mk_t *k, mk_dev_t d, void (*edit)(struct mk__sb *))
{
    uint8_t raw[MK__FS_SB_SIZE];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, raw, sizeof raw), 0);
    struct mk__sb sb;
    mk__sb_decode(raw, &sb);
    edit(&sb);
    mk__sb_encode(&sb, raw);
    ck_assert_int_eq(mk_blk_write(k, d, 0, 0, raw, sizeof raw), 0);
}

static void e_version(struct mk__sb *s) { s->version = MK_FS_VERSION + 1; }
static void e_version2(struct mk__sb *s) { s->version = 2; } /* block pointers */
static void e_logb(struct mk__sb *s) { s->log_blocks += 1; }
static void e_logs(struct mk__sb *s) { s->log_start = 2; }
static void e_bsize(struct mk__sb *s) { s->block_size = 2048; }
static void e_nblocks(struct mk__sb *s) { s->nblocks = 1u << 20; }
static void e_ninodes(struct mk__sb *s) { s->ninodes += 1; }
static void e_itable(struct mk__sb *s) { s->itable_start += 1; }
static void e_data(struct mk__sb *s) { s->data_start = s->nblocks; }
static void e_root(struct mk__sb *s) { s->root_ino = 2; }
static void e_state(struct mk__sb *s) { s->state = 9; }
static void e_isize(struct mk__sb *s) { s->inode_size = 256; }
static void e_none(struct mk__sb *s) { (void)s; }

START_TEST(checksummed_but_wrong_superblocks)
{
    void (*edits[])(struct mk__sb *) = {e_version, e_version2, e_bsize, e_nblocks, e_ninodes, e_itable,
                                        e_data, e_root, e_state, e_isize, e_logb, e_logs};
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "d", 1024, 1024, &d), 0);
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);
    uint8_t orig[MK__FS_SB_SIZE];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, orig, sizeof orig), 0);
    for (unsigned i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        forge_sb(k, d, edits[i]);
        ck_assert_msg(mk_vfs_mount(k, d, "/", 0) == MK_ECORRUPT, "edit %u", i);
        uint32_t kind;
        ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
        ck_assert_uint_eq(kind, MK_FS_PROBE_OTHER);
        ck_assert_int_eq(mk_blk_write(k, d, 0, 0, orig, sizeof orig), 0);
    }
    forge_sb(k, d, e_none); /* a faithful re-encode still mounts */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    /* A root inode that is not a directory is refused at mount. */
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    struct mk__sb sb;
    mk__sb_decode(orig, &sb);
    uint8_t ino[MK__FS_INODE_SIZE];
    uint32_t ipb = 1024 / MK__FS_INODE_SIZE;
    uint64_t iblk = sb.itable_start + MK__FS_ROOT_INO / ipb;
    uint32_t ioff = (MK__FS_ROOT_INO % ipb) * MK__FS_INODE_SIZE;
    ck_assert_int_eq(mk_blk_read(k, d, iblk, ioff, ino, sizeof ino), 0);
    uint8_t saved = ino[0];
    ino[0] = MK__FS_T_REG;
    ck_assert_int_eq(mk_blk_write(k, d, iblk, ioff, ino, sizeof ino), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), MK_ECORRUPT);
    ino[0] = saved;
    ck_assert_int_eq(mk_blk_write(k, d, iblk, ioff, ino, sizeof ino), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* ---- an independent consistency checker ------------------------------------ */

struct fsck {
    mk_t *k;
    mk_dev_t d;
    struct mk__sb sb;
    uint32_t bs, ipb;
    uint8_t *owner;    /* per block: 0 free, 1 metadata, 2 file */
    uint32_t *refs;    /* per inode: directory entries naming it */
};

static uint8_t bit_of(struct fsck *f, uint64_t start, uint64_t i)
{
    uint8_t byte;
    uint64_t per = (uint64_t)f->bs * 8;
    ck_assert_int_eq(mk_blk_read(f->k, f->d, start + i / per, (uint32_t)((i % per) / 8), &byte, 1),
                     0);
    return (byte >> (i % 8)) & 1u;
}

static void read_inode(struct fsck *f, uint32_t ino, struct mk__dinode *di)
{
    uint8_t raw[MK__FS_INODE_SIZE];
    ck_assert_int_eq(mk_blk_read(f->k, f->d, f->sb.itable_start + ino / f->ipb,
                                 (ino % f->ipb) * MK__FS_INODE_SIZE, raw, sizeof raw),
                     0);
    mk__dinode_decode(raw, di);
}

static void claim(struct fsck *f, uint32_t bno)
{
    ck_assert_uint_ge(bno, f->sb.data_start);
    ck_assert_uint_lt(bno, f->sb.nblocks);
    ck_assert_msg(f->owner[bno] == 0, "block %u used twice", bno);
    f->owner[bno] = 2;
}

/* An independent walk of an extent tree node (format version 3): checks
 * headers, CRCs, owners, order and ranges, claims every block, returns the
 * blocks found; file block i's device block goes to map[i] (i < mapn). */
static uint64_t walk_ext(struct fsck *f, uint32_t ino, const uint8_t *h, unsigned eoff,
                         unsigned depth, uint64_t lo, uint64_t hi, uint32_t *map, uint64_t mapn,
                         uint64_t eof)
{
    ck_assert_uint_eq(mk__le16(h), MK__EXT_MAGIC);
    ck_assert_uint_eq(mk__le16(h + 6), depth);
    unsigned cnt = mk__le16(h + 2);
    ck_assert_uint_le(cnt, mk__le16(h + 4));
    uint64_t n = 0, prev = lo;
    for (unsigned i = 0; i < cnt; i++) {
        const uint8_t *e = h + eoff + i * MK__EXT_ENT;
        uint64_t lb = mk__le32(e), pb = mk__le32(e + 4), len = mk__le32(e + 8);
        uint64_t next = i + 1 < cnt ? mk__le32(e + MK__EXT_ENT) : hi;
        ck_assert_uint_ge(lb, prev);
        if (depth == 0) {
            ck_assert(len >= 1 && len <= MK__EXT_MAXLEN);
            ck_assert_uint_le(lb + len, hi);
            /* Blocks never lie past the end of the file. */
            ck_assert_uint_le(lb + len, eof);
            for (uint64_t b = 0; b < len; b++) {
                claim(f, (uint32_t)(pb + b));
                if (lb + b < mapn)
                    map[lb + b] = (uint32_t)(pb + b);
            }
            n += len;
            prev = lb + len;
        } else {
            ck_assert_uint_lt(lb, next);
            claim(f, (uint32_t)pb);
            uint8_t *blk = malloc(f->bs);
            ck_assert_int_eq(mk_blk_read(f->k, f->d, pb, 0, blk, f->bs), 0);
            ck_assert_uint_eq(mk__le16(blk + 4), (f->bs - 16) / 12);
            ck_assert_uint_eq(mk__le32(blk + 8), ino);
            ck_assert_uint_eq(mk__le32(blk + 12), mk__ext_crc(blk, f->bs));
            ck_assert_uint_gt(mk__le16(blk + 2), 0);
            n += 1 + walk_ext(f, ino, blk, MK__EXT_BHDR, depth - 1, lb, next, map, mapn, eof);
            free(blk);
            prev = lb + 1;
        }
    }
    return n;
}

/* Check the unmounted file system on d; returns the number of live inodes. */
static uint32_t fsck_run(mk_t *k, mk_dev_t d)
{
    struct fsck f;
    memset(&f, 0, sizeof f);
    f.k = k;
    f.d = d;
    uint8_t raw[MK__FS_SB_SIZE];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, raw, sizeof raw), 0);
    mk__sb_decode(raw, &f.sb);
    ck_assert_uint_eq(f.sb.crc, mk__crc32c(raw, MK__FS_SB_CRC_OFF));
    ck_assert_uint_eq(f.sb.state, MK__FS_STATE_CLEAN);
    f.bs = f.sb.block_size;
    f.ipb = f.bs / MK__FS_INODE_SIZE;
    f.owner = calloc(f.sb.nblocks, 1);
    f.refs = calloc(f.sb.ninodes, sizeof *f.refs);
    for (uint64_t b = 0; b < f.sb.data_start; b++)
        f.owner[b] = 1;
    uint32_t live = 0;
    for (uint32_t ino = 1; ino < f.sb.ninodes; ino++) {
        struct mk__dinode di;
        read_inode(&f, ino, &di);
        ck_assert_uint_eq(bit_of(&f, f.sb.imap_start, ino), di.type != 0);
        if (di.type == 0) {
            ck_assert_uint_eq(di.size, 0);
            continue;
        }
        live++;
        uint64_t nb = (di.size + f.bs - 1) / f.bs;
        uint64_t mapn = di.type == MK__FS_T_DIR ? nb : 0;
        uint32_t *map = calloc(mapn + 1, sizeof *map);
        uint64_t n = 0;
        if (mk__le16(di.ext) != 0)
            n = walk_ext(&f, ino, di.ext, MK__EXT_HDR, mk__le16(di.ext + 6), 0,
                         (uint64_t)1 << 32, map, mapn, nb);
        ck_assert_msg(n == di.blocks, "inode %u: %llu blocks found, %llu recorded", ino,
                      (unsigned long long)n, (unsigned long long)di.blocks);
        if (di.type == MK__FS_T_DIR) {
            ck_assert_uint_eq(di.size % MK__FS_DIRENT_SIZE, 0);
            uint8_t *buf = malloc(di.size);
            /* Read the directory through the VFS is not possible while
             * unmounted: follow the map the extent walk built. */
            for (uint64_t off = 0; off < di.size; off += MK__FS_DIRENT_SIZE) {
                uint32_t bno = map[off / f.bs];
                uint8_t *e = buf + off;
                if (bno == 0)
                    memset(e, 0, MK__FS_DIRENT_SIZE);
                else
                    ck_assert_int_eq(mk_blk_read(k, d, bno, (uint32_t)(off % f.bs), e,
                                                 MK__FS_DIRENT_SIZE),
                                     0);
                uint32_t child = mk__le32(e);
                if (child == 0)
                    continue;
                ck_assert_uint_lt(child, f.sb.ninodes);
                uint32_t nl = e[4];
                ck_assert(nl >= 1 && nl <= MK_NAME_MAX);
                int dot = nl == 1 && e[5] == '.';
                int dotdot = nl == 2 && e[5] == '.' && e[6] == '.';
                if (off == 0)
                    ck_assert(dot && child == ino);
                if (off == MK__FS_DIRENT_SIZE)
                    ck_assert(dotdot);
                f.refs[child]++;
                struct mk__dinode cd;
                read_inode(&f, child, &cd);
                ck_assert_uint_ne(cd.type, 0); /* no entry names a free inode */
                if (dotdot && ino == f.sb.root_ino)
                    ck_assert_uint_eq(child, ino);
            }
            free(buf);
        }
        free(map);
    }
    /* Link counts: every entry naming the inode ("." and ".." included). */
    for (uint32_t ino = 1; ino < f.sb.ninodes; ino++) {
        struct mk__dinode di;
        read_inode(&f, ino, &di);
        if (di.type == 0)
            continue;
        ck_assert_msg(di.nlink == f.refs[ino], "inode %u: nlink %u, %u entries", ino, di.nlink,
                      f.refs[ino]);
    }
    /* The bitmap says exactly which blocks are in use. */
    uint64_t used = 0;
    for (uint64_t b = 0; b < f.sb.nblocks; b++) {
        ck_assert_msg(bit_of(&f, f.sb.bmap_start, b) == (f.owner[b] != 0), "block %llu",
                      (unsigned long long)b);
        used += f.owner[b] != 0;
    }
    ck_assert_uint_eq(f.sb.free_blocks, f.sb.nblocks - used);
    ck_assert_uint_eq(f.sb.free_inodes, f.sb.ninodes - 1 - live);
    free(f.owner);
    free(f.refs);
    return live;
}

/* ---- random operations against a model -------------------------------------- */

#define NFILES 12
#define MAXLEN 40000

struct model {
    uint8_t *data[NFILES];
    size_t len[NFILES];
    int exists[NFILES];
    int dir_exists; /* "/d" */
};

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng_state >> 33) % n);
}

static void name_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, i % 2 ? "/d/f%d" : "/f%d", i);
}

static void verify_model(mk_t *k, struct model *m)
{
    char path[32];
    uint8_t *buf = malloc(MAXLEN + 10);
    for (int i = 0; i < NFILES; i++) {
        name_of(i, path, sizeof path);
        mk_stat_t st;
        st.size = sizeof st;
        int rc = mk_vfs_stat(k, path, &st);
        if (!m->exists[i]) {
            ck_assert_msg(rc == MK_ENOENT, "%s: %s", path, mk_err_name(rc));
            continue;
        }
        ck_assert_msg(rc == 0, "%s: %s", path, mk_err_name(rc));
        ck_assert_uint_eq(st.bytes, m->len[i]);
        mk_fd_t fd;
        size_t n;
        ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd), 0);
        ck_assert_int_eq(mk_vfs_read(k, MK_PID_KERNEL, fd, buf, MAXLEN + 10, &n), 0);
        ck_assert_uint_eq(n, m->len[i]);
        ck_assert_msg(memcmp(buf, m->data[i], n) == 0, "%s content", path);
        ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    }
    free(buf);
}

/* The library's own fsck agrees: nothing wrong. */
static void lib_fsck_clean(mk_t *k, mk_dev_t d)
{
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_msg(r.problems == 0,
                  "problems %llu: leaks %llu unmarked %llu ileaks %llu iunmarked %llu "
                  "links %llu bcounts %llu entries %llu dirs %llu ptrs %llu dups %llu",
                  (unsigned long long)r.problems, (unsigned long long)r.block_leaks,
                  (unsigned long long)r.block_unmarked, (unsigned long long)r.inode_leaks,
                  (unsigned long long)r.inode_unmarked, (unsigned long long)r.link_counts,
                  (unsigned long long)r.block_counts, (unsigned long long)r.bad_entries,
                  (unsigned long long)r.bad_dirs, (unsigned long long)r.bad_pointers,
                  (unsigned long long)r.dup_blocks);
    ck_assert_uint_eq(r.repaired, 0);
    ck_assert_uint_ge(r.dirs, 1);
}

static void random_ops(uint32_t bs, uint64_t nblocks, uint32_t seed, int steps)
{
    rng_state = seed;
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "d", bs, nblocks, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    struct model m;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < NFILES; i++)
        m.data[i] = calloc(MAXLEN, 1);
    uint8_t *buf = malloc(MAXLEN);
    int enospc = 0;
    char path[32], path2[32];
    for (int step = 0; step < steps; step++) {
        int i = (int)rnd(NFILES);
        name_of(i, path, sizeof path);
        int in_d = i % 2;
        uint32_t op = rnd(10);
        mk_fd_t fd;
        size_t n;
        if (op <= 3) { /* write a random range */
            int rc = mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDWR | MK_O_CREAT, &fd);
            if (in_d && !m.dir_exists) {
                ck_assert_int_eq(rc, MK_ENOENT);
                continue;
            }
            if (rc == MK_ENOSPC) { /* no inode or no block for the entry */
                ck_assert(!m.exists[i]);
                enospc++;
                continue;
            }
            ck_assert_int_eq(rc, 0);
            m.exists[i] = 1;
            size_t off = rnd(MAXLEN), len = rnd((uint32_t)(MAXLEN - off)) + 1;
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)rnd(256);
            rc = mk_vfs_pwrite(k, MK_PID_KERNEL, fd, buf, len, off, &n);
            if (rc == MK_ENOSPC) {
                n = 0;
                enospc++;
            } else {
                ck_assert_int_eq(rc, 0);
                if (n < len)
                    enospc++;
            }
            if (n > 0) {
                memcpy(m.data[i] + off, buf, n);
                if (off + n > m.len[i])
                    m.len[i] = off + n;
            }
            ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
        } else if (op == 4) { /* truncate */
            size_t len = rnd(MAXLEN);
            int rc = mk_vfs_truncate(k, path, len);
            if (!m.exists[i]) {
                ck_assert_int_eq(rc, MK_ENOENT);
                continue;
            }
            ck_assert_int_eq(rc, 0);
            if (len < m.len[i])
                memset(m.data[i] + len, 0, m.len[i] - len);
            m.len[i] = len;
        } else if (op == 5) { /* unlink */
            int rc = mk_vfs_unlink(k, path);
            ck_assert_int_eq(rc, m.exists[i] ? 0 : MK_ENOENT);
            if (m.exists[i]) {
                memset(m.data[i], 0, MAXLEN);
                m.len[i] = 0;
                m.exists[i] = 0;
            }
        } else if (op == 6) { /* rename onto another name in the same place */
            int j = (i + 2) % NFILES;
            name_of(j, path2, sizeof path2);
            int rc = mk_vfs_rename(k, path, path2);
            if (!m.exists[i]) {
                ck_assert(rc == MK_ENOENT);
                continue;
            }
            if (rc == MK_ENOSPC) {
                enospc++;
                continue;
            }
            ck_assert_int_eq(rc, 0);
            memcpy(m.data[j], m.data[i], MAXLEN);
            m.len[j] = m.len[i];
            m.exists[j] = 1;
            memset(m.data[i], 0, MAXLEN);
            m.len[i] = 0;
            m.exists[i] = 0;
        } else if (op == 7) { /* mkdir / rmdir "/d" */
            if (!m.dir_exists) {
                int rc = mk_vfs_mkdir(k, "/d");
                if (rc == MK_ENOSPC) {
                    enospc++;
                    continue;
                }
                ck_assert_int_eq(rc, 0);
                m.dir_exists = 1;
            } else {
                int any = 0;
                for (int j = 1; j < NFILES; j += 2)
                    any |= m.exists[j];
                ck_assert_int_eq(mk_vfs_rmdir(k, "/d"), any ? MK_ENOTEMPTY : 0);
                if (!any)
                    m.dir_exists = 0;
            }
        } else if (op == 8) {
            verify_model(k, &m);
        } else { /* remount now and then */
            if (rnd(4) == 0) {
                ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
                fsck_run(k, d);
                lib_fsck_clean(k, d);
                ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
            }
        }
    }
    verify_model(k, &m);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    uint32_t live = fsck_run(k, d);
    lib_fsck_clean(k, d);
    int nfiles = 0;
    for (int i = 0; i < NFILES; i++)
        nfiles += m.exists[i];
    ck_assert_uint_eq(live, 1 + (uint32_t)m.dir_exists + (uint32_t)nfiles);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    verify_model(k, &m);
    for (int i = 0; i < NFILES; i++)
        free(m.data[i]);
    free(buf);
    ck_assert_int_eq(mk_destroy(k), 0);
    (void)enospc;
}

START_TEST(random_ops_roomy_1k)
{
    random_ops(1024, 4096, 1, 1500);
}
END_TEST

START_TEST(random_ops_roomy_4k)
{
    random_ops(4096, 1024, 2, 1500);
}
END_TEST

START_TEST(random_ops_tight_512)
{
    /* 160 KiB for up to 12 files of 40 KB: the device fills up often. */
    random_ops(512, 320, 3, 2500);
}
END_TEST

START_TEST(random_ops_tight_1k)
{
    random_ops(1024, 150, 4, 2500);
}
END_TEST

START_TEST(fsck_after_mkfs_of_every_size)
{
    uint32_t sizes[] = {512, 1024, 2048, 4096, 8192, 65536};
    for (unsigned i = 0; i < 6; i++) {
        mk_t *k = new_kernel();
        mk_dev_t d;
        /* An odd block count leaves a partial last bitmap byte. */
        ck_assert_int_eq(mk_blk_create_ram(k, "d", sizes[i], 333, &d), 0);
        ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);
        ck_assert_uint_eq(fsck_run(k, d), 1);
        ck_assert_int_eq(mk_destroy(k), 0);
    }
}
END_TEST

/* ---- mk_fs_fsck finds and repairs damage ---------------------------------- */

struct img {
    mk_t *k;
    mk_dev_t d;
    struct mk__sb sb;
    uint32_t fino, dino; /* /f (8 KiB), /d (a directory holding /d/g) */
};

static void img_make(struct img *im)
{
    im->k = new_kernel();
    ck_assert_int_eq(mk_blk_create_ram(im->k, "d", 1024, 1024, &im->d), 0);
    ck_assert_int_eq(mk_vfs_mount(im->k, im->d, "/", MK_MOUNT_FORMAT), 0);
    uint8_t buf[8192];
    memset(buf, 0x5a, sizeof buf);
    mk_fd_t fd;
    size_t n;
    ck_assert_int_eq(mk_vfs_open(im->k, MK_PID_KERNEL, "/f", MK_O_WRONLY | MK_O_CREAT, &fd), 0);
    ck_assert_int_eq(mk_vfs_write(im->k, MK_PID_KERNEL, fd, buf, sizeof buf, &n), 0);
    ck_assert_int_eq(mk_vfs_close(im->k, MK_PID_KERNEL, fd), 0);
    ck_assert_int_eq(mk_vfs_mkdir(im->k, "/d"), 0);
    ck_assert_int_eq(mk_vfs_open(im->k, MK_PID_KERNEL, "/d/g", MK_O_WRONLY | MK_O_CREAT, &fd),
                     0);
    ck_assert_int_eq(mk_vfs_close(im->k, MK_PID_KERNEL, fd), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(im->k, "/f", &st), 0);
    im->fino = (uint32_t)st.ino;
    ck_assert_int_eq(mk_vfs_stat(im->k, "/d", &st), 0);
    im->dino = (uint32_t)st.ino;
    ck_assert_int_eq(mk_vfs_unmount(im->k, "/"), 0);
    uint8_t raw[MK__FS_SB_SIZE];
    ck_assert_int_eq(mk_blk_read(im->k, im->d, 0, 0, raw, sizeof raw), 0);
    mk__sb_decode(raw, &im->sb);
    lib_fsck_clean(im->k, im->d);
}

static void img_inode(struct img *im, uint32_t ino, struct mk__dinode *di, int write)
{
    uint8_t raw[MK__FS_INODE_SIZE];
    uint32_t ipb = 1024 / MK__FS_INODE_SIZE;
    uint64_t blk = im->sb.itable_start + ino / ipb;
    uint32_t off = (ino % ipb) * MK__FS_INODE_SIZE;
    if (write) {
        mk__dinode_encode(di, raw);
        ck_assert_int_eq(mk_blk_write(im->k, im->d, blk, off, raw, sizeof raw), 0);
    } else {
        ck_assert_int_eq(mk_blk_read(im->k, im->d, blk, off, raw, sizeof raw), 0);
        mk__dinode_decode(raw, di);
    }
}

/* Device block of the first block of root extent i (a depth-0 root). */
static uint32_t ext_pblk(const struct mk__dinode *di, unsigned i)
{
    ck_assert_uint_eq(mk__le16(di->ext + 6), 0);
    return mk__le32(di->ext + MK__EXT_HDR + i * MK__EXT_ENT + 4);
}

static void img_bit(struct img *im, uint64_t start, uint64_t bit, int on)
{
    uint8_t byte;
    uint64_t blk = start + bit / (1024 * 8);
    uint32_t off = (uint32_t)((bit % (1024 * 8)) / 8);
    ck_assert_int_eq(mk_blk_read(im->k, im->d, blk, off, &byte, 1), 0);
    if (on)
        byte |= (uint8_t)(1u << (bit % 8));
    else
        byte &= (uint8_t)~(1u << (bit % 8));
    ck_assert_int_eq(mk_blk_write(im->k, im->d, blk, off, &byte, 1), 0);
}

/* Run a check (must find `field` > 0 and change nothing), a repair, then a
 * check that is clean; the files must still read back. */
static void img_repair(struct img *im, size_t field_off)
{
    mk_fsck_report_t a, b, c;
    a.size = b.size = c.size = sizeof a;
    ck_assert_int_eq(mk_fs_fsck(im->k, im->d, 0, &a), 0);
    ck_assert_uint_gt(a.problems, 0);
    ck_assert_uint_eq(a.repaired, 0);
    uint64_t v;
    memcpy(&v, (const uint8_t *)&a + field_off, sizeof v);
    ck_assert_uint_gt(v, 0);
    ck_assert_int_eq(mk_fs_fsck(im->k, im->d, 0, &b), 0); /* nothing changed */
    ck_assert_uint_eq(b.problems, a.problems);
    ck_assert_int_eq(mk_fs_fsck(im->k, im->d, MK_FSCK_REPAIR, &c), 0);
    ck_assert_uint_eq(c.problems, a.problems);
    ck_assert_uint_eq(c.flags, MK_FSCK_REPAIR);
    ck_assert_uint_gt(c.repaired, 0);
    lib_fsck_clean(im->k, im->d);
    ck_assert_int_eq(mk_vfs_mount(im->k, im->d, "/", 0), 0);
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(im->k, "/d", &st), 0);
    ck_assert_uint_eq(st.type, MK_FT_DIR);
    ck_assert_int_eq(mk_vfs_unmount(im->k, "/"), 0);
    ck_assert_int_eq(mk_destroy(im->k), 0);
}

START_TEST(fsck_repairs_block_leak)
{
    struct img im;
    img_make(&im);
    img_bit(&im, im.sb.bmap_start, im.sb.nblocks - 3, 1);
    img_repair(&im, offsetof(mk_fsck_report_t, block_leaks));
}
END_TEST

START_TEST(fsck_repairs_unmarked_block)
{
    struct img im;
    img_make(&im);
    struct mk__dinode di;
    img_inode(&im, im.fino, &di, 0);
    img_bit(&im, im.sb.bmap_start, ext_pblk(&di, 0), 0);
    img_repair(&im, offsetof(mk_fsck_report_t, block_unmarked));
}
END_TEST

START_TEST(fsck_repairs_link_count)
{
    struct img im;
    img_make(&im);
    struct mk__dinode di;
    img_inode(&im, im.fino, &di, 0);
    ck_assert_uint_eq(di.nlink, 1);
    di.nlink = 5;
    img_inode(&im, im.fino, &di, 1);
    img_repair(&im, offsetof(mk_fsck_report_t, link_counts));
}
END_TEST

START_TEST(fsck_repairs_dangling_entry_and_leaked_inode)
{
    struct img im;
    img_make(&im);
    /* Free /f's inode behind its entry: the entry dangles, its blocks leak. */
    struct mk__dinode di;
    memset(&di, 0, sizeof di);
    img_inode(&im, im.fino, &di, 1);
    img_bit(&im, im.sb.imap_start, im.fino, 0);
    img_repair(&im, offsetof(mk_fsck_report_t, bad_entries));
    /* An inode marked used that nothing names. */
    img_make(&im);
    img_bit(&im, im.sb.imap_start, im.sb.ninodes - 1, 1);
    img_repair(&im, offsetof(mk_fsck_report_t, inode_leaks));
}
END_TEST

START_TEST(fsck_repairs_bad_pointer_and_block_count)
{
    struct img im;
    img_make(&im);
    struct mk__dinode di;
    img_inode(&im, im.fino, &di, 0);
    /* /f is one extent of its blocks: point it inside the journal. */
    ck_assert_uint_eq(mk__le16(di.ext + 2), 1);
    uint32_t was = ext_pblk(&di, 0);
    mk__put32(di.ext + MK__EXT_HDR + 4, 3);
    img_inode(&im, im.fino, &di, 1);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(im.k, im.d, 0, &r), 0);
    ck_assert_uint_eq(r.bad_pointers, 1);
    ck_assert_uint_ge(r.block_leaks, 1); /* the blocks it pointed at */
    (void)was;
    img_repair(&im, offsetof(mk_fsck_report_t, bad_pointers));
}
END_TEST

START_TEST(fsck_repairs_bad_dotdot)
{
    struct img im;
    img_make(&im);
    struct mk__dinode di;
    img_inode(&im, im.dino, &di, 0);
    uint8_t ent[MK__FS_DIRENT_SIZE];
    ck_assert_int_eq(mk_blk_read(im.k, im.d, ext_pblk(&di, 0), MK__FS_DIRENT_SIZE, ent, sizeof ent),
                     0);
    ck_assert_uint_eq(ent[0], MK__FS_ROOT_INO);
    ent[0] = (uint8_t)im.fino; /* ".." names a file */
    ck_assert_int_eq(
        mk_blk_write(im.k, im.d, ext_pblk(&di, 0), MK__FS_DIRENT_SIZE, ent, sizeof ent), 0);
    img_repair(&im, offsetof(mk_fsck_report_t, bad_dirs));
}
END_TEST

START_TEST(fsck_refuses_bad_input)
{
    mk_t *k = new_kernel();
    mk_dev_t d, blank;
    ck_assert_int_eq(mk_blk_create_ram(k, "d", 1024, 256, &d), 0);
    ck_assert_int_eq(mk_blk_create_ram(k, "blank", 1024, 256, &blank), 0);
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);
    mk_fsck_report_t r;
    memset(&r, 0xee, sizeof r);
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(NULL, d, 0, &r), MK_EINVAL);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, NULL), MK_EINVAL);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0x80, &r), MK_EINVAL);
    r.size = 8;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), MK_EINVAL);
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, 0, 0, &r), MK_EBADH);
    ck_assert_int_eq(mk_fs_fsck(k, d + 12345, 0, &r), MK_EBADH);
    ck_assert_int_eq(mk_fs_fsck(k, blank, 0, &r), MK_ENOFS);
    ck_assert_uint_eq(r.files, 0xeeeeeeeeeeeeeeeeull); /* untouched on failure */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, MK_FSCK_REPAIR, &r), MK_EBUSY);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_eq(r.problems, 0);
    ck_assert_uint_eq(r.dirs, 1);
    ck_assert_uint_eq(r.files, 0);
    ck_assert_int_eq(mk_destroy(k), 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), MK_EBADH);
}
END_TEST

/* ---- the directory name index (dxtree.c / dxcheck.c) ------------------ */

#define DXN 1500 /* names: a two-level index in 1 KiB blocks */

/* A 1 KiB-block image with directory /d of DXN empty files; unmounted. */
static mk_dev_t dx_image(mk_t *k, const char *name)
{
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, name, 1024, 4096, &d), 0);
    mk_mkfs_opts_t o;
    mk_mkfs_opts_init(&o);
    o.inodes = DXN + 64;
    ck_assert_int_eq(mk_fs_mkfs(k, d, &o), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_mkdir(k, "/d"), 0);
    for (int i = 0; i < DXN; i++) {
        char p[32];
        snprintf(p, sizeof p, "/d/q%04d", i);
        mk_fd_t fd;
        ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT, &fd), 0);
        ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    }
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    lib_fsck_clean(k, d);
    return d;
}

/* First data block of the file system on d (the journal's copies of
 * index nodes lie before it). */
static uint64_t dx_data_start(mk_t *k, mk_dev_t d)
{
    uint8_t raw[MK__FS_SB_SIZE];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, raw, sizeof raw), 0);
    struct mk__sb sb;
    mk__sb_decode(raw, &sb);
    return sb.data_start;
}

/* Device blocks holding index nodes of `level` (-1: any). */
static int dx_nodes(mk_t *k, mk_dev_t d, int level, uint64_t *out, int cap)
{
    uint8_t b[16];
    int n = 0;
    for (uint64_t bno = dx_data_start(k, d); bno < 4096 && n < cap; bno++) {
        ck_assert_int_eq(mk_blk_read(k, d, bno, 0, b, sizeof b), 0);
        if (mk__le32(b) == 0 && mk__le32(b + 4) == MK__FS_DXN_MAGIC &&
            (level < 0 || b[8] == level))
            out[n++] = bno;
    }
    return n;
}

/* The device block holding /d's ".." entry with the index header. */
static uint64_t dx_header_block(mk_t *k, mk_dev_t d)
{
    uint8_t e[MK__FS_DIRENT_SIZE];
    for (uint64_t bno = dx_data_start(k, d); bno < 4096; bno++) {
        ck_assert_int_eq(mk_blk_read(k, d, bno, MK__FS_DIRENT_SIZE, e, sizeof e), 0);
        if (e[4] == 2 && e[5] == '.' && e[6] == '.' &&
            mk__le32(e + MK__FS_DXH_OFF) == MK__FS_DXH_MAGIC)
            return bno;
    }
    ck_abort_msg("no index header");
    return 0;
}

/* fsck finds the damage (bad_dirs), a repair rebuilds the index, then
 * both checkers are satisfied and every name is found again. */
static void dx_expect_repair(mk_t *k, mk_dev_t d)
{
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
    ck_assert_uint_ge(r.problems, 1);
    ck_assert_uint_ge(r.bad_dirs, 1);
    ck_assert_uint_eq(r.repaired, 0);
    ck_assert_int_eq(mk_fs_fsck(k, d, MK_FSCK_REPAIR, &r), 0);
    ck_assert_uint_ge(r.repaired, 1);
    lib_fsck_clean(k, d);
    uint64_t nodes[64];
    ck_assert_int_ge(dx_nodes(k, d, 1, nodes, 64), 1); /* indexed again */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    for (int i = 0; i < DXN; i++) {
        char p[32];
        snprintf(p, sizeof p, "/d/q%04d", i);
        mk_stat_t st;
        st.size = sizeof st;
        ck_assert_int_eq(mk_vfs_stat(k, p, &st), 0);
    }
    ck_assert_int_eq(mk_vfs_stat(k, "/d/q9999", &(mk_stat_t){.size = sizeof(mk_stat_t)}),
                     MK_ENOENT);
    /* And it takes changes: a name goes and comes back. */
    ck_assert_int_eq(mk_vfs_unlink(k, "/d/q0007"), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/d/q0007", &(mk_stat_t){.size = sizeof(mk_stat_t)}),
                     MK_ENOENT);
    mk_fd_t fd;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/d/q0007", MK_O_WRONLY | MK_O_CREAT, &fd),
                     0);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    lib_fsck_clean(k, d);
}

START_TEST(fsck_repairs_dir_index_order)
{
    mk_t *k = new_kernel();
    mk_dev_t d = dx_image(k, "dx1");
    uint64_t leaf[64];
    ck_assert_int_ge(dx_nodes(k, d, 0, leaf, 64), 2);
    uint8_t b[8];
    ck_assert_int_eq(mk_blk_read(k, d, leaf[0], MK__FS_DIRENT_SIZE + 4, b, 8), 0);
    mk__put32(b, ~mk__le32(b)); /* first pair's hash: out of order / wrong */
    ck_assert_int_eq(mk_blk_write(k, d, leaf[0], MK__FS_DIRENT_SIZE + 4, b, 8), 0);
    dx_expect_repair(k, d);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(fsck_repairs_dir_index_pointers_and_header)
{
    mk_t *k = new_kernel();
    mk_dev_t d = dx_image(k, "dx2");
    /* A child pointer out of range. */
    uint64_t root[4];
    ck_assert_int_eq(dx_nodes(k, d, 1, root, 4), 1);
    uint8_t b[8];
    ck_assert_int_eq(mk_blk_read(k, d, root[0], MK__FS_DIRENT_SIZE + 4, b, 8), 0);
    mk__put32(b + 4, 0x7ffffff0u);
    ck_assert_int_eq(mk_blk_write(k, d, root[0], MK__FS_DIRENT_SIZE + 4, b, 8), 0);
    /* Looking up through it fails cleanly, it does not crash. */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    for (int i = 0; i < 50; i++) {
        char p[32];
        snprintf(p, sizeof p, "/d/q%04d", i * 29);
        mk_stat_t st;
        st.size = sizeof st;
        int rc = mk_vfs_stat(k, p, &st);
        ck_assert(rc == 0 || rc == MK_ECORRUPT);
    }
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    dx_expect_repair(k, d);

    /* The header wiped: a directory of many blocks without an index. */
    uint64_t h = dx_header_block(k, d);
    uint8_t z[4] = {0};
    ck_assert_int_eq(mk_blk_write(k, d, h, MK__FS_DIRENT_SIZE + MK__FS_DXH_OFF, z, 4), 0);
    /* Still usable (scanned) before the repair. */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/d/q0100", &(mk_stat_t){.size = sizeof(mk_stat_t)}), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    dx_expect_repair(k, d);

    /* An index with its valid flag off (an interrupted rebuild). */
    h = dx_header_block(k, d);
    uint8_t f = 0;
    ck_assert_int_eq(mk_blk_write(k, d, h, MK__FS_DIRENT_SIZE + MK__FS_DXH_OFF + 4, &f, 1), 0);
    dx_expect_repair(k, d);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(dir_index_seeds_differ)
{
    /* Two directories with the same names hash them differently (each
     * index has its own seed), so names chosen to collide in one do not
     * pile up in every directory. */
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "dxs", 1024, 2048, &d), 0);
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    const char *dirs[2] = {"/a", "/b"};
    for (int j = 0; j < 2; j++) {
        ck_assert_int_eq(mk_vfs_mkdir(k, dirs[j]), 0);
        for (int i = 0; i < 40; i++) {
            char p[32];
            snprintf(p, sizeof p, "%s/s%03d", dirs[j], i);
            mk_fd_t fd;
            ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT, &fd),
                             0);
            ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
        }
    }
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    lib_fsck_clean(k, d);
    uint32_t seeds[2];
    int n = 0;
    uint8_t e[MK__FS_DIRENT_SIZE];
    for (uint64_t bno = dx_data_start(k, d); bno < 2048; bno++) {
        ck_assert_int_eq(mk_blk_read(k, d, bno, MK__FS_DIRENT_SIZE, e, sizeof e), 0);
        if (e[4] == 2 && e[5] == '.' && e[6] == '.' &&
            mk__le32(e + MK__FS_DXH_OFF) == MK__FS_DXH_MAGIC) {
            ck_assert_int_lt(n, 2);
            seeds[n++] = mk__le32(e + MK__FS_DXH_OFF + 16);
        }
    }
    ck_assert_int_eq(n, 2);
    ck_assert_uint_ne(seeds[0], seeds[1]);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(fsck_survives_garbage_dir_index)
{
    /* Random bytes in the index nodes (never in bytes 0..3 of a record,
     * which would make entries of them): lookups and fsck must neither
     * crash nor hang, and a repair brings back every name. */
    mk_t *k = new_kernel();
    mk_dev_t d = dx_image(k, "dx3");
    uint32_t seed = 99;
    int found = 0;
    for (int round = 0; round < 6; round++) {
        uint64_t nodes[64];
        int n = dx_nodes(k, d, -1, nodes, 64);
        ck_assert_int_ge(n, 2);
        for (int j = 0; j < 24; j++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t bno = nodes[(seed >> 8) % (uint32_t)n];
            seed = seed * 1103515245u + 12345u;
            uint32_t rec = (seed >> 8) % 16, off = 4 + (seed >> 20) % 60;
            uint8_t v = (uint8_t)(seed >> 3);
            if (round % 2 == 1)
                v = (uint8_t)(j & 1 ? 0xff : 0x00); /* extremes: counts, levels */
            ck_assert_int_eq(mk_blk_write(k, d, bno, rec * 64 + off, &v, 1), 0);
        }
        ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
        for (int i = 0; i < 40; i++) {
            char p[32];
            snprintf(p, sizeof p, "/d/q%04d", i * 37);
            int rc = mk_vfs_stat(k, p, &(mk_stat_t){.size = sizeof(mk_stat_t)});
            ck_assert(rc == 0 || rc == MK_ECORRUPT || rc == MK_ENOENT);
        }
        /* Changes through the damaged index fail cleanly or go through. */
        for (int i = 0; i < 10; i++) {
            char p[32];
            snprintf(p, sizeof p, "/d/w%d_%d", round, i);
            mk_fd_t fd;
            int rc = mk_vfs_open(k, MK_PID_KERNEL, p, MK_O_WRONLY | MK_O_CREAT, &fd);
            ck_assert(rc == 0 || rc == MK_ECORRUPT);
            if (rc == 0)
                ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
            if (i % 2 == 0) {
                rc = mk_vfs_unlink(k, p);
                ck_assert(rc == 0 || rc == MK_ECORRUPT || rc == MK_ENOENT);
            }
        }
        ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
        mk_fsck_report_t r;
        r.size = sizeof r;
        ck_assert_int_eq(mk_fs_fsck(k, d, 0, &r), 0);
        if (r.problems == 0)
            continue; /* the bytes hit only unused room */
        found++;
        ck_assert_int_eq(mk_fs_fsck(k, d, MK_FSCK_REPAIR, &r), 0);
        lib_fsck_clean(k, d);
        ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
        for (int i = 0; i < DXN; i++) {
            char p[32];
            snprintf(p, sizeof p, "/d/q%04d", i);
            ck_assert_int_eq(mk_vfs_stat(k, p, &(mk_stat_t){.size = sizeof(mk_stat_t)}), 0);
        }
        ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    }
    ck_assert_int_ge(found, 4);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* Quiet equality check for loops (Check writes a pipe per assertion). */
#define XQ(a, b)                                                                       \
    do {                                                                               \
        long long x_a_ = (long long)(a), x_b_ = (long long)(b);                        \
        if (x_a_ != x_b_)                                                              \
            ck_abort_msg("line %d: %s == %lld, expected %lld", __LINE__, #a, x_a_, x_b_); \
    } while (0)

/* ---- extents (format version 3) ------------------------------------------ */

static struct mk__sb sb_of(mk_t *k, mk_dev_t d)
{
    uint8_t raw[MK__FS_SB_SIZE];
    ck_assert_int_eq(mk_blk_read(k, d, 0, 0, raw, sizeof raw), 0);
    struct mk__sb sb;
    mk__sb_decode(raw, &sb);
    return sb;
}

/* Inode ino of the (unmounted or synced) file system on d, raw. */
static void x_inode(mk_t *k, mk_dev_t d, uint32_t ino, struct mk__dinode *di, int write)
{
    struct mk__sb sb = sb_of(k, d);
    uint32_t ipb = sb.block_size / MK__FS_INODE_SIZE;
    uint8_t raw[MK__FS_INODE_SIZE];
    uint64_t blk = sb.itable_start + ino / ipb;
    uint32_t off = (ino % ipb) * MK__FS_INODE_SIZE;
    if (write) {
        mk__dinode_encode(di, raw);
        ck_assert_int_eq(mk_blk_write(k, d, blk, off, raw, sizeof raw), 0);
    } else {
        ck_assert_int_eq(mk_blk_read(k, d, blk, off, raw, sizeof raw), 0);
        mk__dinode_decode(raw, di);
    }
}

static uint32_t x_ino(mk_t *k, const char *path)
{
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, path, &st), 0);
    return (uint32_t)st.ino;
}

/* Write one block-sized pattern at file block fbn of path. */
static void x_put(mk_t *k, const char *path, uint32_t bs, uint64_t fbn, uint8_t v)
{
    uint8_t buf[4096];
    memset(buf, v, bs);
    mk__put32(buf, (uint32_t)fbn);
    mk_fd_t fd;
    size_t n;
    XQ(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDWR | MK_O_CREAT, &fd), 0);
    XQ(mk_vfs_pwrite(k, MK_PID_KERNEL, fd, buf, bs, fbn * bs, &n), 0);
    XQ(n, bs);
    XQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
}

/* Check file block fbn of path: the pattern of x_put, or zeros (v = 0). */
static void x_check(mk_t *k, const char *path, uint32_t bs, uint64_t fbn, uint8_t v)
{
    uint8_t buf[4096];
    mk_fd_t fd;
    size_t n;
    XQ(mk_vfs_open(k, MK_PID_KERNEL, path, MK_O_RDONLY, &fd), 0);
    XQ(mk_vfs_pread(k, MK_PID_KERNEL, fd, buf, bs, fbn * bs, &n), 0);
    XQ(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    XQ(n, bs);
    XQ(mk__le32(buf), v ? (uint32_t)fbn : 0u);
    for (uint32_t i = 4; i < bs; i++)
        XQ(buf[i], v);
}

/* The root's entry i: field 0 lblk, 1 pblk / child, 2 len. */
static uint32_t x_ent(const struct mk__dinode *di, unsigned i, unsigned field)
{
    return mk__le32(di->ext + MK__EXT_HDR + i * MK__EXT_ENT + 4 * field);
}

START_TEST(extents_grow_and_merge)
{
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "x", 1024, 2048, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    /* Appends one block at a time grow one extent in place. */
    for (uint64_t b = 0; b < 40; b++)
        x_put(k, "/seq", 1024, b, 1);
    /* Two files appended in turn: each block lands after its file's last
     * one (the goal), so they interleave on the device... */
    for (uint64_t b = 0; b < 3; b++) {
        x_put(k, "/a", 1024, b, 2);
        x_put(k, "/b", 1024, b, 3);
    }
    /* A hole filled last joins the extents on both sides. */
    x_put(k, "/h", 1024, 0, 4);
    x_put(k, "/h", 1024, 1, 4);
    x_put(k, "/h", 1024, 3, 4);
    uint32_t iseq = x_ino(k, "/seq"), ia = x_ino(k, "/a"), ih = x_ino(k, "/h");
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    struct mk__dinode di;
    x_inode(k, d, ih, &di, 0);
    ck_assert_uint_eq(mk__le16(di.ext + 2), 2); /* 0..1 and 3: the hole splits them */
    ck_assert_uint_eq(x_ent(&di, 1, 1), x_ent(&di, 0, 1) + 3); /* 3 left its place free */
    x_put(k, "/h", 1024, 2, 4);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    x_inode(k, d, iseq, &di, 0);
    ck_assert_uint_eq(mk__le16(di.ext + 2), 1);
    ck_assert_uint_eq(mk__le16(di.ext + 6), 0);
    ck_assert_uint_eq(x_ent(&di, 0, 0), 0);
    ck_assert_uint_eq(x_ent(&di, 0, 2), 40);
    ck_assert_uint_eq(di.blocks, 40);
    x_inode(k, d, ia, &di, 0);
    /* ...unless the block after is taken: then a new extent per block. */
    ck_assert_uint_ge(mk__le16(di.ext + 2), 1);
    ck_assert_uint_eq(di.blocks, 3);
    x_inode(k, d, ih, &di, 0);
    ck_assert_uint_eq(mk__le16(di.ext + 2), 1); /* merged: one extent of 4 */
    ck_assert_uint_eq(x_ent(&di, 0, 2), 4);
    ck_assert_uint_eq(fsck_run(k, d), 5); /* the root and four files */
    lib_fsck_clean(k, d);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    for (uint64_t b = 0; b < 40; b++)
        x_check(k, "/seq", 1024, b, 1);
    for (uint64_t b = 0; b < 4; b++)
        x_check(k, "/h", 1024, b, 4);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(extent_tree_two_levels_fragmented)
{
    /* 512-byte blocks: a tree block holds 41 entries, the root 4. Every
     * other block of a file written (holes between): one extent per block,
     * 420 extents, so the tree is two levels deep below the root. */
    enum { N = 420 };
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "x", 512, 4096, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    mk_statfs_t sf0;
    sf0.size = sizeof sf0;
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &sf0), 0);
    for (uint64_t i = 0; i < N; i++)
        x_put(k, "/frag", 512, 2 * i, (uint8_t)(1 + i % 200));
    uint32_t ino = x_ino(k, "/frag");
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    struct mk__dinode di;
    x_inode(k, d, ino, &di, 0);
    ck_assert_uint_ge(mk__le16(di.ext + 6), 2);
    uint64_t tree = di.blocks - N;
    ck_assert_uint_ge(tree, 11); /* at least 11 leaves, plus the index blocks */
    ck_assert_uint_le(tree, 30);
    fsck_run(k, d);
    lib_fsck_clean(k, d);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    for (uint64_t i = 0; i < N; i++) {
        x_check(k, "/frag", 512, 2 * i, (uint8_t)(1 + i % 200));
        if (i + 1 < N)
            x_check(k, "/frag", 512, 2 * i + 1, 0); /* the holes */
    }
    /* Fill every hole: each new block lands in the gap after its left
     * neighbour and joins it and the right one. */
    for (uint64_t i = 0; i + 1 < N; i++)
        x_put(k, "/frag", 512, 2 * i + 1, 250);
    /* Truncate in the middle, then to nothing. */
    ck_assert_int_eq(mk_vfs_truncate(k, "/frag", (uint64_t)N * 512 + 100), 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    x_inode(k, d, ino, &di, 0);
    /* 421 data blocks left; the tree keeps its blocks (emptied leaves go
     * only when a truncate empties them) plus a few for new extents where
     * a tree block had taken a gap. */
    ck_assert_uint_ge(di.blocks, (uint64_t)N + 1);
    ck_assert_uint_le(di.blocks, (uint64_t)N + 1 + 2 * tree);
    fsck_run(k, d);
    lib_fsck_clean(k, d);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    for (uint64_t i = 0; i < N / 2; i++) {
        x_check(k, "/frag", 512, 2 * i, (uint8_t)(1 + i % 200));
        x_check(k, "/frag", 512, 2 * i + 1, 250);
    }
    mk_stat_t st;
    st.size = sizeof st;
    ck_assert_int_eq(mk_vfs_stat(k, "/frag", &st), 0);
    ck_assert_uint_eq(st.bytes, (uint64_t)N * 512 + 100);
    ck_assert_int_eq(mk_vfs_truncate(k, "/frag", 0), 0);
    ck_assert_int_eq(mk_vfs_stat(k, "/frag", &st), 0);
    ck_assert_uint_eq(st.blocks, 0);
    ck_assert_int_eq(mk_vfs_unlink(k, "/frag"), 0);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    mk_statfs_t sf1;
    sf1.size = sizeof sf1;
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &sf1), 0);
    ck_assert_uint_eq(sf1.free_blocks, sf0.free_blocks); /* every block came back */
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    ck_assert_uint_eq(fsck_run(k, d), 1);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(truncate_inside_an_extent)
{
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "x", 1024, 1024, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    for (uint64_t b = 0; b < 20; b++)
        x_put(k, "/f", 1024, b, 9);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    mk_statfs_t a, b2;
    a.size = b2.size = sizeof a;
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &a), 0);
    ck_assert_int_eq(mk_vfs_truncate(k, "/f", 7 * 1024 + 512), 0);
    ck_assert_int_eq(mk_vfs_sync(k), 0);
    ck_assert_int_eq(mk_vfs_statfs(k, "/", &b2), 0);
    ck_assert_uint_eq(b2.free_blocks, a.free_blocks + 12);
    uint32_t ino = x_ino(k, "/f");
    struct mk__dinode di;
    x_inode(k, d, ino, &di, 0);
    ck_assert_uint_eq(mk__le16(di.ext + 2), 1);
    ck_assert_uint_eq(x_ent(&di, 0, 2), 8); /* the extent shrank, in place */
    ck_assert_uint_eq(di.blocks, 8);
    /* Growing again exposes zeros past the cut, never the old bytes. */
    ck_assert_int_eq(mk_vfs_truncate(k, "/f", 20 * 1024), 0);
    uint8_t buf[1024];
    mk_fd_t fd;
    size_t n;
    ck_assert_int_eq(mk_vfs_open(k, MK_PID_KERNEL, "/f", MK_O_RDONLY, &fd), 0);
    ck_assert_int_eq(mk_vfs_pread(k, MK_PID_KERNEL, fd, buf, 1024, 7 * 1024, &n), 0);
    ck_assert_uint_eq(mk__le32(buf), 7); /* x_put's block number */
    for (int i = 4; i < 1024; i++)
        XQ(buf[i], i < 512 ? 9 : 0);
    ck_assert_int_eq(mk_vfs_close(k, MK_PID_KERNEL, fd), 0);
    for (uint64_t b2i = 8; b2i < 20; b2i++)
        x_check(k, "/f", 1024, b2i, 0);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    fsck_run(k, d);
    lib_fsck_clean(k, d);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

START_TEST(sparse_file_costs_only_written_blocks)
{
    /* 4 GiB of 512-byte blocks: 2^23 file blocks, three of them written
     * (first, middle, last): three extents in the inode, no tree block. */
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "x", 512, 512, &d), 0);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", MK_MOUNT_FORMAT), 0);
    const uint64_t last = ((uint64_t)4 << 30) / 512 - 1;
    x_put(k, "/s", 512, 0, 1);
    x_put(k, "/s", 512, last / 2, 2);
    x_put(k, "/s", 512, last, 3);
    uint32_t ino = x_ino(k, "/s");
    x_check(k, "/s", 512, 1, 0);
    x_check(k, "/s", 512, last / 2 - 1, 0);
    x_check(k, "/s", 512, last - 1, 0);
    x_check(k, "/s", 512, last, 3);
    ck_assert_int_eq(mk_vfs_unmount(k, "/"), 0);
    struct mk__dinode di;
    x_inode(k, d, ino, &di, 0);
    ck_assert_uint_eq(di.size, (uint64_t)4 << 30);
    ck_assert_uint_eq(di.blocks, 3);
    ck_assert_uint_eq(mk__le16(di.ext + 2), 3);
    ck_assert_uint_eq(x_ent(&di, 2, 0), last);
    fsck_run(k, d);
    lib_fsck_clean(k, d);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

/* An image with /f fragmented (a tree of depth 1: 12 extents, holes
 * between), /c contiguous (3 blocks) and directory /d; unmounted. */
static void x_image(struct img *im)
{
    im->k = new_kernel();
    ck_assert_int_eq(mk_blk_create_ram(im->k, "d", 1024, 1024, &im->d), 0);
    ck_assert_int_eq(mk_vfs_mount(im->k, im->d, "/", MK_MOUNT_FORMAT), 0);
    for (uint64_t i = 0; i < 12; i++)
        x_put(im->k, "/f", 1024, 2 * i, 7);
    for (uint64_t i = 0; i < 3; i++)
        x_put(im->k, "/c", 1024, i, 8);
    ck_assert_int_eq(mk_vfs_mkdir(im->k, "/d"), 0);
    im->fino = x_ino(im->k, "/f");
    im->dino = x_ino(im->k, "/c"); /* (the contiguous file, here) */
    ck_assert_int_eq(mk_vfs_unmount(im->k, "/"), 0);
    im->sb = sb_of(im->k, im->d);
    lib_fsck_clean(im->k, im->d);
}

/* Corrupt the tree block under /f's root entry 0 with edit(). */
static void x_edit_leaf(struct img *im, void (*edit)(uint8_t *blk))
{
    struct mk__dinode di;
    x_inode(im->k, im->d, im->fino, &di, 0);
    ck_assert_uint_eq(mk__le16(di.ext + 6), 1);
    uint8_t blk[1024];
    uint32_t leaf = x_ent(&di, 0, 1);
    ck_assert_int_eq(mk_blk_read(im->k, im->d, leaf, 0, blk, sizeof blk), 0);
    edit(blk);
    ck_assert_int_eq(mk_blk_write(im->k, im->d, leaf, 0, blk, sizeof blk), 0);
}

static void e_leaf_crc(uint8_t *b) { b[MK__EXT_BHDR + 5] ^= 0x40; } /* CRC now wrong */
static void e_leaf_magic(uint8_t *b)
{
    b[0] ^= 0xff;
    mk__put32(b + 12, mk__ext_crc(b, 1024));
}
static void e_leaf_overlap(uint8_t *b)
{
    /* Extent 2 starts inside extent 1 (file blocks 2 and 4 -> 2 and 2). */
    mk__put32(b + MK__EXT_BHDR + 2 * MK__EXT_ENT, 2);
    mk__put32(b + 12, mk__ext_crc(b, 1024));
}
static void e_leaf_outside(uint8_t *b)
{
    mk__put32(b + MK__EXT_BHDR + 3 * MK__EXT_ENT + 4, 1020); /* 1020 + 8 > 1024 */
    mk__put32(b + MK__EXT_BHDR + 3 * MK__EXT_ENT + 8, 8);
    mk__put32(b + 12, mk__ext_crc(b, 1024));
}

/* Check, repair, check clean; the files still mount and read (the blocks
 * of dropped extents read as zeros, the rest as written). */
static void x_repair(struct img *im, size_t field_off, int dropped)
{
    mk_fsck_report_t a, c;
    a.size = c.size = sizeof a;
    ck_assert_int_eq(mk_fs_fsck(im->k, im->d, 0, &a), 0);
    uint64_t v;
    memcpy(&v, (const uint8_t *)&a + field_off, sizeof v);
    ck_assert_uint_gt(v, 0);
    ck_assert_uint_eq(a.repaired, 0);
    ck_assert_int_eq(mk_vfs_mount(im->k, im->d, "/", 0), 0);
    /* Before the repair a read through the damage fails cleanly or
     * reads what is valid; it never crashes. */
    uint8_t buf[1024 * 24];
    mk_fd_t fd;
    size_t n;
    int rc = mk_vfs_open(im->k, MK_PID_KERNEL, "/f", MK_O_RDONLY, &fd);
    ck_assert_msg(rc == 0 || rc == MK_ECORRUPT, "open: %d", rc);
    if (rc == 0) {
        rc = mk_vfs_pread(im->k, MK_PID_KERNEL, fd, buf, sizeof buf, 0, &n);
        ck_assert(rc == 0 || rc == MK_ECORRUPT);
        ck_assert_int_eq(mk_vfs_close(im->k, MK_PID_KERNEL, fd), 0);
    }
    ck_assert_int_eq(mk_vfs_unmount(im->k, "/"), 0);
    ck_assert_int_eq(mk_fs_fsck(im->k, im->d, MK_FSCK_REPAIR, &c), 0);
    ck_assert_uint_gt(c.repaired, 0);
    lib_fsck_clean(im->k, im->d);
    fsck_run(im->k, im->d);
    ck_assert_int_eq(mk_vfs_mount(im->k, im->d, "/", 0), 0);
    int zeros = 0;
    for (uint64_t i = 0; i < 12; i++) {
        uint8_t b[1024];
        ck_assert_int_eq(mk_vfs_open(im->k, MK_PID_KERNEL, "/f", MK_O_RDONLY, &fd), 0);
        ck_assert_int_eq(mk_vfs_pread(im->k, MK_PID_KERNEL, fd, b, 1024, 2 * i * 1024, &n), 0);
        ck_assert_int_eq(mk_vfs_close(im->k, MK_PID_KERNEL, fd), 0);
        if (b[100] == 0)
            zeros++;
        else
            ck_assert_uint_eq(b[100], 7);
    }
    ck_assert_int_eq(zeros, dropped);
    for (uint64_t i = 0; i < 3; i++)
        x_check(im->k, "/c", 1024, i, 8);
    /* The repaired file takes writes again. */
    for (uint64_t i = 0; i < 24; i++)
        x_put(im->k, "/f", 1024, i, 6);
    ck_assert_int_eq(mk_vfs_unmount(im->k, "/"), 0);
    lib_fsck_clean(im->k, im->d);
    ck_assert_int_eq(mk_destroy(im->k), 0);
}

START_TEST(fsck_repairs_extent_damage)
{
    struct img im;
    /* A tree block whose CRC fails: the whole leaf goes. */
    x_image(&im);
    x_edit_leaf(&im, e_leaf_crc);
    x_repair(&im, offsetof(mk_fsck_report_t, bad_pointers), 12);
    /* A bad magic (CRC made right): the same. */
    x_image(&im);
    x_edit_leaf(&im, e_leaf_magic);
    x_repair(&im, offsetof(mk_fsck_report_t, bad_pointers), 12);
    /* Overlapping extents: the second goes, the rest stays. */
    x_image(&im);
    x_edit_leaf(&im, e_leaf_overlap);
    x_repair(&im, offsetof(mk_fsck_report_t, bad_pointers), 1);
    /* An extent running off the device: dropped. */
    x_image(&im);
    x_edit_leaf(&im, e_leaf_outside);
    x_repair(&im, offsetof(mk_fsck_report_t, bad_pointers), 1);
    /* A root header of garbage: the file's map is emptied. */
    x_image(&im);
    struct mk__dinode di;
    x_inode(im.k, im.d, im.fino, &di, 0);
    mk__put16(di.ext + 4, 9); /* max 9 in a 4-entry root */
    x_inode(im.k, im.d, im.fino, &di, 1);
    x_repair(&im, offsetof(mk_fsck_report_t, bad_inodes), 12);
    /* A wrong block count: fixed, nothing dropped. */
    x_image(&im);
    x_inode(im.k, im.d, im.fino, &di, 0);
    di.blocks += 5;
    x_inode(im.k, im.d, im.fino, &di, 1);
    x_repair(&im, offsetof(mk_fsck_report_t, block_counts), 0);
    /* The contiguous file's extent naming a block of /f's: claimed twice
     * (reported; which owner is right is unknowable). */
    x_image(&im);
    struct mk__dinode dc;
    x_inode(im.k, im.d, im.fino, &di, 0);
    x_inode(im.k, im.d, im.dino, &dc, 0);
    uint8_t leaf[1024];
    ck_assert_int_eq(mk_blk_read(im.k, im.d, x_ent(&di, 0, 1), 0, leaf, sizeof leaf), 0);
    mk__put32(dc.ext + MK__EXT_HDR + 4, mk__le32(leaf + MK__EXT_BHDR + 4));
    x_inode(im.k, im.d, im.dino, &dc, 1);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(im.k, im.d, 0, &r), 0);
    ck_assert_uint_ge(r.dup_blocks, 1);
    ck_assert_int_eq(mk_destroy(im.k), 0);
}
END_TEST

START_TEST(version_2_device_refused)
{
    mk_t *k = new_kernel();
    mk_dev_t d;
    ck_assert_int_eq(mk_blk_create_ram(k, "d", 1024, 1024, &d), 0);
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);
    forge_sb(k, d, e_version2);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), MK_ECORRUPT);
    uint32_t kind;
    ck_assert_int_eq(mk_fs_probe(k, d, &kind), 0);
    ck_assert_uint_eq(kind, MK_FS_PROBE_OTHER);
    mk_fsck_report_t r;
    r.size = sizeof r;
    ck_assert_int_eq(mk_fs_fsck(k, d, MK_FSCK_REPAIR, &r), MK_ECORRUPT);
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), MK_ECORRUPT); /* untouched */
    ck_assert_int_eq(mk_fs_mkfs(k, d, NULL), 0);               /* reformatting works */
    ck_assert_int_eq(mk_vfs_mount(k, d, "/", 0), 0);
    ck_assert_int_eq(mk_destroy(k), 0);
}
END_TEST

static Suite *fs_internal_suite(void)
{
    Suite *s = suite_create("fs-internal");
    TCase *tc = tcase_create("internal");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, crc32c_vectors);
    tcase_add_test(tc, superblock_and_inode_encoding);
    tcase_add_test(tc, checksummed_but_wrong_superblocks);
    tcase_add_test(tc, fsck_after_mkfs_of_every_size);
    tcase_add_test(tc, random_ops_roomy_1k);
    tcase_add_test(tc, random_ops_roomy_4k);
    tcase_add_test(tc, random_ops_tight_512);
    tcase_add_test(tc, random_ops_tight_1k);
    tcase_add_test(tc, fsck_repairs_block_leak);
    tcase_add_test(tc, fsck_repairs_unmarked_block);
    tcase_add_test(tc, fsck_repairs_link_count);
    tcase_add_test(tc, fsck_repairs_dangling_entry_and_leaked_inode);
    tcase_add_test(tc, fsck_repairs_bad_pointer_and_block_count);
    tcase_add_test(tc, fsck_repairs_bad_dotdot);
    tcase_add_test(tc, fsck_refuses_bad_input);
    tcase_add_test(tc, extents_grow_and_merge);
    tcase_add_test(tc, extent_tree_two_levels_fragmented);
    tcase_add_test(tc, truncate_inside_an_extent);
    tcase_add_test(tc, sparse_file_costs_only_written_blocks);
    tcase_add_test(tc, fsck_repairs_extent_damage);
    tcase_add_test(tc, version_2_device_refused);
    tcase_add_test(tc, fsck_repairs_dir_index_order);
    tcase_add_test(tc, fsck_repairs_dir_index_pointers_and_header);
    tcase_add_test(tc, fsck_survives_garbage_dir_index);
    tcase_add_test(tc, dir_index_seeds_differ);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fs_internal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
