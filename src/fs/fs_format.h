/*
 * fs_format.h - the on-disk format of libmk's file system, version 3
 * (MK__FS_VERSION; version 2 added the journal, version 3 extents and the
 * on-disk name index of large directories), and its
 * explicit little-endian encoders and decoders. Older versions are refused
 * at mount (MK_ECORRUPT) and probe as "other"; there is no in-place upgrade.
 *
 * Nothing here touches a device: these are pure byte layouts. The rest of
 * src/fs never casts a struct over disk bytes; it decodes into the host
 * structs below and encodes them back (so the format is the same on every
 * host, whatever its endianness, alignment or padding).
 *
 * Layout of a device of N blocks of B bytes (B = the device's block size, a
 * power of two 512 .. 65536), after xv6's fs.h:
 *
 *   block 0      1          2 .. L         1+L        1+L+bm         +im           data_start   N-1
 *        +------+----------+--------------+----------+--------------+-------------+----- ... ----+
 *        | super| journal  | journal      | block    | inode bitmap | inode table | data blocks  |
 *        | block| header   | blocks       | bitmap   | (im blocks)  | (it blocks, | (contents,   |
 *        |      | (commit  | (L-1 copies  | (bm)     | 1 bit/inode  |  B/128      |  directories,|
 *        |      |  record) |  of blocks)  | 1 bit/blk| 1 = in use   |  per block) |  extent tree)|
 *        +------+----------+--------------+----------+--------------+-------------+----- ... ----+
 *
 * The journal (log_start = 1, log_blocks = L including its header) is a
 * redo log after xv6's log.c, with jbd2's ordered mode for file data (see
 * journal.c). Journal header (block log_start):
 *   off size field          unit / meaning
 *     0   4  magic          MK__FS_JMAGIC ("MKJL")
 *     4   4  nent           blocks in the committed transaction; 0 = empty
 *     8   8  seq            transaction sequence number
 *    16   4  log_blocks     L (must match the superblock)
 *    20   4  crc            CRC-32C over bytes 0..19, the target array and
 *                           then the nent logged blocks, chained in order
 *    24 4*n  target[nent]   u32 home block number of logged block i
 *  Logged block i is at block log_start + 1 + i. A header whose magic, crc
 *  or counts do not check out is an uncommitted (or torn) transaction and
 *  is ignored; a valid one is replayed (copied home) at mount.
 *
 * Bitmap bit i is bit (i % 8) of byte (i / 8) of the bitmap's blocks taken
 * as one byte string. The block bitmap marks the metadata blocks (0 ..
 * data_start-1) in use too, so one bitmap scan finds every free block.
 * Inode 0 is reserved (marked in use, never allocated): 0 means "no inode"
 * in directory entries. Block number 0 in a pointer means "hole" (block 0 is
 * the superblock and never belongs to a file).
 *
 * Superblock (block 0, bytes 0..127; the rest of the block is zero):
 *   off size field          unit / meaning
 *     0   4  magic          MK__FS_MAGIC ("MKFS" read as bytes)
 *     4   4  version        MK__FS_VERSION (3)
 *     8   4  block_size     bytes; must equal the device's block size
 *    12   4  inode_size     bytes (128)
 *    16   8  nblocks        blocks in the file system (<= device, < 2^32)
 *    24   4  ninodes        inodes in the table, inode 0 included
 *    28   4  state          MK__FS_STATE_CLEAN (1) or _MOUNTED (2)
 *    32   8  bmap_start     block number of the block bitmap (1 + L)
 *    40   4  bmap_blocks    blocks
 *    44   4  imap_blocks    blocks
 *    48   8  imap_start     block number of the inode bitmap
 *    56   8  itable_start   block number of the inode table
 *    64   4  itable_blocks  blocks
 *    68   4  root_ino       inode number of the root directory (1)
 *    72   8  data_start     block number of the first data block
 *    80   8  free_blocks    blocks (a hint; recomputed from the bitmap at mount)
 *    88   4  free_inodes    inodes (likewise)
 *    92   4  dirent_size    bytes (64)
 *    96   8  mkfs_time      ticks of the virtual clock at mkfs
 *   104   8  write_time     ticks at the last superblock write
 *   112   4  mount_count    times mounted since mkfs
 *   116   4  log_start      block number of the journal header (1)
 *   120   4  log_blocks     L: journal blocks, header included (>= 33)
 *   124   4  crc            CRC-32C (Castagnoli) of bytes 0..123
 *
 * Inode (128 bytes; inode i is at byte (i % (B/128)) * 128 of block
 * itable_start + i / (B/128)); version 3 maps file data by extents:
 *   off size field          unit / meaning
 *     0   2  type           0 free, 1 regular file, 2 directory
 *     2   2  reserved       zero
 *     4   4  nlink          directory entries naming the inode
 *     8   8  size           bytes
 *    16   8  blocks         blocks allocated to the inode (data + extent tree)
 *    24   8  ctime          ticks: last inode change
 *    32   8  mtime          ticks: last content change
 *    40  56  extent root    the root node of the file's extent tree: an
 *                           8-byte node header + 4 entries of 12 bytes
 *    96  32  reserved       zero
 *
 * Extent tree (after ext4's, Mathur et al., "The new ext4 filesystem",
 * OLS 2007): a B+-tree keyed by file block number whose root lives in the
 * inode. Every node is a header followed by `entries` sorted 12-byte
 * entries; depth 0 nodes are leaves holding extents, the others hold index
 * entries naming a child node (a block) of depth - 1.
 *   node header (8 bytes; in a tree block followed by 8 more):
 *     0   2  magic          MK__EXT_MAGIC (0xF30A)
 *     2   2  entries        entries in use (<= max)
 *     4   2  max            capacity: 4 in the inode, (B - 16) / 12 in a block
 *     6   2  depth          0 = leaf; the root's depth is the tree's height
 *     8   4  owner          (tree blocks only) the inode that owns the block
 *    12   4  crc            (tree blocks only) CRC-32C of the whole block
 *                           with this field taken as zero
 *   leaf entry (an extent):   index entry:
 *     0   4  lblk           first file block covered (the child's smallest key)
 *     4   4  pblk | child   first device block | child node's block
 *     8   4  len  | zero    blocks, 1 .. MK__EXT_MAXLEN | reserved
 *  Entries of a node are sorted by lblk; extents never overlap (lblk + len
 *  <= next lblk) and never cross 2^32 file blocks; every block named lies
 *  in the data area. An index entry's key is the smallest lblk under it
 *  and the keys bound the children: child i holds only keys in [key i,
 *  key i+1). File blocks no extent covers are holes and read as zeros, so
 *  a sparse file costs only the blocks written. A tree is at most
 *  MK__EXT_MAXDEPTH levels deep below the root. Blocks of a file are
 *  allocated near the block after the previous extent (balloc.c
 *  mk__balloc_near), so sequential writes grow one extent.
 *  Largest file: min(2^32 * B, 2^62) bytes.
 *
 * Directory entry (64 bytes; a directory's data is an array of them, its
 * size a multiple of 64; entries 0 and 1 are "." and ".."):
 *   off size field          unit / meaning
 *     0   4  ino            inode number, 0 = free slot
 *     4   1  name_len       bytes, 1 .. MK_NAME_MAX (59)
 *     5  59  name           name bytes, no NUL, zero padded
 *  Entries never move once written (readdir positions are entry indexes).
 *  A directory of at most one block is scanned. When it fills its first
 *  block it gets a name index (dxtree.c, after XFS's v2 node directories):
 *  a B+tree keyed by h = a seeded FNV-1a-32(name), whose leaves hold (h, slot)
 *  pairs, stored in blocks of the directory file itself among the entry
 *  blocks (the directory size stays a multiple of B from then on).
 *  Index header: in the ".." entry (slot 1), name padding bytes 8..27:
 *   off size field          unit / meaning
 *     8   4  magic          MK__FS_DXH_MAGIC ("MKDH"); absent = not indexed
 *    12   1  flags          MK__FS_DXH_VALID: the tree is complete (a
 *                           rebuild clears it first; unset = scan the dir)
 *    13   1  depth          levels, 1 (root is a leaf) .. MK__FS_DX_MAXDEPTH
 *    16   4  root           directory block number of the root node
 *    20   4  free           first free entry slot + 1 (0 = none)
 *    24   4  seed           hash seed of this directory, set when the
 *                           index is made: h = FNV-1a-32 with offset basis
 *                           2166136261 ^ seed (CRC-32C of the directory's
 *                           first block number, its ctime and mkfs_time),
 *                           so names colliding in one directory do not in
 *                           every other
 *  Index node (one directory block of R = B/64 records; every record's
 *  bytes 0..3 are zero, so a linear scan sees free entries):
 *   rec 0: off 4 magic MK__FS_DXN_MAGIC ("MKDN"), 8 u8 level (0 = leaf),
 *          10 u16 n pairs (<= (R-1)*7), 12 u32 next leaf block + 1 (leaves
 *          only, in hash order; 0 = last)
 *   rec r >= 1: bytes 4..59 = 7 pairs (u32 key, u32 value): pair i is at
 *          record 1 + i/7, byte 4 + (i%7)*8. Leaf: key = hash, value =
 *          entry slot. Internal: key = lowest hash of the child subtree
 *          (pair 0's key is 0 on the left edge), value = child block.
 *   Keys ascend; a subtree holds hashes in [its key, the next key].
 *  Free entry of an indexed directory: ino 0, bytes 4..7 zero, bytes 8..11
 *  = next free slot + 1 (the chain starts at the header's free).
 */
