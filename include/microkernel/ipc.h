/**
 * @file ipc.h
 * @brief Message passing: per-process mailboxes and named queues.
 *
 * A message is a string of bytes (0 … the object's maximum message size)
 * with a 32-bit tag the caller chooses. Messages are copied in on send and
 * copied out on receive; the library never keeps a pointer to caller memory.
 * Every mailbox and queue is a bounded FIFO: when it is full a send either
 * fails at once with @c MK_EAGAIN (timeout #MK_NO_WAIT) or blocks the calling
 * host thread until there is room or the timeout expires (@c MK_ETIMEDOUT).
 * Nothing is ever dropped silently.
 *
 * **Mailboxes.** Every process (pid ≥ 1) has one mailbox, created with the
 * process and destroyed with it: host threads blocked receiving from or
 * sending to it then return @c MK_EDESTROYED and the queued messages are
 * discarded. The kernel (pid 0) has no mailbox.
 *
 * **Named queues.** Created by name, referred to by a handle (::mk_queue_t)
 * that becomes stale (@c MK_EBADH) when the queue is deleted. Two modes:
 *  - #MK_QUEUE_WORK: each message goes to exactly one receiver, in FIFO order.
 *  - #MK_QUEUE_PUBSUB: each message goes to every subscriber that was
 *    subscribed when it was sent, each subscriber reading in FIFO order at
 *    its own pace. The queue holds one copy of each message until the last
 *    subscriber has read it. Back-pressure follows the slowest subscriber: a
 *    send finds the queue full (and fails or blocks) when some subscriber
 *    still has @c capacity unread messages. A message sent while there are no
 *    subscribers reaches no one (there is nobody it could be owed to) and
 *    the send succeeds.
 *
 * Timeouts are in ticks of the context clock (see mk_config_t::tick_hz),
 * measured on the host's monotonic clock: #MK_NO_WAIT tries once, #MK_FOREVER
 * waits without limit.
 *
 * Thread safety: every function may be called from any host thread at the
 * same time; each mailbox and queue has its own lock. Message memory is
 * taken from the host allocator and is not charged to process quotas.
 */
#ifndef MICROKERNEL_IPC_H
#define MICROKERNEL_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Largest message a mailbox accepts, and the default maximum message
 *         size of a queue, in bytes. @since 1.0 */
#define MK_MSG_MAX_DEFAULT 65536

/** @brief Largest maximum message size a queue may be created with, in
 *         bytes (16 MiB). @since 1.0 */
#define MK_MSG_MAX_LIMIT (16u << 20)

/** @brief Capacity of a new mailbox, and the default capacity of a queue,
 *         in messages. @since 1.0 */
#define MK_MBOX_CAPACITY_DEFAULT 64

/** @brief Largest capacity of a mailbox or queue, in messages. @since 1.0 */
#define MK_QUEUE_CAPACITY_MAX 65536u

/* ---- mailboxes -------------------------------------------------------- */

/**
 * @brief Send a message to a process's mailbox.
 * @param k Context.
 * @param to Receiving process (≥ 1).
 * @param tag Caller-defined tag delivered with the message.
 * @param data Message bytes, copied; may be NULL when @p len is 0.
 * @param len Message length in bytes, 0 … #MK_MSG_MAX_DEFAULT.
 * @param timeout_ticks How long to wait for room when the mailbox is full:
 *        #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @retval 0 The message is queued.
 * @retval MK_EINVAL @p k is NULL, or @p data is NULL while @p len > 0.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p to (also for pid 0, which has no mailbox).
 * @retval MK_EMSGSIZE @p len > #MK_MSG_MAX_DEFAULT.
 * @retval MK_EAGAIN The mailbox is full and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT The mailbox stayed full for @p timeout_ticks.
 * @retval MK_EDESTROYED The process was destroyed while the caller waited.
 * @retval MK_ENOMEM The host could not supply memory for the copy.
 * @since 1.0
 */
MK_API int mk_mbox_send(mk_t *k, mk_pid_t to, uint32_t tag, const void *data, size_t len,
                        uint64_t timeout_ticks);

