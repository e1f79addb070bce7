/*
 * fs_impl.h - private to src/fs: the in-memory state of a mounted file
 * system and the helpers its layers share (bitmap allocation in balloc.c,
 * inode I/O and block mapping in inode.c, directory entries in dir.c).
 *
 * Same rules as fs.h: the caller serialises every call on one mk__fs; a
 * buffer is pinned only inside one helper and released before it returns.
 */
#ifndef MK_SRC_FS_IMPL_H
#define MK_SRC_FS_IMPL_H

#include "../blk/blk.h"
#include "fs.h"
#include "fs_format.h"

#include <stdbool.h>

/* A block as the fs layers see it (journal.c): the running transaction's
 * copy if the block is in it, else the cache's buffer. */
struct mk__fbuf {
    uint8_t *data;     /* bsize bytes, valid until mk__fb_put() */
    uint64_t blockno;
    mk__buf_t *cb;     /* cache buffer pinned, or NULL (transaction copy) */
    bool used, dirty, isdata;
};

/* MK__BUF_NOREAD of blk.h, plus: a regular file's data block (ordered
 * mode: written in place through the cache, never logged). */
#define MK__FB_DATA 0x100u
#define MK__FB_SLOTS 16

/* Blocks one operation (or one chunk of a write) may add to the running
 * transaction at most; the journal always has room for it. */
#define MK__TX_NEED 24u
/* File blocks a write puts in one transaction. */
#define MK__TX_WCHUNK 32u

/* u32 -> u32 open-addressing map (key stored + 1, 0 = empty slot). */
struct mk__u32map {
    uint32_t *keys, *vals;
    size_t cap, n;
};

struct mk__jnl {
    uint32_t start;    /* header block (log_start) */
    uint32_t nlog;     /* log blocks after the header */
    uint32_t cap;      /* most blocks in one transaction */
    uint64_t seq;      /* sequence number of the next commit */
    uint32_t n;        /* blocks in the running transaction */
    uint32_t *bno;     /* [cap] home block of entry i */
    uint8_t *slab;     /* [cap * bsize] contents of entry i */
    struct mk__u32map idx;  /* block -> entry */
    struct mk__u32map pend; /* blocks freed in the running transaction */
    uint32_t *pendv;   /* the same, as a list */
    size_t npend, pendcap;
    uint64_t commits, overflows;
};

struct mk__fs {
    mk_t *k;
    uint64_t dev;
    uint32_t bsize;     /* bytes per block */
    uint32_t ptrs;      /* block numbers per indirect block (bsize / 4) */
    uint32_t ipb;       /* inodes per block */
    struct mk__sb sb;   /* decoded superblock; free counts kept current */
    uint64_t bhint;     /* where the next block search starts */
    uint32_t ihint;     /* where the next inode search starts */
    uint64_t max_file;  /* largest file size in bytes */
    struct mk__jnl j;   /* journal.c */
    struct mk__fbuf fbs[MK__FB_SLOTS];
    bool sb_dirty;      /* superblock to be logged with the next commit */
    struct mk__icache *icache; /* icache.c, NULL until first used */
};

/* dxtree.c: the on-disk name index of large directories (fs_format.h).
 * A directory's index header, decoded from its ".." entry. */
struct mk__dxhdr {
    bool present, valid;
    uint32_t depth, root, free, seed;
};
/* One index node, decoded (h/v: cap + 1 pairs, room for a split). */
struct mk__dxnode {
    uint32_t level, n, next;
    uint32_t *h, *v;
};
/* Working state of one index operation on directory inode *d. */
struct mk__dxc {
    struct mk__fs *fs;
    struct mk__dinode *d;
    uint32_t cap;       /* pairs per node */
    uint8_t *blk;       /* one block */
    struct mk__dxnode nd;
};
/* Hash of a name in a directory whose index has this seed. */
uint32_t mk__dx_hash(uint32_t seed, const char *name, size_t len);
/* The seed of a new index of directory d (deterministic, per directory). */
uint32_t mk__dx_new_seed(struct mk__fs *fs, const struct mk__dinode *d);
uint32_t mk__dx_cap(const struct mk__fs *fs);
int mk__dx_hdr_get(struct mk__fs *fs, const struct mk__dinode *d, struct mk__dxhdr *h);
int mk__dx_hdr_put(struct mk__fs *fs, struct mk__dinode *d, const struct mk__dxhdr *h);
int mk__dx_ctx_init(struct mk__dxc *c, struct mk__fs *fs, struct mk__dinode *d);
void mk__dx_ctx_fini(struct mk__dxc *c);
int mk__dx_nread(struct mk__dxc *c, uint32_t fbn, struct mk__dxnode *nd);
int mk__dx_nwrite(struct mk__dxc *c, uint32_t fbn, const struct mk__dxnode *nd);
int mk__dx_next_fbn(struct mk__dxc *c, uint32_t *fbn);
/* Add pair (h, val) (reserve: blocks to keep free besides the splits). */
int mk__dx_insert(struct mk__dxc *c, struct mk__dxhdr *hd, uint32_t h, uint32_t val,
                  uint32_t reserve);
