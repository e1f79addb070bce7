/**
 * @file client.h
 * @brief Client of the mkd daemon: one kernel shared by separate OS processes.
 *
 * `mkd` hosts one ::mk_t and serves it on a Unix socket. This header is the
 * client side, compiled into libmk (it needs nothing beyond libc): a C
 * program connects with mk_client_connect() and then uses the daemon's
 * processes, mailboxes, named queues (work and publish/subscribe),
 * semaphores and VFS files through `mk_client_…` calls that mirror the
 * in-process API one for one (same arguments after the connection, same
 * `MK_E…` codes, out-parameters written only on success).
 *
 * Why a separate ::mk_client_t rather than a remote ::mk_t: a remote call
 * can fail in ways a local one cannot (the daemon went away), the daemon
 * enforces per-connection ownership and limits, and only part of the API
 * makes sense across processes (raw memory pointers do not). Keeping the two
 * types apart makes that visible to the compiler instead of surprising the
 * caller at run time.
 *
 * Ownership: a process created through a connection belongs to it. Only the
 * owner may receive from its mailbox, act for it on queues and files, or
 * destroy it (others get @c MK_EPERM); anyone may send to it. When the
 * connection closes, or its OS process dies, the daemon destroys every
 * process it created: memory, mailbox, subscriptions and open files are
 * released and waiters are woken. Queues and semaphores are named objects of
 * the shared kernel and survive their creator (mk_client_queue_delete() /
 * mk_client_sem_delete() remove them).
 *
 * Timeouts are in ticks of the daemon's clock (mk_client_tick_hz(); mkd
 * runs at 1000 ticks per second unless started otherwise): #MK_NO_WAIT tries
 * once, #MK_FOREVER waits without limit. A blocking call blocks only the
 * calling thread; the daemon keeps serving every other client meanwhile.
 *
 * Errors besides the ones of the mirrored kernel call: @c MK_EIO when the
 * connection is lost or the daemon answers with something that is not a
 * valid frame (the connection is then unusable: close it), @c MK_EMSGSIZE
 * when a request would exceed the daemon's frame limit
 * (mk_client_frame_max()), @c MK_ENOSPC / @c MK_EQUOTA when a per-client
 * limit of the daemon (processes, queues, memory) is reached.
 *
 * Thread safety: a connection may be used from several threads; calls on
 * one connection are serialised (a thread blocked in a wait holds the
 * connection until it returns), so give each thread that blocks its own
 * connection.
 */
#ifndef MICROKERNEL_CLIENT_H
#define MICROKERNEL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "export.h"
#include "ipc.h"
#include "sync.h"
#include "vfs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Version of the native mkd wire protocol spoken by this library. @since 1.0 */
#define MK_CLIENT_PROTO_VERSION 1u

/** @brief Largest socket path accepted (bytes, without the terminating NUL). @since 1.0 */
#define MK_CLIENT_PATH_MAX 107u

/** @brief A connection to mkd (opaque). @since 1.0 */
typedef struct mk_client mk_client_t;

/**
 * @brief Write the default socket path of mkd for this user.
 *
 * `$XDG_RUNTIME_DIR/mkd.sock` when that variable is set and non-empty,
 * otherwise `/tmp/mkd-<uid>.sock`.
 * @param[out] buf Buffer for the NUL-terminated path.
 * @param cap Size of @p buf in bytes; MK_CLIENT_PATH_MAX + 1 always fits.
 * @retval 0 Success.
 * @retval MK_EINVAL @p buf is NULL.
 * @retval MK_ENAMETOOLONG The path (with its NUL) does not fit in @p cap or
 *         exceeds #MK_CLIENT_PATH_MAX.
 * @since 1.0
 * @note Thread-safe (reads the environment).
 */
MK_API int mk_client_default_path(char *buf, size_t cap);

/**
 * @brief Connect to mkd and perform the version handshake.
 * @param path Socket path, at most #MK_CLIENT_PATH_MAX bytes; NULL = the
 *        default path (mk_client_default_path()).
 * @param[out] out Receives the connection; close it with mk_client_close().
 * @retval 0 Success.
 * @retval MK_EINVAL @p out is NULL.
 * @retval MK_ENAMETOOLONG @p path is too long for a Unix socket.
 * @retval MK_ENOENT Nothing listens at @p path.
 * @retval MK_EPERM The daemon refused this user (peer credentials) or the
 *         socket's permissions forbid access.
 * @retval MK_EAGAIN The daemon serves its maximum number of clients.
 * @retval MK_ENOTSUP The daemon speaks no protocol version this library
 *         understands.
 * @retval MK_ENOMEM Out of memory.
 * @retval MK_EIO Any other socket failure.
 * @since 1.0
 */