/**
 * @brief Receive the oldest message from a process's mailbox.
 *
 * Host code acts for @p pid (it names the mailbox to read).
 * @param k Context.
 * @param pid Process whose mailbox is read (≥ 1).
 * @param[out] tag Receives the message's tag; may be NULL.
 * @param[out] buf Receives the message bytes; may be NULL when @p cap is 0.
 * @param cap Size of @p buf in bytes.
 * @param[out] len Receives the message length in bytes; may be NULL.
 * @param timeout_ticks How long to wait while the mailbox is empty:
 *        #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @retval 0 A message was removed and copied out.
 * @retval MK_EINVAL @p k is NULL, or @p buf is NULL while @p cap > 0.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for pid 0).
 * @retval MK_EAGAIN The mailbox is empty and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT The mailbox stayed empty for @p timeout_ticks.
 * @retval MK_EMSGSIZE The oldest message is longer than @p cap; it stays
 *         queued (use mk_mbox_peek() to learn its length).
 * @retval MK_EDESTROYED The process was destroyed while the caller waited.
 * @since 1.0
 */
MK_API int mk_mbox_recv(mk_t *k, mk_pid_t pid, uint32_t *tag, void *buf, size_t cap,
                        size_t *len, uint64_t timeout_ticks);

/**
 * @brief Look at the oldest message of a mailbox without removing it.
 * @param k Context.
 * @param pid Process whose mailbox is read (≥ 1).
 * @param[out] tag Receives the message's tag; may be NULL.
 * @param[out] len Receives the message length in bytes; may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for pid 0).
 * @retval MK_EAGAIN The mailbox is empty.
 * @since 1.0
 */
MK_API int mk_mbox_peek(mk_t *k, mk_pid_t pid, uint32_t *tag, size_t *len);

/**
 * @brief Count the messages waiting in a mailbox.
 * @param k Context.
 * @param pid Process (≥ 1).
 * @param[out] count Receives the number of queued messages.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for pid 0).
 * @since 1.0
 */
MK_API int mk_mbox_count(mk_t *k, mk_pid_t pid, uint32_t *count);

/**
 * @brief Change how many messages a mailbox can hold.
 *
 * Growing wakes senders blocked on a full mailbox. Queued messages are kept.
 * @param k Context.
 * @param pid Process (≥ 1).
 * @param max_messages New capacity in messages, 1 … #MK_QUEUE_CAPACITY_MAX;
 *        a new mailbox holds #MK_MBOX_CAPACITY_DEFAULT.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENOENT No process @p pid (also for pid 0).
 * @retval MK_ERANGE @p max_messages is 0 or above #MK_QUEUE_CAPACITY_MAX.
 * @retval MK_EBUSY More than @p max_messages messages are queued now
 *         (nothing changed).
 * @retval MK_ENOMEM The host could not supply memory (nothing changed).
 * @since 1.0
 */
MK_API int mk_mbox_set_capacity(mk_t *k, mk_pid_t pid, uint32_t max_messages);

/* ---- named queues ----------------------------------------------------- */

/** @brief Handle of a named queue; 0 is never valid. @since 1.0 */
typedef uint64_t mk_queue_t;

/** @brief Delivery mode of a named queue (mk_queue_attr_t::mode). @since 1.0 */
enum mk_queue_mode {
    /** Work queue: each message is received by exactly one receiver. */
    MK_QUEUE_WORK = 0,
    /** Publish/subscribe: each message is received by every subscriber. */
    MK_QUEUE_PUBSUB = 1
};

/**
 * @brief Attributes of a new queue. Fill with mk_queue_attr_init(); a field
 *        left 0 takes its default. @since 1.0
 */
typedef struct mk_queue_attr {
    /** Size of this structure in bytes; set by mk_queue_attr_init(). */
    uint32_t size;
    /** Delivery mode, one of ::mk_queue_mode; default #MK_QUEUE_WORK. */
    uint32_t mode;
    /** Capacity in messages (per subscriber for pub/sub), 1 …
     *  #MK_QUEUE_CAPACITY_MAX; 0 = #MK_MBOX_CAPACITY_DEFAULT (64). */
    uint32_t capacity;
    /** Largest message in bytes, 1 … #MK_MSG_MAX_LIMIT;
     *  0 = #MK_MSG_MAX_DEFAULT. */
    uint32_t msg_max;
} mk_queue_attr_t;