/* dxraw.c, in place in the cached node buffers. find: 0 found, MK_ENOENT,
 * 1 more equal hashes than one path holds, < 0 error; insert (h, val): 0,
 * or 1 when the leaf is full; unpair (h, slot): 0, or MK_ECORRUPT if the
 * pair is not there. */
int mk__dx_find_fast(struct mk__fs *fs, struct mk__dinode *d, const struct mk__dxhdr *hd,
                     const char *name, size_t len, uint32_t *ino, uint64_t *slot);
int mk__dx_insert_fast(struct mk__fs *fs, struct mk__dinode *d, const struct mk__dxhdr *hd,
                       uint32_t h, uint32_t val);
int mk__dx_unpair_fast(struct mk__fs *fs, struct mk__dinode *d, const struct mk__dxhdr *hd,
                       uint32_t h, uint32_t slot);
/* The three return 1 when the directory has no usable index (the caller
 * scans): lookup -> 0 / MK_ENOENT; add (convert: index a full one-block
 * directory first) places and indexes the entry; remove unindexes and
 * frees entry slot (name = the entry's name). *d is updated; the caller
 * writes it back. */
int mk__dx_lookup(struct mk__fs *fs, struct mk__dinode *d, const char *name, size_t len,
                  uint32_t *ino, uint64_t *slot);
int mk__dx_add(struct mk__fs *fs, struct mk__dinode *d, const char *name, size_t len,
               uint32_t ino, bool convert);
int mk__dx_remove(struct mk__fs *fs, struct mk__dinode *d, uint64_t slot, const char *name,
                  size_t len);
/* dxcheck.c (fsck): check directory dino's index; *bad = problems found.
 * Rebuild it from the entries (several transactions, crash safe). */
int mk__dx_check(struct mk__fs *fs, uint32_t dino, struct mk__dinode *d, uint64_t *bad);
int mk__dx_rebuild(struct mk__fs *fs, uint32_t dino);

/* super.c: mount without marking the superblock (rw = false: fsck). */
int mk__fs_open(mk_t *k, uint64_t dev, bool rw, uint32_t *replayed, struct mk__fs **out);

/* journal.c: every block access of src/fs goes through these. */
int mk__fb_get(struct mk__fs *fs, uint64_t bno, uint32_t flags, struct mk__fbuf **out);
void mk__fb_dirty(struct mk__fs *fs, struct mk__fbuf *b);
void mk__fb_put(struct mk__fs *fs, struct mk__fbuf *b);
/* Journal set-up at mount (after recovery) and release. */
int mk__jnl_open(struct mk__fs *fs);
void mk__jnl_close(struct mk__fs *fs);
/* Replay a committed transaction left on dev, if any (*replayed = blocks
 * copied home). Touches nothing unless block 0 carries the fs magic and
 * the header checks out. */
int mk__jnl_recover(mk_t *k, uint64_t dev, uint32_t *replayed);
/* Start an operation that adds up to `need` blocks: commits the running
 * transaction first when the log could not take them. */
int mk__tx_begin(struct mk__fs *fs, uint32_t need);
/* Commit the running transaction (log, commit record, install). */
int mk__tx_commit(struct mk__fs *fs);
/* Is block bno freed by the running transaction (not reusable yet)? */
bool mk__tx_pending(const struct mk__fs *fs, uint32_t bno);
int mk__tx_defer_free(struct mk__fs *fs, uint32_t bno);

