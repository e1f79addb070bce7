/*
 * blk_impl.h - private structures of the blk module, shared by its files
 * (dev.c: device table and public device calls; drivers.c: RAM and image
 * drivers; cache.c: the buffer cache; policy.c: its replacement policies,
 * LRU and 2Q; bio.c: the block I/O entry points on top of the cache).
 * Nothing outside src/blk includes it.
 *
 * Locks, always taken one at a time (never nested):
 *  - blk->devlock guards the device table (handles, names), each device's
 *    users/refs/removing fields.
 *  - blk->lock (the cache lock) guards every buffer's bookkeeping, the LRU
 *    list, each device's block map (d->bufs) and the counters.
 *  - d->iolock serialises the driver callbacks of one device; it is taken
 *    by the I/O helpers only, with no other lock held.
 *
 * Lifetime: a device is freed only by mk_blk_remove() or mk__blk_fini().
 * Removal requires refs == 0 (no call in progress, no pinned buffer) and
 * waits until none of its buffers is busy, so a thread writing back a
 * buffer of a device it holds no ref on (eviction) is safe.
 */
#ifndef MK_SRC_BLK_IMPL_H
#define MK_SRC_BLK_IMPL_H

#include "blk.h"

#include <microkernel/blk.h>

#include <sys/types.h>

/* Optional scatter / gather driver calls of the built-in drivers (image:
 * preadv / pwritev; RAM: direct copies), so a multi-block transfer into
 * separate cache buffers needs neither a bounce buffer nor a copy. NULL
 * for caller devices: dev.c then bounces through one contiguous buffer
 * and the caller's read / write with a count. */
typedef struct mk__vops {
    int (*readv)(void *ctx, uint64_t blockno, uint8_t *const *bufs, uint32_t count);
    int (*writev)(void *ctx, uint64_t blockno, const uint8_t *const *bufs, uint32_t count);
} mk__vops_t;

struct mk__dev {
    uint64_t handle;
    char name[MK_NAME_MAX + 1];
    mk_blk_ops_t ops; /* private copy */
    mk__vops_t vops;  /* built-in drivers only */
    void *ctx;
    uint32_t bsize;   /* bytes */
    uint64_t nblocks;
    bool is_image;    /* host file identity, to refuse opening one twice */
    dev_t host_dev;
    ino_t host_ino;
    /* devlock: */
    uint32_t users;   /* mk__blk_ref (mounts) */
    /* calls in progress + pinned buffers: taken under devlock (after the
     * handle lookup and the removing check), dropped without it (an
     * atomic decrement: removal, under devlock, can only see a stale
     * higher count and answer MK_EBUSY, which is what "in use" means) */
    _Atomic uint32_t refs;
    bool removing;
    /* iolock: serialises ops.* calls */
    pthread_mutex_t iolock;
    /* cache lock: blockno -> struct mk__cbuf */
    mk__hmap_t bufs;
    /* cache lock: block after the last one looked up (0 = none yet), to
     * detect a sequential run for read-ahead */
    uint64_t seq_next;
};

enum { MK__HOT_DEVS = 4 };

/* Queues of the replacement policy (struct mk__cbuf.q). Every buffer is on
 * at most one; a pinned valid buffer stays on its queue (the victim scan
 * skips it) so that 2Q's FIFO keeps its order across pin / unpin. */
enum { MK__Q_NONE = 0, MK__Q_FREE, MK__Q_IN, MK__Q_MAIN, MK__Q_COUNT };

/* A cache buffer. The public part comes first so a mk__buf_t * converts
 * back. Valid buffers are on MK__Q_IN or MK__Q_MAIN (pinned or not);
 * invalid unpinned ones on MK__Q_FREE; invalid pinned ones (a failed
 * read-in with waiters) and buffers in an evictor's hands on none. */