/**
 * @brief Fill queue attributes with defaults (all fields 0, @c size set).
 * @param[out] a Attributes to fill; NULL is ignored.
 * @since 1.0
 */
MK_API void mk_queue_attr_init(mk_queue_attr_t *a);

/**
 * @brief Create a named queue.
 * @param k Context.
 * @param name Queue name, 1 … #MK_NAME_MAX bytes, NUL-terminated; copied.
 * @param attr Attributes, or NULL for a work queue with every default. Its
 *        @c size must be at least the size of the 1.0 structure.
 * @param[out] out Receives the queue's handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p out or @p name is NULL, @p name is empty,
 *         @p attr->size is too small or @p attr->mode is not a
 *         ::mk_queue_mode.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_ERANGE @p attr->capacity or @p attr->msg_max is above its limit.
 * @retval MK_EEXIST A queue of that name exists.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_queue_create(mk_t *k, const char *name, const mk_queue_attr_t *attr,
                           mk_queue_t *out);

/**
 * @brief Find a queue by name.
 * @param k Context.
 * @param name Queue name.
 * @param[out] out Receives the queue's handle (the same handle every time
 *        for the same queue).
 * @retval 0 Success.
 * @retval MK_EINVAL @p k, @p name or @p out is NULL, or @p name is empty.
 * @retval MK_EBADH @p k was destroyed.
 * @retval MK_ENAMETOOLONG @p name is longer than #MK_NAME_MAX.
 * @retval MK_ENOENT No queue of that name.
 * @since 1.0
 */
MK_API int mk_queue_open(mk_t *k, const char *name, mk_queue_t *out);

/**
 * @brief Delete a queue: discard its messages, free its name and make its
 *        handle stale. Host threads blocked sending to or receiving from it
 *        return @c MK_EDESTROYED.
 * @param k Context.
 * @param q Queue handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged (for
 *         example already deleted).
 * @since 1.0
 */
MK_API int mk_queue_delete(mk_t *k, mk_queue_t q);

/**
 * @brief Send a message to a queue.
 * @param k Context.
 * @param q Queue handle.
 * @param tag Caller-defined tag delivered with the message.
 * @param data Message bytes, copied; may be NULL when @p len is 0.
 * @param len Message length in bytes, 0 … the queue's @c msg_max.
 * @param timeout_ticks How long to wait for room when the queue is full:
 *        #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @retval 0 The message is queued (pub/sub: for every current subscriber).
 * @retval MK_EINVAL @p k is NULL, or @p data is NULL while @p len > 0.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged.
 * @retval MK_EMSGSIZE @p len is larger than the queue's @c msg_max.
 * @retval MK_EAGAIN The queue is full and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT The queue stayed full for @p timeout_ticks.
 * @retval MK_EDESTROYED The queue was deleted while the caller waited.
 * @retval MK_ENOMEM The host could not supply memory for the copy.
 * @since 1.0
 */
MK_API int mk_queue_send(mk_t *k, mk_queue_t q, uint32_t tag, const void *data, size_t len,
                         uint64_t timeout_ticks);

