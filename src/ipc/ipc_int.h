/*
 * ipc_int.h - private interface between the files of the ipc module
 * (mq.c: bounded message queue object; mbox.c: per-process mailboxes and
 * module set-up; queue.c: named queues). Not for other modules.
 *
 * Lock order: struct mk__ipc.lock (rwlock: subscribe against process exit)
 * -> the queue registry's lock -> struct mk__mq.lock -> the scheduler/proc
 * table lock (mk__proc_alive, wait queues). Never take ipc.lock while
 * holding an mq lock. The message path (send, receive, peek, count) takes
 * no module-wide lock at all: mailboxes are found through a lock-free pid
 * table (mbox.c), named queues through the registry.
 *
 * Lifetime:
 *  - Named queues are reference counted (struct mk__robj). The registry
 *    holds one reference; each caller that looked one up holds one for the
 *    duration of its call, including while it waits. Removing it from the
 *    registry and marking it dead (mk__mq_kill) wakes the waiters, who see
 *    `dead` and return MK_EDESTROYED; the last unref frees it.
 *  - Mailboxes are type-stable: one struct mk__mq per pid slot, allocated
 *    the first time that pid is created and freed only by mk__ipc_fini.
 *    Process exit marks it dead (mk__mq_kill + mk__mq_reset); creating
 *    the pid again revives the same object. A caller therefore needs no
 *    reference: the object cannot go away under it.
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
    pthread_mutex_t lock;
    bool dead;                /* deleted / process destroyed (or not created) */
    uint32_t mode;            /* enum mk_queue_mode */
    uint32_t msg_max;         /* bytes; immutable */
    uint32_t cap;             /* messages */
    uint32_t inl;             /* payload bytes kept in a slot; immutable */
    uint32_t stride;          /* bytes per slot (header + inl); immutable */
    uint32_t rmask;           /* ring slots - 1 (slots: a power of two) */
    unsigned char *ring;      /* first, or a malloc'd ring */
    uint64_t base, tail;
    mk__wq_t rwq;             /* receivers wait here */
    mk__wq_t swq;             /* senders wait here (queue full) */
    struct mk__sub *subs;
    uint32_t nsubs, subcap;
    mk_pid_t pid;             /* mailboxes: their process */
    _Alignas(8) unsigned char first[MK__MQ_FIRST];
    struct mk__robj ro;       /* named queues: refs, handle, name */
};

static inline struct mk__mq *mk__mq_of(struct mk__robj *o)
{
    return (struct mk__mq *)(void *)((char *)o - offsetof(struct mk__mq, ro));
}

struct mk__mbtab; /* mbox.c: pid -> mailbox, lock-free reads */

struct mk__ipc {
    pthread_rwlock_t lock;    /* subscribe (read) against process exit (write) */
    pthread_mutex_t grow;     /* adds levels to the mailbox table */
    struct mk__mbtab *mb;     /* mailboxes by pid (mbox.c) */
    mk__registry_t queues;    /* named queues (struct mk__mq, by ro) */
};

/* mbox.c: does pid have a live mailbox (a process)? Takes its lock. */
bool mk__mbox_alive(mk_t *k, mk_pid_t pid);

/* mq.c */
/* Set up q in place (mailbox chunks) or allocate one (mk__mq_new, named
 * queues: freed by the last mk__robj_unref). */
int mk__mq_init(struct mk__mq *q, uint32_t mode, uint32_t cap, uint32_t msg_max);
struct mk__mq *mk__mq_new(uint32_t mode, uint32_t cap, uint32_t msg_max);
/* Release what q holds (messages, heap ring, subscribers, mutex); not q. */
void mk__mq_destroy(struct mk__mq *q);
void mk__mq_ref(struct mk__mq *q);
void mk__mq_unref(struct mk__mq *q);
/* Mark dead and wake every waiter with MK_EDESTROYED. If `drop`, also
 * release the messages and the heap ring (a mailbox whose process ends:
 * the object stays for reuse). */
void mk__mq_kill(mk_t *k, struct mk__mq *q, bool drop);
/* Lock held: bring a dead mailbox back empty with capacity cap. */
void mk__mq_revive(struct mk__mq *q, uint32_t cap);
/* Copies len bytes from data (the caller checked len <= q->msg_max).
 * `gone` is returned if q is already dead when first locked (named queues
 * pass MK_EDESTROYED: deleted after the lookup; mailboxes MK_ENOENT: no
 * such process); a queue that dies while the caller waits gives
 * MK_EDESTROYED. */
int mk__mq_send(mk_t *k, struct mk__mq *q, uint32_t tag, const void *data, size_t len,
                uint64_t timeout_ticks, int gone);
int mk__mq_recv(mk_t *k, struct mk__mq *q, mk_pid_t pid, uint32_t *tag, void *buf,
                size_t cap, size_t *len, uint64_t timeout_ticks, int gone);
int mk__mq_peek(struct mk__mq *q, mk_pid_t pid, uint32_t *tag, size_t *len);
int mk__mq_count(struct mk__mq *q, mk_pid_t pid, uint32_t *count);
int mk__mq_subscribe(struct mk__mq *q, mk_pid_t pid);
int mk__mq_unsubscribe(mk_t *k, struct mk__mq *q, mk_pid_t pid);
int mk__mq_set_capacity(mk_t *k, struct mk__mq *q, uint32_t cap);

#endif /* MK_SRC_IPC_INT_H */
