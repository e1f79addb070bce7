/*
 * icache.c - the in-core inode cache of a mounted file system (xv6's
 * icache idea, "xv6: a simple, Unix-like teaching operating system",
 * chapter "Code: Inodes"): the decoded struct mk__dinode of recently used
 * inodes, so that reading a cached file does not pin its inode-table block
 * and decode the inode on every call (mk__dinode_decode showed 12% of the
 * small-file benchmark).
 *
 * Sits beside inode.c, which is its only user: mk__iread looks here first
 * and fills it on a miss; mk__iwrite encodes the inode into its table block
 * through the journal as before (write-through: the journal, not this
 * cache, is what reaches the device) and then updates the cached copy, so
 * the cache never holds anything the running transaction does not. Only
 * inodes that passed mk__iread's checks are cached.
 *
 * Direct-mapped by inode number (MK__IC_SLOTS slots of one inode each): a
 * collision simply replaces the older inode, so there is no LRU list and no
 * reference count to keep. Allocated on first use, freed with the mk__fs
 * (mk__icache_free from super.c). No locks: the caller serialises every
 * call on one mk__fs (fs.h).
 */
#include "fs_impl.h"

#include <stdlib.h>
#include <string.h>

#define MK__IC_SLOTS 256u /* power of two */

struct mk__icache {
    uint32_t ino[MK__IC_SLOTS]; /* inode held by the slot, 0 = empty */
    struct mk__dinode di[MK__IC_SLOTS];
    uint64_t hits, misses;
};

bool mk__icache_get(struct mk__fs *fs, uint32_t ino, struct mk__dinode *di)
{
    struct mk__icache *c = fs->icache;
    if (c == NULL)
        return false;
    uint32_t s = ino & (MK__IC_SLOTS - 1);
    if (c->ino[s] != ino) {
        c->misses++;
        return false;
    }
    c->hits++;
    *di = c->di[s];
    return true;
}

void mk__icache_put(struct mk__fs *fs, uint32_t ino, const struct mk__dinode *di)
{
    if (fs->icache == NULL && (fs->icache = calloc(1, sizeof *fs->icache)) == NULL)
        return; /* no memory: run uncached */
    uint32_t s = ino & (MK__IC_SLOTS - 1);
    fs->icache->ino[s] = ino;
    fs->icache->di[s] = *di;
    fs->icache->di[s].ino = ino;
}

void mk__icache_drop(struct mk__fs *fs, uint32_t ino)
{
    uint32_t s = ino & (MK__IC_SLOTS - 1);
    if (fs->icache != NULL && fs->icache->ino[s] == ino)
        fs->icache->ino[s] = 0;
}

void mk__icache_free(struct mk__fs *fs)
{
    free(fs->icache);
    fs->icache = NULL;
}