struct mk__cbuf {
    mk__buf_t pub;
    struct mk__dev *d;      /* owning device while valid or being read */
    struct mk__cbuf *prev;  /* queue links */
    struct mk__cbuf *next;
    struct mk__cbuf *dprev; /* dirty list links (oldest first) */
    struct mk__cbuf *dnext;
    struct mk__cbuf *fnext; /* private list of one flush, drop or read-ahead */
    uint32_t pin;
    uint32_t cap;           /* bytes allocated at pub.data */
    uint8_t q;              /* MK__Q_* */
    bool valid;             /* holds (d, blockno) and is in d->bufs */
    bool dirty;             /* iff on the dirty list */
    bool busy;              /* device I/O in progress without the lock */
    bool reading;           /* busy reading in: the bytes are not valid yet */
    bool ra;                /* read ahead, not looked up since */
    int ioerr;              /* result of the last write of a flush pass */
    uint64_t fepoch;        /* last flush pass that tried it */
    uint64_t eepoch;        /* last eviction pass whose write failed */
};

struct mk__blk {
    pthread_mutex_t devlock;
    mk__htab_t devs;  /* handle -> struct mk__dev */
    mk__nmap_t names; /* name -> struct mk__dev */

    pthread_mutex_t lock; /* the cache lock */
    pthread_cond_t cond;  /* a buffer stopped being busy */
    struct mk__cbuf **bufs;
    uint32_t nbufs;
    uint32_t bufs_cap;
    uint32_t capacity;
    /* policy.c: queue sentinels (q[i].next is the oldest / least
     * recently used) and lengths */
    struct mk__cbuf q[MK__Q_COUNT];
    uint32_t qlen[MK__Q_COUNT];
    uint32_t policy;   /* MK_CACHE_POLICY_* */
    uint32_t kin;      /* 2Q: A1in share, in buffers */
    uint64_t *ghost;   /* 2Q: A1out ring of keys (block identities) */
    uint32_t gcap, ghead, gcount;
    mk__hmap_t gmap;   /* 2Q: key -> number of ring entries (as a pointer) */
    /* devices recently pinned from, so mk__buf_get finds one without
     * blk->devlock (handle 0 = empty slot); an entry is added by a thread
     * holding a device ref and purged by mk__cache_drop_dev before the
     * device can be freed */
    struct {
        uint64_t h;
        struct mk__dev *d;
    } hot[MK__HOT_DEVS];
    uint32_t hot_next;
    /* read-ahead */
    uint32_t ra_window; /* blocks per device call, 1 = off */
    /* dirty list and threshold write-back */
    struct mk__cbuf dl; /* sentinel: dl.dnext is the oldest dirty buffer */
    _Atomic uint64_t ndirty; /* written under the lock, peeked without */
    uint64_t dirty_limit;
    bool wb_active;     /* a threshold write-back pass is running */
    uint64_t epoch;
    uint64_t hits, misses, evictions, writebacks;
    uint64_t ra_reads, ra_blocks, ra_hits, thr_writebacks;
    _Atomic uint64_t dev_reads, dev_writes;
};

/* The internal interface (src/blk/blk.h) is called by the layers above
 * during mk_destroy too, when the context is already marked dead: it
 * checks only that the module is up, not MK__CHECK. */
#define MK__ICHECK(k)                                                        \
    do {                                                                     \
        if ((k) == NULL || (k)->blk == NULL)                                 \
            return MK_EINVAL;                                                \
    } while (0)

/* ---- dev.c ---- */
/* Take a ref on a live device: MK_EBADH (bad handle), MK_EBUSY (being
 * removed). */
int mk__dev_get(mk_t *k, uint64_t h, struct mk__dev **out);
void mk__dev_put(mk_t *k, struct mk__dev *d);
/* Driver calls under d->iolock; any failure is MK_EIO. */
int mk__dev_read(mk_t *k, struct mk__dev *d, uint64_t blockno, void *buf, uint32_t count);
int mk__dev_write(mk_t *k, struct mk__dev *d, uint64_t blockno, const void *buf);
/* count consecutive blocks from blockno into / from separate buffers, in
 * one driver call. MK_EIO on failure (then any of the blocks may or may
 * not have been transferred), MK_ENOMEM if a bounce buffer was needed and
 * could not be had (nothing transferred). */