#ifndef MK_SRC_FS_FORMAT_H
#define MK_SRC_FS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define MK__FS_MAGIC 0x53464b4du /* bytes 'M' 'K' 'F' 'S' */
#define MK__FS_JMAGIC 0x4c4a4b4du /* bytes 'M' 'K' 'J' 'L' */
#define MK__FS_JHDR 24u /* journal header bytes before the targets */
#define MK__FS_LOG_MIN 33u /* smallest journal: header + 32 blocks */
#define MK__FS_SB_SIZE 128u
#define MK__FS_SB_CRC_OFF 124u
#define MK__FS_INODE_SIZE 128u
#define MK__FS_DIRENT_SIZE 64u
/* Format version written and accepted (the public MK_FS_VERSION says the
 * same; this one is what the code checks). */
#define MK__FS_VERSION 3u
/* Extents (see the layout above). */
#define MK__EXT_MAGIC 0xf30au
#define MK__EXT_ROOT_OFF 40u   /* extent root's offset in the inode */
#define MK__EXT_HDR 8u         /* node header in the inode */
#define MK__EXT_BHDR 16u       /* node header in a tree block */
#define MK__EXT_ENT 12u        /* bytes per entry */
#define MK__EXT_ROOT_MAX 4u    /* entries in the inode's root */
#define MK__EXT_ROOT_SIZE (MK__EXT_HDR + MK__EXT_ROOT_MAX * MK__EXT_ENT)
#define MK__EXT_MAXDEPTH 5u    /* tree levels below the root, at most */
#define MK__EXT_MAXLEN 32768u  /* blocks per extent, at most (as ext4) */
/* CRC-32C of an extent tree block of bsize bytes, its crc field as zero. */
uint32_t mk__ext_crc(const uint8_t *blk, uint32_t bsize);
#define MK__FS_ROOT_INO 1u
#define MK__FS_STATE_CLEAN 1u
#define MK__FS_STATE_MOUNTED 2u
#define MK__FS_BSIZE_MIN 512u
#define MK__FS_BSIZE_MAX 65536u
#define MK__FS_MAX_FILE ((uint64_t)1 << 62)
/* Directory name index (dxtree.c; layout above). */
#define MK__FS_DXH_MAGIC 0x48444b4du /* bytes 'M' 'K' 'D' 'H' */
#define MK__FS_DXN_MAGIC 0x4e444b4du /* bytes 'M' 'K' 'D' 'N' */
#define MK__FS_DXH_OFF 8u            /* header offset in the ".." entry */
#define MK__FS_DXH_VALID 1u
#define MK__FS_DX_MAXDEPTH 8u
#define MK__FS_DX_PPR 7u             /* (hash, value) pairs per record */
#define MK__FS_DXF_NEXT 8u           /* next-free offset in a free entry */