/**
 * @brief Receive the oldest message from a queue.
 *
 * Work queue: the message is removed and no other receiver gets it; @p pid
 * says for whom host code receives and may be 0. Pub/sub: @p pid must be a
 * subscriber (0 if host code subscribed as pid 0) and receives its own next
 * message; the other subscribers still get theirs.
 * @param k Context.
 * @param q Queue handle.
 * @param pid Receiving process, or 0 (#MK_PID_KERNEL) for host code.
 * @param[out] tag Receives the message's tag; may be NULL.
 * @param[out] buf Receives the message bytes; may be NULL when @p cap is 0.
 * @param cap Size of @p buf in bytes.
 * @param[out] len Receives the message length in bytes; may be NULL.
 * @param timeout_ticks How long to wait while there is nothing to receive:
 *        #MK_NO_WAIT, a number of ticks, or #MK_FOREVER.
 * @retval 0 A message was received.
 * @retval MK_EINVAL @p k is NULL, or @p buf is NULL while @p cap > 0.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged.
 * @retval MK_ENOENT @p pid is not 0 and names no process.
 * @retval MK_EPERM Pub/sub queue and @p pid is not a subscriber.
 * @retval MK_EAGAIN Nothing to receive and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Nothing arrived within @p timeout_ticks.
 * @retval MK_EMSGSIZE The next message is longer than @p cap; it stays
 *         queued (use mk_queue_peek() to learn its length).
 * @retval MK_EDESTROYED The queue was deleted, or (pub/sub) @p pid was
 *         unsubscribed or its process destroyed, while the caller waited.
 * @since 1.0
 */
MK_API int mk_queue_recv(mk_t *k, mk_queue_t q, mk_pid_t pid, uint32_t *tag, void *buf,
                         size_t cap, size_t *len, uint64_t timeout_ticks);

/**
 * @brief Look at the message mk_queue_recv() would return next for @p pid,
 *        without removing it.
 * @param k Context.
 * @param q Queue handle.
 * @param pid Receiving process or 0, with the same rules as mk_queue_recv().
 * @param[out] tag Receives the message's tag; may be NULL.
 * @param[out] len Receives the message length in bytes; may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged.
 * @retval MK_ENOENT @p pid is not 0 and names no process.
 * @retval MK_EPERM Pub/sub queue and @p pid is not a subscriber.
 * @retval MK_EAGAIN Nothing to receive.
 * @since 1.0
 */
MK_API int mk_queue_peek(mk_t *k, mk_queue_t q, mk_pid_t pid, uint32_t *tag, size_t *len);

/**
 * @brief Subscribe a process (or host code, as pid 0) to a pub/sub queue.
 *        It receives every message sent from now on. Destroying the process
 *        unsubscribes it.
 * @param k Context.
 * @param q Pub/sub queue handle.
 * @param pid Subscribing process, or 0 for host code.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged.
 * @retval MK_ENOTSUP @p q is a work queue.
 * @retval MK_ENOENT @p pid is not 0 and names no process.
 * @retval MK_EEXIST @p pid is already subscribed.
 * @retval MK_ENOMEM The host could not supply memory.
 * @since 1.0
 */
MK_API int mk_queue_subscribe(mk_t *k, mk_queue_t q, mk_pid_t pid);

/**
 * @brief Unsubscribe from a pub/sub queue. Messages it had not read are
 *        released (room for senders); a thread blocked receiving for it
 *        returns @c MK_EDESTROYED.
 * @param k Context.
 * @param q Pub/sub queue handle.
 * @param pid Subscribed process, or 0 for host code.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged.
 * @retval MK_ENOTSUP @p q is a work queue.
 * @retval MK_ENOENT @p pid is not subscribed to @p q.
 * @since 1.0
 */
MK_API int mk_queue_unsubscribe(mk_t *k, mk_queue_t q, mk_pid_t pid);

/**
 * @brief Count the messages waiting for @p pid in a queue (work queue: all
 *        queued messages; pub/sub: those @p pid has not read yet).
 * @param k Context.
 * @param q Queue handle.
 * @param pid Receiving process or 0, with the same rules as mk_queue_recv().
 * @param[out] count Receives the number of messages.
 * @retval 0 Success.
 * @retval MK_EINVAL @p k or @p count is NULL.
 * @retval MK_EBADH @p k was destroyed, or @p q is stale or forged.
 * @retval MK_ENOENT @p pid is not 0 and names no process.
 * @retval MK_EPERM Pub/sub queue and @p pid is not a subscriber.
 * @since 1.0
 */
MK_API int mk_queue_count(mk_t *k, mk_queue_t q, mk_pid_t pid, uint32_t *count);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_IPC_H */
