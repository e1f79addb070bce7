/*
 * ipc_int.h - private interface between the files of the ipc module
 * (mq.c: bounded message queue object; mbox.c: per-process mailboxes and
 * module set-up; queue.c: named queues). Not for other modules.
 *
 * Lock order: struct mk__ipc.lock (rwlock: subscribe against process exit)
 * -> ipc.grow (tables, slabs, a queue create from publishing to set-up)
 * -> the queue registry's lock -> struct mk__mq.lock -> the scheduler/proc
 * table lock (mk__proc_alive, wait queues). Never take ipc.lock or
 * ipc.grow while holding an mq lock. The message path (send, receive,
 * peek, count) takes no module-wide lock at all: mailboxes and named
 * queues are found through lock-free tables (struct mk__otab) indexed by
 * pid and by handle slot.
 *
 * Lifetime: every struct mk__mq is type-stable: once allocated it stays a
 * queue object (its mutex stays valid) until mk__ipc_fini, so code that
 * found one without any lock or reference may always lock it, and then
 * validates under the lock that it is still the object it meant:
 *  - Mailboxes: one object per pid slot (mbox.c), dead until the pid is
 *    created, dead again when it exits, revived when the pid is reused.
 *  - Named queues: one object per handle slot index (queue.c), dead until
 *    a create gets that slot from the registry, dead again at delete,
 *    reused when the registry hands the slot out again (with a new
 *    generation, so a new handle). The registry (names, handle allocation,
 *    reference counts) holds a small record pointing at the object; every
 *    operation checks under the object's lock that it still carries the
 *    caller's handle (`hid`).
 *  - `gen` changes whenever an object is revived or reused: a caller
 *    notes it when it first locks and treats a change after a wait as the
 *    queue having been destroyed.
 */
#ifndef MK_SRC_IPC_INT_H
#define MK_SRC_IPC_INT_H

#include "../core/core.h"
#include "../core/registry.h"
#include "../proc/sched.h"

#include <microkernel/ipc.h>

#include <stddef.h>

/* One ring slot: this header, then `inl` bytes of payload. A message of at
 * most `inl` bytes is stored in the slot itself; a longer one (up to
 * msg_max) in a malloc'd copy whose pointer the payload holds (heap = 1). */
struct mk__slot {
    uint32_t tag;
    uint32_t readers; /* pub/sub: subscribers that have not read it yet */
    uint32_t len;     /* bytes (<= MK_MSG_MAX_LIMIT, fits) */
    uint32_t heap;    /* 1: data holds a void * to the bytes */
    unsigned char data[];
};

/* Largest payload kept in a slot, and the size of the ring embedded in
 * every queue object (used until more than fits there is queued). */
#define MK__SLOT_INLINE_MAX 240u
#define MK__MQ_FIRST 256u

/* A pub/sub subscriber: its read cursor (sequence number). */
struct mk__sub {
    mk_pid_t pid;
    uint64_t next;
};

/* A bounded FIFO of messages, used for mailboxes (mode WORK) and named
 * queues. Messages are numbered by a 64-bit sequence; message s lives in
 * ring slot (s & rmask); [base, tail) are the messages held and never more
 * than cap. The ring starts as the embedded `first` array and doubles
 * (a malloc, rare) when it is full and cap allows more; it never shrinks
 * while the queue lives. A work queue receives at base; each pub/sub
 * subscriber has its own cursor in [base, tail], and base advances past a
 * message once every subscriber that was subscribed when it was sent has
 * read it (readers reaches 0). Hot fields first: a send or receive touches
 * the first cache lines and the slot. */
struct mk__mq {
    /* Hot: every send and receive reads or writes these (the first three
     * cache lines and the slot, which for a short queue is in `first`
     * right after them; mq.c prefetches them before taking the lock). */
    pthread_mutex_t lock;
    bool dead;                /* deleted / process destroyed (or not created) */
    uint32_t mode;            /* enum mk_queue_mode */
    uint32_t msg_max;         /* bytes; immutable while in use */
    uint32_t cap;             /* messages */
    uint32_t inl;             /* payload bytes kept in a slot */
    uint32_t stride;          /* bytes per slot (header + inl) */
    uint32_t rmask;           /* ring slots - 1 (slots: a power of two) */
    unsigned char *ring;      /* first, or a malloc'd ring */
    uint64_t base, tail;
    _Atomic uint64_t hid;     /* named queues: handle while published, else 0 */
    uint64_t gen;             /* +1 at every revival / reuse */
    mk__wq_t rwq;             /* receivers wait here */
    mk__wq_t swq;             /* senders wait here (queue full) */
    _Alignas(8) unsigned char first[MK__MQ_FIRST];
    /* Cold. */
    struct mk__sub *subs;
    uint32_t nsubs, subcap;
    uint32_t key;             /* its index in the table (pid / handle slot) */
};

/* A table of type-stable queue objects indexed by a 31-bit key (mailboxes:
 * the pid; named queues: the handle's slot index), three levels like a
 * page table: key >> 16 selects a directory, bits 6..15 a chunk, bits 0..5
 * the object in the chunk. Levels are published with release stores under
 * ipc->grow and read with acquire loads without any lock; nothing moves or
 * is freed before mk__ipc_fini. A chunk's objects start dead. */