MK_API int mk_client_connect(const char *path, mk_client_t **out);

/**
 * @brief Close a connection; the daemon then destroys every process it created.
 * @param c Connection, or NULL (ignored). Must not be in use by another
 *        thread; @p c is invalid afterwards.
 * @retval 0 Always (also for NULL).
 * @since 1.0
 */
MK_API int mk_client_close(mk_client_t *c);

/**
 * @brief Round trip with no kernel work: the daemon echoes @p data.
 * @param c Connection.
 * @param data Bytes to echo; may be NULL when @p len is 0.
 * @param len Length of @p data in bytes, at most mk_client_frame_max() - 64.
 * @retval 0 The echo came back intact.
 * @retval MK_EINVAL @p c is NULL, or @p data is NULL with @p len > 0.
 * @retval MK_EMSGSIZE @p len exceeds the frame limit.
 * @retval MK_EIO Connection lost or the echo differs.
 * @since 1.0
 */
MK_API int mk_client_ping(mk_client_t *c, const void *data, size_t len);

/**
 * @brief Tick rate of the daemon's clock, the unit of every timeout here.
 * @param c Connection.
 * @param[out] hz Ticks per second.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @since 1.0
 */
MK_API int mk_client_tick_hz(mk_client_t *c, uint32_t *hz);

/**
 * @brief Largest frame (header included) the daemon accepts, in bytes.
 * @param c Connection.
 * @param[out] bytes Limit announced in the handshake.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @since 1.0
 */
MK_API int mk_client_frame_max(mk_client_t *c, uint32_t *bytes);

/* ---- processes ------------------------------------------------------ */

/**
 * @brief Create a kernel process owned by this connection (mk_proc_create()).
 * @param c Connection.
 * @param pid Pid to use, 1 … #MK_PID_MAX, or 0 for the lowest free pid.
 * @param[out] out Receives the pid; may be NULL when @p pid is not 0.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL, @p pid is out of range, or @p out is NULL
 *         with @p pid 0.
 * @retval MK_EEXIST The pid is taken.
 * @retval MK_ENOSPC This connection owns the daemon's maximum number of
 *         processes, or every pid is taken.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_proc_create(mk_client_t *c, mk_pid_t pid, mk_pid_t *out);

/**
 * @brief Destroy a process this connection owns (mk_proc_destroy()).
 * @param c Connection.
 * @param pid Process.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EPERM @p pid exists but this connection does not own it.
 * @retval MK_ENOENT No such process.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_proc_destroy(mk_client_t *c, mk_pid_t pid);

/**
 * @brief Whether a process exists in the daemon's kernel (any owner).
 * @param c Connection.
 * @param pid Pid to look up.
 * @retval 0 It exists.
 * @retval MK_ENOENT It does not.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_proc_exists(mk_client_t *c, mk_pid_t pid);

/* ---- mailboxes ------------------------------------------------------ */

/**
 * @brief Send a message to a process's mailbox (mk_mbox_send()).
 * @param c Connection.
 * @param to Receiving process (any owner).
 * @param tag Caller-defined message tag.
 * @param data Message bytes; may be NULL when @p len is 0.
 * @param len Message length in bytes.
 * @param timeout_ticks How long to wait while the mailbox is full.
 * @retval 0 Delivered.
 * @retval MK_EINVAL @p c is NULL, or @p data NULL with @p len > 0.
 * @retval MK_ENOENT No such process.
 * @retval MK_EAGAIN Mailbox full and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Still full when the timeout expired.
 * @retval MK_EMSGSIZE Message larger than the mailbox or frame limit.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_mbox_send(mk_client_t *c, mk_pid_t to, uint32_t tag, const void *data,
                               size_t len, uint64_t timeout_ticks);

/**
 * @brief Receive the oldest message of an owned process's mailbox (mk_mbox_recv()).
 * @param c Connection.
 * @param pid Receiving process; must be owned by this connection.
 * @param[out] tag Receives the tag; may be NULL.
 * @param[out] buf Buffer for the message; may be NULL when @p cap is 0.
 * @param cap Size of @p buf in bytes.
 * @param[out] len Receives the message length; on @c MK_EMSGSIZE the needed
 *        size is NOT reported (use a buffer of the mailbox's message limit).
 * @param timeout_ticks How long to wait while the mailbox is empty.
 * @retval 0 Received.
 * @retval MK_EINVAL @p c or @p len is NULL, or @p buf NULL with @p cap > 0.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EAGAIN Empty and @p timeout_ticks is #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Still empty when the timeout expired.
 * @retval MK_EMSGSIZE @p cap is too small; the message stays queued.
 * @retval MK_EDESTROYED The process was destroyed while waiting.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_mbox_recv(mk_client_t *c, mk_pid_t pid, uint32_t *tag, void *buf,
                               size_t cap, size_t *len, uint64_t timeout_ticks);

/**
 * @brief Number of messages waiting in a process's mailbox (mk_mbox_count()).
 * @param c Connection.
 * @param pid Process (any owner).
 * @param[out] count Receives the count.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_ENOENT No such process.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_mbox_count(mk_client_t *c, mk_pid_t pid, uint32_t *count);

/* ---- named queues --------------------------------------------------- */

