/*
 * format.c - byte-level encoding of the on-disk structures (see
 * fs_format.h for the layout) and the CRC-32C that guards the superblock,
 * the journal and the extent tree blocks. The inode's extent root is kept
 * in its on-disk encoding (extent.c reads and writes it like a tree
 * block's node), so it is copied, not decoded.
 *
 * Sits on nothing: pure functions over byte arrays, no device access, no
 * locks. Every multi-byte field is written and read byte by byte in
 * little-endian order, so the format does not depend on the host.
 */
#include "fs_format.h"

#include <pthread.h>
#include <string.h>

/* CRC-32C, reflected form (polynomial 0x1EDC6F41 bit-reversed to
 * 0x82F63B78), Castagnoli et al. 1993; the same CRC as iSCSI and ext4.
 * Byte-wise table (Sarwate 1988), built on first use: the journal
 * checksums every logged block, so the bitwise loop would be too slow. */
static uint32_t mk__crc_tab[256];
static pthread_once_t mk__crc_once = PTHREAD_ONCE_INIT;

static void mk__crc_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
        mk__crc_tab[i] = c;
    }
}

uint32_t mk__crc32c_more(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&mk__crc_once, mk__crc_build);
    const uint8_t *p = data;
    crc ^= 0xffffffffu;
    for (size_t i = 0; i < len; i++)
        crc = (crc >> 8) ^ mk__crc_tab[(crc ^ p[i]) & 0xffu];
    return crc ^ 0xffffffffu;
}

uint32_t mk__crc32c(const void *data, size_t len)
{
    return mk__crc32c_more(0, data, len);
}

uint32_t mk__ext_crc(const uint8_t *blk, uint32_t bsize)
{
    static const uint8_t zero[4];
    uint32_t c = mk__crc32c(blk, 12);
    c = mk__crc32c_more(c, zero, 4);
    return mk__crc32c_more(c, blk + MK__EXT_BHDR, bsize - MK__EXT_BHDR);
}

void mk__sb_encode(const struct mk__sb *sb, uint8_t *p)
{
    memset(p, 0, MK__FS_SB_SIZE);
    mk__put32(p + 0, sb->magic);
    mk__put32(p + 4, sb->version);
    mk__put32(p + 8, sb->block_size);
    mk__put32(p + 12, sb->inode_size);
    mk__put64(p + 16, sb->nblocks);
    mk__put32(p + 24, sb->ninodes);
    mk__put32(p + 28, sb->state);
    mk__put64(p + 32, sb->bmap_start);
    mk__put32(p + 40, sb->bmap_blocks);
    mk__put32(p + 44, sb->imap_blocks);
    mk__put64(p + 48, sb->imap_start);
    mk__put64(p + 56, sb->itable_start);
    mk__put32(p + 64, sb->itable_blocks);
    mk__put32(p + 68, sb->root_ino);
    mk__put64(p + 72, sb->data_start);
    mk__put64(p + 80, sb->free_blocks);
    mk__put32(p + 88, sb->free_inodes);
    mk__put32(p + 92, sb->dirent_size);
    mk__put64(p + 96, sb->mkfs_time);
    mk__put64(p + 104, sb->write_time);
    mk__put32(p + 112, sb->mount_count);
    mk__put32(p + 116, sb->log_start);
    mk__put32(p + 120, sb->log_blocks);
    mk__put32(p + MK__FS_SB_CRC_OFF, mk__crc32c(p, MK__FS_SB_CRC_OFF));
}

void mk__sb_decode(const uint8_t *p, struct mk__sb *sb)
{
    sb->magic = mk__le32(p + 0);
    sb->version = mk__le32(p + 4);
    sb->block_size = mk__le32(p + 8);
    sb->inode_size = mk__le32(p + 12);
    sb->nblocks = mk__le64(p + 16);
    sb->ninodes = mk__le32(p + 24);
    sb->state = mk__le32(p + 28);
    sb->bmap_start = mk__le64(p + 32);
    sb->bmap_blocks = mk__le32(p + 40);
    sb->imap_blocks = mk__le32(p + 44);
    sb->imap_start = mk__le64(p + 48);
    sb->itable_start = mk__le64(p + 56);
    sb->itable_blocks = mk__le32(p + 64);
    sb->root_ino = mk__le32(p + 68);
    sb->data_start = mk__le64(p + 72);
    sb->free_blocks = mk__le64(p + 80);
    sb->free_inodes = mk__le32(p + 88);
    sb->dirent_size = mk__le32(p + 92);
    sb->mkfs_time = mk__le64(p + 96);
    sb->write_time = mk__le64(p + 104);
    sb->mount_count = mk__le32(p + 112);
    sb->log_start = mk__le32(p + 116);
    sb->log_blocks = mk__le32(p + 120);
    sb->crc = mk__le32(p + MK__FS_SB_CRC_OFF);
}

void mk__dinode_encode(const struct mk__dinode *di, uint8_t *p)
{
    memset(p, 0, MK__FS_INODE_SIZE);
    mk__put16(p + 0, di->type);
    mk__put32(p + 4, di->nlink);
    mk__put64(p + 8, di->size);
    mk__put64(p + 16, di->blocks);
    mk__put64(p + 24, di->ctime);
    mk__put64(p + 32, di->mtime);
    memcpy(p + MK__EXT_ROOT_OFF, di->ext, MK__EXT_ROOT_SIZE);
}

void mk__dinode_decode(const uint8_t *p, struct mk__dinode *di)
{
    di->type = mk__le16(p + 0);
    di->nlink = mk__le32(p + 4);
    di->size = mk__le64(p + 8);
    di->blocks = mk__le64(p + 16);
    di->ctime = mk__le64(p + 24);
    di->mtime = mk__le64(p + 32);
    memcpy(di->ext, p + MK__EXT_ROOT_OFF, MK__EXT_ROOT_SIZE);
}