#define MK__OT_CHUNK 64u
#define MK__OT_DIR 1024u
#define MK__OT_TOP (((uint32_t)MK_PID_MAX >> 16) + 1u)

struct mk__odir {
    _Atomic(struct mk__mq *) chunk[MK__OT_DIR];
};

struct mk__otab {
    _Atomic(struct mk__odir *) dir[MK__OT_TOP];
};

/* The object of `key`, dead or alive; NULL if its chunk was never made or
 * key is out of range. Lock-free. */
static inline struct mk__mq *mk__otab_get(const struct mk__otab *t, uint32_t key)
{
    if (key > (uint32_t)MK_PID_MAX)
        return NULL;
    struct mk__odir *d = atomic_load_explicit(&t->dir[key >> 16], memory_order_acquire);
    if (d == NULL)
        return NULL;
    struct mk__mq *c =
        atomic_load_explicit(&d->chunk[(key >> 6) & (MK__OT_DIR - 1)], memory_order_acquire);
    return c == NULL ? NULL : &c[key & (MK__OT_CHUNK - 1)];
}

struct mk__ipc {
    pthread_rwlock_t lock;    /* subscribe (read) against process exit (write) */
    pthread_mutex_t grow;     /* table levels and slabs; queue create */
    struct mk__otab *mb;      /* mailboxes by pid (mbox.c) */
    struct mk__otab *qt;      /* named queues by handle slot (queue.c) */
    struct mk__slab *slabs;   /* memory the tables are carved from (ipc->grow) */
    size_t slab_left;         /* bytes left in slabs (the newest) */
    size_t slab_bytes;        /* bytes carved so far (sizes the next slab) */
    mk__registry_t queues;    /* named queues (struct mk__mq, by ro) */
};

/* mbox.c: zeroed memory (in 64-byte multiples) for table levels and objects that
 * live until mk__ipc_fini (ipc->grow held). Carved from slabs that grow
 * with use up to 2 MiB, allocated with mk__huge_alloc: once the tables are
 * big they sit on huge pages (one TLB entry per 2 MiB instead of a page
 * walk per random lookup). Never freed one by one. */
void *mk__ipc_carve(struct mk__ipc *ipc, size_t bytes);
/* mbox.c: the object of key in t, making its levels if needed (ipc->grow
 * held); NULL if out of memory or key is out of range. */
struct mk__mq *mk__otab_make(struct mk__ipc *ipc, struct mk__otab *t, uint32_t key);

/* queue.c: the object behind a registry record (NULL while its create is
 * still setting it up). */
struct mk__mq *mk__queue_of(struct mk__robj *o);

/* mbox.c: does pid have a live mailbox (a process)? Takes its lock. */
bool mk__mbox_alive(mk_t *k, mk_pid_t pid);

/* mq.c */
/* Set up a fresh object (calloc'd memory): MK_ENOMEM if the mutex cannot
 * be made. mk__mq_setup re-shapes an existing one (lock held, queue
 * empty, no waiter queued): mode, capacity, message size; gen + 1. */
int mk__mq_init(struct mk__mq *q, uint32_t mode, uint32_t cap, uint32_t msg_max);
void mk__mq_setup(struct mk__mq *q, uint32_t mode, uint32_t cap, uint32_t msg_max);
/* Release what q holds (messages, heap ring, subscribers, mutex); not q. */
void mk__mq_destroy(struct mk__mq *q);
/* Lock held: free every queued message and a heap ring; empty. */
void mk__mq_drop(struct mk__mq *q);
/* Mark dead, clear hid and wake every waiter with MK_EDESTROYED. If
 * `drop`, also release the queued messages (mailbox of an exiting
 * process). */
void mk__mq_kill(mk_t *k, struct mk__mq *q, bool drop);

/* The message operations. `hid` is the handle the caller resolved without
 * a reference (0: the caller holds a reference or it is a mailbox) and
 * `gone` the code when, at the first lock, q is dead or no longer carries
 * hid (named queues MK_EBADH: stale handle; mailboxes MK_ENOENT: no such
 * process). A queue that dies while the caller waits gives MK_EDESTROYED.
 * send: MK_EMSGSIZE if len > msg_max; copies len bytes from data. */
int mk__mq_send(mk_t *k, struct mk__mq *q, uint64_t hid, int gone, uint32_t tag,
                const void *data, size_t len, uint64_t timeout_ticks);
int mk__mq_recv(mk_t *k, struct mk__mq *q, uint64_t hid, int gone, mk_pid_t pid,
                uint32_t *tag, void *buf, size_t cap, size_t *len, uint64_t timeout_ticks);
/* peek/count: MK_EBADH when dead (or hid no longer matches). */
int mk__mq_peek(struct mk__mq *q, uint64_t hid, mk_pid_t pid, uint32_t *tag, size_t *len);
int mk__mq_count(struct mk__mq *q, uint64_t hid, mk_pid_t pid, uint32_t *count);
/* subscribe/unsubscribe: MK_EBADH when dead (or hid no longer matches). */
int mk__mq_subscribe(struct mk__mq *q, uint64_t hid, mk_pid_t pid);
int mk__mq_unsubscribe(mk_t *k, struct mk__mq *q, uint64_t hid, mk_pid_t pid);
int mk__mq_set_capacity(mk_t *k, struct mk__mq *q, uint32_t cap);

#endif /* MK_SRC_IPC_INT_H */