/**
 * @brief Create a named queue in the daemon's kernel (mk_queue_create()).
 * @param c Connection.
 * @param name Queue name, 1 … #MK_NAME_MAX bytes.
 * @param mode #MK_QUEUE_WORK or #MK_QUEUE_PUBSUB.
 * @param capacity Capacity in messages; 0 = default (64).
 * @param msg_max Largest message in bytes; 0 = default (65536).
 * @param[out] out Receives the queue handle (valid on every connection).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or a value is out of range.
 * @retval MK_ENAMETOOLONG @p name is too long.
 * @retval MK_EEXIST A queue of that name exists.
 * @retval MK_ENOSPC This connection created the daemon's maximum number of
 *         queues.
 * @retval MK_EQUOTA capacity × msg_max would exceed this connection's
 *         memory limit.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_create(mk_client_t *c, const char *name, uint32_t mode,
                                  uint32_t capacity, uint32_t msg_max, mk_queue_t *out);

/**
 * @brief Look up a queue by name (mk_queue_open()).
 * @param c Connection.
 * @param name Queue name.
 * @param[out] out Receives the handle.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_ENAMETOOLONG @p name is too long.
 * @retval MK_ENOENT No such queue.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_open(mk_client_t *c, const char *name, mk_queue_t *out);

/**
 * @brief Delete a queue (mk_queue_delete()); its waiters get @c MK_EDESTROYED.
 * @param c Connection.
 * @param q Queue handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_delete(mk_client_t *c, mk_queue_t q);

/**
 * @brief Send to a queue (mk_queue_send()).
 * @param c Connection.
 * @param q Queue handle.
 * @param tag Caller-defined tag.
 * @param data Message bytes; may be NULL when @p len is 0.
 * @param len Length in bytes, at most the queue's msg_max.
 * @param timeout_ticks How long to wait while the queue is full.
 * @retval 0 Sent.
 * @retval MK_EINVAL @p c is NULL, or @p data NULL with @p len > 0.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_EMSGSIZE Message too large.
 * @retval MK_EAGAIN Full and #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Still full at the timeout.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_send(mk_client_t *c, mk_queue_t q, uint32_t tag, const void *data,
                                size_t len, uint64_t timeout_ticks);

/**
 * @brief Receive from a queue for an owned process (mk_queue_recv()).
 * @param c Connection.
 * @param q Queue handle.
 * @param pid Receiving process, owned by this connection (for a pub/sub
 *        queue, a subscriber).
 * @param[out] tag Receives the tag; may be NULL.
 * @param[out] buf Buffer; may be NULL when @p cap is 0.
 * @param cap Size of @p buf in bytes.
 * @param[out] len Receives the message length.
 * @param timeout_ticks How long to wait while nothing is queued.
 * @retval 0 Received.
 * @retval MK_EINVAL A required pointer is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_ENOENT @p pid is not a subscriber of a pub/sub queue.
 * @retval MK_EAGAIN Empty and #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Still empty at the timeout.
 * @retval MK_EMSGSIZE @p cap too small; the message stays queued.
 * @retval MK_EDESTROYED The queue was deleted while waiting.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_recv(mk_client_t *c, mk_queue_t q, mk_pid_t pid, uint32_t *tag,
                                void *buf, size_t cap, size_t *len, uint64_t timeout_ticks);

/**
 * @brief Subscribe an owned process to a pub/sub queue (mk_queue_subscribe()).
 * @param c Connection.
 * @param q Queue handle.
 * @param pid Process owned by this connection.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_ENOTSUP The queue is a work queue.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_EEXIST Already subscribed.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_subscribe(mk_client_t *c, mk_queue_t q, mk_pid_t pid);

/**
 * @brief Unsubscribe an owned process (mk_queue_unsubscribe()).
 * @param c Connection.
 * @param q Queue handle.
 * @param pid Process owned by this connection.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_ENOENT Not subscribed.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_unsubscribe(mk_client_t *c, mk_queue_t q, mk_pid_t pid);

/**
 * @brief Messages waiting in a queue (for @p pid on pub/sub) (mk_queue_count()).
 * @param c Connection.
 * @param q Queue handle.
 * @param pid Subscriber for a pub/sub queue; ignored for a work queue.
 * @param[out] count Receives the count.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_ENOENT @p pid is not a subscriber.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_queue_count(mk_client_t *c, mk_queue_t q, mk_pid_t pid, uint32_t *count);

/* ---- semaphores ------------------------------------------------------ */