int mk__dev_readv(mk_t *k, struct mk__dev *d, uint64_t blockno, uint8_t *const *bufs,
                  uint32_t count);
int mk__dev_writev(mk_t *k, struct mk__dev *d, uint64_t blockno, const uint8_t *const *bufs,
                   uint32_t count);
int mk__dev_sync(mk_t *k, struct mk__dev *d);

/* ---- drivers.c ---- */
int mk__ram_new(uint32_t bsize, mk_blk_ops_t *ops, mk__vops_t *vops, void **ctx);
/* host file identity is returned for the duplicate check */
int mk__image_new(const char *path, uint32_t bsize, uint64_t *nblocks, uint32_t flags,
                  mk_blk_ops_t *ops, mk__vops_t *vops, void **ctx, dev_t *hdev,
                  ino_t *hino);

/* ---- policy.c (cache lock held for all) ---- */
int mk__pol_init(struct mk__blk *c, uint32_t policy);
void mk__pol_fini(struct mk__blk *c);
/* Take b off whatever queue it is on. */
void mk__q_unlink(struct mk__blk *c, struct mk__cbuf *b);
/* Put an invalid, unpinned buffer on the free queue. */
void mk__q_free(struct mk__blk *c, struct mk__cbuf *b);
/* First free buffer, taken off the free queue, or NULL. */
struct mk__cbuf *mk__q_take_free(struct mk__blk *c);
/* A lookup found b. */
void mk__pol_hit(struct mk__blk *c, struct mk__cbuf *b);
/* b was just made valid for (b->d, blockno); prefetch: by read-ahead. */
void mk__pol_insert(struct mk__blk *c, struct mk__cbuf *b, bool prefetch);
/* The buffer to evict next: valid, unpinned, not busy, and not a dirty one
 * whose write failed in pass `epoch`; NULL if none (*saw_busy tells
 * whether a busy buffer may become a candidate). */
struct mk__cbuf *mk__pol_victim(struct mk__blk *c, uint64_t epoch, bool *saw_busy);
/* b, valid, is about to be evicted (2Q remembers it in A1out). */
void mk__pol_evicting(struct mk__blk *c, struct mk__cbuf *b);

/* ---- cache.c ---- */
int mk__cache_init(mk_t *k);
void mk__cache_fini(mk_t *k);
/* Pin a block of a device the caller holds a ref on. */
int mk__cache_get(mk_t *k, struct mk__dev *d, uint64_t blockno, uint32_t flags,
                  struct mk__cbuf **out);
/* The fast half of mk__cache_get (lock held): pin and count a hit on a
 * cached block whose bytes are valid; NULL (nothing done) if it is not
 * cached or still being read in. */
struct mk__cbuf *mk__cache_hit_locked(mk_t *k, struct mk__dev *d, uint64_t blockno,
                                      uint32_t flags);
/* The device of handle h if it is in the hot table (lock held), else NULL. */
struct mk__dev *mk__cache_hot_find(struct mk__blk *c, uint64_t h);
/* Write back every dirty buffer of d, then sync d. */
int mk__cache_flush_dev(mk_t *k, struct mk__dev *d);
/* Dirty list (lock held): mark dirty / clean. */
void mk__cache_set_dirty(struct mk__blk *c, struct mk__cbuf *b);
/* Take a valid buffer out of its device's map and off its queue (lock
 * held). */
void mk__cache_forget(struct mk__blk *c, struct mk__cbuf *b);
/* Unpin with the lock held. */
void mk__cache_put_locked(struct mk__blk *c, struct mk__cbuf *b);
void mk__cache_put(mk_t *k, struct mk__cbuf *b);
/* Threshold write-back, without the lock: when more than dirty_limit
 * buffers are dirty, write back the oldest unpinned ones. */
void mk__cache_writeback(mk_t *k);
/* Forget every buffer of d (removal). Waits for busy buffers; refuses with
 * MK_EIO if one is dirty and MK_EBUSY if one is pinned, unless force. */
int mk__cache_drop_dev(mk_t *k, struct mk__dev *d, bool force);

#endif /* MK_SRC_BLK_IMPL_H */
