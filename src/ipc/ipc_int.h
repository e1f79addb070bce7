/*
 * ipc_int.h - private interface between the files of the ipc module
 * (mq.c: bounded message queue object; mbox.c: per-process mailboxes and
 * module set-up; queue.c: named queues). Not for other modules.
 *
 * Lock order: struct mk__ipc.lock (rwlock, mailbox map) -> the queue
 * registry's lock -> struct mk__mq.lock -> the scheduler/proc table lock
 * (mk__proc_alive, wait queues). Never take ipc.lock while holding an mq
 * lock.
 *
 * Lifetime: every mk__mq is reference counted (struct mk__robj). The map
 * that publishes it (mailbox map or queue registry) holds one reference; each caller that
 * looked it up holds one for the duration of its call, including while it
 * waits. Removing it from the map and marking it dead (mk__mq_kill) wakes
 * the waiters, who see `dead` and return MK_EDESTROYED; the last unref
 * frees it. So a delete racing a blocked waiter never frees under it.
 */
#ifndef MK_SRC_IPC_INT_H
#define MK_SRC_IPC_INT_H

#include "../core/core.h"
#include "../core/registry.h"
#include "../proc/sched.h"

#include <microkernel/ipc.h>

/* One message: copied in on send, copied out on receive. */
struct mk__msg {
    uint32_t tag;
    uint32_t readers; /* pub/sub: subscribers that have not read it yet */
    size_t len;
    unsigned char data[];
};

/* A pub/sub subscriber: its read cursor (sequence number). */
struct mk__sub {
    mk_pid_t pid;
    uint64_t next;
};

/* A bounded FIFO of message pointers, used for mailboxes (mode WORK) and
 * named queues. Messages are numbered by a 64-bit sequence; message s lives
 * in slot[s % cap]; [base, tail) are the messages held. A work queue
 * receives at base; each pub/sub subscriber has its own cursor in
 * [base, tail], and base advances past a message once every subscriber
 * that was subscribed when it was sent has read it (readers reaches 0). */
struct mk__mq {
    struct mk__robj ro;       /* first: refs; named queues: handle, name */
    pthread_mutex_t lock;
    mk__wq_t rwq;             /* receivers wait here */
    mk__wq_t swq;             /* senders wait here (queue full) */
    bool dead;                /* deleted / process destroyed */
    uint32_t mode;            /* enum mk_queue_mode */
    uint32_t msg_max;         /* bytes; immutable */
    uint32_t cap;             /* messages */
    struct mk__msg **slot;
    uint64_t base, tail;
    struct mk__sub *subs;
    uint32_t nsubs, subcap;
    mk_pid_t pid;             /* mailboxes: their process */
};

struct mk__ipc {
    pthread_rwlock_t lock;   /* guards mboxes */
    mk__hmap_t mboxes;       /* pid -> struct mk__mq* */
    mk__registry_t queues;   /* named queues (struct mk__mq) */
};

/* mq.c */
struct mk__mq *mk__mq_new(uint32_t mode, uint32_t cap, uint32_t msg_max);
void mk__mq_ref(struct mk__mq *q);
void mk__mq_unref(struct mk__mq *q);
void mk__mq_kill(mk_t *k, struct mk__mq *q);
/* NULL on allocation failure. data may be NULL when len is 0. */
struct mk__msg *mk__msg_new(uint32_t tag, const void *data, size_t len);
/* Takes ownership of m whatever the result. */
int mk__mq_send(mk_t *k, struct mk__mq *q, struct mk__msg *m, uint64_t timeout_ticks);
int mk__mq_recv(mk_t *k, struct mk__mq *q, mk_pid_t pid, uint32_t *tag, void *buf,
                size_t cap, size_t *len, uint64_t timeout_ticks);
int mk__mq_peek(struct mk__mq *q, mk_pid_t pid, uint32_t *tag, size_t *len);
int mk__mq_count(struct mk__mq *q, mk_pid_t pid, uint32_t *count);
int mk__mq_subscribe(struct mk__mq *q, mk_pid_t pid);
int mk__mq_unsubscribe(mk_t *k, struct mk__mq *q, mk_pid_t pid);
int mk__mq_set_capacity(mk_t *k, struct mk__mq *q, uint32_t cap);

#endif /* MK_SRC_IPC_INT_H */