/**
 * @brief Create a named counting semaphore (mk_sem_create()).
 * @param c Connection.
 * @param name Name, 1 … #MK_NAME_MAX bytes.
 * @param initial Initial count, ≤ @p max.
 * @param max Largest count, ≥ 1.
 * @param[out] out Receives the handle (valid on every connection).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @p max is 0.
 * @retval MK_ERANGE @p initial > @p max.
 * @retval MK_ENAMETOOLONG @p name is too long.
 * @retval MK_EEXIST A semaphore of that name exists.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_sem_create(mk_client_t *c, const char *name, uint32_t initial,
                                uint32_t max, mk_sem_t *out);

/**
 * @brief Look up a semaphore by name (mk_sem_open()).
 * @param c Connection.
 * @param name Name.
 * @param[out] out Receives the handle.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_ENAMETOOLONG @p name is too long.
 * @retval MK_ENOENT No such semaphore.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_sem_open(mk_client_t *c, const char *name, mk_sem_t *out);

/**
 * @brief Take one unit, blocking across OS processes (mk_sem_wait()).
 * @param c Connection.
 * @param s Semaphore handle.
 * @param timeout_ticks How long to wait while the count is 0.
 * @retval 0 Taken.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_EAGAIN Count 0 and #MK_NO_WAIT.
 * @retval MK_ETIMEDOUT Count still 0 at the timeout.
 * @retval MK_EDESTROYED Deleted while waiting.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_sem_wait(mk_client_t *c, mk_sem_t s, uint64_t timeout_ticks);

/**
 * @brief Give one unit back (mk_sem_post()).
 * @param c Connection.
 * @param s Semaphore handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_ERANGE The count is already at its maximum.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_sem_post(mk_client_t *c, mk_sem_t s);

/**
 * @brief Current count of a semaphore (mk_sem_value()).
 * @param c Connection.
 * @param s Semaphore handle.
 * @param[out] value Receives the count.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_sem_value(mk_client_t *c, mk_sem_t s, uint32_t *value);

/**
 * @brief Delete a semaphore (mk_sem_delete()); waiters get @c MK_EDESTROYED.
 * @param c Connection.
 * @param s Semaphore handle.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EBADH Stale or forged handle.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_sem_delete(mk_client_t *c, mk_sem_t s);

/* ---- files ------------------------------------------------------------ */