enum { MK__FS_T_FREE = 0, MK__FS_T_REG = 1, MK__FS_T_DIR = 2 };

/* Decoded superblock (host order). */
struct mk__sb {
    uint32_t magic, version, block_size, inode_size;
    uint64_t nblocks;
    uint32_t ninodes, state;
    uint64_t bmap_start;
    uint32_t bmap_blocks, imap_blocks;
    uint64_t imap_start, itable_start;
    uint32_t itable_blocks, root_ino;
    uint64_t data_start, free_blocks;
    uint32_t free_inodes, dirent_size;
    uint64_t mkfs_time, write_time;
    uint32_t mount_count;
    uint32_t log_start, log_blocks;
    uint32_t crc;
};

/* Decoded inode (host order). */
struct mk__dinode {
    uint16_t type;
    uint32_t nlink;
    uint64_t size, blocks, ctime, mtime;
    /* The extent tree's root node, raw (MK__EXT_ROOT_SIZE bytes, the
     * on-disk encoding, so the tree code treats it like a tree block). */
    uint8_t ext[MK__EXT_ROOT_SIZE];
    /* In core only (not encoded): the inode's number, set when it is read;
     * tree blocks record it as their owner. */
    uint32_t ino;
};

/* Little-endian accessors: byte by byte, so alignment never matters. */
static inline uint16_t mk__le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t mk__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline uint64_t mk__le64(const uint8_t *p)
{
    return (uint64_t)mk__le32(p) | ((uint64_t)mk__le32(p + 4) << 32);
}
static inline void mk__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void mk__put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void mk__put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial and final
 * xor 0xFFFFFFFF), as in iSCSI (RFC 3720) and ext4 metadata checksums. */
uint32_t mk__crc32c(const void *data, size_t len);
/* Chain: mk__crc32c(a+b) == mk__crc32c_more(mk__crc32c(a), b). */
uint32_t mk__crc32c_more(uint32_t crc, const void *data, size_t len);

/* Superblock: encode writes MK__FS_SB_SIZE bytes with the CRC computed over
 * them; decode reads them (the CRC field is returned, not checked). */
void mk__sb_encode(const struct mk__sb *sb, uint8_t *p);
void mk__sb_decode(const uint8_t *p, struct mk__sb *sb);
/* Inode: MK__FS_INODE_SIZE bytes. */
void mk__dinode_encode(const struct mk__dinode *di, uint8_t *p);
void mk__dinode_decode(const uint8_t *p, struct mk__dinode *di);

#endif /* MK_SRC_FS_FORMAT_H */