static inline uint64_t mk__fs_now(const struct mk__fs *fs)
{
    return atomic_load(&fs->k->ticks);
}

/* balloc.c: allocation bitmaps. A new block is NOT zeroed here. */
int mk__balloc(struct mk__fs *fs, uint32_t *bno);
int mk__bfree(struct mk__fs *fs, uint32_t bno);
int mk__ialloc(struct mk__fs *fs, uint32_t *ino);
int mk__ifree(struct mk__fs *fs, uint32_t ino);
/* Count set bits of a bitmap region (bits 0..nbits-1). */
int mk__bitmap_count(struct mk__fs *fs, uint64_t start, uint64_t nbits, uint64_t *used);
/* Allocate a block and fill it with zeros (indirect and directory blocks). */
int mk__balloc_zero(struct mk__fs *fs, uint32_t *bno);
/* Allocate the first free block at or after `goal` (wrapping; goal 0 or
 * outside the data area: the roving hint), so a file grows contiguously. */
int mk__balloc_near(struct mk__fs *fs, uint64_t goal, uint32_t *bno);

/* icache.c: decoded inodes of the mounted fs (a write-through cache used by
 * mk__iread / mk__iwrite only). */
bool mk__icache_get(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di);
void mk__icache_put(struct mk__fs *fs, uint32_t ino, const struct mk__dinode *di);
void mk__icache_drop(struct mk__fs *fs, uint32_t ino);
void mk__icache_free(struct mk__fs *fs);

/* extent.c: the extent tree of an inode (layout in fs_format.h). di's root
 * is changed in memory (the caller writes the inode back, also after an
 * error); tree blocks through the journal. */
void mk__ext_init(struct mk__dinode *di);
/* fbn -> *bno (0 = hole); *run = blocks mapped contiguously from fbn, or
 * for a hole the blocks known to be unmapped from fbn (>= 1). */
int mk__ext_map(struct mk__fs *fs, const struct mk__dinode *di, uint64_t fbn, uint32_t *bno,
                uint32_t *run);
/* Map the hole fbn to a new block (NOT zeroed), near its neighbours. */
int mk__ext_alloc(struct mk__fs *fs, struct mk__dinode *di, uint64_t fbn, uint32_t *bno);
/* Free every block of the file at file block `first` or beyond. */
int mk__ext_trunc(struct mk__fs *fs, struct mk__dinode *di, uint64_t first);
/* Validation shared with fsck. */
int mk__ext_root_check(const uint8_t *h);
int mk__ext_blk_check(const struct mk__fs *fs, const uint8_t *b, uint32_t ino, unsigned depth);
uint32_t mk__ext_bmax(uint32_t bsize);

/* inode.c */
int mk__iread(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di);
int mk__iwrite(struct mk__fs *fs, uint32_t ino, const struct mk__dinode *di);
/* Map file block fbn of di to a device block. With alloc, holes are filled
 * (indirect blocks zeroed; a new data block is NOT zeroed and *fresh is set
 * so the caller initialises it). *bno = 0 for a hole without alloc. di is
 * updated in memory; the caller writes it back, also after an error. */
int mk__bmap(struct mk__fs *fs, struct mk__dinode *di, uint64_t fbn, bool alloc,
             uint32_t *bno, bool *fresh);
/* Byte I/O on any inode type (directories included). */
int mk__iread_bytes(struct mk__fs *fs, const struct mk__dinode *di, uint64_t off,
                    void *buf, size_t len, size_t *n);
int mk__iwrite_bytes(struct mk__fs *fs, struct mk__dinode *di, uint64_t off,
                     const void *buf, size_t len, size_t *n);
/* Free every block past new size and zero the tail of the last block. */
int mk__itrunc(struct mk__fs *fs, struct mk__dinode *di, uint64_t size);
/* Drop one link; at zero free the blocks and the inode. */
int mk__idrop(struct mk__fs *fs, uint32_t ino);

/* dir.c helpers used by super.c (mkfs builds the root). */
void mk__dirent_encode(uint8_t *p, uint32_t ino, const char *name, size_t len);

#endif /* MK_SRC_FS_IMPL_H */