/**
 * @brief Open a file of the daemon's VFS for an owned process (mk_vfs_open()).
 * @param c Connection.
 * @param pid Process owned by this connection; the descriptor is its.
 * @param path Absolute path.
 * @param flags `MK_O_…` flags.
 * @param[out] out Receives the descriptor.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or the flags are invalid.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_ENOENT No such file (without #MK_O_CREAT).
 * @retval MK_EEXIST #MK_O_CREAT | #MK_O_EXCL and the file exists.
 * @retval MK_EISDIR Writing a directory.
 * @retval MK_EMFILE Too many open files for @p pid.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_open(mk_client_t *c, mk_pid_t pid, const char *path, uint32_t flags,
                              mk_fd_t *out);

/**
 * @brief Close a descriptor (mk_vfs_close()).
 * @param c Connection.
 * @param pid Owning process (owned by this connection).
 * @param fd Descriptor.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Not an open descriptor of @p pid.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_vfs_close(mk_client_t *c, mk_pid_t pid, mk_fd_t fd);

/**
 * @brief Read at the descriptor's position (mk_vfs_read()).
 * @param c Connection.
 * @param pid Owning process.
 * @param fd Descriptor.
 * @param[out] buf Buffer; may be NULL when @p len is 0.
 * @param len Bytes to read, at most the frame limit minus 64.
 * @param[out] nread Receives the bytes read (0 at end of file).
 * @retval 0 Success.
 * @retval MK_EINVAL A required pointer is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Bad descriptor.
 * @retval MK_EMSGSIZE @p len exceeds the frame limit.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_read(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                              size_t *nread);

/**
 * @brief Write at the descriptor's position (mk_vfs_write()).
 * @param c Connection.
 * @param pid Owning process.
 * @param fd Descriptor.
 * @param buf Bytes; may be NULL when @p len is 0.
 * @param len Length, at most the frame limit minus 64.
 * @param[out] nwritten Receives the bytes written.
 * @retval 0 Success.
 * @retval MK_EINVAL A required pointer is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Bad descriptor.
 * @retval MK_ENOSPC The file system is full.
 * @retval MK_EMSGSIZE @p len exceeds the frame limit.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_write(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, const void *buf,
                               size_t len, size_t *nwritten);

/**
 * @brief Read at an offset without moving the position (mk_vfs_pread()).
 * @param c Connection.
 * @param pid Owning process.
 * @param fd Descriptor.
 * @param[out] buf Buffer; may be NULL when @p len is 0.
 * @param len Bytes to read.
 * @param offset Byte offset.
 * @param[out] nread Receives the bytes read.
 * @retval 0 Success.
 * @retval MK_EINVAL A required pointer is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Bad descriptor.
 * @retval MK_EMSGSIZE @p len exceeds the frame limit.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_pread(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, void *buf, size_t len,
                               uint64_t offset, size_t *nread);

/**
 * @brief Write at an offset without moving the position (mk_vfs_pwrite()).
 * @param c Connection.
 * @param pid Owning process.
 * @param fd Descriptor.
 * @param buf Bytes; may be NULL when @p len is 0.
 * @param len Length.
 * @param offset Byte offset.
 * @param[out] nwritten Receives the bytes written.
 * @retval 0 Success.
 * @retval MK_EINVAL A required pointer is NULL.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Bad descriptor.
 * @retval MK_ENOSPC The file system is full.
 * @retval MK_EMSGSIZE @p len exceeds the frame limit.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_pwrite(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, const void *buf,
                                size_t len, uint64_t offset, size_t *nwritten);

/**
 * @brief Move the descriptor's position (mk_vfs_seek()).
 * @param c Connection.
 * @param pid Owning process.
 * @param fd Descriptor.
 * @param offset Signed byte offset.
 * @param whence #MK_SEEK_SET, #MK_SEEK_CUR or #MK_SEEK_END.
 * @param[out] newpos Receives the new position; may be NULL.
 * @retval 0 Success.
 * @retval MK_EINVAL @p c is NULL, bad @p whence or negative result.
 * @retval MK_EPERM @p pid is not owned by this connection.
 * @retval MK_EBADH Bad descriptor.
 * @retval MK_EIO Connection lost.
 * @since 1.0
 */
MK_API int mk_client_vfs_seek(mk_client_t *c, mk_pid_t pid, mk_fd_t fd, int64_t offset,
                              uint32_t whence, uint64_t *newpos);

/**
 * @brief Remove a file (mk_vfs_unlink()): an open file keeps working
 *        through its descriptors and is freed at their last close.
 * @param c Connection.
 * @param path Absolute path.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or the path is not absolute.
 * @retval MK_ENOENT No such file.
 * @retval MK_EISDIR @p path is a directory.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_unlink(mk_client_t *c, const char *path);

/**
 * @brief Create a directory (mk_vfs_mkdir()).
 * @param c Connection.
 * @param path Absolute path.
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or the path is not absolute.
 * @retval MK_EEXIST It exists.
 * @retval MK_ENOENT A parent is missing.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_mkdir(mk_client_t *c, const char *path);

/**
 * @brief Status of a path (mk_vfs_stat()).
 * @param c Connection.
 * @param path Absolute path.
 * @param[in,out] out Caller sets @c out->size to sizeof(mk_stat_t).
 * @retval 0 Success.
 * @retval MK_EINVAL A pointer is NULL or @c out->size is too small.
 * @retval MK_ENOENT No such file.
 * @retval MK_EIO Connection lost or device error.
 * @since 1.0
 */
MK_API int mk_client_vfs_stat(mk_client_t *c, const char *path, mk_stat_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MICROKERNEL_CLIENT_H */
